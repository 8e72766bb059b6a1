"""DG1: the MRZ as stored on the chip."""

from __future__ import annotations

from card_reader import tlv
from card_reader.errors import CardDataError, KeyInputError
from card_reader.mrz import Mrz, parse_mrz

_LINE_LENGTHS = {90: 30, 72: 36, 88: 44}


def parse_dg1(data: bytes) -> Mrz:
    objects = tlv.parse(tlv.unwrap(data, 0x61))
    raw = objects.get(0x5F1F)
    if raw is None:
        raise CardDataError("DG1", "no MRZ data object (5F1F)")
    text = raw.decode("ascii", "replace")
    width = _LINE_LENGTHS.get(len(text))
    if width is None:
        raise CardDataError("DG1", f"MRZ of {len(text)} characters is neither TD1, TD2 nor TD3")
    try:
        return parse_mrz("\n".join(text[i : i + width] for i in range(0, len(text), width)), strict=False)
    except KeyInputError as exc:
        raise CardDataError("DG1", exc.detail) from None

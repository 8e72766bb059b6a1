"""EF.COM: LDS version and the list of data groups present."""

from __future__ import annotations

from dataclasses import dataclass

from card_reader import tlv

# LDS tag -> data group number (Doc 9303 Part 10, table 34).
TAG_TO_DG = {0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9, 0x6A: 10,
             0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16}


@dataclass(frozen=True)
class Com:
    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def parse_com(data: bytes) -> Com:
    objects = tlv.parse(tlv.unwrap(data, 0x60))
    groups = tuple(TAG_TO_DG[t] for t in objects.get(0x5C, b"") if t in TAG_TO_DG)
    return Com(objects.get(0x5F01, b"").decode("ascii", "replace"),
               objects.get(0x5F36, b"").decode("ascii", "replace"), groups)

"""TLV and APDU encodings round-trip for any input, and malformed input fails cleanly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from card_reader import tlv
from card_reader.apdu import Command, Response
from card_reader.errors import CardDataError

tags = st.sampled_from([0x04, 0x30, 0x53, 0x5F1F, 0x7F49, 0x7F61, 0x87, 0x8E, 0x99])


@given(st.lists(st.tuples(tags, st.binary(max_size=400)), max_size=5))
def test_tlv_round_trip(objects: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(tlv.tlv(tag, value) for tag, value in objects)
    assert list(tlv.iter_tlv(encoded)) == objects
    if objects:
        assert tlv.total_length(encoded) == len(tlv.tlv(*objects[0]))


@given(st.binary(max_size=40))
def test_tlv_garbage_raises_card_data_error_or_parses_within_bounds(data: bytes) -> None:
    try:
        objects = list(tlv.iter_tlv(data))
    except CardDataError:
        return
    assert sum(len(value) for _tag, value in objects) <= len(data)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=600),
       st.one_of(st.none(), st.integers(1, 65536)))
def test_command_round_trip(ins: int, p1: int, p2: int, data: bytes, le: int | None) -> None:
    command = Command(0x00, ins, p1, p2, data, le)
    parsed = Command.from_bytes(command.to_bytes())
    assert (parsed.ins, parsed.p1, parsed.p2, parsed.data, parsed.le) == (ins, p1, p2, data, le)


def test_truncated_apdus_are_refused() -> None:
    with pytest.raises(CardDataError):
        Command.from_bytes(b"\x00\xb0")
    with pytest.raises(CardDataError):
        Command.from_bytes(b"\x00\xa4\x02\x0c\x05\x01")
    with pytest.raises(CardDataError):
        Response.from_bytes(b"\x90")

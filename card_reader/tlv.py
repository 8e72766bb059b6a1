"""BER-TLV as used by ISO 7816-4 and ICAO Doc 9303 (multi-byte tags, definite lengths)."""

from __future__ import annotations

from collections.abc import Iterator

from card_reader.errors import CardDataError


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def tlv(tag: int, value: bytes) -> bytes:
    """One TLV object; `tag` as an int in its encoded form (e.g. 0x7F49, 0x5F1F)."""
    return encode_tag(tag) + encode_length(len(value)) + value


def read_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """(tag, length, offset of the value) of the TLV starting at `offset`."""
    try:
        start = offset
        first = data[offset]
        offset += 1
        if first & 0x1F == 0x1F:  # multi-byte tag: continue while bit 8 is set
            while data[offset] & 0x80:
                offset += 1
            offset += 1
        tag = int.from_bytes(data[start:offset], "big")
        length = data[offset]
        offset += 1
        if length == 0x80:
            raise CardDataError("tlv", f"indefinite length at offset {start}")
        if length > 0x80:
            count = length & 0x7F
            if count > 4 or offset + count > len(data):
                raise CardDataError("tlv", f"bad length field at offset {start}")
            length = int.from_bytes(data[offset : offset + count], "big")
            offset += count
    except IndexError:
        raise CardDataError("tlv", f"truncated TLV header at offset {start}") from None
    return tag, length, offset


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Each (tag, value) at the top level of `data`; padding bytes 00/FF between objects skipped."""
    offset = 0
    while offset < len(data):
        if data[offset] in (0x00, 0xFF):
            offset += 1
            continue
        tag, length, start = read_header(data, offset)
        end = start + length
        if end > len(data):
            raise CardDataError("tlv", f"TLV {tag:X} at offset {offset} runs past the end ({end} > {len(data)})")
        yield tag, data[start:end]
        offset = end


def parse(data: bytes) -> dict[int, bytes]:
    """Top-level objects by tag (the first occurrence wins)."""
    found: dict[int, bytes] = {}
    for tag, value in iter_tlv(data):
        found.setdefault(tag, value)
    return found


def unwrap(data: bytes, tag: int) -> bytes:
    """The value of the single outer object, which must carry `tag`."""
    found_tag, length, start = read_header(data)
    if found_tag != tag:
        raise CardDataError("tlv", f"expected tag {tag:X}, found {found_tag:X}")
    if start + length > len(data):
        raise CardDataError("tlv", f"TLV {tag:X} is truncated ({len(data) - start} of {length} bytes)")
    return data[start : start + length]


def total_length(header: bytes) -> int | None:
    """Full size of the TLV whose first bytes are `header`, or None if the header is incomplete."""
    try:
        _tag, length, start = read_header(header)
    except CardDataError:
        return None
    return start + length

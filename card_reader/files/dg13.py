"""DG13: the Vietnamese personal data, keyed by field number (see shared/docs/cccd.md).

Fields may be absent or in any order; unknown numbers are kept as raw text. Sensitive fields
(ethnicity, religion, identifying marks, parents, spouse) are marked so the report can drop them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from card_reader import tlv
from card_reader.errors import CardDataError

FIELDS = {
    1: "id_number", 2: "full_name", 3: "date_of_birth", 4: "sex", 5: "nationality", 6: "ethnicity",
    7: "religion", 8: "place_of_origin", 9: "place_of_residence", 10: "identifying_marks",
    11: "issue_date", 12: "expiry_date", 13: "parents", 14: "spouse", 15: "old_id_number", 16: "field_16",
}
SENSITIVE = frozenset({"ethnicity", "religion", "identifying_marks", "parents", "spouse"})
_STRING_TAGS = {0x0C, 0x13, 0x16, 0x14, 0x1E, 0x04}


def _text(tag: int, value: bytes) -> str:
    if tag == 0x1E:
        return value.decode("utf-16-be", "replace")
    return value.decode("utf-8", "replace").strip()


@dataclass
class Dg13:
    fields: dict[str, object] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    def to_dict(self, include_sensitive: bool = False) -> dict[str, object]:
        return {k: v for k, v in self.fields.items() if include_sensitive or k not in SENSITIVE}


def _value(number: int, tag: int, value: bytes) -> object:
    if tag == 0x30:
        names = [_text(t, v) for t, v in tlv.iter_tlv(value) if t in _STRING_TAGS]
        if number == 13:
            return {"father": names[0] if names else "", "mother": names[1] if len(names) > 1 else ""}
        if number == 14:
            return {"name": names[0] if names else ""}
        return names
    return _text(tag, value)


def parse_dg13(data: bytes) -> Dg13:
    try:
        body = tlv.unwrap(tlv.unwrap(data, 0x6D), 0x30)
        entries = [v for t, v in tlv.iter_tlv(body) if t == 0x31]
        if not entries:
            raise CardDataError("DG13", "no SET of fields")
        result = Dg13()
        for tag, item in tlv.iter_tlv(entries[0]):
            if tag != 0x30:
                continue
            parts = list(tlv.iter_tlv(item))
            if len(parts) < 2 or parts[0][0] != 0x02:
                continue  # tolerate odd entries rather than lose the whole group
            number = int.from_bytes(parts[0][1], "big")
            name = FIELDS.get(number, f"field_{number}")
            result.fields[name] = _value(number, parts[1][0], parts[1][1])
    except CardDataError:
        raise
    except (IndexError, ValueError) as exc:
        raise CardDataError("DG13", str(exc)) from None
    return result

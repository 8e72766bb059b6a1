"""The QR code on the front of a CCCD, and what it lets us derive: document number, expiry, CAN."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from card_reader.errors import KeyInputError
from card_reader.mrz import AccessKey

RENEWAL_AGES = (14, 25, 40, 60)
GRACE_YEARS = 2


def _date(text: str, field: str) -> date:
    digits = re.sub(r"\D", "", text)
    if len(digits) != 8:
        raise KeyInputError(f"QR field {field} {text!r} is not a ddmmyyyy date")
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        raise KeyInputError(f"QR field {field} {text!r} is not a valid date") from None


def _birthday(dob: date, age: int) -> date:
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:  # 29 February in a common year
        return date(dob.year + age, 3, 1)


@dataclass(frozen=True)
class QrData:
    id_number: str
    old_id_number: str
    full_name: str
    date_of_birth: date
    sex: str
    address: str
    issue_date: date

    @property
    def document_number(self) -> str:
        """The MRZ document number: the 12-digit ID without its first three digits."""
        return self.id_number[3:]

    @property
    def can(self) -> str:
        return can_from_id(self.id_number)

    def expiry_candidates(self) -> list[date]:
        return expiry_candidates(self.date_of_birth, self.issue_date)

    def access_keys(self) -> list[AccessKey]:
        """BAC keys to try in order: the rule's expiry first, then its neighbours."""
        dob = self.date_of_birth.strftime("%y%m%d")
        return [AccessKey(self.document_number, dob, e.strftime("%y%m%d")) for e in self.expiry_candidates()]


def can_from_id(id_number: str) -> str:
    if not re.fullmatch(r"\d{12}", id_number):
        raise KeyInputError(f"CCCD number {id_number!r} must have 12 digits")
    return id_number[-6:]


def expiry_candidates(dob: date, issued: date) -> list[date]:
    """Expiry by the renewal-age rule, then the neighbouring renewal ages.

    A card is valid until the next renewal age (14, 25, 40, 60); issued within two years before
    such an age, it stays valid until the following one. After 60 it does not expire (what the
    MRZ holds then is unconfirmed), so no candidate is derived.
    """
    birthdays = [_birthday(dob, age) for age in RENEWAL_AGES]
    chosen: int | None = None
    for index, birthday in enumerate(birthdays):
        if issued < birthday:
            within_grace = issued >= _birthday(dob, RENEWAL_AGES[index] - GRACE_YEARS)
            chosen = index + 1 if within_grace else index
            break
    if chosen is None or chosen >= len(birthdays):
        return []
    order = [chosen, chosen + 1, chosen - 1]
    return [birthdays[i] for i in order if 0 <= i < len(birthdays) and birthdays[i] > issued]


def _clean(text: str) -> list[str]:
    return [f.strip() for f in text.strip().lstrip("\ufeff").replace("\r", "").replace("\n", "|").split("|")]


def _id_in(field: str) -> str | None:
    """The 12-digit ID in a field, tolerating a scanner label such as "CCCD:" or "Số CCCD: "."""
    ids = re.findall(r"(?<!\d)\d{12}(?!\d)", field)
    return ids[-1] if ids else None


def _is_date(field: str) -> bool:
    return bool(re.fullmatch(r"\d{8}|\d{2}[/.-]\d{2}[/.-]\d{4}", field.strip()))


def parse_qr(text: str) -> QrData:
    """The 2021 CCCD front QR: `ID12|oldID|Full name|DOB ddmmyyyy|Sex|Address|Issue ddmmyyyy`,
    or its 6-field variant (no old-ID field: `ID12|Full name|DOB|Sex|Address|Issue`), tolerant of
    scanner labels. Anything else is KeyInputError (see `read_qr` for the 2024 card's back QR)."""
    fields = _clean(text)
    if len(fields) == 6 and not _is_date(fields[1]) and not re.fullmatch(r"\d*", fields[1]):
        fields.insert(1, "")  # the 6-field variant has no old-ID field
    if len(fields) < 7:
        raise KeyInputError(f"CCCD QR text has {len(fields)} fields separated by '|', expected 7 (or 6)")
    id_number = _id_in(fields[0])
    if id_number is None:
        raise KeyInputError(f"CCCD QR: first field {fields[0]!r} holds no 12-digit ID number")
    return QrData(
        id_number=id_number,
        old_id_number=re.sub(r"\D", "", fields[1]),
        full_name=fields[2],
        date_of_birth=_date(fields[3], "date of birth"),
        sex=fields[4],
        address=fields[5],
        issue_date=_date(fields[6], "issue date"),
    )


@dataclass(frozen=True)
class QrReading:
    """What a card QR gave, whatever its layout: `layout` says which was recognised, `found` lists
    the fields identified (the 2024 card's back QR layout is unpublished: parsed by content)."""

    layout: str  # "cccd-2021-front", "unrecognised" (ID found by content)
    id_number: str
    found: dict[str, str]
    front: QrData | None = None

    @property
    def can(self) -> str:
        return can_from_id(self.id_number)

    def access_keys(self) -> list[AccessKey]:
        return self.front.access_keys() if self.front else []

    def to_dict(self) -> dict[str, object]:
        return {"layout": self.layout, "id_number": self.id_number, "found": dict(self.found)}


def read_qr(text: str) -> QrReading:
    """Any CCCD / căn cước QR: the 2021 front layout when it parses, else a tolerant scan by content
    (12-digit ID, 9- or 12-digit old ID, ddmmyyyy dates, sex, name) that reports what it found.
    Only a text with no 12-digit ID at all is refused (nothing to open the chip with)."""
    try:
        front = parse_qr(text)
        found = {"id_number": front.id_number, "full_name": front.full_name,
                 "date_of_birth": front.date_of_birth.strftime("%d/%m/%Y"), "sex": front.sex,
                 "issue_date": front.issue_date.strftime("%d/%m/%Y")}
        if front.old_id_number:
            found["old_id_number"] = front.old_id_number
        return QrReading("cccd-2021-front", front.id_number, found, front)
    except KeyInputError:
        pass
    fields = [f for f in _clean(text) if f]
    id_number = next((i for i in map(_id_in, fields) if i), None)
    if id_number is None:
        raise KeyInputError("the QR text holds no 12-digit ID number")
    found = {"id_number": id_number}
    dates = []
    for field in fields:
        digits = re.sub(r"\D", "", field)
        if _is_date(field):
            try:
                dates.append(_date(field, "date").strftime("%d/%m/%Y"))
            except KeyInputError:
                continue
        elif field.lower() in ("nam", "nữ", "nu", "male", "female", "m", "f"):
            found["sex"] = field
        elif re.fullmatch(r"\d{9}|\d{12}", digits) and digits != id_number and "old_id_number" not in found:
            found["old_id_number"] = digits
        elif not any(ch.isdigit() for ch in field) and "full_name" not in found and len(field.split()) >= 2:
            found["full_name"] = field
    for index, value in enumerate(dates):
        found[f"date_{index + 1}"] = value
    return QrReading("unrecognised", id_number, found)

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


def parse_qr(text: str) -> QrData:
    """`ID12|oldID9|Full name|DOB ddmmyyyy|Sex|Address|Issue ddmmyyyy`, tolerant of scanner labels."""
    text = text.strip().lstrip("\ufeff")
    fields = [f.strip() for f in text.split("|")]
    if len(fields) < 7:
        raise KeyInputError(f"CCCD QR text has {len(fields)} fields separated by '|', expected 7")
    # A label such as "CCCD:" or "Số CCCD: " may precede the ID; keep the last 12-digit run.
    ids = re.findall(r"\d{12}", fields[0])
    if not ids:
        raise KeyInputError(f"CCCD QR: first field {fields[0]!r} holds no 12-digit ID number")
    old = re.sub(r"\D", "", fields[1])
    return QrData(
        id_number=ids[-1],
        old_id_number=old,
        full_name=fields[2],
        date_of_birth=_date(fields[3], "date of birth"),
        sex=fields[4],
        address=fields[5],
        issue_date=_date(fields[6], "issue date"),
    )

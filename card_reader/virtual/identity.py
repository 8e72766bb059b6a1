"""The person a virtual CCCD chip belongs to, and the TD1 MRZ printed on such a card."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from card_reader.mrz import check_digit, format_td1
from card_reader.qr import expiry_candidates


class IdentityError(ValueError):
    """An identity file or flag that cannot describe a card; the message names the field."""


def default_expiry(birth: dt.date, issued: dt.date) -> dt.date | None:
    """The renewal-age rule (the reader's first candidate); None after the last renewal age."""
    candidates = expiry_candidates(birth, issued)
    return candidates[0] if candidates else None


def mrz_name(full_name: str) -> str:
    """'Nguyễn Văn An' → 'NGUYEN<<VAN<AN' (surname first, diacritics removed)."""
    plain = unicodedata.normalize("NFKD", full_name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).upper()
    parts = re.sub(r"[^A-Z ]", " ", plain).split()
    if not parts:
        return ""
    return parts[0] + "<<" + "<".join(parts[1:])


def _parse_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise IdentityError(f"{name}: {text!r} is not a date (dd/mm/yyyy)")


@dataclass(frozen=True)
class Identity:
    id_number: str = "001207012345"
    full_name: str = "Nguyễn Văn An"
    date_of_birth: dt.date = dt.date(2007, 1, 15)
    sex: str = "Nam"  # "Nam" or "Nữ", as DG13 writes it
    nationality: str = "Việt Nam"
    ethnicity: str = "Kinh"
    religion: str = "Không"
    place_of_origin: str = "Xã Tân Phú, Huyện Đông Hưng, Thái Bình"
    place_of_residence: str = "Số 1 Đại Cồ Việt, Phường Bách Khoa, Hai Bà Trưng, Hà Nội"
    identifying_marks: str = "Nốt ruồi C:1cm trên trước mép phải"
    issue_date: dt.date = dt.date(2022, 3, 10)
    expiry_date: dt.date | None = field(default=None)
    father_name: str = "Nguyễn Văn Bình"
    mother_name: str = "Trần Thị Cúc"
    spouse_name: str = ""
    old_id_number: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.id_number):
            raise IdentityError(f"id_number: {self.id_number!r} must be 12 digits")
        if self.old_id_number and not re.fullmatch(r"\d{9}|\d{12}", self.old_id_number):
            raise IdentityError(f"old_id_number: {self.old_id_number!r} must be 9 or 12 digits")
        if self.sex not in ("Nam", "Nữ"):
            raise IdentityError(f"sex: {self.sex!r} must be 'Nam' or 'Nữ'")
        if not mrz_name(self.full_name):
            raise IdentityError("full_name: empty")
        if self.issue_date < self.date_of_birth:
            raise IdentityError("issue_date: before date_of_birth")
        if self.expiry_date is None:
            object.__setattr__(self, "expiry_date", default_expiry(self.date_of_birth, self.issue_date))

    # ---- derived values ------------------------------------------------------------------
    @property
    def document_number(self) -> str:
        return self.id_number[3:]

    @property
    def can(self) -> str:
        return self.id_number[-6:]

    @property
    def mrz_birth(self) -> str:
        return self.date_of_birth.strftime("%y%m%d")

    @property
    def mrz_expiry(self) -> str:
        # A card issued after the last renewal age never expires; what its MRZ holds then is
        # unconfirmed (cccd.md), so the virtual chip writes 31/12/2099 there.
        return self.expiry_date.strftime("%y%m%d") if self.expiry_date else "991231"

    def mrz(self) -> str:
        """TD1, three lines; the optional data of line 1 holds the 12-digit ID and its check digit."""
        primary, _, secondary = mrz_name(self.full_name).partition("<<")
        return format_td1(self.document_number, self.mrz_birth, {"Nam": "M", "Nữ": "F"}[self.sex],
                          self.mrz_expiry, primary, secondary,
                          optional_data=f"{self.id_number}<<{check_digit(self.id_number)}")

    def mrz_lines(self) -> list[str]:
        return self.mrz().split("\n")

    def qr_text(self) -> str:
        """The payload of the QR code printed on the card's front."""
        return "|".join(
            [
                self.id_number,
                self.old_id_number,
                self.full_name,
                self.date_of_birth.strftime("%d%m%Y"),
                self.sex,
                self.place_of_residence,
                self.issue_date.strftime("%d%m%Y"),
            ]
        )

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str = "identity") -> Identity:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise IdentityError(f"{where}: unknown field(s) {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("date_of_birth", "issue_date", "expiry_date"):
                clean[name] = None if value in (None, "") and name == "expiry_date" else _parse_date(
                    value, f"{where}: {name}"
                )
            else:
                clean[name] = str(value)
        try:
            return cls(**clean)
        except IdentityError as exc:
            raise IdentityError(f"{where}: {exc}") from None

    @classmethod
    def from_file(cls, path: Path) -> Identity:
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise IdentityError(f"{path}: {exc}") from None
        if not isinstance(data, dict):
            raise IdentityError(f"{path}: expected an object of identity fields")
        return cls.from_mapping(data, where=str(path))


def load_identity(identity_file: Path | None, overrides: dict[str, Any]) -> Identity:
    """Identity from a JSON/TOML file (or the built-in sample), with flags taking precedence."""
    base = Identity.from_file(identity_file) if identity_file else Identity()
    values = {k: v for k, v in overrides.items() if v is not None}
    if not values:
        return base
    merged = {f.name: getattr(base, f.name) for f in fields(base)}
    if "date_of_birth" in values or "issue_date" in values:
        merged["expiry_date"] = None  # recompute by the renewal rule unless given
    merged.update(values)
    return Identity.from_mapping(merged, where="flags")

"""The structured result of a card read: what was read, each check and its outcome, and why.

`to_dict(include_sensitive=False)` is what leaves the station: the sensitive DG13 fields
(religion, ethnicity, identifying marks, parents, spouse) are dropped unless asked for.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from card_reader.errors import diagnostic
from card_reader.files.dg2 import FaceImage
from card_reader.files.dg13 import Dg13
from card_reader.mrz import Mrz

# Checks that inform but prove nothing about authenticity: a refused QR-derived CAN (the MRZ key
# then worked), or check digits in DG1 (DG1 is covered by the SOD signature anyway).
INFORMATIONAL = frozenset({"pace_can", "pace", "dg1_check_digits"})


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


@dataclass
class Check:
    """One check's outcome. `code` + `params` name the reason (the application translates them);
    `reason` is an English diagnostic, for logs."""

    name: str
    status: Status
    reason: str = ""
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"name": self.name, "status": str(self.status), "reason": self.reason}
        if self.code:
            result.update(code=self.code, params=dict(self.params))
        return result


@dataclass
class CardReport:
    reader: str = ""
    access_control: str = ""  # "PACE-CAN", "PACE-MRZ", "BAC"
    secure_messaging: str = ""  # "3DES", "AES-128", …
    files_read: list[str] = field(default_factory=list)
    files_absent: list[str] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)  # card answers tolerated (e.g. SELECT MF → 6D00)
    mrz: Mrz | None = None
    dg13: Dg13 | None = None
    photo: FaceImage | None = None
    checks: list[Check] = field(default_factory=list)
    apdu_count: int = 0
    sessions: int = 0  # access-control runs, >1 when a broken session was re-established
    duration_ms: float = 0.0
    raw_files: dict[str, bytes] = field(default_factory=dict, repr=False)

    def add(self, name: str, status: Status, reason: str = "", code: str = "", **params: Any) -> None:
        """Record a check; without an English `reason`, the diagnostic of `code` and `params` is kept."""
        self.checks = [c for c in self.checks if c.name != name]
        self.checks.append(Check(name, status, reason or (diagnostic(code, params) if code else ""), code, params))

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def passed(self, name: str) -> bool:
        found = self.check(name)
        return found is not None and found.status == Status.PASSED

    @property
    def verified(self) -> bool:
        """Passive authentication (the proof the data is genuine) passed and no security check failed."""
        return self.passed("passive_authentication") and all(
            c.status != Status.FAILED for c in self.checks if c.name not in INFORMATIONAL)

    @property
    def id_number(self) -> str | None:
        if self.dg13 and self.dg13.get("id_number"):
            return self.dg13.get("id_number")
        return self.mrz.full_id_number if self.mrz else None

    def to_dict(self, include_sensitive: bool = False, include_photo: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {
            "reader": self.reader,
            "access_control": self.access_control,
            "secure_messaging": self.secure_messaging,
            "files_read": list(self.files_read),
            "files_absent": list(self.files_absent),
            "quirks": list(self.quirks),
            "id_number": self.id_number,
            "verified": self.verified,
            "checks": [c.to_dict() for c in self.checks],
            "apdu_count": self.apdu_count,
            "sessions": self.sessions,
            "duration_ms": round(self.duration_ms, 1),
        }
        if self.mrz:
            m = self.mrz
            result["mrz"] = {"format": m.format, "document_code": m.document_code, "issuing_state": m.issuing_state,
                             "document_number": m.document_number, "date_of_birth": m.date_of_birth,
                             "sex": m.sex, "date_of_expiry": m.date_of_expiry, "nationality": m.nationality,
                             "primary_name": m.primary_name, "secondary_name": m.secondary_name}
        if self.dg13:
            result["personal_data"] = self.dg13.to_dict(include_sensitive)
        if self.photo:
            result["photo"] = {"mime_type": self.photo.mime_type, "width": self.photo.width,
                               "height": self.photo.height, "bytes": len(self.photo.image)}
            if include_photo:
                result["photo"]["data"] = base64.b64encode(self.photo.image).decode("ascii")
        return result

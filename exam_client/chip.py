"""The station's view of a card read: keys in, a verdict, the holder and the chip photo out.

`card_reader` does the reading and verification; this module turns its report into what the
decision needs and strips nothing itself: the report is taken with sensitive DG13 fields
already dropped (`to_dict(include_sensitive=False)`), so they never leave the station.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from card_reader.errors import CardError, CardRemovedError, NoCardError, NoReaderError, PcscUnavailableError
from card_reader.keys import credentials_from
from card_reader.reader import ReadOptions, read_card
from card_reader.report import CardReport, Status
from card_reader.transport import PcscTransport, card_present, first_reader_with_card
from card_reader.trust import TrustStore
from exam_client.decision import ChipOutcome
from exam_client.messages import check_text, error_text


@dataclass(frozen=True)
class CardKeys:
    """What opens the chip; the first one present is used (MRZ, then QR, then CAN)."""

    mrz: str | None = None
    qr_text: str | None = None
    can: str | None = None
    expected_id: str | None = None  # the roster ID the invigilator expects (cross-checked)
    source: str = ""  # "mrz", "qr", "can", "roster": shown on screen

    @property
    def present(self) -> bool:
        return bool(self.mrz or self.qr_text or self.can)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "expected_id": self.expected_id}


@dataclass(frozen=True)
class ChipResult:
    outcome: ChipOutcome
    report: dict[str, Any] | None  # card_reader's report without sensitive fields
    photo: np.ndarray | None  # the DG2 face image, decoded (BGR)
    holder: dict[str, Any] = field(default_factory=dict)  # ID, name, date of birth for the screen
    photo_jpeg: bytes | None = None


class CardAbsentError(Exception):
    """No card on the reader, or it left mid-read: nothing to record, ask for the card again.

    Carries card_reader's `code` and `params` (the page shows them in its own language)."""

    def __init__(self, cause: CardError) -> None:
        super().__init__(str(cause))
        self.code = cause.code
        self.params = dict(cause.params)


class ChipReader(Protocol):
    def read(self, reader: str | None, keys: CardKeys, expected_id: str | None = None) -> ChipResult:
        """Read and verify; an unreadable chip is a result, a missing card raises CardAbsentError."""
        ...

    def card_present(self, reader: str | None) -> bool: ...


def unreadable(error: str, citizen_id: str | None = None) -> ChipResult:
    return ChipResult(outcome=ChipOutcome(citizen_id, passed=False, error=error), report=None, photo=None)


class CardReaderChip:
    """Reads a CCCD through PC/SC with `card_reader`, checking it against the CSCA trust store."""

    def __init__(self, trust: TrustStore | None, short_only: bool = False, lang: str = "vi") -> None:
        self.trust = trust
        self.short_only = short_only
        self.lang = lang

    def card_present(self, reader: str | None) -> bool:
        try:
            if reader:
                return card_present(reader)
            first_reader_with_card()
            return True
        except NoCardError:
            return False

    def read(self, reader: str | None, keys: CardKeys, expected_id: str | None = None) -> ChipResult:
        try:
            credentials = credentials_from(mrz=keys.mrz, qr_text=keys.qr_text, can=keys.can)
            options = ReadOptions(expected_id=expected_id, trust=self.trust, extended=False if self.short_only else None)
            report = read_card(PcscTransport(reader), credentials, options)
        except (NoCardError, CardRemovedError) as exc:
            raise CardAbsentError(exc) from exc
        except (NoReaderError, PcscUnavailableError):
            raise  # the station's problem, not the candidate's: nothing to record
        except CardError as exc:
            return unreadable(error_text(exc, self.lang), expected_id)
        return result_from_report(report, self.lang)


def result_from_report(report: CardReport, lang: str = "vi") -> ChipResult:
    """The station's verdict; each failure says which check failed and why, in `lang`
    (e.g. which certificate, curve or algorithm), from card_reader's codes and parameters."""
    failed = [c for c in report.checks if c.status == Status.FAILED]
    failures = [f"{c.name}: {check_text(c.to_dict(), lang)}" for c in failed]
    if not report.passed("passive_authentication") and not any(c.name == "passive_authentication" for c in failed):
        check = report.check("passive_authentication")
        failures.append("passive_authentication: " + check_text(check.to_dict() if check else
                                                                  {"code": "pa.not_run"}, lang))
    photo = None
    jpeg_bytes = None
    if report.photo is not None:
        try:
            photo = report.photo.decode()
        except CardError:
            photo = None
        jpeg_bytes = report.photo.image
    holder: dict[str, Any] = {"id_number": report.id_number}
    if report.dg13 is not None:
        for name in ("full_name", "date_of_birth", "sex"):
            if report.dg13.get(name):
                holder[name] = report.dg13.get(name)
    return ChipResult(
        outcome=ChipOutcome(report.id_number, passed=report.verified, failures=tuple(failures)),
        report=report.to_dict(include_sensitive=False),
        photo=photo,
        holder=holder,
        photo_jpeg=jpeg_bytes,
    )

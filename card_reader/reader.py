"""Reading a CCCD end to end: access control, files, chip/active authentication, verification.

`read_card(transport, credentials, options)` returns a `CardReport`. The read survives a broken
secure-messaging session (bad MAC, plain status word, 6988, wrong length, a reader that drops an
extended APDU): it re-establishes access control and resumes every file from its last good offset,
at most `options.max_sessions` times. Errors that a retry cannot fix (no reader, no card, wrong
key, pcscd gone) are raised as their own classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa

from card_reader import files as lds
from card_reader.access import run_bac, run_pace, select_application, select_master_file, supported_pace
from card_reader.active_auth import run_active_auth
from card_reader.channel import CardChannel
from card_reader.chip_auth import choose as choose_chip_auth
from card_reader.chip_auth import run_chip_auth
from card_reader.errors import (
    AccessDeniedError,
    AuthenticationFailedError,
    CardDataError,
    CardError,
    CardRemovedError,
    ExtendedLengthUnsupportedError,
    FileNotFoundOnCardError,
    KeyInputError,
    NoCardError,
    SecureMessagingError,
    StatusWordError,
    TransmitError,
    WrongKeyError,
)
from card_reader.files.com import parse_com
from card_reader.files.dg1 import parse_dg1
from card_reader.files.dg2 import parse_dg2
from card_reader.files.dg13 import parse_dg13
from card_reader.files.dg15 import parse_dg15
from card_reader.files.security_infos import SecurityInfos, parse_card_access, parse_dg14
from card_reader.files.sod import Sod, parse_sod
from card_reader.mrz import AccessKey
from card_reader.pace import PASSWORD_CAN, PASSWORD_MRZ
from card_reader.passive_auth import passive_authentication
from card_reader.read_binary import BlockSizer, FileProgress, read_file
from card_reader.report import CardReport, Status
from card_reader.transport import EXTENDED_SUPPORT, Transport
from card_reader.trust import TrustStore

_RETRYABLE = (SecureMessagingError, TransmitError)

T = TypeVar("T")  # what a data-group parser returns


@dataclass
class Credentials:
    """What unlocks the chip: MRZ keys to try in order (BAC / PACE-MRZ) and/or the CAN (PACE)."""

    access_keys: list[AccessKey] = field(default_factory=list)
    can: str | None = None

    def __post_init__(self) -> None:
        if not self.access_keys and not self.can:
            raise KeyInputError("an MRZ, the QR text or the CAN is needed to open the chip")


@dataclass
class ReadOptions:
    read_photo: bool = True
    chip_auth: bool = True
    active_auth: bool = True
    expected_id: str | None = None
    trust: TrustStore | None = None
    extended: bool | None = None  # None: probe once per reader and remember
    use_sfi: bool = True
    max_sessions: int = 4
    reinsert_timeout: float = 0.0  # wait this long for a removed card to come back (0: fail)


class _Session:
    """State of one read: channel, sizer, per-file progress and what access control worked."""

    def __init__(self, transport: Transport, credentials: Credentials, options: ReadOptions) -> None:
        self.transport = transport
        self.channel = CardChannel(transport)
        self.credentials = credentials
        self.options = options
        self.report = CardReport(reader=transport.name)
        known = EXTENDED_SUPPORT.get(transport.name) if options.extended is None else options.extended
        self.sizer = BlockSizer(extended=known is not False)
        self.extended_known = known is not None
        self.progress: dict[str, FileProgress] = {}
        self.contents: dict[str, bytes] = {}
        self.card_access: SecurityInfos | None = None
        self.card_access_read = False
        self.working_key: AccessKey | None = None
        self.method: str | None = None
        self.chip_auth_state: str = "todo"  # todo → pending (switched, unconfirmed) → passed/failed/off
        self.dg14: SecurityInfos | None = None

    # ---- files ---------------------------------------------------------------------------
    def read(self, file: lds.FileId) -> bytes | None:
        """The file's bytes, None when the card does not have it (6A82) or refuses it (6982)."""
        if file.name in self.contents:
            return self.contents[file.name]
        progress = self.progress.setdefault(file.name, FileProgress())
        try:
            data = read_file(self.channel, file.fid, file.sfi, progress, self.sizer, file.name, self.options.use_sfi)
        except (FileNotFoundOnCardError, AccessDeniedError) as exc:
            if self.channel.sm is None and file is not lds.CARD_ACCESS:
                raise
            self.report.files_absent.append(f"{file.name} ({exc.sw:04X})")
            self.progress.pop(file.name)
            return None
        except StatusWordError as exc:
            if exc.sw in (0x6A86, 0x6D00, 0x6B00, 0x6E00) and self.options.use_sfi:
                self.options.use_sfi = False  # this chip does not take short EF identifiers
                progress.selected = False
                return self.read(file)
            raise
        self._confirm_chip_auth()
        self.contents[file.name] = data
        self.report.files_read.append(file.name)
        self.report.raw_files[file.name] = data
        return data

    def _confirm_chip_auth(self) -> None:
        if self.chip_auth_state == "pending":
            self.chip_auth_state = "passed"
            self.report.add("chip_authentication", Status.PASSED,
                            "the chip proved its DG14 private key (new SM keys accepted)", code="card.check.ca_ok")

    # ---- access control ------------------------------------------------------------------
    def _read_card_access(self) -> None:
        """EF.CardAccess (plain, before access control) doubles as the extended-length probe."""
        try:
            data = self.read(lds.CARD_ACCESS)
        except (TransmitError, StatusWordError) as exc:
            if not self.sizer.extended or self.extended_known:
                raise
            self._no_extended(exc)
            data = self.read(lds.CARD_ACCESS)
        if data is not None and not self.extended_known:  # the probe got an answer either way
            self._remember_extended()
        self.card_access_read = True
        if data is not None:
            try:
                self.card_access = parse_card_access(data)
            except CardDataError as exc:
                self.report.add("card_access", Status.FAILED, exc.detail, code="card.check.unparseable",
                                file="EF.CardAccess", **_cause(exc))

    def _select_master_file(self) -> None:
        """EF.CardAccess lives in the MF; CCCD answers SELECT MF with 6D00: note it and go on."""
        try:
            select_master_file(self.channel)
        except StatusWordError as exc:
            self.report.quirks.append(f"SELECT MF answered {exc.sw:04X} (skipped)")
        except TransmitError:
            self._reconnect()

    def _remember_extended(self) -> None:
        EXTENDED_SUPPORT[self.transport.name] = self.sizer.extended
        self.extended_known = True

    def _no_extended(self, exc: Exception) -> None:
        if self.options.extended:
            raise ExtendedLengthUnsupportedError(f"{self.transport.name}: {exc}") from exc
        self.sizer.extended = False
        self._remember_extended()
        self.progress.pop(lds.CARD_ACCESS.name, None)
        self._reconnect()

    def establish(self) -> None:
        """(Re-)open secure messaging: PACE when EF.CardAccess offers it, else BAC."""
        self.report.sessions += 1
        self.channel.sm = None
        for progress in self.progress.values():
            progress.selected = False
        if not self.card_access_read:
            self._select_master_file()
            self._read_card_access()
        pace = [p for p in (self.card_access.pace if self.card_access else []) if supported_pace(p)]
        if pace and self.method != "BAC":
            try:
                self._pace(pace[0])
                select_application(self.channel)
            except WrongKeyError:
                raise
            except StatusWordError as exc:
                if not self.credentials.access_keys:
                    raise
                self.report.add("pace", Status.FAILED, f"{exc.detail}; falling back to BAC",
                                code="card.check.pace_fallback", sw=f"{exc.sw:04X}")
                self.method = "BAC"
                self._reconnect()
                self._bac()
        else:
            self._bac()
        if self.chip_auth_state in ("pending", "passed") and self.dg14 is not None:
            self._chip_auth()

    def _pace(self, info: lds.security_infos.PaceInfo) -> None:
        if self.credentials.can and self.method != "PACE-MRZ":
            try:
                run_pace(self.channel, info, PASSWORD_CAN, self.credentials.can)
                self.method = self.report.access_control = "PACE-CAN"
                return
            except (WrongKeyError, AccessDeniedError):
                if not self.credentials.access_keys:
                    raise
                # A CAN derived from the QR is a convention, not a guarantee: try the MRZ keys.
                self.report.add("pace_can", Status.FAILED, "the CAN was refused; trying the MRZ keys",
                                code="card.check.can_refused")
        self._try_keys(lambda key: run_pace(self.channel, info, PASSWORD_MRZ, key.mrz_information()))
        self.method = "PACE-MRZ"
        self.report.access_control = self.method

    def _bac(self) -> None:
        if not self.credentials.access_keys:
            raise KeyInputError("the chip offers no PACE this reader supports; BAC needs the MRZ or QR text")

        def attempt(key: AccessKey) -> None:
            select_application(self.channel)
            run_bac(self.channel, key)

        self._try_keys(attempt)
        self.method = self.report.access_control = "BAC"

    def _try_keys(self, attempt: Callable[[Any], None]) -> None:
        keys = [self.working_key] if self.working_key else self.credentials.access_keys
        tried = []
        for key in keys:
            try:
                attempt(key)
                self.working_key = key
                return
            except (WrongKeyError, AccessDeniedError):  # some chips answer a wrong key with 6982
                tried.append(key.date_of_expiry)
        raise WrongKeyError(0x6300, "access control", "no key opened the chip", tried=tried)

    def _chip_auth(self) -> None:
        assert self.dg14 is not None
        info, key = choose_chip_auth(self.dg14)
        run_chip_auth(self.channel, info, key)
        if self.chip_auth_state == "todo":
            self.chip_auth_state = "pending"

    # ---- the read ------------------------------------------------------------------------
    def run(self) -> CardReport:
        started = time.perf_counter()
        start_count = self.transport.apdu_count
        self.transport.connect()  # a fresh connection resets the chip: no stale session or selection
        self._with_retries(self._read_all)
        if not self.extended_known:  # no EF.CardAccess: the file reads settled the question
            self._remember_extended()
        self._verify()
        self.report.secure_messaging = _cipher_name(self.channel)
        self.report.apdu_count = self.transport.apdu_count - start_count
        self.report.duration_ms = (time.perf_counter() - started) * 1000
        return self.report

    def _with_retries(self, step: Callable[[], None]) -> None:
        """Establish the session and run `step`; after a recoverable failure re-establish and run
        `step` again (it resumes from the saved progress), at most `max_sessions` times."""
        broken = True
        for attempt in range(self.options.max_sessions):
            last = attempt + 1 >= self.options.max_sessions
            try:
                if broken:
                    self.establish()
                    broken = False
                step()
                return
            except CardRemovedError:
                if not self.options.reinsert_timeout or last:
                    raise
                self._wait_for_reinsert()
            except _RETRYABLE as exc:
                if last:
                    raise
                if self.chip_auth_state == "pending" and isinstance(exc, SecureMessagingError):
                    self.chip_auth_state = "failed"
                    self.report.add("chip_authentication", Status.FAILED,
                                    f"the chip could not continue with the chip-authentication keys ({exc.detail})",
                                    code="card.check.ca_keys_refused", **_cause(exc))
                if isinstance(exc, TransmitError):
                    if self.sizer.extended and EXTENDED_SUPPORT.get(self.transport.name) is not True:
                        self._no_extended(exc)
                    else:
                        self._reconnect()
            broken = True

    def _reconnect(self) -> None:
        """A new connection after a transmit failure; a card that is gone means it was removed."""
        try:
            self.transport.connect()
        except NoCardError as exc:
            if not self.options.reinsert_timeout:
                raise CardRemovedError(f"{self.transport.name}: the card left during the read") from exc
            self._wait_for_reinsert()

    def _wait_for_reinsert(self) -> None:
        try:
            self.transport.wait_for_card(self.options.reinsert_timeout)
        except NoCardError as exc:
            raise CardRemovedError(f"not put back within {self.options.reinsert_timeout:g} s") from exc

    def _read_all(self) -> None:
        com = self.read(lds.COM)
        present = set(parse_com(com).data_groups) if com else {1, 2, 13, 14, 15}
        if self.options.chip_auth and self.chip_auth_state == "todo" and 14 in present:
            dg14 = self.read(lds.DG14)
            self.dg14 = parse_dg14(dg14) if dg14 else None
            if self.dg14 and (self.dg14.chip_auth or self.dg14.chip_auth_keys):
                try:
                    self._chip_auth()
                except (AuthenticationFailedError, StatusWordError) as exc:
                    self.chip_auth_state = "failed"
                    self.report.add("chip_authentication", Status.FAILED, exc.detail, code="card.check.ca_failed",
                                    **_cause(exc))
        # DG3 (EAC: CCCD answers 6982) and DG11 (CCCD answers 6A82) only when EF.COM lists them;
        # either answer is recorded in files_absent, never an error.
        wanted = [lds.DG1] + ([lds.DG2] if self.options.read_photo else []) + [lds.DG3, lds.DG11, lds.DG13]
        if self.options.active_auth:
            wanted.append(lds.DG15)
        for file in wanted:
            if file.dg in present:
                self.read(file)
        if "DG15" in self.contents and 14 in present and self.dg14 is None and _is_ec(self.contents["DG15"]):
            self.read(lds.DG14)  # only an ECDSA key needs DG14's signature algorithm
        self.read(lds.SOD)
        if self.options.active_auth and "DG15" in self.contents and "active_authentication" not in {
                c.name for c in self.report.checks}:
            self._active_auth()

    def _active_auth(self) -> None:
        try:
            key = parse_dg15(self.contents["DG15"])
            if self.dg14 is None and "DG14" in self.contents:
                self.dg14 = parse_dg14(self.contents["DG14"])
            algorithm = self.dg14.active_auth.signature_algorithm if self.dg14 and self.dg14.active_auth else None
            run_active_auth(self.channel, key, algorithm)
            self.report.add("active_authentication", Status.PASSED, "the chip signed our challenge with the DG15 key",
                            code="card.check.aa_ok")
        except StatusWordError as exc:
            if exc.sw == 0x6700 and not self.sizer.extended:
                self.report.add("active_authentication", Status.NOT_RUN,
                                "the chip's signature does not fit a short APDU and this reader has no "
                                "extended length (6700)", code="card.check.aa_short_apdu")
            else:
                self.report.add("active_authentication", Status.FAILED, exc.detail, code="card.check.aa_failed",
                                **_cause(exc))
        except (AuthenticationFailedError, CardDataError) as exc:
            self.report.add("active_authentication", Status.FAILED, exc.detail, code="card.check.aa_failed",
                            **_cause(exc))

    # ---- verification --------------------------------------------------------------------
    def _verify(self) -> None:
        report = self.report
        if "DG1" in self.contents:
            report.mrz = _parsed(report, "DG1", parse_dg1, self.contents["DG1"])
            if report.mrz is not None:
                report.add("dg1_check_digits", Status.FAILED if report.mrz.problems else Status.PASSED,
                           "; ".join(report.mrz.problems) or "every MRZ check digit is right",
                           code="card.check.mrz_digits_wrong" if report.mrz.problems else "card.check.mrz_digits_ok",
                           count=len(report.mrz.problems))
        if "DG13" in self.contents:
            report.dg13 = _parsed(report, "DG13", parse_dg13, self.contents["DG13"])
        if "DG2" in self.contents:
            report.photo = _parsed(report, "DG2", parse_dg2, self.contents["DG2"])
        sod: Sod | None = None
        if "EF.SOD" in self.contents:
            sod = _parsed(report, "EF.SOD", parse_sod, self.contents["EF.SOD"])
        groups = {f.dg: self.contents[f.name] for f in lds.DATA_GROUPS.values()
                  if f.dg is not None and f.name in self.contents}
        passive_authentication(report, sod, groups, self.options.trust)
        if self.options.active_auth and report.check("active_authentication") is None:
            report.add("active_authentication", Status.NOT_RUN, "the chip has no DG15 (no active authentication key)",
                       code="card.check.aa_absent")
        if report.check("chip_authentication") is None:
            if not self.options.chip_auth:
                report.add("chip_authentication", Status.NOT_RUN, "disabled", code="card.check.ca_disabled")
            else:
                report.add("chip_authentication", Status.NOT_RUN, "the chip offers no chip authentication (DG14)",
                           code="card.check.ca_absent")
        _cross_checks(report, self.options.expected_id)


def _cause(exc: CardError) -> dict[str, Any]:
    """The error behind a failed check, as a nested code the station translates (never its text)."""
    return {"cause_code": exc.code, "cause_params": {k: v for k, v in exc.params.items() if k != "detail"}}


def _is_ec(dg15: bytes) -> bool:
    try:
        return not isinstance(parse_dg15(dg15), rsa.RSAPublicKey)
    except CardDataError:
        return False


def _parsed(report: CardReport, name: str, parser: Callable[[bytes], T], data: bytes) -> T | None:
    try:
        return parser(data)
    except CardDataError as exc:
        report.add(f"parse_{name}", Status.FAILED, exc.detail, code="card.check.unparseable", file=name, **_cause(exc))
        return None


def _cross_checks(report: CardReport, expected_id: str | None) -> None:
    dg13_id = report.dg13.get("id_number") if report.dg13 else None
    if report.mrz is None or not dg13_id:
        report.add("document_number_matches_id", Status.NOT_RUN, "DG1 or DG13's ID number is missing",
                   code="card.check.id_missing")
    else:
        mismatches = []
        if report.mrz.document_number != dg13_id[3:]:
            mismatches.append(f"DG1 document number {report.mrz.document_number} ≠ DG13 ID {dg13_id} without its "
                              "first three digits")
        if report.mrz.full_id_number and report.mrz.full_id_number != dg13_id:
            mismatches.append(f"DG1 optional data {report.mrz.full_id_number} ≠ DG13 ID {dg13_id}")
        report.add("document_number_matches_id", Status.FAILED if mismatches else Status.PASSED,
                   "; ".join(mismatches) or "DG1 and DG13 agree",
                   code="card.check.id_mismatch" if mismatches else "card.check.id_ok",
                   document_number=report.mrz.document_number, optional_data=report.mrz.full_id_number or "-",
                   id_number=dg13_id)
    if expected_id is None:
        report.add("expected_id", Status.NOT_RUN, "no expected ID number was given", code="card.check.expected_none")
    elif report.id_number is None:
        report.add("expected_id", Status.FAILED, "the card's ID number could not be read",
                   code="card.check.expected_unreadable", expected=expected_id)
    else:
        same = report.id_number == expected_id
        report.add("expected_id", Status.PASSED if same else Status.FAILED,
                   "the card belongs to the expected candidate" if same
                   else f"card ID {report.id_number} ≠ expected {expected_id}",
                   code="card.check.expected_ok" if same else "card.check.expected_mismatch",
                   id_number=report.id_number, expected=expected_id)


def _cipher_name(channel: CardChannel) -> str:
    sm = channel.sm
    if sm is None:
        return ""
    return "3DES" if sm.cipher.algorithm == "3DES" else f"AES-{sm.cipher.key_bits}"


def read_card(transport: Transport, credentials: Credentials, options: ReadOptions | None = None) -> CardReport:
    """Read and verify the card on `transport`; raises a `CardError` subclass when it cannot."""
    session = _Session(transport, credentials, options or ReadOptions())
    try:
        return session.run()
    finally:
        transport.disconnect()  # release the (exclusive) connection: the station polls the reader

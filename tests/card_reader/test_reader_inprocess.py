"""The whole reader against the virtual chip in-process (FunctionTransport, no pcscd).

The same protocol code runs over PC/SC in the e2e tests; here each scenario is fast and
deterministic, and the APDU log shows exactly what the reader sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator

import pytest

from card_reader import testpki
from card_reader.errors import WrongKeyError
from card_reader.keys import credentials_from
from card_reader.reader import Credentials, ReadOptions, read_card
from card_reader.report import CardReport, Status
from card_reader.transport import EXTENDED_SUPPORT, FunctionTransport
from card_reader.trust import TrustStore
from card_reader.virtual.chip import VirtualChip
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity
from exam_client.messages import error_text

SW_NOT_FOUND = b"\x6a\x82"


@pytest.fixture(autouse=True)
def fresh_extended_cache() -> Iterator[None]:
    EXTENDED_SUPPORT.clear()
    yield
    EXTENDED_SUPPORT.clear()


@pytest.fixture
def trust(test_pki: testpki.TestPKI) -> TrustStore:
    return TrustStore([test_pki.csca_cert])


def transport(chip: VirtualChip, without_card_access: bool = False) -> FunctionTransport:
    """`without_card_access` hides EF.CardAccess (6A82) like a BAC-only chip."""

    def respond(apdu: bytes) -> bytes:
        if without_card_access and apdu[:4] == bytes.fromhex("00b09c00"):
            return SW_NOT_FOUND
        return chip.transmit(apdu)

    link = FunctionTransport(respond, name=f"chip-{id(chip)}", on_connect=chip.power_on)
    link.log = []
    return link


def can(chip: VirtualChip) -> Credentials:
    return Credentials(can=chip.contents.can)


def mrz(chip: VirtualChip) -> Credentials:
    return Credentials(access_keys=[chip.contents.access_key])


def statuses(report: CardReport) -> dict[str, str]:
    return {c.name: str(c.status) for c in report.checks}


ALL_PASSED = {name: "passed" for name in (
    "chip_authentication", "active_authentication", "data_group_hashes", "sod_signature", "csca_chain",
    "passive_authentication", "dg1_check_digits", "document_number_matches_id", "expected_id")}


def test_pace_can_full_read_verifies_everything(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    identity = chip.contents.identity
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust, expected_id=identity.id_number))
    assert statuses(report) == ALL_PASSED and report.verified
    assert report.access_control == "PACE-CAN" and report.secure_messaging == "AES-128"
    assert report.files_read == ["EF.CardAccess", "EF.COM", "DG14", "DG1", "DG2", "DG13", "DG15", "EF.SOD"]
    assert report.mrz is not None and report.mrz.document_number == identity.document_number
    assert report.dg13 is not None and report.dg13.get("full_name") == identity.full_name
    assert report.photo is not None and report.photo.decode().shape[:2] == (report.photo.height, report.photo.width)


def test_report_drops_sensitive_fields_unless_asked(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(identity=Identity(spouse_name="Lê Thị Dung"))
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    public = report.to_dict()
    assert public["personal_data"]["full_name"] == "Nguyễn Văn An"
    for field in ("ethnicity", "religion", "identifying_marks", "parents", "spouse"):
        assert field not in public["personal_data"]
    full = report.to_dict(include_sensitive=True)["personal_data"]
    assert full["religion"] == "Không" and full["spouse"] == {"name": "Lê Thị Dung"}
    assert full["parents"] == {"father": "Nguyễn Văn Bình", "mother": "Trần Thị Cúc"}
    assert "data" not in public["photo"]


def test_pace_with_mrz(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    report = read_card(transport(chip), mrz(chip), ReadOptions(trust=trust))
    assert report.access_control == "PACE-MRZ" and report.verified


def test_bac_when_the_chip_has_no_card_access(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    link = transport(chip, without_card_access=True)
    report = read_card(link, mrz(chip), ReadOptions(trust=trust))
    assert report.access_control == "BAC" and report.verified
    assert report.secure_messaging == "AES-128"  # chip authentication switched 3DES BAC to AES
    assert "EF.CardAccess (6A82)" in report.files_absent


def test_qr_tries_the_neighbouring_expiry_after_6300(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    base = Identity()
    second = credentials_from(qr_text=base.qr_text()).access_keys[1].date_of_expiry
    # A card whose expiry is the rule's second candidate (e.g. issued just inside the grace period).
    identity = dataclasses.replace(base, expiry_date=dt.datetime.strptime(second, "%y%m%d").date())
    chip = make_chip(identity=identity)
    link = transport(chip, without_card_access=True)  # BAC, where the expiry matters
    report = read_card(link, credentials_from(qr_text=identity.qr_text()), ReadOptions(trust=trust))
    assert report.access_control == "BAC" and report.verified
    external_auth = [c for c, _r in link.log if c[1] == 0x82]
    assert len(external_auth) == 2  # first candidate refused with 6300, the neighbour opened it


def test_refused_can_falls_back_to_the_mrz_keys(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    credentials = Credentials(access_keys=[chip.contents.access_key], can="000000")
    report = read_card(transport(chip), credentials, ReadOptions(trust=trust))
    assert report.access_control == "PACE-MRZ"
    assert report.check("pace_can").status == Status.FAILED  # informational: the MRZ key worked
    assert report.verified


def test_wrong_key_is_a_clear_error(make_chip: Callable[..., VirtualChip]) -> None:
    chip = make_chip()
    with pytest.raises(WrongKeyError) as caught:
        read_card(transport(chip), Credentials(can="999999"), ReadOptions())
    assert caught.value.sw == 0x6300
    assert caught.value.code == "card.wrong_key"
    assert "6300" in error_text(caught.value, "vi") and "6300" in error_text(caught.value, "en")


def test_wrong_mrz_key_via_bac(make_chip: Callable[..., VirtualChip]) -> None:
    chip = make_chip()
    key = dataclasses.replace(chip.contents.access_key, date_of_expiry="991231")
    with pytest.raises(WrongKeyError, match="991231") as caught:
        read_card(transport(chip, without_card_access=True), Credentials(access_keys=[key]), ReadOptions())
    assert caught.value.params["tried"] == ["991231"]  # a parameter, not English inside the message
    vi = error_text(caught.value, "vi")
    assert "31/12/2099" in vi and "tried" not in vi and "expiry" not in vi


def _reads(link: FunctionTransport) -> list[bytes]:
    return [c for c, _r in link.log if c[1] in (0xB0, 0xB1)]


def test_strict_short_mode_sends_the_minimum(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(short_only=True)
    link = transport(chip)
    options = ReadOptions(trust=trust, chip_auth=False)
    read_card(link, can(chip), options)  # learns "no extended length" (one refused probe)
    link.log = []
    report = read_card(link, can(chip), options)
    files = chip.contents.files
    card_access = files[0x011C]
    under_sm = [files[f] for f in (0x011E, 0x0101, 0x0102, 0x010D, 0x010F, 0x011D)]
    minimum_reads = math.ceil(len(card_access) / 256) + sum(math.ceil(len(f) / 223) for f in under_sm)
    minimum_reads += 2  # EF.COM lists DG3 and DG11, as on CCCD: one refused READ each (6982, 6A82)
    assert len(_reads(link)) == minimum_reads
    assert report.files_absent == ["DG3 (6982)", "DG11 (6A82)"]
    assert report.quirks == ["SELECT MF answered 6D00 (skipped)"]
    # + SELECT MF (6D00) + PACE (MSE + 4 GA) + SELECT application + INTERNAL AUTHENTICATE and one
    # GET RESPONSE: the protected RSA-2048 signature does not fit one short response (61xx).
    assert report.apdu_count == minimum_reads + 1 + 5 + 1 + 2
    assert all(len(c) <= 5 + 255 + 1 for c, _ in link.log)  # never an extended APDU
    assert report.check("active_authentication").status == Status.PASSED


def test_extended_mode_reads_each_file_in_one_apdu(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    link = transport(chip)
    report = read_card(link, can(chip), ReadOptions(trust=trust, chip_auth=False))
    assert len(_reads(link)) == 9  # CardAccess, COM, DG1, DG2, DG3 (6982), DG11 (6A82), DG13, DG15, SOD
    assert report.verified and EXTENDED_SUPPORT[link.name] is True


def test_read_binary_steps_down_on_6cxx(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(max_read=100)
    link = transport(chip)
    report = read_card(link, can(chip), ReadOptions(trust=trust, extended=False))
    assert report.verified
    assert any(r[-2] == 0x6C for _c, r in link.log)
    assert report.sessions == 1


@pytest.mark.parametrize("fault", [Faults(unprotected_at=12), Faults(bad_mac_at=12)], ids=["plain", "bad-mac"])
def test_broken_session_is_reestablished_and_the_read_resumes(
        make_chip: Callable[..., VirtualChip], trust: TrustStore, fault: Faults) -> None:
    chip = make_chip(faults=fault)
    link = transport(chip)
    report = read_card(link, can(chip), ReadOptions(trust=trust, extended=False))
    assert report.sessions == 2 and report.verified
    reference_chip = make_chip()
    reference = transport(reference_chip)
    read_card(reference, can(reference_chip), ReadOptions(trust=trust, extended=False))
    # Resumed from the last good offset: at most one READ BINARY more than an undisturbed read.
    assert len(_reads(link)) <= len(_reads(reference)) + 1


def test_tampered_data_group_fails_passive_authentication(
        make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(faults=Faults(tamper=frozenset({13})))
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    assert report.check("data_group_hashes").status == Status.FAILED
    assert "DG13" in report.check("data_group_hashes").reason
    assert report.check("sod_signature").status == Status.PASSED
    assert not report.verified


def test_wrong_csca_fails_the_chain(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(faults=Faults(wrong_csca=True))
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    assert report.check("csca_chain").status == Status.FAILED and not report.verified


def test_without_trust_store_the_chain_is_not_run(make_chip: Callable[..., VirtualChip]) -> None:
    chip = make_chip()
    report = read_card(transport(chip), can(chip), ReadOptions())
    assert report.check("csca_chain").status == Status.NOT_RUN
    assert report.check("passive_authentication").status == Status.NOT_RUN
    assert not report.verified


def test_cloned_chip_fails_chip_and_active_authentication(
        make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(faults=Faults(clone=True))
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    assert report.check("chip_authentication").status == Status.FAILED
    assert report.check("active_authentication").status == Status.FAILED
    assert report.check("data_group_hashes").status == Status.PASSED  # the copied data is genuine
    assert not report.verified


def test_ecdsa_active_authentication(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(aa="ecdsa")
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    assert report.check("active_authentication").status == Status.PASSED


def test_expected_id_mismatch(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip()
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust, expected_id="079099000001"))
    assert report.check("expected_id").status == Status.FAILED and not report.verified
    assert report.check("document_number_matches_id").status == Status.PASSED


def test_jpeg2000_photo(make_chip: Callable[..., VirtualChip], trust: TrustStore) -> None:
    chip = make_chip(photo_format=1)
    report = read_card(transport(chip), can(chip), ReadOptions(trust=trust))
    assert report.photo is not None and report.photo.mime_type == "image/jp2"
    assert report.photo.decode().shape[0] == report.photo.height > 0

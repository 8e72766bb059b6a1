"""End to end: the host reader through real pcscd + vsmartcard-vpcd + pyscard to the virtual chip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from card_reader import transport as transport_module
from card_reader.errors import CardRemovedError, ExtendedLengthUnsupportedError, NoCardError, WrongKeyError
from card_reader.keys import credentials_from
from card_reader.mrz import parse_mrz
from card_reader.reader import Credentials, ReadOptions, read_card
from card_reader.report import CardReport, Status
from card_reader.transport import PcscTransport
from card_reader.trust import TrustStore, load_trust_store
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity
from card_reader.virtual.runner import lock_port, unlock_port
from card_reader.virtual.vpcd import PORTS, reader_name

pytestmark = pytest.mark.pcsc

IDENTITY = Identity()
CAN = Credentials(can=IDENTITY.can)


@pytest.fixture(autouse=True)
def fresh_extended_verdicts() -> Iterator[None]:
    """Each test probes extended length anew (the verdict is cached per reader name)."""
    transport_module.EXTENDED_SUPPORT.clear()
    yield
    transport_module.EXTENDED_SUPPORT.clear()


@pytest.fixture(scope="module")
def trust(test_pki, tmp_path_factory) -> TrustStore:
    return load_trust_store([test_pki.write_csca(tmp_path_factory.mktemp("csca"))])


def _read(card, credentials: Credentials, trust: TrustStore, **options) -> CardReport:
    return read_card(PcscTransport(card.reader), credentials, ReadOptions(trust=trust, **options))


def _status(report: CardReport, name: str) -> Status:
    check = report.check(name)
    assert check is not None, f"no check {name}: {[c.name for c in report.checks]}"
    return check.status


def _file_sizes(card, report: CardReport) -> int:
    files = {"EF.COM": 0x011E, "EF.SOD": 0x011D, "EF.CardAccess": 0x011C, "DG1": 0x0101, "DG2": 0x0102,
             "DG13": 0x010D, "DG14": 0x010E, "DG15": 0x010F}
    return sum(len(card.chip.contents.files[files[name]]) for name in report.files_read)


# ---- access methods -------------------------------------------------------------------------------
def test_pace_with_can_reads_and_verifies_everything(vpcd_card, trust) -> None:
    card = vpcd_card()
    report = _read(card, CAN, trust, expected_id=IDENTITY.id_number)
    assert report.reader == "Virtual PCD 00 00"
    assert report.access_control == "PACE-CAN" and report.secure_messaging == "AES-128"
    assert report.verified, [c.to_dict() for c in report.checks]
    for name in ("data_group_hashes", "sod_signature", "csca_chain", "passive_authentication",
                 "active_authentication", "chip_authentication", "document_number_matches_id", "expected_id"):
        assert _status(report, name) == Status.PASSED, name
    assert report.dg13.get("full_name") == IDENTITY.full_name
    assert report.photo.decode().shape[0] == report.photo.height
    assert transport_module.EXTENDED_SUPPORT[card.reader] is True  # vpcd passes extended APDUs
    # every file byte crossed the reader exactly once
    assert card.chip.bytes_sent == _file_sizes(card, report)


def test_pace_with_mrz(vpcd_card, trust) -> None:
    card = vpcd_card(with_photo=False)
    report = _read(card, Credentials(access_keys=[parse_mrz(IDENTITY.mrz()).access_key()]), trust)
    assert report.access_control == "PACE-MRZ"
    assert report.verified, [c.to_dict() for c in report.checks]


def test_bac_with_keys_from_the_qr_code(vpcd_card, trust) -> None:
    card = vpcd_card(pace=False, aa="ecdsa", port=PORTS[1])
    report = _read(card, credentials_from(qr_text=IDENTITY.qr_text()), trust)
    assert report.reader == "Virtual PCD 00 01"
    assert report.access_control == "BAC"
    assert report.verified, [c.to_dict() for c in report.checks]
    assert "EF.CardAccess" not in report.files_read


def test_bac_tries_the_neighbouring_expiry(vpcd_card, trust) -> None:
    # Issued within two years of the 25th birthday: valid until 40, the rule's second candidate.
    import datetime as dt

    identity = Identity(id_number="001205012345", date_of_birth=dt.date(2005, 1, 15),
                        issue_date=dt.date(2021, 6, 1), expiry_date=dt.date(2045, 1, 15))
    card = vpcd_card(identity=identity, pace=False, with_photo=False)
    report = _read(card, credentials_from(qr_text=identity.qr_text()), trust)
    assert report.access_control == "BAC" and report.verified
    assert report.mrz.date_of_expiry == "450115"


@pytest.mark.parametrize(("pace", "faults"), [(True, Faults()), (False, Faults()),
                                               (False, Faults(wrong_key_sw=0x6982))])
def test_wrong_key_is_reported_as_such(vpcd_card, trust, pace: bool, faults: Faults) -> None:
    card = vpcd_card(pace=pace, faults=faults, with_photo=False)
    other = Identity(id_number="001207099999")
    with pytest.raises(WrongKeyError):
        _read(card, credentials_from(qr_text=other.qr_text()) if not pace else Credentials(can=other.can), trust)


# ---- verification failures ---------------------------------------------------------------------
def test_tampered_data_group_fails_passive_authentication(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(tamper=frozenset({13})), with_photo=False)
    report = _read(card, CAN, trust)
    assert _status(report, "data_group_hashes") == Status.FAILED
    assert "DG13" in report.check("data_group_hashes").reason
    assert _status(report, "passive_authentication") == Status.FAILED
    assert not report.verified


def test_wrong_csca_fails_the_chain(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(wrong_csca=True), with_photo=False)
    report = _read(card, CAN, trust)
    assert _status(report, "sod_signature") == Status.PASSED
    assert _status(report, "csca_chain") == Status.FAILED
    assert not report.verified


def test_cloned_chip_fails_active_authentication(vpcd_card, trust) -> None:
    report = _read(vpcd_card(faults=Faults(clone=True), with_photo=False), CAN, trust)
    assert _status(report, "active_authentication") == Status.FAILED
    assert not report.verified


# ---- secure messaging faults -----------------------------------------------------------------------
@pytest.mark.parametrize("faults", [Faults(unprotected_at=9), Faults(bad_mac_at=10)])
def test_broken_response_mid_session_is_refused(vpcd_card, trust, faults: Faults) -> None:
    card = vpcd_card(faults=faults)
    report = _read(card, CAN, trust, extended=False)
    assert report.sessions == 2  # refused, session re-established...
    assert report.verified, [c.to_dict() for c in report.checks]
    # ...and only the refused block was read again, not its whole file
    assert 0 <= card.chip.bytes_sent - _file_sizes(card, report) <= 223


# ---- reader and transport faults ---------------------------------------------------------------
def test_removal_mid_read_resumes_from_the_last_good_offset(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(remove_after=6000, reinsert_after=0.3), short_only=True)
    report = _read(card, CAN, trust, reinsert_timeout=10)
    assert card.removals == 1
    assert report.sessions == 2
    assert report.verified, [c.to_dict() for c in report.checks]
    assert card.chip.bytes_sent == _file_sizes(card, report)  # resumed, not restarted from zero


def test_removal_for_good_is_card_removed(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(remove_after=3000))
    with pytest.raises(CardRemovedError):
        _read(card, CAN, trust)


def test_reader_without_extended_length_falls_back_to_short(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(no_extended=True))
    report = _read(card, CAN, trust)
    assert report.verified, [c.to_dict() for c in report.checks]
    assert transport_module.EXTENDED_SUPPORT[card.reader] is False


def test_strict_short_chip_and_picky_block_size(vpcd_card, trust) -> None:
    card = vpcd_card(short_only=True, max_read=200)
    report = _read(card, CAN, trust)
    assert report.verified, [c.to_dict() for c in report.checks]
    assert _status(report, "active_authentication") == Status.PASSED  # RSA-2048 answer chained


def test_slow_card_is_read_without_timeouts(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(slow=40), with_photo=False)
    report = _read(card, CAN, trust)
    assert report.verified
    assert card.chip.apdu_count >= report.apdu_count


def test_empty_reader_is_no_card(pcscd) -> None:
    port = PORTS[1]
    fd = lock_port(port)  # no virtual card can be inserted meanwhile
    try:
        with pytest.raises(NoCardError):
            PcscTransport(reader_name(port)).connect()
    finally:
        unlock_port(fd)


def test_forcing_extended_length_on_such_a_reader_is_a_clear_error(vpcd_card, trust) -> None:
    card = vpcd_card(faults=Faults(no_extended=True), with_photo=False)
    with pytest.raises(ExtendedLengthUnsupportedError):
        _read(card, CAN, trust, extended=True)


# ---- a chip signed the way Vietnam signs, checked against the real German master list ------------
@pytest.fixture(scope="module")
def vietnam_pki():
    from card_reader import testpki

    return testpki.generate(shape="vietnam")


@pytest.fixture(scope="module")
def german_list_and_test_csca(vietnam_pki, tmp_path_factory) -> TrustStore:
    from tests.card_reader.test_real_pki import DE_ML, DE_ROOT
    from tests.conftest import require

    require(DE_ML.exists(), f"the German master list is not at {DE_ML}")
    return load_trust_store([DE_ML, vietnam_pki.write_csca(tmp_path_factory.mktemp("vn-csca"))], roots=[DE_ROOT])


def _vietnam_chip(vietnam_pki, photo_path):
    from card_reader.virtual.chip import VirtualChip
    from card_reader.virtual.contents import build

    return VirtualChip(build(IDENTITY, vietnam_pki, photo_path))


def test_vietnam_shaped_pki_passes_passive_authentication(vpcd_card, vietnam_pki, german_list_and_test_csca,
                                                          photo_path) -> None:
    store = german_list_and_test_csca
    assert store.master_lists[0].root_verified is True and len(store.certificates) == 589
    card = vpcd_card(chip=_vietnam_chip(vietnam_pki, photo_path))
    report = _read(card, CAN, store, expected_id=IDENTITY.id_number)
    assert report.verified, [c.to_dict() for c in report.checks]
    chain = report.check("csca_chain")
    assert chain.code == "pa.chain_ok" and chain.params["key"] == "ECDSA brainpoolP512r1 (explicit parameters)"
    assert chain.params["algorithm"] == "ecdsa-sha512"
    signature = report.check("sod_signature")
    assert signature.params["key"] == "ECDSA brainpoolP512r1 (explicit parameters)"
    assert signature.params["aki"] == vietnam_pki.csca_cert.ski.hex().upper()  # compare with the real VN SKI
    assert report.files_absent == ["DG3 (6982)", "DG11 (6A82)"]
    assert report.quirks == ["SELECT MF answered 6D00 (skipped)"]


def test_vietnam_shaped_chip_without_its_csca_says_why_in_both_languages(vpcd_card, vietnam_pki) -> None:
    from card_reader.builtin_trust import add_builtin
    from exam_client.chip import result_from_report

    store = TrustStore()
    add_builtin(store)  # the real Vietnam CSCA only: a TEST-ONLY signer must not chain to it
    card = vpcd_card(chip=_vietnam_chip(vietnam_pki, None))
    report = _read(card, CAN, store)
    assert not report.verified
    chain = report.check("csca_chain")
    assert chain.status == Status.FAILED and chain.code == "pa.no_csca"
    assert chain.params["aki"] == vietnam_pki.csca_cert.ski.hex().upper()
    vi = result_from_report(report, "vi").outcome.failures
    en = result_from_report(report, "en").outcome.failures
    assert any("csca_chain: Kho tin cậy không có CSCA cho bên cấp CN=CSCA VN TEST ONLY" in f for f in vi), vi
    assert any("csca_chain: No CSCA in the trust store for issuer CN=CSCA VN TEST ONLY" in f for f in en), en

"""The host reader against the virtual chip in-process, for what test_reader_inprocess.py leaves out:
keys from the QR text, tampering of DG1 and the photo, a plain answer while the session opens."""

from __future__ import annotations

import pytest

from card_reader.keys import credentials_from
from card_reader.reader import Credentials, ReadOptions, read_card
from card_reader.report import CardReport, Status
from card_reader.transport import FunctionTransport
from card_reader.trust import TrustStore, load_trust_store
from card_reader.virtual.chip import VirtualChip
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity

IDENTITY = Identity()


@pytest.fixture(scope="module")
def trust(test_pki, tmp_path_factory) -> TrustStore:
    return load_trust_store([test_pki.write_csca(tmp_path_factory.mktemp("csca"))])


def _read(chip: VirtualChip, credentials: Credentials, trust: TrustStore, **options) -> CardReport:
    return read_card(FunctionTransport(chip.transmit, name=f"in-process-{id(chip)}"), credentials,
                     ReadOptions(trust=trust, **options))


def test_keys_from_the_printed_qr_code(make_chip, trust) -> None:
    report = _read(make_chip(), credentials_from(qr_text=IDENTITY.qr_text()), trust, expected_id=IDENTITY.id_number)
    assert report.access_control == "PACE-CAN"  # the CAN is the ID's last six digits
    assert report.verified, [c.to_dict() for c in report.checks]
    assert report.dg13.get("full_name") == IDENTITY.full_name


@pytest.mark.parametrize("group", [1, 2])
def test_tampered_mrz_or_photo_fails_passive_authentication(make_chip, trust, group: int) -> None:
    report = _read(make_chip(faults=Faults(tamper=frozenset({group}))), Credentials(can=IDENTITY.can), trust)
    assert report.check("data_group_hashes").status == Status.FAILED
    assert f"DG{group}" in report.check("data_group_hashes").reason
    assert not report.verified


def test_plain_answer_while_the_session_opens_is_refused(make_chip, trust) -> None:
    # Protected answer 1 is the SELECT of the application right after PACE.
    chip = make_chip(faults=Faults(unprotected_at=1), with_photo=False)
    report = _read(chip, Credentials(can=IDENTITY.can), trust)
    assert report.sessions >= 2
    assert report.verified, [c.to_dict() for c in report.checks]

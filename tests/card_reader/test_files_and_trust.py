"""File parsers (fed with the virtual chip's encoders, a second implementation) and the trust store."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from card_reader import testpki
from card_reader.errors import CardDataError, TrustStoreError
from card_reader.files.com import parse_com
from card_reader.files.dg1 import parse_dg1
from card_reader.files.dg2 import parse_dg2
from card_reader.files.dg13 import SENSITIVE, parse_dg13
from card_reader.files.security_infos import parse_card_access, parse_dg14
from card_reader.files.sod import parse_sod
from card_reader.passive_auth import PassiveAuthFailure, check_hashes, verify_chain, verify_signature
from card_reader.tlv import tlv
from card_reader.trust import TrustStore, load_trust_store
from card_reader.virtual import lds
from card_reader.virtual.identity import Identity
from tests.card_reader.pki_files import master_list


def test_card_access_as_reported_on_cccd() -> None:
    infos = parse_card_access(lds.card_access())
    assert [(p.protocol, p.parameter_id) for p in infos.pace] == [("0.4.0.127.0.7.2.2.4.2.2", 13)]
    assert infos.chip_auth[0].protocol == "0.4.0.127.0.7.2.2.3.2.2" and infos.terminal_auth


def test_dg14_key_and_aa_algorithm() -> None:
    key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    infos = parse_dg14(lds.dg14(key, aa_is_ecdsa=True, key_id=7))
    ca_key = infos.chip_auth_keys[0]
    assert ca_key.curve is not None and ca_key.curve.name == "brainpoolP256r1" and ca_key.key_id == 7
    assert ca_key.point == key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert infos.active_auth is not None and infos.active_auth.signature_algorithm == "0.4.0.127.0.7.1.1.4.1.3"


def test_dg1_with_a_wrong_check_digit_is_parsed_and_flagged() -> None:
    identity = Identity()
    text = "".join(identity.mrz_lines())
    broken = text[:59] + str((int(text[59]) + 1) % 10) + text[60:]  # the TD1 composite digit
    mrz = parse_dg1(tlv(0x61, tlv(0x5F1F, broken.encode("ascii"))))
    assert mrz.document_number == identity.document_number
    assert len(mrz.problems) == 1 and "composite" in mrz.problems[0]
    assert parse_dg1(lds.dg1(identity)).problems == ()


def test_com_lists_data_groups() -> None:
    assert parse_com(lds.ef_com([1, 2, 13, 14, 15])).data_groups == (1, 2, 13, 14, 15)


def test_dg13_by_field_number_with_missing_fields() -> None:
    identity = Identity(spouse_name="Lê Thị Dung")
    full = parse_dg13(lds.dg13(identity))
    assert full.get("id_number") == identity.id_number and full.get("date_of_birth") == "15/01/2007"
    assert full.fields["parents"] == {"father": identity.father_name, "mother": identity.mother_name}
    partial = parse_dg13(lds.dg13(identity, missing=frozenset({2, 7, 13, 14})))
    assert partial.get("full_name") is None and "religion" not in partial.fields
    assert partial.get("place_of_residence") == identity.place_of_residence
    assert not SENSITIVE & set(full.to_dict().keys())


def test_dg13_garbage_is_a_clear_error() -> None:
    with pytest.raises(CardDataError, match="DG13|tlv"):
        parse_dg13(tlv(0x6D, b"\x30\x05\x02\x01"))


def test_dg2_jpeg_and_jpeg2000() -> None:
    for fmt, mime in ((lds.JPEG, "image/jpeg"), (lds.JPEG2000, "image/jp2")):
        image, width, height = lds.photo_from_file(None, fmt)
        face = parse_dg2(lds.dg2(image, fmt, width, height))
        assert (face.mime_type, face.width, face.height) == (mime, width, height)


def test_sod_hashes_and_signature(test_pki: testpki.TestPKI) -> None:
    groups = {1: lds.dg1(Identity()), 13: lds.dg13(Identity())}
    sod = parse_sod(lds.ef_sod(groups, test_pki))
    assert sod.hash_algorithm == "sha256" and set(sod.hashes) == {1, 13}
    assert check_hashes(sod, groups) == []
    assert check_hashes(sod, {**groups, 13: groups[13] + b"x"}) == ["DG13 hash differs from EF.SOD"]
    assert check_hashes(sod, {2: b"photo"}) == ["DG2 is not listed in EF.SOD"]
    assert verify_signature(sod).subject == test_pki.ds_cert.subject


def test_sod_signature_over_modified_content_fails(test_pki: testpki.TestPKI) -> None:
    raw = bytearray(lds.ef_sod({1: lds.dg1(Identity())}, test_pki))
    position = raw.find(bytes.fromhex("0420"))  # the first hash OCTET STRING
    raw[position + 5] ^= 0x01
    with pytest.raises(PassiveAuthFailure, match="problem_code=cms.message_digest"):
        verify_signature(parse_sod(bytes(raw)))


# ---- trust store -------------------------------------------------------------------------------
def test_trust_store_sources(tmp_path: Path, test_pki: testpki.TestPKI) -> None:
    other = testpki.generate(label=" other")
    pem = tmp_path / "csca.pem"
    pem.write_bytes(test_pki.csca_pem())
    der = tmp_path / "folder" / "nested" / "other.cer"
    der.parent.mkdir(parents=True)
    der.write_bytes(other.csca_der)
    (tmp_path / "folder" / "README.txt").write_text("not a certificate")  # named as skipped inside folders
    ml = tmp_path / "list.ml"
    ml.write_bytes(master_list([test_pki.csca_der, other.csca_der], signer=test_pki))
    assert len(load_trust_store([pem]).certificates) == 1
    folder = load_trust_store([tmp_path / "folder"])
    assert len(folder.certificates) == 1 and [s.source for s in folder.skipped] == [str(tmp_path / "folder" / "README.txt")]
    listed = load_trust_store([ml])
    assert {c.subject_text for c in listed.certificates} == {test_pki.csca_cert.subject_text, other.csca_cert.subject_text}
    assert verify_chain(test_pki.ds_cert, listed).der == test_pki.csca_der
    summary = listed.summary()["master_lists"][0]
    assert summary["signature_valid"] and summary["signer"] == test_pki.ds_cert.subject_text
    assert summary["signing_time"] is not None and summary["root_verified"] is None


def test_bad_trust_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    with pytest.raises(TrustStoreError, match="bad.pem"):
        load_trust_store([bad])
    with pytest.raises(TrustStoreError, match="does not exist"):
        load_trust_store([tmp_path / "missing"])


def test_chain_to_another_csca_fails(test_pki: testpki.TestPKI) -> None:
    rogue = testpki.generate()  # same subject name, another key (its key identifier differs)
    with pytest.raises(PassiveAuthFailure, match="pa.no_csca") as failure:
        verify_chain(test_pki.ds_cert, TrustStore(certificates=[rogue.csca_cert]))
    assert failure.value.code == "pa.no_csca" and "CSCA VN TEST ONLY" in failure.value.params["issuer"]


def test_revoked_document_signer(tmp_path: Path, test_pki: testpki.TestPKI) -> None:
    crl_file = tmp_path / "csca.crl"
    crl_file.write_bytes(test_pki.revoke_signer_crl())
    pem = tmp_path / "csca.pem"
    pem.write_bytes(test_pki.csca_pem())
    store = load_trust_store([pem, crl_file])
    assert len(store.crls) == 1
    with pytest.raises(PassiveAuthFailure, match="revoked") as failure:
        verify_chain(test_pki.ds_cert, store)
    assert failure.value.code == "pa.ds_revoked" and failure.value.params["serial"] == test_pki.ds_cert.serial
    # a CRL revoking someone else leaves this signer valid
    other = tmp_path / "other.crl"
    other.write_bytes(test_pki.revoke_signer_crl((12345,)))
    assert verify_chain(test_pki.ds_cert, load_trust_store([pem, other])).der == test_pki.csca_der

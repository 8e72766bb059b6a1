"""The virtual chip's identity, file encoders, test PKI and fault parsing, read back with the host parsers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from card_reader import testpki
from card_reader.certs import load_crl
from card_reader.files.com import parse_com
from card_reader.files.dg1 import parse_dg1
from card_reader.files.dg2 import parse_dg2
from card_reader.files.dg13 import parse_dg13
from card_reader.files.dg15 import parse_dg15
from card_reader.files.security_infos import parse_card_access, parse_dg14
from card_reader.files.sod import parse_sod
from card_reader.mrz import parse_mrz
from card_reader.qr import parse_qr
from card_reader.virtual import lds
from card_reader.virtual.contents import build
from card_reader.virtual.faults import FaultError, Faults, parse_faults
from card_reader.virtual.identity import Identity, IdentityError, load_identity

DG_FIDS = {1: 0x0101, 2: 0x0102, 13: 0x010D, 14: 0x010E, 15: 0x010F}


def test_td1_mrz_matches_the_cccd_layout() -> None:
    identity = Identity(id_number="001099012345", date_of_birth=dt.date(1999, 1, 15),
                        issue_date=dt.date(2021, 7, 1), expiry_date=dt.date(2024, 1, 15))
    line1, line2, line3 = identity.mrz_lines()
    assert line1 == "IDVNM0990123459001099012345<<0"  # the synthetic example of cccd.md
    mrz = parse_mrz(identity.mrz())  # every check digit verified by the host parser
    assert (mrz.document_number, mrz.date_of_birth, mrz.date_of_expiry) == ("099012345", "990115", "240115")
    assert mrz.full_id_number == "001099012345"
    assert line3.startswith("NGUYEN<<VAN<AN<")


def test_default_expiry_follows_the_renewal_rule_and_qr_round_trips() -> None:
    identity = Identity()  # born 15/01/2007, issued 10/03/2022 → valid until the 25th birthday
    assert identity.expiry_date == dt.date(2032, 1, 15)
    qr = parse_qr(identity.qr_text())
    assert qr.id_number == identity.id_number and qr.can == identity.can == "012345"
    assert qr.access_keys()[0].mrz_information() == parse_mrz(identity.mrz()).access_key().mrz_information()


def test_identity_from_json_and_toml(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"id_number": "079301000123", "full_name": "Lê Thị Bình",
                                                 "sex": "Nữ", "date_of_birth": "02/09/2001"}), encoding="utf-8")
    (tmp_path / "b.toml").write_text('id_number = "079301000123"\nspouse_name = "Trần Văn Cường"\n', encoding="utf-8")
    a = Identity.from_file(tmp_path / "a.json")
    assert (a.full_name, a.sex, a.date_of_birth) == ("Lê Thị Bình", "Nữ", dt.date(2001, 9, 2))
    assert "F" in a.mrz_lines()[1] and a.mrz_lines()[2].startswith("LE<<THI<BINH")
    assert Identity.from_file(tmp_path / "b.toml").spouse_name == "Trần Văn Cường"


@pytest.mark.parametrize(("values", "named"), [
    ({"id_number": "12345"}, "id_number"),
    ({"date_of_birth": "31/02/2000"}, "date_of_birth"),
    ({"sex": "X"}, "sex"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_identity_names_the_field(values: dict, named: str) -> None:
    with pytest.raises(IdentityError, match=named):
        Identity.from_mapping(values)


def test_fault_specs() -> None:
    faults = parse_faults(["remove-after=4000", "reinsert-after=0.5", "slow=20", "tamper=13,2", "wrong-csca",
                           "wrong-key-sw=6982", "unprotected-at=3", "no-extended", "clone"])
    assert faults == Faults(remove_after=4000, reinsert_after=0.5, slow=20, tamper=frozenset({2, 13}),
                            wrong_csca=True, wrong_key_sw=0x6982, unprotected_at=3, no_extended=True, clone=True)
    assert "remove-after" in faults.active and "wrong-csca" in faults.active
    for bad, named in [("remove-after", "remove-after"), ("slow=fast", "slow"), ("tamper=3", "tamper"),
                       ("explode", "explode"), ("wrong-csca=1", "wrong-csca")]:
        with pytest.raises(FaultError, match=named):
            parse_faults([bad])


@pytest.mark.parametrize("photo_format", [lds.JPEG, lds.JPEG2000])
def test_files_parse_with_the_reader_parsers(make_chip, photo_format: int) -> None:
    chip = make_chip(photo_format=photo_format, aa="ecdsa")
    files = chip.contents.files
    identity = chip.contents.identity
    assert parse_com(files[0x011E]).data_groups == (1, 2, 3, 11, 13, 14, 15)  # DG3, DG11 listed as on CCCD
    assert parse_dg1(files[0x0101]).document_number == identity.document_number
    face = parse_dg2(files[0x0102])
    assert face.mime_type == ("image/jpeg" if photo_format == lds.JPEG else "image/jp2")
    assert face.decode().shape[2] == 3 and max(face.width, face.height) == 320
    dg13 = parse_dg13(files[0x010D])
    assert dg13.get("id_number") == identity.id_number
    assert dg13.get("full_name") == identity.full_name
    assert dg13.get("date_of_birth") == "15/01/2007"
    assert dg13.fields["parents"] == {"father": identity.father_name, "mother": identity.mother_name}
    assert "spouse" not in dg13.fields  # unmarried: field 14 absent
    access = parse_card_access(files[0x011C])
    assert access.pace[0].parameter_id == 13
    dg14 = parse_dg14(files[0x010E])
    assert dg14.chip_auth and dg14.chip_auth_keys and dg14.active_auth
    assert isinstance(parse_dg15(files[0x010F]), ec.EllipticCurvePublicKey)


def test_sod_covers_every_data_group_and_is_signed_by_the_test_signer(make_chip, test_pki) -> None:
    chip = make_chip(with_photo=False)
    sod = parse_sod(chip.contents.files[0x011D])
    assert sod.hash_algorithm == "sha256"
    for number, fid in DG_FIDS.items():
        assert sod.hashes[number] == hashlib.sha256(chip.contents.files[fid]).digest()
    assert sod.certificates[0].serial_number == test_pki.ds_cert.serial
    assert isinstance(parse_dg15(chip.contents.files[0x010F]), rsa.RSAPublicKey)


def test_tampered_group_no_longer_matches_the_sod(make_chip) -> None:
    chip = make_chip(faults=Faults(tamper=frozenset({13, 2})))
    sod = parse_sod(chip.contents.files[0x011D])
    assert sod.hashes[13] != hashlib.sha256(chip.contents.files[0x010D]).digest()
    assert sod.hashes[2] != hashlib.sha256(chip.contents.files[0x0102]).digest()
    assert sod.hashes[1] == hashlib.sha256(chip.contents.files[0x0101]).digest()
    assert parse_dg13(chip.contents.files[0x010D]).get("full_name").endswith("Giả")


def test_wrong_csca_signs_with_a_foreign_signer(make_chip, test_pki) -> None:
    chip = make_chip(faults=Faults(wrong_csca=True), with_photo=False)
    signer = parse_sod(chip.contents.files[0x011D]).certificates[0]
    assert signer.issuer != test_pki.csca_cert.subject


@pytest.mark.parametrize("shape", testpki.SHAPES)
def test_test_pki_chain_and_persistence(tmp_path: Path, shape: str) -> None:
    pki = testpki.load_or_generate(tmp_path, shape)
    again = testpki.load_or_generate(tmp_path)
    assert (again.csca_der, again.ds_der, again.shape) == (pki.csca_der, pki.ds_der, shape)
    assert "TEST ONLY" in pki.csca_cert.subject_text
    pki.ds_cert.verify_issued_by(pki.csca_cert)
    assert pki.ds_cert.aki == pki.csca_cert.ski is not None
    crl = load_crl(pki.revoke_signer_crl())
    crl.verify_issued_by(pki.csca_cert)
    assert crl.revoked(pki.ds_cert.serial) is not None
    assert (tmp_path / testpki.CSCA_FILE).read_bytes() == pki.csca_pem()
    assert (tmp_path / testpki.CSCA_KEY_FILE).stat().st_mode & 0o077 == 0


def test_build_with_photo_file(test_pki, photo_path: Path | None) -> None:
    contents = build(Identity(), test_pki, photo_path)
    size = len(contents.files[0x0102])
    assert 2_000 < size < 40_000


def test_command_flags_override_the_identity_file(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text('id_number = "079301000123"\nfull_name = "Lê Thị Bình"\nsex = "Nữ"\n',
                                     encoding="utf-8")
    identity = load_identity(tmp_path / "p.toml", {"date_of_birth": "02/09/2001", "issue_date": "01/07/2021",
                                                   "full_name": None})
    assert (identity.id_number, identity.full_name) == ("079301000123", "Lê Thị Bình")
    assert identity.expiry_date == dt.date(2026, 9, 2)  # recomputed by the rule: the 25th birthday
    assert load_identity(None, {}) == Identity()


def test_card_issued_after_sixty_never_expires(make_chip) -> None:
    identity = Identity(id_number="001060012345", date_of_birth=dt.date(1960, 5, 1), issue_date=dt.date(2022, 1, 1))
    assert identity.expiry_date is None
    chip = make_chip(identity=identity, with_photo=False)
    assert parse_dg13(chip.contents.files[0x010D]).get("expiry_date") == "Không thời hạn"
    assert parse_mrz(identity.mrz()).date_of_expiry == "991231"

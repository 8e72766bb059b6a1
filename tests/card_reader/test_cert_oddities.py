"""Certificates as real CSCAs write them, generated here: each oddity parsed and verified (or refused with its reason)."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
from asn1crypto import x509 as ax
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from card_reader import testpki
from card_reader.certs import CertProblem, load_certificate
from card_reader.ec import Curve
from card_reader.passive_auth import PassiveAuthFailure, verify_chain
from card_reader.trust import TrustStore, load_trust_store
from exam_client.messages import error_text, reason_text
from tests.card_reader.pki_files import NOT_A_CERTIFICATE, master_list

SECP256K1 = Curve(
    "secp256k1", 2**256 - 2**32 - 977, 0, 7,
    (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8),
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141)


def _self_signed(key: ec.EllipticCurvePrivateKey, explicit: bool, curve: Curve | None = None,
                 serial: int = 7, hash_name: str = "sha256") -> bytes:
    name = ax.Name.build({"country_name": "VN", "common_name": "CSCA oddity TEST ONLY"})
    return testpki.build_certificate(name, name, serial, testpki.spki(key.public_key(), explicit, curve), key,
                                     hash_name, 365, ca=True, authority_key_id=None)


def test_vietnam_shaped_pki_is_what_cryptography_refuses_and_we_verify() -> None:
    pki = testpki.generate(shape="vietnam")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography's deprecation warning for the negative serial
        with pytest.raises((ValueError, UnsupportedAlgorithm), match="explicit parameters"):
            x509.load_der_x509_certificate(pki.csca_der).public_key()
    csca = pki.csca_cert
    assert csca.serial <= 0 and csca.key_info.description == "ECDSA brainpoolP512r1 (explicit parameters)"
    assert set(csca.oddities) == {"cert.odd.explicit_parameters", "cert.odd.non_positive_serial"}
    assert csca.signature_algorithm() == "ecdsa-sha512"
    csca.verify_issued_by(csca)
    assert verify_chain(pki.ds_cert, TrustStore([csca])).der == pki.csca_der


def test_explicit_parameters_of_an_unknown_curve_use_our_arithmetic() -> None:
    key = ec.generate_private_key(ec.SECP256K1())  # a sound curve that is not one of the eMRTD ones
    cert = load_certificate(_self_signed(key, explicit=True, curve=SECP256K1))
    assert "own arithmetic" in cert.key_info.description and "cert.odd.own_arithmetic" in cert.oddities
    cert.verify_issued_by(cert)
    forged = bytearray(_self_signed(key, explicit=True, curve=SECP256K1))
    forged[-3] ^= 0x01  # inside the signature
    with pytest.raises(CertProblem) as problem:
        load_certificate(bytes(forged)).verify_issued_by(load_certificate(bytes(forged)))
    assert problem.value.code in ("cert.signature_invalid", "cert.signature_error")


def test_explicit_parameters_that_are_not_a_curve_are_refused_by_name() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    broken = Curve("broken", SECP256K1.p, 0, 7, (SECP256K1.g[0], SECP256K1.g[1] + 1), SECP256K1.n)
    with pytest.raises(CertProblem) as problem:
        load_certificate(_self_signed(key, explicit=True, curve=broken))
    assert problem.value.code == "cert.curve_unknown" and problem.value.params["bits"] == 256
    assert "G is not on the curve" in str(problem.value)
    # the station's text places the parameters in Vietnamese; the English diagnostic stays out of it
    vi = error_text(problem.value, "vi")
    assert "không trùng đường cong nào" in vi and "256 bit" in vi and "G is not" not in vi


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.BrainpoolP384R1(), ec.SECP521R1()])
def test_ecdsa_with_every_hash_and_explicit_or_named(hash_name: str, curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    for explicit in (False, True):
        cert = load_certificate(_self_signed(key, explicit, serial=-5 if explicit else 5, hash_name=hash_name))
        cert.verify_issued_by(cert)
        assert cert.signature_algorithm() == f"ecdsa-{hash_name}"
        assert ("cert.odd.non_positive_serial" in cert.oddities) is explicit


@pytest.mark.parametrize("pss", [False, True])
def test_rsa_pkcs1_and_pss_chains(pss: bool) -> None:
    now = dt.datetime.now(dt.UTC)
    csca_key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, "RSA CSCA TEST")])
    extra = {"rsa_padding": padding.PSS(padding.MGF1(hashes.SHA256()), 32)} if pss else {}
    builder = (x509.CertificateBuilder().issuer_name(name).not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=30)))
    csca = builder.subject_name(name).public_key(csca_key.public_key()).serial_number(1).sign(
        csca_key, hashes.SHA256(), **extra)
    ds_key = ec.generate_private_key(ec.BrainpoolP256R1())
    ds = builder.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DS")])).public_key(
        ds_key.public_key()).serial_number(2).sign(csca_key, hashes.SHA256(), **extra)
    from cryptography.hazmat.primitives.serialization import Encoding

    store = TrustStore([csca])
    ds_cert = load_certificate(ds.public_bytes(Encoding.DER))
    assert ds_cert.signature_algorithm() == ("rsassa_pss-sha256" if pss else "rsassa_pkcs1v15-sha256")
    assert verify_chain(ds_cert, store).subject_text == "CN=RSA CSCA TEST,C=VN"


def test_master_list_with_one_unparseable_entry_keeps_the_rest(tmp_path: Path, test_pki: testpki.TestPKI) -> None:
    other = testpki.generate(label=" other", shape="vietnam")
    ml = tmp_path / "list.ml"
    ml.write_bytes(master_list([test_pki.csca_der, NOT_A_CERTIFICATE, other.csca_der], signer=test_pki))
    store = load_trust_store([ml])
    assert len(store.certificates) == 2
    assert len(store.skipped) == 1 and store.skipped[0].code == "cert.unparseable"
    assert store.skipped[0].index is not None and str(ml) in store.skipped[0].source
    summary = store.summary()
    assert summary["skipped"][0]["code"] == "cert.unparseable" and "reason" not in summary["skipped"][0]
    assert reason_text(summary["skipped"][0], "vi").startswith("Chứng thư không đọc được")
    assert summary["master_lists"][0]["signature_valid"] is True
    assert verify_chain(other.ds_cert, store).der == other.csca_der


def test_master_list_with_a_bad_signature_is_refused_whole(tmp_path: Path, test_pki: testpki.TestPKI) -> None:
    from card_reader.errors import TrustStoreError

    ml = tmp_path / "tampered.ml"
    ml.write_bytes(master_list([test_pki.csca_der, test_pki.csca_der], signer=test_pki, tamper=True))
    with pytest.raises(TrustStoreError, match="signature does not verify"):
        load_trust_store([ml])


def test_link_certificate_and_crl_in_the_same_path(tmp_path: Path) -> None:
    """CSCA rollover: the store holds the old CSCA and the link certificate (new key certified by
    the old one); a document signer issued under the new key chains; a CRL signed by the old key
    revokes it."""
    old = testpki.generate(shape="vietnam")
    new = testpki.generate(shape="vietnam")  # same names, a new key
    link = load_certificate(testpki.link_certificate(old, new), "link")
    assert link.self_issued and link.ski == new.csca_cert.ski != old.csca_cert.ski
    link.verify_issued_by(old.csca_cert)
    with pytest.raises(CertProblem):
        link.verify_issued_by(link)  # not self-signed: only the old key vouches for it
    store = TrustStore([old.csca_cert, link])
    assert verify_chain(new.ds_cert, store).der == link.der
    with pytest.raises(PassiveAuthFailure, match="pa.no_csca"):
        verify_chain(new.ds_cert, TrustStore([old.csca_cert]))  # without the link, no path
    crl_file = tmp_path / "old.crl"
    crl_file.write_bytes(old.revoke_signer_crl((new.ds_cert.serial,)))  # signed with the OLD key
    store.add_bytes(crl_file.read_bytes(), str(crl_file))
    with pytest.raises(PassiveAuthFailure) as failure:
        verify_chain(new.ds_cert, store)
    assert failure.value.code == "pa.ds_revoked" and str(crl_file) == failure.value.params["source"]


def test_crl_with_a_forged_signature_fails_the_chain(test_pki: testpki.TestPKI) -> None:
    rogue = testpki.generate()  # same CSCA name, other key: its CRL claims to be ours
    store = TrustStore([test_pki.csca_cert])
    store.add_bytes(rogue.revoke_signer_crl((test_pki.ds_cert.serial,)), "rogue.crl")
    with pytest.raises(PassiveAuthFailure) as failure:
        verify_chain(test_pki.ds_cert, store)
    assert failure.value.code == "pa.crl_invalid"


def test_pem_bundle_with_a_broken_block_names_it(tmp_path: Path, test_pki: testpki.TestPKI) -> None:
    bundle = tmp_path / "bundle.pem"
    from asn1crypto import pem

    bundle.write_bytes(test_pki.csca_pem() + pem.armor("CERTIFICATE", NOT_A_CERTIFICATE))
    store = load_trust_store([bundle])
    assert len(store.certificates) == 1 and [(s.index, s.code) for s in store.skipped] == [(1, "cert.unparseable")]

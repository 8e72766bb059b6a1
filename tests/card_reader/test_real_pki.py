"""Real-world PKI material nobody here wrote: the German and Dutch ICAO master lists, their signer
roots, and Vietnam's CSCA as published in them (../shared/peers/gmrtd)."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pytest
from cryptography import x509

from card_reader.builtin_trust import VN_CSCA_SHA256, VN_CSCA_SKI, vn_csca
from card_reader.certs import load_certificate
from card_reader.errors import TrustStoreError
from card_reader.masterlist import parse_master_list
from card_reader.trust import load_root, load_trust_store
from tests.conftest import SHARED, require

GMRTD = SHARED / "peers" / "gmrtd"
DE_ML = GMRTD / "DE_ML_2026-05-28-08-28-45.ml"
NL_ML = GMRTD / "NL_ML_2026-07-22.ml"
DE_ROOT = GMRTD / "DE_ROOT_CA_CSCA07.cer"
NL_ROOT = GMRTD / "NL_ROOT_CA.cer"
VN_SUBJECT = "CN=CSCA ePassport Vietnam,O=Vietnam Government Information Security Commission,C=VN"


@pytest.fixture(scope="module", autouse=True)
def gmrtd() -> Path:
    require(DE_ML.exists() and NL_ML.exists(), f"gmrtd reference data not found at {GMRTD}")
    return GMRTD


def _strictly_refused(data: bytes) -> list[str]:
    """Entries `cryptography` refuses outright or only with a deprecation warning (the strict view)."""
    from asn1crypto import cms

    from card_reader.masterlist import _RawMasterList

    info = cms.ContentInfo.load(data)
    raw = _RawMasterList.load(bytes(info["content"]["encap_content_info"]["content"]))
    refused = []
    for entry in raw["certificates"]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                x509.load_der_x509_certificate(entry.dump())
            except Exception:  # noqa: BLE001  (ValueError or the deprecation warning, both count)
                refused.append(load_certificate(entry.dump()).subject_text)
    return refused


@pytest.mark.parametrize(("path", "root", "count", "signer"), [
    (DE_ML, DE_ROOT, 588, "CN=CSCA Master List Signer,serialNumber=0039,OU=bsi,O=bund,C=DE"),
    (NL_ML, NL_ROOT, 411, "C=NL,O=Kingdom of the Netherlands,OU=Kingdom of the Netherlands,"
                          "CN=Masterlist Signer NL,serialNumber=8"),
])
def test_real_master_lists_load_whole_with_signature_and_root(path: Path, root: Path, count: int, signer: str) -> None:
    store = load_trust_store([path], roots=[root])
    listed = store.master_lists[0]
    assert len(store.certificates) + len(store.skipped) == count
    assert listed.signature_valid and listed.root_verified is True
    assert listed.signer is not None and listed.signer.subject_text == signer
    assert listed.signing_time is not None
    assert listed.chain[-1] == load_root(root).subject_text
    summary = store.summary()
    # every entry a strict parser refuses is loaded here and named, with the reason it is unusual
    strict = _strictly_refused(path.read_bytes())
    named = {e["subject"] for e in summary["tolerated_entries"]}
    assert strict and set(strict) <= named | {s["subject"] for s in summary["skipped"]}
    assert any("cert.odd.non_positive_serial" in e["oddities"] for e in summary["tolerated_entries"])
    assert summary["tolerated"]["cert.odd.explicit_parameters"]["count"] > 100
    assert VN_SUBJECT in {c.subject_text for c in store.certificates}


def test_german_list_names_the_entries_cryptography_refuses() -> None:
    strict = _strictly_refused(DE_ML.read_bytes())
    for name in ("CSCA-AUSTRIA", "UAE CSCA 02", "e-passportCSCA"):
        assert any(f"CN={name}" in s for s in strict), name
    summary = load_trust_store([DE_ML]).summary()
    austria = [e for e in summary["tolerated_entries"] if "CN=CSCA-AUSTRIA" in e["subject"]]
    assert austria and "cert.odd.ecdsa_null_parameters" in austria[0]["oddities"]


def test_a_list_under_another_root_is_refused() -> None:
    listed = parse_master_list(NL_ML.read_bytes(), str(NL_ML), [load_root(DE_ROOT)])
    assert listed.signature_valid and listed.root_verified is False
    assert listed.root_problem is not None and listed.root_problem.code == "ml.root_mismatch"
    with pytest.raises(TrustStoreError) as refused:
        load_trust_store([NL_ML], roots=[DE_ROOT])
    assert refused.value.code == "card.trust_store.list_root"
    assert refused.value.params["problem_code"] == "ml.root_mismatch" and str(NL_ML) in str(refused.value)


def test_vietnam_csca_key_is_usable_and_builtin_is_pinned() -> None:
    shipped = vn_csca()
    for name in ("VN_CSCA_from_DE.der", "VN_CSCA_from_NL.der"):
        data = (GMRTD / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == VN_CSCA_SHA256 == shipped.fingerprint
    assert shipped.subject_text == VN_SUBJECT and shipped.ski.hex().upper() == VN_CSCA_SKI
    assert shipped.key_info.description == "ECDSA brainpoolP512r1 (explicit parameters)"
    assert (shipped.not_before.date().isoformat(), shipped.not_after.date().isoformat()) == ("2022-06-29", "2037-10-01")
    shipped.verify_issued_by(shipped)  # its own ECDSA-SHA512 signature verifies with the recognised key
    with pytest.raises((ValueError, Exception), match="explicit parameters"):
        x509.load_der_x509_certificate((GMRTD / "VN_CSCA_from_DE.der").read_bytes()).public_key()
    # the same certificate is in both lists, byte for byte
    for path in (DE_ML, NL_ML):
        listed = parse_master_list(path.read_bytes(), str(path))
        assert shipped.der in {c.der for c in listed.certificates}


def test_builtin_anchor_refuses_a_swapped_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from card_reader import builtin_trust

    monkeypatch.setattr(builtin_trust, "VN_CSCA_SHA256", "00" * 32)
    with pytest.raises(TrustStoreError, match="pinned"):
        builtin_trust.vn_csca()

"""Passive authentication (Doc 9303 Part 11 §5.1): data group hashes, the SOD signature, the chain.

Each step records its own check in the report, so a station can tell "tampered data group" from
"untrusted signer" from "no trust store configured".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from card_reader.files.sod import LDS_SECURITY_OBJECT, Sod
from card_reader.report import CardReport, Status
from card_reader.trust import TrustStore

_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class PassiveAuthFailure(Exception):
    pass


def _hash_name(name: str) -> str:
    name = name.replace("-", "").lower()
    if name not in _HASHES:
        raise PassiveAuthFailure(f"unsupported hash algorithm {name}")
    return name


def check_hashes(sod: Sod, groups: dict[int, bytes]) -> list[str]:
    """Problems with the data group hashes (empty when every group read matches the SOD)."""
    name = _hash_name(sod.hash_algorithm)
    problems = []
    for number, content in sorted(groups.items()):
        expected = sod.hashes.get(number)
        if expected is None:
            problems.append(f"DG{number} is not listed in EF.SOD")
        elif not hmac.compare_digest(hashlib.new(name, content).digest(), expected):
            problems.append(f"DG{number} hash differs from EF.SOD")
    return problems


def _verify_signature(key: object, signature: bytes, data: bytes, hash_name: str, algorithm: str,
                      params: object) -> None:
    chosen = _HASHES[hash_name]()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(chosen))
    elif isinstance(key, rsa.RSAPublicKey):
        if algorithm == "rsassa_pss":
            salt = params["salt_length"].native if params else chosen.digest_size  # type: ignore[index]
            key.verify(signature, data, padding.PSS(padding.MGF1(chosen), salt), chosen)
        else:
            key.verify(signature, data, padding.PKCS1v15(), chosen)
    else:
        raise PassiveAuthFailure(f"unsupported signer key {type(key).__name__}")


def _signer_certificate(sod: Sod, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for cert in sod.certificates:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer == ias["issuer"] and cert.serial_number == ias["serial_number"].native:
                return x509.load_der_x509_certificate(cert.dump())
        elif cert.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(cert.dump())
    raise PassiveAuthFailure("EF.SOD holds no document signer certificate matching its SignerInfo")


def verify_signature(sod: Sod) -> x509.Certificate:
    """Verify the CMS signature; returns the document signer certificate."""
    signers = sod.signed_data["signer_infos"]
    if len(signers) != 1:
        raise PassiveAuthFailure(f"EF.SOD has {len(signers)} signers, expected 1")
    signer = signers[0]
    certificate = _signer_certificate(sod, signer)
    digest_name = _hash_name(signer["digest_algorithm"]["algorithm"].native)
    attrs = signer["signed_attrs"]
    if not attrs.native:
        raise PassiveAuthFailure("EF.SOD SignerInfo has no signed attributes")
    by_type = {a["type"].native: a["values"] for a in attrs}
    content_type = by_type.get("content_type")
    if content_type is None or content_type[0].dotted != LDS_SECURITY_OBJECT:
        raise PassiveAuthFailure("signed content-type attribute is not LDSSecurityObject")
    digest = by_type.get("message_digest")
    if digest is None or not hmac.compare_digest(bytes(digest[0].native),
                                                 hashlib.new(digest_name, sod.raw_content).digest()):
        raise PassiveAuthFailure("message-digest attribute does not match the LDSSecurityObject")
    algorithm = signer["signature_algorithm"]
    try:
        _verify_signature(certificate.public_key(), bytes(signer["signature"].native), b"\x31" + attrs.dump()[1:],
                          digest_name, algorithm.signature_algo, algorithm["parameters"])
    except InvalidSignature:
        raise PassiveAuthFailure("the SOD signature does not verify with the document signer key") from None
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise PassiveAuthFailure(f"cannot verify the SOD signature: {exc}") from None
    return certificate


def _valid_now(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _key_identifier(cert: x509.Certificate, authority: bool) -> bytes | None:
    try:
        if authority:
            return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def verify_chain(ds: x509.Certificate, store: TrustStore, now: dt.datetime | None = None) -> x509.Certificate:
    """The CSCA in `store` that issued `ds` (signature checked, CRLs applied); PassiveAuthFailure otherwise."""
    now = now or dt.datetime.now(dt.UTC)
    aki = _key_identifier(ds, authority=True)
    candidates = [c for c in store.certificates if c.subject == ds.issuer
                  and (aki is None or _key_identifier(c, authority=False) in (None, aki))]
    if not candidates:
        raise PassiveAuthFailure(f"no CSCA in the trust store for issuer {ds.issuer.rfc4514_string()}")
    errors = []
    for csca in candidates:
        try:
            ds.verify_directly_issued_by(csca)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            errors.append(f"signature by {csca.subject.rfc4514_string()} does not verify ({exc or 'bad'})")
            continue
        if not _valid_now(csca, now):
            errors.append("the CSCA certificate is outside its validity period")
            continue
        if not _valid_now(ds, now):
            errors.append("the document signer certificate is outside its validity period")
            continue
        _check_crls(ds, csca, store)
        return csca
    raise PassiveAuthFailure("; ".join(errors))


def _check_crls(ds: x509.Certificate, csca: x509.Certificate, store: TrustStore) -> None:
    for crl in store.crls:
        if crl.issuer != csca.subject:
            continue
        if not crl.is_signature_valid(csca.public_key()):  # type: ignore[arg-type]
            raise PassiveAuthFailure("a CRL for this CSCA has an invalid signature")
        if crl.get_revoked_certificate_by_serial_number(ds.serial_number) is not None:
            raise PassiveAuthFailure("the document signer certificate is revoked (CRL)")


def passive_authentication(report: CardReport, sod: Sod | None, groups: dict[int, bytes],
                           store: TrustStore | None) -> None:
    """Record the checks `data_group_hashes`, `sod_signature`, `csca_chain`, `passive_authentication`."""
    if sod is None:
        for name in ("data_group_hashes", "sod_signature", "csca_chain", "passive_authentication"):
            report.add(name, Status.NOT_RUN, "EF.SOD was not read")
        return
    try:
        problems = check_hashes(sod, groups)
    except PassiveAuthFailure as exc:
        problems = [str(exc)]
    report.add("data_group_hashes", Status.FAILED if problems else Status.PASSED,
               "; ".join(problems) or f"{', '.join(f'DG{n}' for n in sorted(groups))} match EF.SOD")
    try:
        ds = verify_signature(sod)
        report.add("sod_signature", Status.PASSED, f"signed by {ds.subject.rfc4514_string()}")
    except PassiveAuthFailure as exc:
        report.add("sod_signature", Status.FAILED, str(exc))
        ds = None
    if ds is None:
        report.add("csca_chain", Status.NOT_RUN, "the SOD signature did not verify")
    elif store is None or not store.certificates:
        report.add("csca_chain", Status.NOT_RUN, "no trust store (CSCA certificates) configured")
    else:
        try:
            csca = verify_chain(ds, store)
            report.add("csca_chain", Status.PASSED, f"chains to {csca.subject.rfc4514_string()}")
        except PassiveAuthFailure as exc:
            report.add("csca_chain", Status.FAILED, str(exc))
    parts = [report.check(n) for n in ("data_group_hashes", "sod_signature", "csca_chain")]
    if any(p and p.status == Status.FAILED for p in parts):
        report.add("passive_authentication", Status.FAILED, "see the failed checks above")
    elif all(p and p.status == Status.PASSED for p in parts):
        report.add("passive_authentication", Status.PASSED, "data is as signed by a trusted CSCA")
    else:
        report.add("passive_authentication", Status.NOT_RUN, "the chain to a CSCA could not be checked")

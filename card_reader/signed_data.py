"""CMS SignedData verification shared by EF.SOD and ICAO master lists (RFC 5652 §5.4, §5.6).

One signer, signed attributes required: content-type must name the expected content, the
message digest must match the encapsulated content, and the signature over the DER SET of the
attributes must verify with the signer certificate (found by issuer+serial or key identifier
among the certificates the SignedData carries). Failures are `CertProblem`s with codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from asn1crypto import cms

from card_reader.certs import HASHES, Cert, CertProblem, algorithm_name, load_certificate, verify_signature


@dataclass(frozen=True)
class SignedDataResult:
    signer: Cert
    signing_time: dt.datetime | None
    digest_algorithm: str
    signature_algorithm: str
    certificates: tuple[Cert, ...]  # every usable certificate the SignedData carries


def carried_certificates(signed_data: cms.SignedData) -> list[Cert]:
    found: list[Cert] = []
    if signed_data["certificates"].native is None:
        return found
    for choice in signed_data["certificates"]:
        if choice.name != "certificate":
            continue
        try:
            found.append(load_certificate(choice.chosen, "CMS"))
        except CertProblem:
            continue  # a certificate nobody needs for this signature must not break it
    return found


def _find_signer(signer: cms.SignerInfo, certificates: list[Cert]) -> Cert:
    sid = signer["sid"]
    for cert in certificates:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer == ias["issuer"] and cert.serial == int(ias["serial_number"].native):
                return cert
        elif cert.ski == bytes(sid.chosen.native):
            return cert
    raise CertProblem("cms.no_signer_certificate")


def verify_signed_data(signed_data: cms.SignedData, content_type: str, content: bytes) -> SignedDataResult:
    """Verify a one-signer SignedData over `content`; returns its signer and signing time."""
    signers = signed_data["signer_infos"]
    if len(signers) != 1:
        raise CertProblem("cms.signer_count", count=len(signers))
    signer = signers[0]
    certificates = carried_certificates(signed_data)
    certificate = _find_signer(signer, certificates)
    digest_name = signer["digest_algorithm"]["algorithm"].native.replace("-", "").lower()
    if digest_name not in HASHES:
        raise CertProblem("cert.signature_algorithm_unsupported", algorithm=digest_name)
    attrs = signer["signed_attrs"]
    if not attrs.native:
        raise CertProblem("cms.no_signed_attributes")
    by_type = {a["type"].native: a["values"] for a in attrs}
    declared = by_type.get("content_type")
    if declared is None or declared[0].dotted != content_type:
        raise CertProblem("cms.content_type", expected=content_type,
                          found=declared[0].dotted if declared else "-")
    digest = by_type.get("message_digest")
    if digest is None or not hmac.compare_digest(bytes(digest[0].native), hashlib.new(digest_name, content).digest()):
        raise CertProblem("cms.message_digest")
    algorithm = signer["signature_algorithm"]
    verify_signature(certificate.key, algorithm, bytes(signer["signature"].native),
                     b"\x31" + attrs.dump()[1:], digest_hint=digest_name)
    signing_time = by_type.get("signing_time")
    return SignedDataResult(certificate, signing_time[0].native if signing_time else None, digest_name,
                            algorithm_name(algorithm, digest_name), tuple(certificates))

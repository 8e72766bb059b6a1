"""EF.SOD: CMS SignedData over the LDSSecurityObject (the hash of every data group)."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509

from card_reader import tlv
from card_reader.errors import CardDataError

LDS_SECURITY_OBJECT = "2.23.136.1.1.1"


class _DataGroupHash(core.Sequence):
    _fields = [("number", core.Integer), ("hash", core.OctetString)]


class _DataGroupHashes(core.SequenceOf):
    _child_spec = _DataGroupHash


class LdsSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("hashes", _DataGroupHashes),
        ("version_info", core.Any, {"optional": True}),
    ]


@dataclass
class Sod:
    signed_data: cms.SignedData
    hash_algorithm: str
    hashes: dict[int, bytes]
    certificates: list[x509.Certificate]
    raw_content: bytes


def parse_sod(data: bytes) -> Sod:
    try:
        info = cms.ContentInfo.load(tlv.unwrap(data, 0x77))
        if info["content_type"].native != "signed_data":
            raise CardDataError("EF.SOD", f"content type {info['content_type'].native}, expected signed data")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT:
            raise CardDataError("EF.SOD", f"encapsulated content {encap['content_type'].dotted} is not an "
                                          "LDSSecurityObject")
        raw = bytes(encap["content"])
        lds = LdsSecurityObject.load(raw)
        hashes = {int(h["number"].native): bytes(h["hash"].native) for h in lds["hashes"]}
        certificates = [c.chosen for c in signed["certificates"]] if signed["certificates"].native else []
        return Sod(signed, lds["hash_algorithm"]["algorithm"].native, hashes, certificates, raw)
    except CardDataError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CardDataError("EF.SOD", f"malformed CMS SignedData: {exc}") from None

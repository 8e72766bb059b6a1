"""Test helpers: ICAO master lists signed by a test PKI, with room for odd entries."""

from __future__ import annotations

import datetime as dt
import hashlib

from asn1crypto import cms, core
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from card_reader import testpki
from card_reader.masterlist import CSCA_MASTER_LIST

# A SEQUENCE holding INTEGER 5: valid DER, not a certificate (the "one unparseable entry").
NOT_A_CERTIFICATE = bytes.fromhex("3003020105")


class _AnySet(core.SetOf):
    _child_spec = core.Any


class _MasterList(core.Sequence):
    _fields = [("version", core.Integer), ("certificates", _AnySet)]


def master_list(entries: list[bytes], signer: testpki.TestPKI, signing_time: dt.datetime | None = None,
                tamper: bool = False) -> bytes:
    """A CMS SignedData over a CscaMasterList of `entries` (DER blobs, any of them broken), signed by
    `signer`'s document-signer key (standing in for a master-list signer) under its CSCA."""
    content = _MasterList({"version": 0, "certificates": [core.Any.load(e) for e in entries]}).dump()
    digest = hashlib.sha256(content).digest()
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [CSCA_MASTER_LIST]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time or dt.datetime.now(dt.UTC).replace(microsecond=0)})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
    ])
    signature = signer.ds_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    ds = cms.Certificate.load(signer.ds_der)
    signed = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": CSCA_MASTER_LIST, "content": content},
        "certificates": [ds, cms.Certificate.load(signer.csca_der)],
        "signer_infos": [{
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": ds.issuer, "serial_number": ds.serial_number}},
            "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"}, "signature": signature,
        }],
    })
    data = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    if tamper:  # flip one bit inside the listed content: the message digest no longer matches
        position = data.find(content) + len(content) // 2
        data = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]
    return data

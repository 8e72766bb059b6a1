"""Signing tree heads with the exam authority's key, and checking them with its certificate.

The key is the one that signs result packages (`[results] signing_key` / `signing_cert`, or the
demo signer in the instance folder), so one certificate vouches for both. The signed bytes are
a fixed, versioned serialisation of (log, tree size, root hash, timestamp in ms), the fields of
RFC 9162's TreeHeadDataV2 with the sitting's log in place of the log id.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from flask import Flask

from exam_server.authority import is_trusted, load_certificates, signer_paths, trust_path

HEAD_FORMAT = "exam-event-tree-head/1"


def head_bytes(chain: int, tree_size: int, root_hash: str, timestamp: int) -> bytes:
    body = {"format": HEAD_FORMAT, "log": chain, "tree_size": tree_size, "root_hash": root_hash,
            "timestamp": timestamp}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cert)

    def sign(self, message: bytes) -> str:
        if isinstance(self.key, rsa.RSAPrivateKey):
            raw = self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(raw).decode()


def load_signer(app: Flask) -> Signer:
    """The configured authority key (cached per app), else the demo signer."""
    cached = app.extensions.get("exam_event_signer")
    if cached is not None:
        return cached
    key_path, cert_path = signer_paths(app)
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path}: the signing key must be RSA or EC")
    signer = Signer(key, x509.load_pem_x509_certificate(Path(cert_path).read_bytes()))
    app.extensions["exam_event_signer"] = signer
    return signer


def trusted_certificates(app: Flask) -> list[x509.Certificate]:
    """Certificates whose keys may sign heads: the trust anchors, plus the configured signing
    certificate when an anchor issued it (a head is only as good as the anchor it chains to)."""
    anchors = load_certificates(trust_path(app))
    certs = list(anchors)
    _, cert_path = signer_paths(app)
    own = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    if own not in certs and is_trusted(own, anchors):
        certs.append(own)
    return certs


def verify_signature(certs: list[x509.Certificate], signer: str, message: bytes, signature: str) -> bool:
    """True when the certificate named by `signer` (fingerprint) is trusted and its key signed `message`."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return False
    for cert in certs:
        if fingerprint(cert) != signer:
            continue
        key = cert.public_key()
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
            else:
                return False
            return True
        except InvalidSignature:
            return False
    return False

"""DG15: the active authentication public key (RSA or EC SubjectPublicKeyInfo)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from card_reader import tlv
from card_reader.errors import CardDataError

AaPublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def parse_dg15(data: bytes) -> AaPublicKey:
    spki = tlv.unwrap(data, 0x6F)
    try:
        key = load_der_public_key(tlv.tlv(0x30, tlv.unwrap(spki, 0x30)))
    except (ValueError, TypeError) as exc:
        raise CardDataError("DG15", f"unreadable public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CardDataError("DG15", f"unsupported key type {type(key).__name__}")
    return key

"""Active authentication (Doc 9303 Part 11 §6.1): the chip signs our challenge with the DG15 key.

RSA signatures follow ISO/IEC 9796-2 digital signature scheme 1 (partial message recovery);
EC signatures are plain r||s (BSI TR-03111) over the challenge.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from card_reader.apdu import Command
from card_reader.channel import CardChannel
from card_reader.errors import AuthenticationFailedError
from card_reader.files.dg15 import AaPublicKey
from card_reader.oids import ECDSA_PLAIN_HASHES, ECDSA_X962_HASHES

# ISO/IEC 10118-3 hash identifiers used in the two-byte trailer "xx CC".
_TRAILER_HASHES = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
_CRYPTO_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                  "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def verify_rsa_9796_2(key: rsa.RSAPublicKey, challenge: bytes, signature: bytes) -> None:
    numbers = key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    value = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n)
    for candidate in (value, numbers.n - value):  # the signer may have sent min(s, n - s)
        recovered = candidate.to_bytes(k, "big")
        if recovered[-1] == 0xBC:
            name, trailer = "sha1", 1
        elif recovered[-1] == 0xCC and recovered[-2] in _TRAILER_HASHES:
            name, trailer = _TRAILER_HASHES[recovered[-2]], 2
        else:
            continue
        digest_size = hashlib.new(name).digest_size
        body = recovered.lstrip(b"\x00")
        if not body or body[0] & 0xC0 != 0x40:
            continue
        m1 = body[1 : len(body) - trailer - digest_size]
        digest = body[len(body) - trailer - digest_size : len(body) - trailer]
        if hashlib.new(name, m1 + challenge).digest() == digest:
            return
    raise AuthenticationFailedError("active authentication: RSA ISO 9796-2 signature does not verify")


def verify_ecdsa_plain(key: ec.EllipticCurvePublicKey, challenge: bytes, signature: bytes,
                       algorithm: str | None) -> None:
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise AuthenticationFailedError(f"active authentication: ECDSA signature of {len(signature)} bytes")
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    named = ECDSA_PLAIN_HASHES.get(algorithm or "") or ECDSA_X962_HASHES.get(algorithm or "")
    # Without an algorithm in DG14 the hash is not known: accept any SHA-2/SHA-1 that verifies.
    for name in [named] if named else ["sha256", "sha1", "sha384", "sha512", "sha224"]:
        try:
            key.verify(der, challenge, ec.ECDSA(_CRYPTO_HASHES[name]()))
            return
        except InvalidSignature:
            continue
    raise AuthenticationFailedError("active authentication: ECDSA signature does not verify")


def run_active_auth(channel: CardChannel, key: AaPublicKey, algorithm: str | None = None) -> None:
    """INTERNAL AUTHENTICATE with a fresh 8-byte challenge; raises AuthenticationFailedError."""
    challenge = secrets.token_bytes(8)
    signature = channel.expect_ok(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256), "INTERNAL AUTHENTICATE")
    if isinstance(key, rsa.RSAPublicKey):
        verify_rsa_9796_2(key, challenge, signature)
    else:
        verify_ecdsa_plain(key, challenge, signature, algorithm)

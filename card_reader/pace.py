"""PACE v2 with ECDH generic mapping (ICAO Doc 9303 Part 11 §4.4), shared by terminal and chip.

Steps: (1) the chip sends z = E(Kπ, s); (2) both exchange mapping keys and compute
G' = s·G + H; (3) both exchange ephemeral keys on G' and derive KSenc/KSmac from the shared x;
(4) both exchange authentication tokens T = MAC(KSmac, PK of the other side).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from card_reader import tlv
from card_reader.crypto import KDF_ENC, KDF_MAC, KDF_PACE, Cipher, equal, pad
from card_reader.ec import Curve, Point
from card_reader.errors import AuthenticationFailedError
from card_reader.oids import cipher_for, oid_bytes
from card_reader.sm import SecureMessaging

PASSWORD_MRZ = 1
PASSWORD_CAN = 2


def password_secret(password_type: int, value: str) -> bytes:
    """f(π): SHA-1(MRZ_information) for the MRZ, the ASCII CAN itself for a CAN."""
    if password_type == PASSWORD_MRZ:
        return hashlib.sha1(value.encode("ascii")).digest()  # noqa: S324 (Doc 9303)
    return value.encode("ascii")


def password_key(cipher: Cipher, secret: bytes) -> bytes:
    """Kπ = KDF(f(π), 3)."""
    return cipher.derive(secret, KDF_PACE)


def encrypt_nonce(cipher: Cipher, k_pi: bytes, nonce: bytes) -> bytes:
    return cipher.encrypt(k_pi, nonce)


def decrypt_nonce(cipher: Cipher, k_pi: bytes, encrypted: bytes) -> bytes:
    return cipher.decrypt(k_pi, encrypted)


def map_generator(curve: Curve, nonce: bytes, private: int, other_public: Point) -> tuple[int, int]:
    """Generic mapping: G' = s·G + H with H = private·other_public."""
    shared = curve.multiply(private, other_public)
    if shared is None:
        raise AuthenticationFailedError("PACE mapping produced the point at infinity")
    mapped = curve.add(curve.multiply(int.from_bytes(nonce, "big"), curve.g), shared)
    if mapped is None:
        raise AuthenticationFailedError("PACE mapped generator is the point at infinity")
    return mapped


def shared_x(curve: Curve, private: int, other_public: Point) -> bytes:
    if other_public is None:
        raise AuthenticationFailedError("ECDH with the point at infinity")
    try:
        return curve.ecdh_x(private, other_public)
    except ValueError as exc:
        raise AuthenticationFailedError(f"ECDH failed: {exc}") from None


def public_key_data(oid: str, curve: Curve, point: Point) -> bytes:
    """The public key data object the authentication token is computed over (tag 7F49)."""
    return tlv.tlv(0x7F49, tlv.tlv(0x06, oid_bytes(oid)) + tlv.tlv(0x86, curve.encode(point)))


def auth_token(cipher: Cipher, ks_mac: bytes, oid: str, curve: Curve, other_public: Point) -> bytes:
    """MAC over the public key data object; CMAC pads by itself, the retail MAC needs ISO padding."""
    data = public_key_data(oid, curve, other_public)
    return cipher.mac(ks_mac, pad(data) if cipher.algorithm == "3DES" else data)


def session_keys(cipher: Cipher, secret: bytes) -> tuple[bytes, bytes]:
    return cipher.derive(secret, KDF_ENC), cipher.derive(secret, KDF_MAC)


def dynamic_data(tag: int, value: bytes = b"") -> bytes:
    """General Authenticate data: 7C { tag value } (7C 00 for an empty request)."""
    return tlv.tlv(0x7C, tlv.tlv(tag, value) if tag else b"")


def read_dynamic(data: bytes, tag: int) -> bytes:
    inner = tlv.parse(tlv.unwrap(data, 0x7C))
    if tag not in inner:
        raise AuthenticationFailedError(f"General Authenticate answer lacks data object {tag:X}")
    return inner[tag]


@dataclass
class PaceParty:
    """One side of a PACE-ECDH-GM run; the same state machine serves the terminal and the chip.

    terminal: decrypt the nonce (`receive_nonce`), then `mapping_key` → `map(chip's key)` →
    `ephemeral_key` → `agree(chip's key)` → `token`/`check_token`.
    chip: `new_nonce` instead of `receive_nonce`; the rest is the same.
    """

    oid: str
    curve: Curve
    secret: bytes  # f(π)
    cipher: Cipher = field(init=False)
    nonce: bytes = b""
    _map_private: int = 0
    _generator: Point = None
    _eph_private: int = 0
    eph_public: Point = None
    other_eph_public: Point = None
    ks_enc: bytes = b""
    ks_mac: bytes = b""

    def __post_init__(self) -> None:
        self.cipher = cipher_for(self.oid)

    @property
    def k_pi(self) -> bytes:
        return password_key(self.cipher, self.secret)

    def new_nonce(self) -> bytes:
        """Chip: choose s and return z = E(Kπ, s)."""
        self.nonce = secrets.token_bytes(self.cipher.block)
        return encrypt_nonce(self.cipher, self.k_pi, self.nonce)

    def receive_nonce(self, encrypted: bytes) -> None:
        self.nonce = decrypt_nonce(self.cipher, self.k_pi, encrypted)

    def mapping_key(self, private: int | None = None) -> bytes:
        self._map_private = private or secrets.randbelow(self.curve.n - 1) + 1
        return self.curve.encode(self.curve.multiply(self._map_private, self.curve.g))

    def map(self, other_mapping_key: bytes) -> None:
        other = self.curve.decode(other_mapping_key)
        self._generator = map_generator(self.curve, self.nonce, self._map_private, other)

    def ephemeral_key(self, private: int | None = None) -> bytes:
        self._eph_private = private or secrets.randbelow(self.curve.n - 1) + 1
        self.eph_public = self.curve.multiply(self._eph_private, self._generator)
        return self.curve.encode(self.eph_public)

    def agree(self, other_ephemeral_key: bytes) -> None:
        other = self.curve.decode(other_ephemeral_key)
        if other == self.eph_public:
            raise AuthenticationFailedError("PACE: the other side echoed our ephemeral key")
        self.other_eph_public = other
        self.ks_enc, self.ks_mac = session_keys(self.cipher, shared_x(self.curve, self._eph_private, other))

    def token(self) -> bytes:
        """Our token: MAC over the OTHER side's ephemeral public key."""
        return auth_token(self.cipher, self.ks_mac, self.oid, self.curve, self.other_eph_public)

    def check_token(self, token: bytes) -> None:
        expected = auth_token(self.cipher, self.ks_mac, self.oid, self.curve, self.eph_public)
        if not equal(expected, token):
            raise AuthenticationFailedError("PACE authentication token does not verify")

    def session(self) -> SecureMessaging:
        return SecureMessaging(self.cipher, self.ks_enc, self.ks_mac, 0)

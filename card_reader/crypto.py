"""Symmetric primitives of ICAO Doc 9303 Part 11: padding, KDF, 3DES/AES, retail MAC, CMAC.

SHA-1, single-DES steps and ECB below are what Doc 9303 prescribes (key derivation, the retail
MAC, the AES SM IV); they are not choices, hence the `noqa` marks.

A `Cipher` bundles what BAC, PACE, CA and secure messaging need for one algorithm family, so the
protocol code never branches on 3DES versus AES.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import CipherAlgorithm, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from card_reader.errors import SecureMessagingError

KDF_ENC = 1
KDF_MAC = 2
KDF_PACE = 3


def pad(data: bytes, block: int = 8) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros up to a block boundary."""
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise SecureMessagingError("padding (ISO 9797-1 method 2) missing after decryption")
    return stripped[:-1]


def adjust_des_parity(key: bytes) -> bytes:
    return bytes((b & 0xFE) | ((bin(b >> 1).count("1") + 1) & 1) for b in key)


def kdf(secret: bytes, counter: int, algorithm: str, key_bits: int = 128) -> bytes:
    """Doc 9303 Part 11 §9.7.1: key = H(secret || counter) cut to size.

    `algorithm` is "3DES" (SHA-1, 16 bytes, DES parity) or "AES" (SHA-1 for 128, SHA-256 for
    192/256 bits).
    """
    data = secret + counter.to_bytes(4, "big")
    if algorithm == "3DES":
        return adjust_des_parity(hashlib.sha1(data).digest()[:16])  # noqa: S324
    if algorithm != "AES":
        raise ValueError(f"unknown cipher {algorithm!r}")
    if key_bits == 128:
        return hashlib.sha1(data).digest()[:16]  # noqa: S324
    return hashlib.sha256(data).digest()[: key_bits // 8]


def _run(algorithm: CipherAlgorithm, mode: modes.CBC | modes.ECB, data: bytes, encrypt: bool) -> bytes:
    c = _Cipher(algorithm, mode)
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def _des_key(key: bytes) -> TripleDES:
    """3DES with an 8- or 16-byte key, expanded to the 24-byte form (K1 K2 K1 / K K K)."""
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]
    return TripleDES(key)


def tdes_cbc(key: bytes, data: bytes, encrypt: bool, iv: bytes = bytes(8)) -> bytes:
    return _run(_des_key(key), modes.CBC(iv), data, encrypt)


def aes_cbc(key: bytes, data: bytes, encrypt: bool, iv: bytes = bytes(16)) -> bytes:
    return _run(algorithms.AES(key), modes.CBC(iv), data, encrypt)


def aes_ecb_block(key: bytes, block: bytes) -> bytes:
    return _run(algorithms.AES(key), modes.ECB(), block, True)  # noqa: S305


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (the 'retail MAC'); `data` already padded."""
    ka, kb = key[:8], key[8:16]
    chained = _run(_des_key(ka), modes.CBC(bytes(8)), data, True)[-8:]
    chained = _run(_des_key(kb), modes.ECB(), chained, False)  # noqa: S305
    return _run(_des_key(ka), modes.ECB(), chained, True)  # noqa: S305


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC truncated to 8 bytes, as Doc 9303 uses it."""
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:8]


def equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


@dataclass(frozen=True)
class Cipher:
    """One SM/PACE/CA algorithm family: "3DES" or "AES" with its key length."""

    algorithm: str  # "3DES" or "AES"
    key_bits: int = 128

    @property
    def block(self) -> int:
        return 8 if self.algorithm == "3DES" else 16

    def derive(self, secret: bytes, counter: int) -> bytes:
        return kdf(secret, counter, self.algorithm, self.key_bits)

    def encrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        if self.algorithm == "3DES":
            return tdes_cbc(key, data, True, iv or bytes(8))
        return aes_cbc(key, data, True, iv or bytes(16))

    def decrypt(self, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
        if len(data) % self.block:
            raise SecureMessagingError(f"cryptogram of {len(data)} bytes is not a multiple of the block")
        if self.algorithm == "3DES":
            return tdes_cbc(key, data, False, iv or bytes(8))
        return aes_cbc(key, data, False, iv or bytes(16))

    def mac(self, key: bytes, data: bytes) -> bytes:
        """MAC over `data`, which the caller has padded to the block size."""
        return retail_mac(key, data) if self.algorithm == "3DES" else aes_cmac(key, data)


TDES = Cipher("3DES", 128)
AES128 = Cipher("AES", 128)
AES192 = Cipher("AES", 192)
AES256 = Cipher("AES", 256)

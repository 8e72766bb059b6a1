"""Basic access control (ICAO Doc 9303 Part 11 §4.3): key derivation and the mutual authentication
cryptogram, symmetric so the terminal and the virtual chip share it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from card_reader.crypto import KDF_ENC, KDF_MAC, TDES, equal, pad, retail_mac, tdes_cbc
from card_reader.errors import AuthenticationFailedError
from card_reader.sm import SecureMessaging


def document_keys(key_seed: bytes) -> tuple[bytes, bytes]:
    """(Kenc, Kmac) from Kseed."""
    return TDES.derive(key_seed, KDF_ENC), TDES.derive(key_seed, KDF_MAC)


def seal(k_enc: bytes, k_mac: bytes, plain: bytes) -> bytes:
    """E(Kenc, plain) || MAC(Kmac, E) — the 40-byte EXTERNAL AUTHENTICATE body and answer."""
    cryptogram = tdes_cbc(k_enc, plain, True)
    return cryptogram + retail_mac(k_mac, pad(cryptogram))


def open_sealed(k_enc: bytes, k_mac: bytes, data: bytes) -> bytes:
    """Check the MAC and decrypt `seal`'s output; AuthenticationFailedError if it does not verify."""
    if len(data) != 40:
        raise AuthenticationFailedError(f"BAC cryptogram of {len(data)} bytes, expected 40")
    cryptogram, mac = data[:32], data[32:]
    if not equal(retail_mac(k_mac, pad(cryptogram)), mac):
        raise AuthenticationFailedError("BAC cryptogram MAC does not verify")
    return tdes_cbc(k_enc, cryptogram, False)


def session(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> SecureMessaging:
    """The SM session both sides derive after a successful BAC."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    ssc = int.from_bytes(rnd_icc[4:] + rnd_ifd[4:], "big")
    return SecureMessaging(TDES, TDES.derive(seed, KDF_ENC), TDES.derive(seed, KDF_MAC), ssc)


@dataclass
class TerminalBac:
    """The terminal's half: `challenge_response` builds the EXTERNAL AUTHENTICATE data from the
    chip's GET CHALLENGE answer, `finish` checks the chip's answer and returns the session."""

    k_enc: bytes
    k_mac: bytes
    rnd_ifd: bytes = b""
    k_ifd: bytes = b""
    rnd_icc: bytes = b""

    @classmethod
    def from_seed(cls, key_seed: bytes) -> TerminalBac:
        return cls(*document_keys(key_seed))

    def challenge_response(self, rnd_icc: bytes, rnd_ifd: bytes | None = None,
                           k_ifd: bytes | None = None) -> bytes:
        self.rnd_icc = rnd_icc
        self.rnd_ifd = rnd_ifd or secrets.token_bytes(8)
        self.k_ifd = k_ifd or secrets.token_bytes(16)
        return seal(self.k_enc, self.k_mac, self.rnd_ifd + rnd_icc + self.k_ifd)

    def finish(self, answer: bytes) -> SecureMessaging:
        plain = open_sealed(self.k_enc, self.k_mac, answer)
        if plain[:8] != self.rnd_icc or plain[8:16] != self.rnd_ifd:
            raise AuthenticationFailedError("BAC: the chip's answer does not echo the nonces")
        return session(self.k_ifd, plain[16:32], self.rnd_icc, self.rnd_ifd)


def chip_answer(k_enc: bytes, k_mac: bytes, rnd_icc: bytes, command_data: bytes,
                k_icc: bytes | None = None) -> tuple[bytes, SecureMessaging]:
    """The chip's half: check EXTERNAL AUTHENTICATE data, return (answer, session).

    Raises AuthenticationFailedError (the chip answers 6300) when the MAC or RND.ICC is wrong.
    """
    plain = open_sealed(k_enc, k_mac, command_data)
    rnd_ifd, echoed, k_ifd = plain[:8], plain[8:16], plain[16:32]
    if echoed != rnd_icc:
        raise AuthenticationFailedError("BAC: RND.ICC not echoed")
    k_icc = k_icc or secrets.token_bytes(16)
    answer = seal(k_enc, k_mac, rnd_icc + rnd_ifd + k_icc)
    return answer, session(k_ifd, k_icc, rnd_icc, rnd_ifd)

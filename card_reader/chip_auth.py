"""Chip authentication (Doc 9303 Part 11 §6.2): static ECDH with the DG14 key, then fresh SM keys.

A cloned chip can copy DG14 but not the private key, so it cannot derive the new session keys:
the first command after the switch then fails its MAC check.
"""

from __future__ import annotations

from card_reader import tlv
from card_reader.apdu import Command
from card_reader.channel import CardChannel
from card_reader.errors import AuthenticationFailedError
from card_reader.files.security_infos import ChipAuthInfo, ChipAuthPublicKey, SecurityInfos
from card_reader.oids import ID_CA_ECDH, cipher_for, oid_bytes
from card_reader.pace import session_keys, shared_x
from card_reader.sm import SecureMessaging


def choose(infos: SecurityInfos) -> tuple[ChipAuthInfo, ChipAuthPublicKey]:
    keys = [k for k in infos.chip_auth_keys if k.curve is not None]
    for info in infos.chip_auth:
        if not info.protocol.startswith(ID_CA_ECDH + "."):
            continue
        for key in keys:
            if info.key_id is None or key.key_id is None or info.key_id == key.key_id:
                return info, key
    if keys and not infos.chip_auth:  # CA v1 cards may list only the key (3DES implied)
        return ChipAuthInfo(ID_CA_ECDH + ".1", 1, keys[0].key_id), keys[0]
    raise AuthenticationFailedError("DG14 offers no ECDH chip authentication this reader supports")


def run_chip_auth(channel: CardChannel, info: ChipAuthInfo, key: ChipAuthPublicKey) -> None:
    """Key agreement with the chip's static key; switches `channel` to the new SM session."""
    curve = key.curve
    assert curve is not None
    private, public = curve.keypair()
    secret = shared_x(curve, private, curve.decode(key.point))
    cipher = cipher_for(info.protocol)
    key_ref = tlv.tlv(0x84, key.key_id.to_bytes(max(1, (key.key_id.bit_length() + 7) // 8), "big")) \
        if key.key_id is not None else b""
    encoded = curve.encode(public)
    if cipher.algorithm == "3DES":
        channel.expect_ok(Command(0x00, 0x22, 0x41, 0xA6, tlv.tlv(0x91, encoded) + key_ref),
                          "MSE:Set KAT (chip authentication)")
    else:
        channel.expect_ok(Command(0x00, 0x22, 0x41, 0xA4, tlv.tlv(0x80, oid_bytes(info.protocol)) + key_ref),
                          "MSE:Set AT (chip authentication)")
        channel.expect_ok(Command(0x00, 0x86, 0x00, 0x00, tlv.tlv(0x7C, tlv.tlv(0x80, encoded)), le=256),
                          "General Authenticate (chip authentication)")
    ks_enc, ks_mac = session_keys(cipher, secret)
    channel.sm = SecureMessaging(cipher, ks_enc, ks_mac, 0)

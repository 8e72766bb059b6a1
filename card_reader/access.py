"""Access control flows run by the terminal: SELECT the eMRTD application, BAC, PACE."""

from __future__ import annotations

from card_reader import tlv
from card_reader.apdu import Command
from card_reader.bac import TerminalBac
from card_reader.channel import CardChannel
from card_reader.ec import CURVES, STANDARD_PARAMETERS
from card_reader.errors import AuthenticationFailedError
from card_reader.files.security_infos import PaceInfo
from card_reader.mrz import AccessKey
from card_reader.oids import ID_PACE_ECDH_GM, oid_bytes
from card_reader.pace import (
    PaceParty,
    dynamic_data,
    password_secret,
    read_dynamic,
)

EMRTD_AID = bytes.fromhex("A0000002471001")


def select_application(channel: CardChannel) -> None:
    channel.expect_ok(Command(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID), "SELECT eMRTD application")


def select_master_file(channel: CardChannel) -> None:
    """SELECT MF (00 A4 00 0C 02 3F00); CCCD chips answer 6D00 (StatusWordError for the caller)."""
    channel.expect_ok(Command(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00"), "SELECT MF")


def run_bac(channel: CardChannel, key: AccessKey) -> None:
    """GET CHALLENGE + EXTERNAL AUTHENTICATE; opens a 3DES SM session on `channel`."""
    channel.sm = None
    rnd_icc = channel.expect_ok(Command(0x00, 0x84, 0x00, 0x00, le=8), "GET CHALLENGE")
    if len(rnd_icc) != 8:
        raise AuthenticationFailedError(f"GET CHALLENGE returned {len(rnd_icc)} bytes, expected 8")
    terminal = TerminalBac.from_seed(key.key_seed())
    answer = channel.expect_ok(Command(0x00, 0x82, 0x00, 0x00, terminal.challenge_response(rnd_icc), le=40),
                               "EXTERNAL AUTHENTICATE (BAC)")
    channel.sm = terminal.finish(answer)


def supported_pace(info: PaceInfo) -> bool:
    return (info.protocol.startswith(ID_PACE_ECDH_GM + ".")
            and STANDARD_PARAMETERS.get(info.parameter_id or -1) in CURVES)


def run_pace(channel: CardChannel, info: PaceInfo, password_type: int, password: str,
             _keys: tuple[int, int] | None = None) -> None:
    """PACE-ECDH-GM; `password` is the MRZ information or the CAN. `_keys` fixes the terminal's
    private keys (mapping, ephemeral) for the Doc 9303 worked example only."""
    channel.sm = None
    curve = CURVES[STANDARD_PARAMETERS[info.parameter_id or -1]]
    party = PaceParty(info.protocol, curve, password_secret(password_type, password))
    set_at = (tlv.tlv(0x80, oid_bytes(info.protocol)) + tlv.tlv(0x83, bytes([password_type]))
              + tlv.tlv(0x84, bytes([info.parameter_id or 0])))
    channel.expect_ok(Command(0x00, 0x22, 0xC1, 0xA4, set_at), "MSE:Set AT (PACE)")

    def exchange(tag: int, value: bytes, answer_tag: int, last: bool = False) -> bytes:
        # CLA 10 chains the General Authenticate steps; the token step ends the chain.
        command = Command(0x00 if last else 0x10, 0x86, 0x00, 0x00, dynamic_data(tag, value), le=256)
        return read_dynamic(channel.expect_ok(command, "General Authenticate (PACE)"), answer_tag)

    party.receive_nonce(exchange(0, b"", 0x80))
    party.map(exchange(0x81, party.mapping_key(_keys[0] if _keys else None), 0x82))
    party.agree(exchange(0x83, party.ephemeral_key(_keys[1] if _keys else None), 0x84))
    party.check_token(exchange(0x85, party.token(), 0x86, last=True))
    channel.sm = party.session()



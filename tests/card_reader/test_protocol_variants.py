"""Protocol variants the virtual chip does not offer: every PACE curve/cipher, and offsets > 32767."""

from __future__ import annotations

import pytest

from card_reader.access import run_pace
from card_reader.apdu import Command, Response
from card_reader.channel import CardChannel
from card_reader.ec import CURVES, STANDARD_PARAMETERS
from card_reader.errors import StatusWordError, WrongKeyError
from card_reader.files.security_infos import PaceInfo
from card_reader.pace import PASSWORD_CAN, PaceParty, dynamic_data, password_secret, read_dynamic
from card_reader.read_binary import BlockSizer, FileProgress, read_file
from card_reader.tlv import tlv, unwrap
from card_reader.transport import FunctionTransport


class PaceChip:
    """The chip's half of PACE-GM (the shared PaceParty), then READ BINARY of one big file under SM."""

    def __init__(self, oid: str, parameter: int, can: str, content: bytes = b"") -> None:
        self.party = PaceParty(oid, CURVES[STANDARD_PARAMETERS[parameter]], password_secret(PASSWORD_CAN, can))
        self.sm = None
        self.content = content
        self.odd_reads = 0

    def __call__(self, raw: bytes) -> bytes:
        command = Command.from_bytes(raw)
        if self.sm is not None:
            plain = self.sm.unwrap_command(command)
            return self.sm.wrap_response(self.read(plain), odd_ins=plain.ins == 0xB1).to_bytes()
        if command.ins == 0x22:
            return b"\x90\x00"
        step = tlv_tag(command.data)
        if step == 0:
            return dynamic_data(0x80, self.party.new_nonce()) + b"\x90\x00"
        if step == 0x81:
            ours = self.party.mapping_key()
            self.party.map(read_dynamic(command.data, 0x81))
            return dynamic_data(0x82, ours) + b"\x90\x00"
        if step == 0x83:
            ours = self.party.ephemeral_key()
            self.party.agree(read_dynamic(command.data, 0x83))
            return dynamic_data(0x84, ours) + b"\x90\x00"
        try:
            self.party.check_token(read_dynamic(command.data, 0x85))
        except Exception:
            return b"\x63\x00"
        self.sm = self.party.session()
        return dynamic_data(0x86, self.party.token()) + b"\x90\x00"

    def read(self, command: Command) -> Response:
        if command.ins == 0xB1:
            self.odd_reads += 1
            offset = int.from_bytes(unwrap(command.data, 0x54), "big")
            return Response(tlv(0x53, self.content[offset : offset + (command.le or 256)]), 0x9000)
        offset = 0 if command.p1 & 0x80 else (command.p1 << 8) | command.p2
        return Response(self.content[offset : offset + (command.le or 256)], 0x9000)


def tlv_tag(data: bytes) -> int:
    inner = unwrap(data, 0x7C)
    return inner[0] if inner else 0


@pytest.mark.parametrize("parameter", [12, 13, 15, 16, 17, 18])
@pytest.mark.parametrize("cipher", ["2", "3", "4"])
def test_pace_on_every_curve_and_cipher(parameter: int, cipher: str) -> None:
    oid = f"0.4.0.127.0.7.2.2.4.2.{cipher}"
    chip = PaceChip(oid, parameter, "123456")
    channel = CardChannel(FunctionTransport(chip))
    run_pace(channel, PaceInfo(oid, 2, parameter), PASSWORD_CAN, "123456")
    assert channel.sm is not None and channel.sm.ks_enc == chip.sm.ks_enc
    assert channel.sm.cipher.key_bits == {"2": 128, "3": 192, "4": 256}[cipher]


def test_pace_with_a_wrong_can_is_a_wrong_key() -> None:
    oid = "0.4.0.127.0.7.2.2.4.2.2"
    channel = CardChannel(FunctionTransport(PaceChip(oid, 13, "123456")))
    with pytest.raises(WrongKeyError):
        run_pace(channel, PaceInfo(oid, 2, 13), PASSWORD_CAN, "654321")


@pytest.mark.parametrize("extended", [False, True])
def test_offsets_above_32767_use_read_binary_b1(extended: bool) -> None:
    body = bytes(range(256)) * 160  # 40 KB
    content = tlv(0x75, body)
    oid = "0.4.0.127.0.7.2.2.4.2.2"
    chip = PaceChip(oid, 13, "123456", content)
    channel = CardChannel(FunctionTransport(chip))
    run_pace(channel, PaceInfo(oid, 2, 13), PASSWORD_CAN, "123456")
    sizer = BlockSizer(extended=extended)
    assert read_file(channel, 0x0102, 0x02, FileProgress(), sizer, "DG2") == content
    # Short: the blocks past offset 32767 go through B1; extended: one READ BINARY from 0 does it all.
    assert (chip.odd_reads > 0) is not extended


def test_block_sizer_steps_down_and_never_loops() -> None:
    sizer = BlockSizer(extended=True)
    sizer.step_down(None, 65000)
    assert not sizer.extended and sizer.block(secure=True) == 223
    sizer.step_down(100, 223)  # 6C64: the chip's exact length
    assert sizer.block(secure=True) == 100
    sizer.step_down(256, 100)  # 6C00 would not shrink anything: halve instead
    assert sizer.block(secure=True) == 50
    with pytest.raises(StatusWordError):
        for _ in range(10):
            sizer.step_down(None, sizer.block(secure=True))

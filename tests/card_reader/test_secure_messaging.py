"""Secure messaging: AES and 3DES both ways, and the strictness a terminal needs."""

from __future__ import annotations

import secrets

import pytest

from card_reader.apdu import Command, Response
from card_reader.channel import CardChannel
from card_reader.crypto import AES128, AES256, TDES, Cipher
from card_reader.errors import SecureMessagingError
from card_reader.sm import SecureMessaging
from card_reader.tlv import tlv
from card_reader.transport import FunctionTransport


def pair(cipher: Cipher, ssc: int = 5) -> tuple[SecureMessaging, SecureMessaging]:
    size = 16 if cipher.algorithm == "3DES" else cipher.key_bits // 8
    enc, mac = secrets.token_bytes(size), secrets.token_bytes(size)
    return SecureMessaging(cipher, enc, mac, ssc), SecureMessaging(cipher, enc, mac, ssc)


@pytest.mark.parametrize("cipher", [TDES, AES128, AES256], ids=["3des", "aes128", "aes256"])
@pytest.mark.parametrize("command", [
    Command(0x00, 0xB0, 0x00, 0x10, le=223),
    Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x1e"),
    Command(0x00, 0xB1, 0x00, 0x00, tlv(0x54, b"\x80\x00"), le=200),
    Command(0x00, 0xB0, 0x00, 0x00, le=60000),
], ids=["read", "select", "odd-ins", "extended"])
def test_round_trip(cipher: Cipher, command: Command) -> None:
    terminal, chip = pair(cipher)
    received = chip.unwrap_command(Command.from_bytes(terminal.wrap_command(command).to_bytes()))
    assert (received.ins, received.p1, received.p2, received.data, received.le) == (
        command.ins, command.p1, command.p2, command.data, command.le)
    payload = secrets.token_bytes(223)
    answer = chip.wrap_response(Response(payload, 0x9000), odd_ins=bool(command.ins & 1))
    assert len(answer.to_bytes()) <= 258  # 223 bytes fit a short response
    assert terminal.unwrap_response(Response.from_bytes(answer.to_bytes())) == Response(payload, 0x9000)
    assert terminal.ssc == chip.ssc == 7


def test_224_bytes_do_not_fit_a_short_aes_response() -> None:
    _, chip = pair(AES128)
    assert len(chip.wrap_response(Response(bytes(224), 0x9000)).data) > 256


@pytest.mark.parametrize("cipher", [TDES, AES128], ids=["3des", "aes"])
def test_unprotected_status_word_is_refused(cipher: Cipher) -> None:
    terminal, _ = pair(cipher)
    terminal.wrap_command(Command(0x00, 0xB0, 0, 0, le=4))
    with pytest.raises(SecureMessagingError, match="unprotected status word 9000"):
        terminal.unwrap_response(Response(b"", 0x9000))


@pytest.mark.parametrize("cipher", [TDES, AES128], ids=["3des", "aes"])
def test_tampered_response_mac_is_refused(cipher: Cipher) -> None:
    terminal, chip = pair(cipher)
    chip.unwrap_command(terminal.wrap_command(Command(0x00, 0xB0, 0, 0, le=4)))
    good = chip.wrap_response(Response(b"\x60\x14\x5f\x01", 0x9000)).data
    bad = bytearray(good)
    bad[5] ^= 0x01
    with pytest.raises(SecureMessagingError, match="MAC does not verify"):
        terminal.unwrap_response(Response(bytes(bad), 0x9000))


def test_response_for_another_ssc_is_refused() -> None:
    terminal, chip = pair(AES128)
    chip.unwrap_command(terminal.wrap_command(Command(0x00, 0xB0, 0, 0, le=4)))
    chip.ssc += 2  # the chip answers as if an exchange had happened that the terminal never saw
    answer = chip.wrap_response(Response(b"abcd", 0x9000))
    with pytest.raises(SecureMessagingError):
        terminal.unwrap_response(answer)


def test_response_without_protected_status_or_with_extra_objects_is_refused() -> None:
    terminal, chip = pair(AES128)
    chip.unwrap_command(terminal.wrap_command(Command(0x00, 0xB0, 0, 0, le=4)))
    mac_only = tlv(0x8E, bytes(8))
    with pytest.raises(SecureMessagingError):
        terminal.unwrap_response(Response(mac_only, 0x9000))


def test_channel_drops_the_session_after_an_sm_error() -> None:
    terminal, _ = pair(AES128)
    channel = CardChannel(FunctionTransport(lambda _apdu: b"\x69\x88"))
    channel.sm = terminal
    with pytest.raises(SecureMessagingError) as caught:
        channel.send(Command(0x00, 0xB0, 0, 0, le=4))
    assert caught.value.params["sw"] == "6988"
    assert channel.sm is None


def test_chip_side_refuses_a_wrong_command_mac() -> None:
    terminal, chip = pair(TDES)
    wrapped = terminal.wrap_command(Command(0x00, 0xB0, 0, 0, le=4))
    data = bytearray(wrapped.data)
    data[-1] ^= 0xFF
    with pytest.raises(SecureMessagingError) as caught:
        chip.unwrap_command(Command(wrapped.cla, wrapped.ins, wrapped.p1, wrapped.p2, bytes(data), wrapped.le))
    assert caught.value.params["sw"] == "6988"


def test_response_chaining_61xx_is_collected_before_unwrapping() -> None:
    terminal, chip = pair(AES128)
    chip.ssc += 1  # the chip unwraps the command (not simulated here)
    protected = chip.wrap_response(Response(secrets.token_bytes(256), 0x9000)).to_bytes()
    pieces = [protected[:256] + b"\x61\x00", protected[256:]]
    channel = CardChannel(FunctionTransport(lambda _apdu: pieces.pop(0)))
    channel.sm = terminal
    assert len(channel.send(Command(0x00, 0x88, 0, 0, bytes(8), le=256)).data) == 256

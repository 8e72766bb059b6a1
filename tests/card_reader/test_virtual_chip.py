"""The virtual chip in-process, APDU by APDU, against the host's terminal-side primitives."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from card_reader import pace, tlv
from card_reader.active_auth import verify_ecdsa_plain, verify_rsa_9796_2
from card_reader.apdu import Command, Response
from card_reader.crypto import KDF_ENC, KDF_MAC
from card_reader.errors import AuthenticationFailedError, SecureMessagingError
from card_reader.mrz import AccessKey
from card_reader.oids import cipher_for, oid_bytes
from card_reader.sm import SecureMessaging
from card_reader.virtual import lds
from card_reader.virtual.chip import AID, VirtualChip
from card_reader.virtual.contents import build
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity
from card_reader.virtual.vpcd import CardRemoved
from tests.card_reader.chip_terminal import ChipTerminal

IDENTITY = Identity()
KEY = AccessKey(IDENTITY.document_number, IDENTITY.mrz_birth, IDENTITY.mrz_expiry)
DG1, COM, SOD, DG13, DG14, DG15 = 0x0101, 0x011E, 0x011D, 0x010D, 0x010E, 0x010F


@pytest.fixture
def terminal(make_chip) -> ChipTerminal:
    return ChipTerminal(make_chip(with_photo=False))


def test_select_mf_answers_6d00_and_card_access_is_readable_plain(terminal: ChipTerminal) -> None:
    assert terminal.raw(bytes.fromhex("00A4000C023F00")).sw == 0x6D00
    answer = terminal.raw(bytes.fromhex("00B09C0000"))  # short EF id 1C, before any selection
    assert answer.ok
    assert answer.data == terminal.chip.contents.files[lds.EF_CARD_ACCESS[0]]
    assert oid_bytes(lds.PACE_OID) in answer.data


def test_data_groups_need_access_control(terminal: ChipTerminal) -> None:
    assert terminal.raw(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x01")).sw == 0x6A82  # app not selected
    assert terminal.select_app().ok
    assert terminal.raw(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x01")).sw == 0x6982
    assert terminal.raw(Command(0x00, 0xB0, 0x81, 0x00, le=4)).sw == 0x6982
    assert terminal.raw(Command(0x00, 0xA4, 0x04, 0x0C, b"\xa0\x00")).sw == 0x6A82


def test_bac_then_secure_reading(terminal: ChipTerminal) -> None:
    assert terminal.bac(KEY).ok
    dg1 = terminal.read_file(DG1)
    assert dg1 == terminal.chip.contents.files[DG1]
    assert IDENTITY.mrz().replace("\n", "").encode() in dg1
    assert terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x0b")).sw == 0x6A82  # DG11 absent
    assert terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x03")).sw == 0x6982  # DG3: EAC


def test_bac_with_wrong_mrz_answers_6300(terminal: ChipTerminal) -> None:
    wrong = AccessKey(KEY.document_number, KEY.date_of_birth, "300101")
    assert terminal.bac(wrong).sw == 0x6300
    assert terminal.sm is None


def test_wrong_key_status_word_is_configurable(make_chip) -> None:
    terminal = ChipTerminal(make_chip(faults=Faults(wrong_key_sw=0x6982), with_photo=False))
    assert terminal.bac(AccessKey(KEY.document_number, "000101", KEY.date_of_expiry)).sw == 0x6982


@pytest.mark.parametrize(("password_type", "value"), [
    (pace.PASSWORD_MRZ, KEY.mrz_information()),
    (pace.PASSWORD_CAN, IDENTITY.can),
])
def test_pace_generic_mapping(terminal: ChipTerminal, password_type: int, value: str) -> None:
    assert terminal.pace(password_type, value).ok
    assert terminal.sm is not None and terminal.sm.cipher.algorithm == "AES"
    assert terminal.select_app().sw == 0x9000  # a plain SELECT AID ends the session...
    terminal.sm = None
    assert terminal.raw(Command(0x00, 0xB0, 0x9E, 0x00, le=4)).sw == 0x6982  # ...and files are closed again


def test_pace_reads_files(terminal: ChipTerminal) -> None:
    terminal.select_app()
    assert terminal.pace(pace.PASSWORD_CAN, IDENTITY.can).ok
    assert terminal.read_file(COM) == terminal.chip.contents.files[COM]
    assert terminal.read_file(DG13) == terminal.chip.contents.files[DG13]


def test_pace_with_wrong_can_answers_6300(terminal: ChipTerminal) -> None:
    assert terminal.pace(pace.PASSWORD_CAN, "000000").sw == 0x6300
    assert terminal.sm is None


def test_bad_mac_or_plain_command_ends_the_session(terminal: ChipTerminal) -> None:
    assert terminal.bac(KEY).ok
    wrapped = terminal.sm.wrap_command(Command(0x00, 0xB0, 0x00, 0x00, le=4))
    broken = wrapped.to_bytes()[:-2] + bytes([wrapped.to_bytes()[-2] ^ 1]) + b"\x00"
    assert terminal.raw(broken).sw == 0x6988
    assert terminal.chip.sm is None
    assert terminal.bac(KEY).ok
    assert terminal.raw(Command(0x00, 0xB0, 0x81, 0x00, le=4)).sw == 0x6982
    assert terminal.chip.sm is None


def test_read_binary_lengths_and_odd_ins(terminal: ChipTerminal) -> None:
    assert terminal.bac(KEY).ok
    size = len(terminal.chip.contents.files[DG13])
    terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x0d"))
    tail = terminal.send(Command(0x00, 0xB0, (size - 3) >> 8, (size - 3) & 0xFF, le=10))
    assert tail.sw == 0x6282 and len(tail.data) == 3
    assert terminal.send(Command(0x00, 0xB0, (size + 5) >> 8, (size + 5) & 0xFF, le=1)).sw == 0x6B00
    odd = terminal.send(Command(0x00, 0xB1, 0x00, 0x00, tlv.tlv(0x54, (10).to_bytes(2, "big")), le=20))
    assert odd.ok and tlv.unwrap(odd.data, 0x53) == terminal.chip.contents.files[DG13][10:30]
    by_sfi = terminal.send(Command(0x00, 0xB1, 0x00, 0x01, tlv.tlv(0x54, b"\x00\x02"), le=4))  # DG1 by short EF id
    assert tlv.unwrap(by_sfi.data, 0x53) == terminal.chip.contents.files[DG1][2:6]


def test_strict_short_mode(make_chip) -> None:
    terminal = ChipTerminal(make_chip(short_only=True))
    assert terminal.raw(Command(0x00, 0xB0, 0x9C, 0x00, le=1000)).sw == 0x6700  # extended refused
    assert terminal.bac(KEY).ok
    terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x02"))
    assert terminal.send(Command(0x00, 0xB0, 0x00, 0x00, le=223)).ok  # the largest block that fits
    assert terminal.send(Command(0x00, 0xB0, 0x00, 0x00, le=240)).sw == 0x6700  # SM answer > 256
    assert terminal.send(Command(0x00, 0xB0, 0x00, 0x00, le=2000)).sw == 0x6700


def test_max_read_answers_6cxx(make_chip) -> None:
    terminal = ChipTerminal(make_chip(max_read=100, with_photo=False))
    assert terminal.raw(Command(0x00, 0xB0, 0x9C, 0x00, le=200)).sw == 0x6C64
    assert terminal.raw(Command(0x00, 0xB0, 0x9C, 0x00, le=100)).sw in (0x9000, 0x6282)


def _aa_public(terminal: ChipTerminal):
    return load_der_public_key(tlv.unwrap(terminal.read_file(DG15), 0x6F))


def test_active_authentication_rsa_iso9796_2(make_chip) -> None:
    terminal = ChipTerminal(make_chip(with_photo=False))
    assert terminal.bac(KEY).ok
    challenge = bytes.fromhex("0102030405060708")
    assert terminal.raw(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256)).sw == 0x6982  # needs SM
    terminal.bac(KEY)
    answer = terminal.send(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256))
    assert answer.ok
    verify_rsa_9796_2(_aa_public(terminal), challenge, answer.data)


@pytest.mark.parametrize("clone", [False, True])
def test_active_authentication_ecdsa(make_chip, clone: bool) -> None:
    terminal = ChipTerminal(make_chip(aa="ecdsa", faults=Faults(clone=clone), with_photo=False))
    assert terminal.bac(KEY).ok
    assert oid_bytes(lds.AA_ECDSA_OID) in terminal.read_file(DG14)
    challenge = bytes(range(8))
    answer = terminal.send(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256))
    try:
        verify_ecdsa_plain(_aa_public(terminal), challenge, answer.data, lds.AA_ECDSA_OID)
        verified = True
    except AuthenticationFailedError:
        verified = False
    assert verified is not clone


@pytest.mark.parametrize("via", ["set-at-ga", "set-kat"])
def test_chip_authentication_switches_to_new_keys(terminal: ChipTerminal, via: str) -> None:
    assert terminal.pace(pace.PASSWORD_CAN, IDENTITY.can).ok
    assert terminal.send(Command(0x00, 0xA4, 0x04, 0x0C, AID)).ok  # PACE at MF level, then the app
    spki = dict(tlv.iter_tlv(tlv.unwrap(tlv.unwrap(terminal.read_file(DG14), 0x6E), 0x31)))
    assert spki  # the SecurityInfos SET parses
    chip_public = terminal.chip.contents.ca_key.public_key()
    ours = ec.generate_private_key(chip_public.curve)
    point = ours.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if via == "set-at-ga":
        assert terminal.send(Command(0x00, 0x22, 0x41, 0xA4, tlv.tlv(0x80, oid_bytes(lds.CA_OID)))).ok
        answer = terminal.send(Command(0x00, 0x86, 0x00, 0x00, pace.dynamic_data(0x80, point), le=256))
    else:
        answer = terminal.send(Command(0x00, 0x22, 0x41, 0xA6, tlv.tlv(0x91, point) + tlv.tlv(0x84, b"\x01")))
    assert answer.ok
    secret = ours.exchange(ec.ECDH(), chip_public)
    cipher = cipher_for(lds.CA_OID)
    terminal.sm = SecureMessaging(cipher, cipher.derive(secret, KDF_ENC), cipher.derive(secret, KDF_MAC), 0)
    assert terminal.read_file(DG1) == terminal.chip.contents.files[DG1]


def test_unprotected_response_mid_session_is_refused(make_chip) -> None:
    terminal = ChipTerminal(make_chip(faults=Faults(unprotected_at=2), with_photo=False))
    assert terminal.bac(KEY).ok
    assert terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x01")).ok
    with pytest.raises(SecureMessagingError):  # plain 9000 + data inside the session
        terminal.send(Command(0x00, 0xB0, 0x00, 0x00, le=4))


def test_bad_response_mac_is_refused(make_chip) -> None:
    terminal = ChipTerminal(make_chip(faults=Faults(bad_mac_at=1), with_photo=False))
    assert terminal.bac(KEY).ok
    with pytest.raises(SecureMessagingError, match="MAC"):
        terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x01"))


def test_removal_mid_read_happens_once(make_chip) -> None:
    terminal = ChipTerminal(make_chip(faults=Faults(remove_after=300)))
    assert terminal.bac(KEY).ok
    terminal.send(Command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x02"))
    terminal.send(Command(0x00, 0xB0, 0x00, 0x00, le=223))
    with pytest.raises(CardRemoved):
        terminal.send(Command(0x00, 0xB0, 0x00, 223, le=223))
    terminal.chip.power_on()  # back in the field: a new session, no second removal
    terminal.sm = None
    assert terminal.bac(KEY).ok
    assert len(terminal.read_file(0x0102)) == len(terminal.chip.contents.files[0x0102])


def test_no_extended_fault_fails_the_exchange(make_chip) -> None:
    chip = make_chip(faults=Faults(no_extended=True), with_photo=False)
    with pytest.raises(CardRemoved) as removed:
        chip.transmit(Command(0x00, 0xB0, 0x9C, 0x00, le=1000).to_bytes())
    assert removed.value.reinsert_after == 0.0
    assert chip.transmit(Command(0x00, 0xB0, 0x9C, 0x00, le=200).to_bytes())[-2:] in (b"\x90\x00", b"\x62\x82")


def test_long_protected_answer_is_chained_in_short_mode(make_chip) -> None:
    terminal = ChipTerminal(make_chip(short_only=True, with_photo=False))
    assert terminal.bac(KEY).ok
    challenge = bytes(range(8))
    first = terminal.raw(terminal.sm.wrap_command(Command(0x00, 0x88, 0x00, 0x00, challenge, le=256)))
    assert first.sw & 0xFF00 == 0x6100 and len(first.data) == 256
    body = first.data
    while True:
        more = terminal.raw(Command(0x00, 0xC0, 0x00, 0x00, le=(first.sw & 0xFF) or 256))
        body += more.data
        if more.sw & 0xFF00 != 0x6100:
            break
    answer = terminal.sm.unwrap_response(Response(body, more.sw))
    assert answer.ok
    verify_rsa_9796_2(_aa_public(terminal), challenge, answer.data)


def test_bac_only_chip_has_no_card_access(test_pki) -> None:
    terminal = ChipTerminal(VirtualChip(build(IDENTITY, test_pki, pace=False)))
    assert terminal.raw(bytes.fromhex("00B09C0000")).sw == 0x6A82
    assert terminal.bac(KEY).ok

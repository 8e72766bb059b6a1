"""The virtual CCCD chip: answers command APDUs the way an eMRTD with CCCD quirks does.

Access control (BAC, PACE-GM) opens a secure-messaging session; every file but EF.CardAccess
needs one. Under SM every command must be protected: a plain or badly MACed command ends the
session (6987/6988 plain), errors go back protected. Chip authentication switches the session
to new AES keys after its answer. Faults from `faults.Faults` are applied here and in the link.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
import secrets
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from card_reader import bac, pace, tlv
from card_reader.apdu import Command, Response
from card_reader.crypto import KDF_ENC, KDF_MAC
from card_reader.ec import CURVES, STANDARD_PARAMETERS
from card_reader.errors import AuthenticationFailedError, CardDataError, SecureMessagingError
from card_reader.oids import cipher_for, oid_bytes
from card_reader.sm import SecureMessaging
from card_reader.virtual import lds
from card_reader.virtual.contents import ChipContents
from card_reader.virtual.faults import Faults
from card_reader.virtual.vpcd import CardRemoved

log = logging.getLogger(__name__)

AID = bytes.fromhex("A0000002471001")
# ATR of a contactless ISO 14443-4 card as PC/SC part 3 builds it (3B 8n 80 01, historical bytes, TCK).
_HISTORICAL = bytes.fromhex("0000000077818100")
_ATR_BODY = bytes([0x80 | len(_HISTORICAL), 0x80, 0x01]) + _HISTORICAL
ATR = b"\x3b" + _ATR_BODY + bytes([functools.reduce(operator.xor, _ATR_BODY)])

SW_OK = 0x9000
SW_EOF = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY = 0x6982
SW_NO_EF = 0x6986
SW_NOT_FOUND = 0x6A82
SW_WRONG_PARAMS = 0x6A86
SW_WRONG_DATA = 0x6A80
SW_OFFSET = 0x6B00
SW_INS = 0x6D00
SW_CONDITIONS = 0x6985
SHORT_MAX = 256

# Files that exist but are protected by extended access control (terminal authentication).
EAC_PROTECTED = {0x0103, 0x0104}


@dataclass(frozen=True)
class ChipOptions:
    short_only: bool = False  # refuse extended-length APDUs and responses that need them
    max_read: int | None = None  # READ BINARY asking more answers 6Cxx with this length


class VirtualChip:
    def __init__(self, contents: ChipContents, options: ChipOptions | None = None,
                 faults: Faults | None = None) -> None:
        self.contents = contents
        self.options = options or ChipOptions()
        self.faults = faults or contents.faults
        self.apdu_count = 0
        self.bytes_sent = 0
        self.protected_responses = 0
        self._removal_done = False
        self._bac_keys = bac.document_keys(contents.access_key.key_seed())
        self.power_on()

    # ---- link interface ----------------------------------------------------------------------
    def atr(self) -> bytes:
        return ATR

    def power_on(self) -> None:
        self._reset_state()

    def power_off(self) -> None:
        self._reset_state()

    def _reset_state(self) -> None:
        self.app_selected = False
        self.current: int | None = None
        self.sm: SecureMessaging | None = None
        self._rnd_icc: bytes | None = None
        self._pace: pace.PaceParty | None = None
        self._pace_step = 0
        self._ca_oid: str | None = None
        self._pending_sm: SecureMessaging | None = None
        self._chained = b""  # the rest of a response fetched with GET RESPONSE
        self._read_limit: int | None = None  # largest plain READ BINARY answer that fits (short SM)

    def transmit(self, raw: bytes) -> bytes:
        """One command APDU in, its response out; CardRemoved when the card leaves instead."""
        self.apdu_count += 1
        if self.faults.slow:
            time.sleep(self.faults.slow / 1000)
        try:
            return self._transmit(raw)
        except CardRemoved:
            raise
        except Exception:  # a chip answers 6F00 rather than vanish; the traceback is for us
            log.exception("virtual chip: internal error on %s", raw.hex())
            self.sm = None
            return Response(b"", 0x6F00).to_bytes()

    def _transmit(self, raw: bytes) -> bytes:
        try:
            command = Command.from_bytes(raw)
        except CardDataError:
            return Response(b"", SW_WRONG_LENGTH).to_bytes()
        if command.needs_extended() and self.faults.no_extended:
            # Like readers without extended length (SCARD_E_NOT_TRANSACTED): the exchange fails.
            # vpcd can only fail an exchange by dropping the card, so it is back at once.
            raise CardRemoved("extended-length APDU", reinsert_after=0.0)
        if command.ins == 0xC0 and command.cla & 0x0C == 0:
            return self._get_response(command).to_bytes()
        self._chained = b""
        if command.cla & 0x0C == 0x0C:
            return self._chain(self._protected(command), command).to_bytes()
        if command.needs_extended() and self.options.short_only:
            return Response(b"", SW_WRONG_LENGTH).to_bytes()
        if self.sm is not None:
            self.sm = None  # a plain command ends the session
            if command.ins in (0xB0, 0xB1, 0x88) or (command.ins == 0xA4 and command.p1 != 0x04):
                return Response(b"", SW_SECURITY).to_bytes()
        return self._handle(command, protected=False).to_bytes()

    # ---- response chaining (ISO 7816-4: 61xx, GET RESPONSE) ------------------------------------
    def _chain(self, response: Response, outer: Command) -> Response:
        """In strict short mode, a protected answer over 256 bytes goes out in pieces."""
        if not self.options.short_only or outer.needs_extended() or len(response.data) <= SHORT_MAX:
            return response
        self._chained = response.data[SHORT_MAX:] + response.sw.to_bytes(2, "big")
        return Response(response.data[:SHORT_MAX], _more(len(self._chained) - 2))

    def _get_response(self, command: Command) -> Response:
        if not self._chained:
            return Response(b"", SW_CONDITIONS)
        rest, sw = self._chained[:-2], self._chained[-2:]
        piece, rest = rest[: command.le or SHORT_MAX], rest[command.le or SHORT_MAX :]
        if rest:
            self._chained = rest + sw
            return Response(piece, _more(len(rest)))
        self._chained = b""
        return Response(piece, int.from_bytes(sw, "big"))

    # ---- secure messaging --------------------------------------------------------------------
    def _protected(self, outer: Command) -> Response:
        sm = self.sm
        if sm is None:
            return Response(b"", 0x6987)
        try:
            command = sm.unwrap_command(outer)
        except SecureMessagingError as exc:
            self.sm = None
            return Response(b"", int(str(exc.params.get("sw", "6988")), 16))
        if outer.needs_extended() and self.options.short_only:
            response = Response(b"", SW_WRONG_LENGTH)
        else:
            # Strict short mode: a READ BINARY whose protected answer would not fit 256 bytes is refused.
            self._read_limit = _plain_fitting(sm.cipher.block) if self.options.short_only else None
            response = self._handle(command, protected=True)
            self._read_limit = None
        odd = command.ins & 1 == 1
        self.protected_responses += 1
        if self.protected_responses == self.faults.unprotected_at:
            sm.ssc += 1
            wrapped = response  # the fault: a plain answer inside the session
        else:
            wrapped = sm.wrap_response(response, odd_ins=odd)
        if self.protected_responses == self.faults.bad_mac_at:
            wrapped = Response(wrapped.data[:-1] + bytes([wrapped.data[-1] ^ 0xFF]), wrapped.sw)
        if self._pending_sm is not None:  # chip authentication: new keys from the next command on
            self.sm, self._pending_sm = self._pending_sm, None
        return wrapped

    # ---- dispatch ----------------------------------------------------------------------------
    def _handle(self, command: Command, protected: bool) -> Response:
        handler = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0xB1: self._read_binary,
            0x84: self._get_challenge,
            0x82: self._external_authenticate,
            0x22: self._manage_security_environment,
            0x86: self._general_authenticate,
            0x88: self._internal_authenticate,
        }.get(command.ins)
        if handler is None:
            return Response(b"", SW_INS)
        return handler(command, protected)

    # ---- files -------------------------------------------------------------------------------
    def _access(self, fid: int, protected: bool) -> int:
        """SW_OK if `fid` may be selected/read now, else the status word to answer."""
        if fid == lds.EF_CARD_ACCESS[0]:
            return SW_OK if fid in self.contents.files else SW_NOT_FOUND
        if not self.app_selected:
            return SW_NOT_FOUND
        if fid in EAC_PROTECTED:
            return SW_SECURITY
        if fid not in self.contents.files:
            return SW_NOT_FOUND
        return SW_OK if protected else SW_SECURITY

    def _select(self, command: Command, protected: bool) -> Response:
        if command.p1 == 0x04:
            if command.data != AID:
                return Response(b"", SW_NOT_FOUND)
            self.app_selected, self.current = True, None  # under SM (after PACE) the session stays
            return Response(b"", SW_OK)
        if command.p1 == 0x00 and command.data in (b"", b"\x3f\x00"):
            return Response(b"", SW_INS)  # CCCD quirk: SELECT MF is not supported
        if command.p1 not in (0x00, 0x02) or len(command.data) != 2:
            return Response(b"", SW_WRONG_PARAMS)
        fid = int.from_bytes(command.data, "big")
        status = self._access(fid, protected)
        if status == SW_OK:
            self.current = fid
        return Response(b"", status)

    def _read_binary(self, command: Command, protected: bool) -> Response:
        unknown = -1  # a short EF identifier the chip does not have
        target: int | None
        if command.ins == 0xB0 and command.p1 & 0x80:  # short EF identifier in P1, offset in P2
            target, offset = self.contents.sfi.get(command.p1 & 0x1F, unknown), command.p2
        elif command.ins == 0xB0:
            target, offset = self.current, (command.p1 << 8) | command.p2
        else:  # B1: offset in DO54; P1-P2 0000 = current EF, below 0020 a short EF id, else a file id
            try:
                offset = int.from_bytes(tlv.unwrap(command.data, 0x54), "big")
            except CardDataError:
                return Response(b"", SW_WRONG_DATA)
            p1p2 = (command.p1 << 8) | command.p2
            target = p1p2 if p1p2 >= 0x20 else self.contents.sfi.get(p1p2, unknown) if p1p2 else self.current
        if target is None:
            return Response(b"", SW_NO_EF)
        status = self._access(target, protected)
        if status != SW_OK:
            return Response(b"", status)
        self.current = target
        content = self.contents.files[self.current]
        wanted = command.le or SHORT_MAX
        if self.options.max_read is not None and wanted > self.options.max_read:
            return Response(b"", 0x6C00 | min(self.options.max_read, 0xFF))
        if offset > len(content):
            return Response(b"", SW_OFFSET)
        chunk = content[offset : offset + wanted]
        tag_overhead = 0 if command.ins == 0xB0 else len(tlv.tlv(0x53, chunk)) - len(chunk)
        if self._read_limit is not None and len(chunk) + tag_overhead > self._read_limit:
            return Response(b"", SW_WRONG_LENGTH)  # ask for a block that fits
        self._count_sent(len(chunk))
        status = SW_EOF if len(chunk) < wanted and wanted not in (SHORT_MAX, 65536) else SW_OK
        if command.ins == 0xB1:
            chunk = tlv.tlv(0x53, chunk)
        return Response(chunk, status)

    def _count_sent(self, size: int) -> None:
        limit = self.faults.remove_after
        if limit is not None and not self._removal_done and self.bytes_sent + size > limit:
            self._removal_done = True
            raise CardRemoved(f"removed after {self.bytes_sent} bytes", self.faults.reinsert_after)
        self.bytes_sent += size

    # ---- BAC ---------------------------------------------------------------------------------
    def _get_challenge(self, command: Command, protected: bool) -> Response:
        if command.le not in (8, None):
            return Response(b"", SW_WRONG_LENGTH)
        self._rnd_icc = secrets.token_bytes(8)
        return Response(self._rnd_icc, SW_OK)

    def _external_authenticate(self, command: Command, protected: bool) -> Response:
        if protected or self._rnd_icc is None or not self.app_selected:
            return Response(b"", SW_CONDITIONS)
        rnd_icc, self._rnd_icc = self._rnd_icc, None
        self._pending_sm = None
        try:
            answer, session = bac.chip_answer(*self._bac_keys, rnd_icc, command.data)
        except AuthenticationFailedError:
            return Response(b"", self.faults.wrong_key_sw)
        self.sm = session
        return Response(answer, SW_OK)

    # ---- PACE and chip authentication --------------------------------------------------------
    def _manage_security_environment(self, command: Command, protected: bool) -> Response:
        try:
            objects = tlv.parse(command.data)
        except CardDataError:
            return Response(b"", SW_WRONG_DATA)
        p1p2 = (command.p1 << 8) | command.p2
        if p1p2 == 0xC1A4 and not protected:
            return self._pace_set_at(objects)
        if p1p2 == 0x41A4 and protected:
            if objects.get(0x80) != oid_bytes(lds.CA_OID):
                return Response(b"", SW_WRONG_DATA)
            self._ca_oid = lds.CA_OID
            return Response(b"", SW_OK)
        if p1p2 == 0x41A6 and protected and 0x91 in objects:
            return self._chip_authenticate(objects[0x91], lds.CA_OID)
        return Response(b"", SW_WRONG_PARAMS)

    def _pace_set_at(self, objects: dict[int, bytes]) -> Response:
        if objects.get(0x80) != oid_bytes(lds.PACE_OID):
            return Response(b"", SW_WRONG_DATA)
        parameter = int.from_bytes(objects.get(0x84, bytes([lds.PACE_PARAM_BRAINPOOL_P256R1])), "big")
        if parameter != lds.PACE_PARAM_BRAINPOOL_P256R1:
            return Response(b"", SW_WRONG_DATA)
        password = objects.get(0x83, b"")
        if password == bytes([pace.PASSWORD_MRZ]):
            secret = pace.password_secret(pace.PASSWORD_MRZ, self.contents.mrz_information)
        elif password == bytes([pace.PASSWORD_CAN]):
            secret = pace.password_secret(pace.PASSWORD_CAN, self.contents.can)
        else:
            return Response(b"", SW_WRONG_DATA)
        self.sm = self._pending_sm = None
        self._pace = pace.PaceParty(lds.PACE_OID, CURVES[STANDARD_PARAMETERS[parameter]], secret)
        self._pace_step = 0
        return Response(b"", SW_OK)

    def _general_authenticate(self, command: Command, protected: bool) -> Response:
        if protected:
            if self._ca_oid is None:
                return Response(b"", SW_CONDITIONS)
            try:
                point = pace.read_dynamic(command.data, 0x80)
            except (CardDataError, AuthenticationFailedError):
                return Response(b"", SW_WRONG_DATA)
            return self._chip_authenticate(point, self._ca_oid, answer=pace.dynamic_data(0))
        party = self._pace
        if party is None:
            return Response(b"", SW_CONDITIONS)
        step, self._pace_step = self._pace_step, self._pace_step + 1
        try:
            if step == 0:
                return Response(pace.dynamic_data(0x80, party.new_nonce()), SW_OK)
            if step == 1:
                ours = party.mapping_key()
                party.map(pace.read_dynamic(command.data, 0x81))
                return Response(pace.dynamic_data(0x82, ours), SW_OK)
            if step == 2:
                ours = party.ephemeral_key()
                party.agree(pace.read_dynamic(command.data, 0x83))
                return Response(pace.dynamic_data(0x84, ours), SW_OK)
            if step == 3:
                self._pace = None
                try:
                    party.check_token(pace.read_dynamic(command.data, 0x85))
                except AuthenticationFailedError:
                    return Response(b"", self.faults.wrong_key_sw)
                answer = pace.dynamic_data(0x86, party.token())
                self.sm = party.session()
                return Response(answer, SW_OK)
        except (CardDataError, AuthenticationFailedError):
            self._pace = None
            return Response(b"", SW_WRONG_DATA)
        return Response(b"", SW_CONDITIONS)

    def _chip_authenticate(self, encoded_point: bytes, oid: str, answer: bytes = b"") -> Response:
        key = self.contents.ca_key
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, encoded_point)
        except ValueError:
            return Response(b"", SW_WRONG_DATA)
        secret = key.exchange(ec.ECDH(), peer)
        cipher = cipher_for(oid)
        self._pending_sm = SecureMessaging(cipher, cipher.derive(secret, KDF_ENC), cipher.derive(secret, KDF_MAC), 0)
        self._ca_oid = None
        return Response(answer, SW_OK)

    # ---- active authentication ---------------------------------------------------------------
    def _internal_authenticate(self, command: Command, protected: bool) -> Response:
        if not protected:
            return Response(b"", SW_SECURITY)
        if len(command.data) != 8:
            return Response(b"", SW_WRONG_DATA)
        key = self.contents.aa_key
        if isinstance(key, rsa.RSAPrivateKey):
            return Response(_iso9796_2_sign(key, command.data), SW_OK)
        der = key.sign(command.data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        return Response(r.to_bytes(size, "big") + s.to_bytes(size, "big"), SW_OK)


def _more(remaining: int) -> int:
    """61xx: xx more bytes wait for GET RESPONSE (00: 256 or more)."""
    return 0x6100 | (remaining if remaining < SHORT_MAX else 0)


def _protected_size(plain: int, block: int) -> int:
    """Bytes of the SM response data for `plain` bytes: DO87, DO99, DO8E."""
    value = 1 + (plain // block + 1) * block
    return 1 + len(tlv.encode_length(value)) + value + 4 + 10


@functools.cache
def _plain_fitting(block: int) -> int:
    """The most plain bytes whose protected answer fits a short response (231 for 3DES, 223 for AES)."""
    return max(n for n in range(SHORT_MAX) if _protected_size(n, block) <= SHORT_MAX)


def _iso9796_2_sign(key: rsa.RSAPrivateKey, challenge: bytes) -> bytes:
    """ISO/IEC 9796-2 scheme 1, partial message recovery, SHA-1 (trailer BC), M2 = the challenge."""
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    m1 = secrets.token_bytes(size - 2 - 20)
    digest = hashlib.sha1(m1 + challenge).digest()  # noqa: S324 — the hash of scheme 1 with trailer BC
    message = int.from_bytes(b"\x6a" + m1 + digest + b"\xbc", "big")
    return pow(message, numbers.d, n).to_bytes(size, "big")

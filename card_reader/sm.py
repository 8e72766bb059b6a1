"""Secure messaging (ISO/IEC 7816-4 SM as profiled by ICAO Doc 9303 Part 11 §9.8).

One `SecureMessaging` object holds a session's keys and send sequence counter (SSC). Both sides
use it: the terminal wraps commands and unwraps responses; the chip (card_reader.virtual)
unwraps commands and wraps responses. Each of the four operations increments the SSC once, so
both sides stay in step as long as every exchange is processed exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from card_reader import tlv
from card_reader.apdu import Command, Response
from card_reader.crypto import Cipher, aes_ecb_block, equal, pad, unpad
from card_reader.errors import CardDataError, SecureMessagingError

SM_CLA = 0x0C
SW_SM_OBJECTS_MISSING = 0x6987
SW_SM_OBJECTS_INCORRECT = 0x6988


def _odd(ins: int) -> bool:
    return bool(ins & 1)


@dataclass
class SecureMessaging:
    cipher: Cipher
    ks_enc: bytes
    ks_mac: bytes
    ssc: int = 0

    # ---- shared pieces -------------------------------------------------------------------
    def _ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.cipher.block, "big")

    def _iv(self) -> bytes | None:
        # AES: IV = E(KSenc, SSC) (§9.8.6.1); 3DES: zero IV.
        if self.cipher.algorithm == "AES":
            return aes_ecb_block(self.ks_enc, self._ssc_bytes())
        return None

    def _mac(self, data: bytes) -> bytes:
        return self.cipher.mac(self.ks_mac, pad(self._ssc_bytes() + data, self.cipher.block))

    def _encrypt_do(self, data: bytes, odd: bool) -> bytes:
        cryptogram = self.cipher.encrypt(self.ks_enc, pad(data, self.cipher.block), self._iv())
        return tlv.tlv(0x85, cryptogram) if odd else tlv.tlv(0x87, b"\x01" + cryptogram)

    def _decrypt_do(self, tag: int, value: bytes) -> bytes:
        if tag == 0x87:
            if not value or value[0] != 0x01:
                raise SecureMessagingError("DO87 without padding-content indicator 01")
            value = value[1:]
        return unpad(self.cipher.decrypt(self.ks_enc, value, self._iv()))

    # ---- terminal side -------------------------------------------------------------------
    def wrap_command(self, command: Command) -> Command:
        self.ssc += 1
        header = bytes([command.cla | SM_CLA, command.ins, command.p1, command.p2])
        body = b""
        if command.data:
            body += self._encrypt_do(command.data, _odd(command.ins))
        extended = command.needs_extended()
        if command.le is not None:
            size = 2 if extended else 1
            body += tlv.tlv(0x97, (command.le % (256**size)).to_bytes(size, "big"))
        mac = self._mac(pad(header, self.cipher.block) + body)
        body += tlv.tlv(0x8E, mac)
        return Command(header[0], header[1], header[2], header[3], body,
                       le=65536 if extended else 256, extended=extended or len(body) > 255)

    def unwrap_response(self, response: Response) -> Response:
        """Verify and decrypt a protected response; anything unprotected is refused."""
        self.ssc += 1
        if not response.data:
            raise SecureMessagingError(
                f"unprotected status word {response.sw:04X} while secure messaging is active",
                sw=f"{response.sw:04X}")
        try:
            objects = list(tlv.iter_tlv(response.data))
        except CardDataError as exc:
            raise SecureMessagingError(f"malformed SM response: {exc.detail}") from None
        mac_input = b""
        found: dict[int, bytes] = {}
        for tag, value in objects:
            if tag == 0x8E:
                break
            if tag not in (0x85, 0x87, 0x99):
                raise SecureMessagingError(f"unexpected data object {tag:X} in SM response")
            mac_input += tlv.tlv(tag, value)
            found[tag] = value
        mac = dict(objects).get(0x8E)
        if mac is None:
            raise SecureMessagingError("SM response without MAC (DO8E)")
        if objects[-1][0] != 0x8E:
            raise SecureMessagingError("data after the MAC in the SM response")
        if not equal(self._mac(mac_input), mac):
            raise SecureMessagingError("response MAC does not verify")
        status = found.get(0x99)
        if status is None or len(status) != 2:
            raise SecureMessagingError("SM response without protected status word (DO99)")
        data = b""
        for tag in (0x87, 0x85):
            if tag in found:
                data = self._decrypt_do(tag, found[tag])
        return Response(data, int.from_bytes(status, "big"))

    # ---- chip side -----------------------------------------------------------------------
    def unwrap_command(self, command: Command) -> Command:
        """Verify and decrypt a protected command (raises SecureMessagingError → answer 6988)."""
        self.ssc += 1
        if command.cla & SM_CLA != SM_CLA:
            raise SecureMessagingError("command without secure messaging", sw="6987")
        try:
            objects = list(tlv.iter_tlv(command.data))
        except CardDataError as exc:
            raise SecureMessagingError(f"malformed SM command: {exc.detail}", sw="6988") from None
        header = bytes([command.cla, command.ins, command.p1, command.p2])
        mac_input = pad(header, self.cipher.block)
        found: dict[int, bytes] = {}
        for tag, value in objects:
            if tag == 0x8E:
                break
            if tag not in (0x85, 0x87, 0x97):
                raise SecureMessagingError(f"unexpected data object {tag:X}", sw="6988")
            mac_input += tlv.tlv(tag, value)
            found[tag] = value
        mac = dict(objects).get(0x8E)
        if mac is None:
            raise SecureMessagingError("command without MAC (DO8E)", sw="6987")
        if not equal(self._mac(mac_input), mac):
            raise SecureMessagingError("command MAC does not verify", sw="6988")
        data = b""
        for tag in (0x87, 0x85):
            if tag in found:
                data = self._decrypt_do(tag, found[tag])
        le: int | None = None
        extended = False
        if 0x97 in found:
            raw = found[0x97]
            extended = len(raw) == 2
            le = int.from_bytes(raw, "big") or (65536 if extended else 256)
        return Command(command.cla & ~SM_CLA & 0xFF, command.ins, command.p1, command.p2, data, le,
                       extended=extended)

    def wrap_response(self, response: Response, odd_ins: bool = False) -> Response:
        self.ssc += 1
        body = self._encrypt_do(response.data, odd_ins) if response.data else b""
        body += tlv.tlv(0x99, response.sw.to_bytes(2, "big"))
        body += tlv.tlv(0x8E, self._mac(body))
        return Response(body, response.sw)

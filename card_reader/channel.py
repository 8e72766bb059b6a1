"""A card channel: APDUs in plain or through the open secure-messaging session.

Status words are mapped to exception classes here. Under secure messaging every response must be
protected; a failure discards the session (the chip drops it too), so the caller re-establishes
access control before the next command.
"""

from __future__ import annotations

from card_reader.apdu import Command, Response
from card_reader.errors import (
    AccessDeniedError,
    FileNotFoundOnCardError,
    SecureMessagingError,
    StatusWordError,
    WrongKeyError,
)
from card_reader.sm import SecureMessaging
from card_reader.transport import Transport

SW_WRONG_KEY = 0x6300
SW_ACCESS_DENIED = 0x6982
SW_FILE_NOT_FOUND = 0x6A82
MAX_GET_RESPONSE = 16


class CardChannel:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.sm: SecureMessaging | None = None

    def send(self, command: Command) -> Response:
        """One exchange; under SM the response is verified and decrypted (or SecureMessagingError)."""
        if self.sm is None:
            return self._plain(command)
        sm = self.sm
        wrapped = sm.wrap_command(command)
        # A protected answer too long for a short APDU may come in 61xx pieces (GET RESPONSE).
        raw = self._plain(wrapped)
        try:
            return sm.unwrap_response(raw)
        except SecureMessagingError:
            self.sm = None
            raise

    def _plain(self, command: Command) -> Response:
        response = Response.from_bytes(self.transport.transmit(command.to_bytes()))
        data = response.data
        for _ in range(MAX_GET_RESPONSE):  # T=0 style chaining of response data (61xx)
            if response.sw >> 8 != 0x61:
                break
            more = Command(0x00, 0xC0, 0, 0, le=(response.sw & 0xFF) or 256)
            response = Response.from_bytes(self.transport.transmit(more.to_bytes()))
            data += response.data
        return Response(data, response.sw)

    def expect_ok(self, command: Command, what: str) -> bytes:
        response = self.send(command)
        if response.sw != 0x9000:
            raise status_error(response.sw, what)
        return response.data


def status_error(sw: int, what: str) -> StatusWordError | SecureMessagingError:
    if sw == SW_WRONG_KEY or sw >> 4 == 0x63C:
        return WrongKeyError(sw, what)
    if sw == SW_ACCESS_DENIED:
        return AccessDeniedError(sw, what)
    if sw == SW_FILE_NOT_FOUND:
        return FileNotFoundOnCardError(sw, what)
    if sw in (0x6987, 0x6988):
        return SecureMessagingError(f"{what} answered {sw:04X} (SM data objects)", sw=f"{sw:04X}")
    return StatusWordError(sw, what)

"""Transport: moving raw APDUs between the terminal and a card.

`Transport` is abstract so the protocol layers run unchanged over PC/SC (`PcscTransport`) or
in-process against the virtual chip (`FunctionTransport`). Every PC/SC failure is mapped to one
`card_reader.errors` class here, so nothing above this layer sees pyscard exceptions.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from card_reader.errors import (
    CardRemovedError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    TransmitError,
)

SCARD_E_NOT_TRANSACTED = 0x80100016
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_NO_SMARTCARD = 0x8010000C
SCARD_W_REMOVED_CARD = 0x80100069
SCARD_W_RESET_CARD = 0x80100068
SCARD_E_READER_UNAVAILABLE = 0x80100017
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_E_SERVICE_STOPPED = 0x8010001E

SCARD_W_UNRESPONSIVE_CARD = 0x80100066
SCARD_W_UNPOWERED_CARD = 0x80100067
CONNECT_ATTEMPTS = 30
CONNECT_RETRY_DELAY = 0.1  # at most 3 s waiting for a card to power up or a reader to be free
RESET_GRACE_S = 1.0  # after a failed exchange, a card that reset may show as absent for this long

SCARD_E_SHARING_VIOLATION = 0x8010000B
_NOT_READY = {SCARD_W_UNRESPONSIVE_CARD, SCARD_W_UNPOWERED_CARD, SCARD_E_SHARING_VIOLATION}
_CARD_GONE = {SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD}
_SERVICE_GONE = {SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED}

# The extended-length verdict per reader name, learnt once per process (see `reader.py`).
EXTENDED_SUPPORT: dict[str, bool] = {}


class Transport(ABC):
    """Sends a raw command APDU and returns the raw response (data + SW1 SW2)."""

    name: str = "transport"

    def __init__(self) -> None:
        self.apdu_count = 0
        self.log: list[tuple[bytes, bytes]] | None = None  # set to [] to record every exchange

    def transmit(self, command: bytes) -> bytes:
        self.apdu_count += 1
        response = self._transmit(command)
        if self.log is not None:
            self.log.append((command, response))
        return response

    @abstractmethod
    def _transmit(self, command: bytes) -> bytes: ...

    def connect(self) -> None:  # noqa: B027  (optional for in-process transports)
        """Power the card up (again); raises NoCardError when there is none."""

    def disconnect(self) -> None:  # noqa: B027
        pass


    def wait_for_card(self, timeout: float) -> None:
        """Block until a card is present (reconnected) or raise NoCardError after `timeout` s."""
        self.connect()


class FunctionTransport(Transport):
    """In-process: hand each APDU to a callable (e.g. the virtual chip's `process`)."""

    def __init__(self, respond: Callable[[bytes], bytes], name: str = "in-process",
                 on_connect: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._respond = respond
        self._on_connect = on_connect
        self.name = name

    def connect(self) -> None:
        if self._on_connect is not None:
            self._on_connect()  # e.g. the virtual chip's power_on: a reset, like a PC/SC reconnect

    def _transmit(self, command: bytes) -> bytes:
        return self._respond(command)


def _hresult(exc: BaseException) -> int | None:
    value = getattr(exc, "hresult", None)
    if isinstance(value, int) and value != -1:
        return value & 0xFFFFFFFF
    return None


def _pcsc_failure(exc: BaseException, doing: str) -> Exception:
    from smartcard.Exceptions import NoCardException
    from smartcard.pcsc.PCSCExceptions import EstablishContextException, ListReadersException

    code = _hresult(exc)
    if isinstance(exc, EstablishContextException) or code in _SERVICE_GONE:
        return PcscUnavailableError(f"{doing}: {exc}")
    if isinstance(exc, ListReadersException):
        return NoReaderError(f"{doing}: {exc}")
    if isinstance(exc, NoCardException) or code in _CARD_GONE:
        return NoCardError(f"{doing}: {exc}")
    if code == SCARD_E_READER_UNAVAILABLE:
        return NoReaderError(f"{doing}: {exc}")
    return TransmitError(f"{doing}: {exc}", code=f"{code:08X}" if code else "")


def list_readers() -> list[str]:
    """Names of the PC/SC readers; PcscUnavailableError when pcscd is not running."""
    from smartcard.System import readers

    try:
        return [str(r) for r in readers()]
    except Exception as exc:  # pyscard raises several unrelated classes here
        code = _hresult(exc)
        if code == SCARD_E_NO_READERS_AVAILABLE:
            return []
        raise _pcsc_failure(exc, "listing readers") from exc


def _present_again(reader: str, grace_s: float = 0.5) -> bool:
    """Whether the card is (back) on the reader: pcscd reports a card that dropped and returned
    in the same instant (a reset) a beat late, and such a card has not left."""
    deadline = time.monotonic() + grace_s
    while not card_present(reader):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def card_present(reader: str) -> bool:
    """Whether pcscd shows a card in `reader` (no connection is made)."""
    from smartcard.scard import (
        SCARD_S_SUCCESS,
        SCARD_SCOPE_USER,
        SCARD_STATE_PRESENT,
        SCARD_STATE_UNAWARE,
        SCardEstablishContext,
        SCardGetStatusChange,
        SCardReleaseContext,
    )

    rc, context = SCardEstablishContext(SCARD_SCOPE_USER)
    if rc != SCARD_S_SUCCESS:
        raise PcscUnavailableError(f"SCardEstablishContext returned {rc & 0xFFFFFFFF:08X}")
    try:
        rc, states = SCardGetStatusChange(context, 0, [(reader, SCARD_STATE_UNAWARE)])
        if rc != SCARD_S_SUCCESS:
            return False
        return bool(states[0][1] & SCARD_STATE_PRESENT)
    finally:
        SCardReleaseContext(context)


_card_present = card_present  # the name exam_client.chip imported first; use card_present


def first_reader_with_card() -> str:
    names = list_readers()
    if not names:
        raise NoReaderError("pcscd lists no reader")
    for name in names:
        if card_present(name):
            return name
    raise NoCardError(f"no card in any of: {', '.join(names)}")


class PcscTransport(Transport):
    """A PC/SC reader through pyscard. `reader=None` picks the first reader holding a card."""

    def __init__(self, reader: str | None = None) -> None:
        super().__init__()
        self.name = reader or ""
        self._connection: Any = None
        self._reset_until = 0.0  # monotonic time until which "no card" means "still resetting"

    def connect(self) -> None:
        from smartcard.System import readers

        self.disconnect()
        if not self.name:
            self.name = first_reader_with_card()
        try:
            matches = [r for r in readers() if str(r) == self.name]
        except Exception as exc:
            raise _pcsc_failure(exc, "listing readers") from exc
        if not matches:
            raise NoReaderError(f"reader {self.name!r} not found; readers: {', '.join(list_readers())}")
        from smartcard.scard import SCARD_SHARE_EXCLUSIVE

        for attempt in range(CONNECT_ATTEMPTS):
            connection = matches[0].createConnection()
            try:
                # Exclusive: no other application may slip APDUs into our secure-messaging session.
                connection.connect(mode=SCARD_SHARE_EXCLUSIVE)
                break
            except Exception as exc:
                # A card just placed (or just reset) may not answer power-up yet, or another
                # application is finishing its exchange: retry briefly.
                failure = _pcsc_failure(exc, f"connecting to {self.name}")
                resetting = isinstance(failure, NoCardError) and time.monotonic() < self._reset_until
                if (_hresult(exc) not in _NOT_READY and not resetting) or attempt + 1 == CONNECT_ATTEMPTS:
                    raise failure from exc
                time.sleep(CONNECT_RETRY_DELAY)
        self._connection = connection

    def disconnect(self) -> None:
        if self._connection is not None:
            # Already gone with the card or pcscd: there is nothing left to release.
            with contextlib.suppress(Exception):
                self._connection.disconnect()
            self._connection = None

    def wait_for_card(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect()
                return
            except NoCardError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def _transmit(self, command: bytes) -> bytes:
        if self._connection is None:
            self.connect()
        try:
            data, sw1, sw2 = self._connection.transmit(list(command))
        except Exception as exc:
            failure = _pcsc_failure(exc, f"transmitting to {self.name}")
            if isinstance(failure, TransmitError) and not isinstance(failure, PcscUnavailableError):
                # "Not transacted" is also what the reader says when the card left mid-exchange.
                try:
                    present = _present_again(self.name)
                except PcscUnavailableError as gone:
                    raise gone from exc
                if not present:
                    failure = CardRemovedError(f"during a transmit to {self.name}")
                else:  # pcscd may still be noticing the reset: the reconnect waits it out
                    self._reset_until = time.monotonic() + RESET_GRACE_S
            elif isinstance(failure, NoCardError):
                failure = CardRemovedError(f"during a transmit to {self.name}")
            self.disconnect()
            raise failure from exc
        return bytes(data) + bytes([sw1, sw2])

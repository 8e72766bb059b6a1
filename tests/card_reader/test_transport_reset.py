"""A card that resets during an exchange may look absent for a beat: the reconnect waits for it.

The real race (pcscd noticing a reset while the next connect is already on its way) depends on
timing and shows only on a loaded machine, so pyscard's reader is replaced here by one that
plays that sequence exactly: a failed exchange with the card still present, then one connect
answered "no card", then a card again. Without a failed exchange first, "no card" stays an
immediate NoCardError (an empty reader is not waited for).
"""

from __future__ import annotations

from typing import Any

import pytest
from smartcard.Exceptions import CardConnectionException

from card_reader import transport
from card_reader.errors import NoCardError, TransmitError
from card_reader.transport import SCARD_E_NO_SMARTCARD, PcscTransport

READER = "Fake Reader 00 00"


class FakeReader:
    """Connects fail with "no card" `absent` times, then succeed; every exchange fails first once."""

    def __init__(self, absent: int) -> None:
        self.absent = absent
        self.connects = 0
        self.exchanges = 0

    def __str__(self) -> str:
        return READER

    def createConnection(self) -> Any:  # noqa: N802  (pyscard's name)
        return FakeConnection(self)


class FakeConnection:
    def __init__(self, reader: FakeReader) -> None:
        self.reader = reader

    def connect(self, mode: int = 0) -> None:
        self.reader.connects += 1
        if self.reader.absent > 0:
            self.reader.absent -= 1
            raise CardConnectionException("no smart card", hresult=SCARD_E_NO_SMARTCARD)

    def transmit(self, command: list[int]) -> tuple[list[int], int, int]:
        self.reader.exchanges += 1
        if self.reader.exchanges == 1:  # what vpcd's dropped exchange looks like
            raise CardConnectionException("Card returned no valid response", hresult=0)
        return [], 0x90, 0x00

    def disconnect(self) -> None:
        pass


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    def install(absent: int) -> FakeReader:
        reader = FakeReader(absent)
        monkeypatch.setattr("smartcard.System.readers", lambda: [reader])
        monkeypatch.setattr(transport, "card_present", lambda name: True)
        monkeypatch.setattr(transport, "CONNECT_RETRY_DELAY", 0.0)
        return reader

    return install


def test_a_reset_card_seen_absent_once_is_reconnected(fake) -> None:
    reader = fake(absent=0)
    link = PcscTransport(READER)
    link.connect()
    reader.absent = 1  # pcscd is still noticing the reset when we reconnect
    with pytest.raises(TransmitError):
        link.transmit(b"\x00\xb0\x9c\x00\x00\xfd\xe8")
    assert link.transmit(b"\x00\xb0\x9c\x00\x00") == b"\x90\x00"
    assert reader.connects == 3  # the first, the one answered "no card", the one that worked


def test_an_empty_reader_is_no_card_at_once(fake) -> None:
    reader = fake(absent=5)
    with pytest.raises(NoCardError):
        PcscTransport(READER).connect()
    assert reader.connects == 1

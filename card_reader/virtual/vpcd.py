"""The card side of the vsmartcard-vpcd socket protocol.

pcscd's vpcd driver listens on 127.0.0.1:35963 (reader "Virtual PCD 00 00") and :35964
("Virtual PCD 00 01"); a card connects to it. Every message either way is a 2-byte big-endian
length and a payload. A 1-byte payload from the reader is a control code; anything longer is a
command APDU, answered with the response APDU in the same framing.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from typing import Protocol

HOST = "127.0.0.1"
PORTS = (35963, 35964)
READER_NAMES = {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


class CardRemoved(Exception):
    """Raised by the chip to make the link drop the connection, as if the card left the field.

    `reinsert_after`: seconds until the card is back (None: it stays out).
    """

    def __init__(self, reason: str, reinsert_after: float | None = None) -> None:
        super().__init__(reason)
        self.reinsert_after = reinsert_after


class Card(Protocol):
    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes: ...


def reader_name(port: int) -> str:
    return READER_NAMES.get(port, f"Virtual PCD (port {port})")


def vpcd_listening(port: int) -> bool:
    """Whether vpcd listens on `port`, asked of `ss` — a probing connect() would be taken for a card."""
    try:
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return f":{port}" in out.stdout


class VpcdLink:
    """One connection of a card to vpcd, serving the reader's requests until closed."""

    def __init__(self, card: Card, port: int = PORTS[0], host: str = HOST, quickack: bool = True) -> None:
        self.card = card
        self.port = port
        self.host = host
        self.quickack = quickack  # False only to measure what it saves (benchmarks/vpcd_link_bench.py)
        self._sock: socket.socket | None = None
        self._closing = threading.Event()

    def connect(self, timeout: float = 5.0) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.settimeout(None)
        # vpcd writes length and APDU in two writes: without these, Nagle and delayed ACKs
        # cost ~48 ms per APDU.
        if self.quickack:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def serve(self) -> CardRemoved | None:
        """Answer the reader until it hangs up, the chip leaves (returned), or close() is called."""
        sock = self._sock
        if sock is None:
            raise RuntimeError("connect() first")
        try:
            while not self._closing.is_set():
                payload = self._receive(sock)
                if payload is None:
                    return None
                reply = self._control(payload[0]) if len(payload) == 1 else self.card.transmit(payload)
                if reply is not None:
                    sock.sendall(len(reply).to_bytes(2, "big") + reply)
        except CardRemoved as removed:
            return removed
        except OSError:
            if not self._closing.is_set():
                raise
        finally:
            self._drop()
        return None

    def close(self) -> None:
        """Take the card out of the reader (safe from any thread)."""
        self._closing.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _control(self, code: int) -> bytes | None:
        if code == POWER_OFF:
            self.card.power_off()
        elif code in (POWER_ON, RESET):
            self.card.power_on()
        elif code == GET_ATR:
            return self.card.atr()
        return None

    def _receive(self, sock: socket.socket) -> bytes | None:
        header = self._read_exact(sock, 2)
        if header is None:
            return None
        return self._read_exact(sock, int.from_bytes(header, "big"))

    def _read_exact(self, sock: socket.socket, size: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < size:
            if self.quickack:  # re-armed before each read: Linux clears QUICKACK after it fires
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(size - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

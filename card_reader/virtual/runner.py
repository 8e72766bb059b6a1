"""Running a virtual chip in a vpcd reader: insert, serve in a thread, remove, re-insert.

A Linux test tool (pcscd + vsmartcard-vpcd). `fcntl` is imported only where the per-port lock is
taken, so importing this module (e.g. for `exam-client --help`) works on Windows too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path

from card_reader.virtual.chip import VirtualChip
from card_reader.virtual.vpcd import PORTS, VpcdLink, reader_name, vpcd_listening

LOCK_DIR = Path(os.environ.get("VPCD_LOCK_DIR", tempfile.gettempdir()))
ARRIVAL_TIMEOUT = 3.0  # pcscd notices a card in ~0.3-0.4 s; this long means it missed it


class VpcdBusyError(RuntimeError):
    """Another virtual card holds the vpcd port, or vpcd does not listen on it."""


class VirtualCard:
    """A chip placed in the vpcd reader on `port`.

    Holds an exclusive lock file per port while inserted, because vpcd takes one card per port
    and a second connection would silently wait behind the first.
    """

    def __init__(self, chip: VirtualChip, port: int = PORTS[0], quickack: bool = True) -> None:
        self.chip = chip
        self.port = port
        self.quickack = quickack
        self.reader = reader_name(port)
        self._link: VpcdLink | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock_file: int | None = None
        self.removals = 0  # times the chip left the field (faults)
        self.reinsertions = 0  # times an arrival pcscd missed was repeated
        self.error: BaseException | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, lock_timeout: float = 30.0, settle_timeout: float = 10.0) -> VirtualCard:
        """Insert the card; returns once pcscd shows it, so a reader never meets a stale state."""
        if not vpcd_listening(self.port):
            raise VpcdBusyError(f"vpcd does not listen on 127.0.0.1:{self.port} (is pcscd with vsmartcard-vpcd running?)")
        self._acquire_lock(lock_timeout)
        try:
            wait_reader(self.reader, present=False, timeout=settle_timeout)
            self._insert()
            self._thread = threading.Thread(target=self._run, name=f"virtual-card-{self.port}", daemon=True)
            self._thread.start()
            wait_reader(self.reader, present=True, timeout=settle_timeout)
        except (OSError, TimeoutError) as exc:
            self.stop()
            raise VpcdBusyError(f"cannot insert a card in vpcd on port {self.port}: {exc}") from exc
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Take the card out for good; returns once pcscd shows the reader empty (or `timeout`)."""
        self._stop.set()
        link = self._link
        if link is not None:
            link.close()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._lock_file is not None:
            with contextlib.suppress(TimeoutError, OSError):
                wait_reader(self.reader, present=False, timeout=timeout)
            self._release_lock()

    def __enter__(self) -> VirtualCard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def inserted(self) -> bool:
        return self._link is not None

    def wait(self) -> None:
        """Block until stopped (for the command line), re-raising an error of the serving thread."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)
        if self.error is not None:
            raise self.error

    # ---- serving -----------------------------------------------------------------------------
    def _insert(self) -> None:
        link = VpcdLink(self.chip, self.port, quickack=self.quickack)
        link.connect()
        self.chip.power_on()
        self._link = link
        threading.Thread(target=self._watch_arrival, args=(link,), name="virtual-card-arrival", daemon=True).start()

    def _watch_arrival(self, link: VpcdLink) -> None:
        """pcscd under heavy load now and then misses a card's arrival: then take it out and put it
        back (closing the link makes the serving thread re-insert at once), as a person would."""
        try:
            wait_reader(self.reader, present=True, timeout=ARRIVAL_TIMEOUT)
        except TimeoutError:
            if self._link is link and not self._stop.is_set():
                self.reinsertions += 1
                link.close()
        except OSError:  # pcscd gone: the serving thread will notice
            pass

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                link = self._link
                if link is None:
                    return
                removed = link.serve()
                self._link = None
                if self._stop.is_set():
                    return
                if removed is None:
                    # vpcd hung up (it ejects a card whose answer it could not use): a card lying
                    # on a reader is seen again at once.
                    delay: float | None = 0.0
                else:
                    self.removals += 1
                    delay = removed.reinsert_after
                if delay is None or self._stop.wait(delay):
                    return
                self._reinsert()
        except BaseException as exc:  # reported through wait()/error, the thread must not die silently
            self.error = exc

    def _reinsert(self) -> None:
        deadline = time.monotonic() + 10
        while not self._stop.is_set():
            try:
                self._insert()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self._stop.wait(0.2)

    # ---- the per-port lock -------------------------------------------------------------------
    def _acquire_lock(self, timeout: float) -> None:
        self._lock_file = lock_port(self.port, timeout)

    def _release_lock(self) -> None:
        fd, self._lock_file = self._lock_file, None
        if fd is not None:
            unlock_port(fd)


def wait_reader(reader: str, present: bool, timeout: float = 10.0) -> None:
    """Block (on SCardGetStatusChange, no polling) until pcscd shows `reader` with or without a card.

    Raises TimeoutError after `timeout` s, OSError when pcscd cannot be reached.
    """
    from smartcard import scard

    rc, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rc != scard.SCARD_S_SUCCESS:
        raise OSError(f"pcscd: SCardEstablishContext returned {rc & 0xFFFFFFFF:08X}")
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{reader}: the card {'did not arrive' if present else 'did not leave'} "
                                   f"within {timeout} s")
            rc, states = scard.SCardGetStatusChange(context, int(min(remaining, 1.0) * 1000), [(reader, state)])
            if rc == scard.SCARD_E_TIMEOUT:
                continue
            if rc != scard.SCARD_S_SUCCESS:
                raise OSError(f"pcscd: SCardGetStatusChange({reader}) returned {rc & 0xFFFFFFFF:08X}")
            event = states[0][1]
            if bool(event & scard.SCARD_STATE_PRESENT) == present:
                return
            state = event & ~scard.SCARD_STATE_CHANGED
    finally:
        scard.SCardReleaseContext(context)


def lock_port(port: int, timeout: float = 30.0) -> int:
    """Take the exclusive lock on a vpcd port (waiting up to `timeout` s); returns the lock's fd."""
    import fcntl  # Linux only, like vpcd itself

    fd = os.open(LOCK_DIR / f"vpcd-{port}.lock", os.O_CREAT | os.O_RDWR, 0o666)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise VpcdBusyError(f"another virtual card holds vpcd port {port}") from None
            time.sleep(0.1)


def unlock_port(fd: int) -> None:
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)

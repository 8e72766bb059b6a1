"""Fixtures for the card reader tests: a test PKI, virtual chips in-process and in pcscd's vpcd reader.

The pcsc fixtures use the machine's one pcscd (started here if it is not running, and stopped
again only if this session started it). A virtual card is inserted only after taking the
per-port lock and once pcscd shows the reader empty; it counts as inserted once pcscd shows it,
and the lock is freed only after pcscd shows it gone (card_reader.virtual.runner), so tests of
concurrent sessions take turns and never meet a stale card.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from card_reader import testpki
from card_reader.virtual.chip import ChipOptions, VirtualChip
from card_reader.virtual.contents import build
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity
from card_reader.virtual.runner import VirtualCard
from card_reader.virtual.vpcd import PORTS, vpcd_listening
from tests.conftest import FACES, require

CardFactory = Callable[..., VirtualCard]
ChipFactory = Callable[..., VirtualChip]


@pytest.fixture(scope="session")
def test_pki() -> testpki.TestPKI:
    return testpki.generate()


@pytest.fixture(scope="session")
def csca_file(test_pki: testpki.TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return test_pki.write_csca(tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="session")
def photo_path() -> Path | None:
    """A real face photo when ../shared/faces is there, else the chip's placeholder image."""
    path = FACES / "obama.jpg"
    return path if path.exists() else None


@pytest.fixture
def make_chip(test_pki: testpki.TestPKI, photo_path: Path | None) -> ChipFactory:
    """make_chip(identity=, faults=, short_only=, max_read=, aa=, photo_format=, with_photo=, pace=)."""

    def factory(identity: Identity | None = None, faults: Faults | None = None, short_only: bool = False,
                max_read: int | None = None, aa: str = "rsa", photo_format: int = 0,
                with_photo: bool = True, pace: bool = True) -> VirtualChip:
        faults = faults or Faults()
        contents = build(identity or Identity(), test_pki, photo_path if with_photo else None,
                         photo_format, aa, faults, pace)
        return VirtualChip(contents, ChipOptions(short_only=short_only, max_read=max_read))

    return factory


# ---- pcscd + vpcd -----------------------------------------------------------------------------
def _pcscd_running() -> bool:
    return subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    """pcscd with the vpcd driver listening; skipped (failed under CI) when they are not installed."""
    require(shutil.which("pcscd") is not None, "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)")
    require(Path("/etc/reader.conf.d/vpcd").exists(), "the vsmartcard-vpcd driver is not installed")
    started: subprocess.Popen[bytes] | None = None
    if not _pcscd_running():
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        started = subprocess.Popen(["pcscd", "--foreground"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while not all(vpcd_listening(port) for port in PORTS):
        if time.monotonic() > deadline:
            require(False, "vpcd does not listen on 127.0.0.1:35963/35964 after starting pcscd")
        time.sleep(0.1)
    try:
        yield
    finally:
        if started is not None:
            started.terminate()
            started.wait(10)


@pytest.fixture
def vpcd_card(pcscd: None, make_chip: ChipFactory) -> Iterator[CardFactory]:
    """vpcd_card(chip=None, port=35963, **make_chip kwargs) → a VirtualCard pcscd already shows.

    Cards are removed at teardown; the per-port lock makes concurrent sessions take turns.
    """
    cards: list[VirtualCard] = []

    def insert(chip: VirtualChip | None = None, port: int = PORTS[0], **kwargs: Any) -> VirtualCard:
        card = VirtualCard(chip or make_chip(**kwargs), port).start()  # returns once pcscd shows it
        cards.append(card)
        return card

    yield insert
    for card in cards:
        card.stop()  # returns once pcscd shows the reader empty, then frees the port

"""The demo path a new user takes: `exam-client virtual-card` in one process, `read-card` in another."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from card_reader import testpki
from card_reader.virtual.runner import wait_reader
from card_reader.virtual.vpcd import PORTS, reader_name

pytestmark = pytest.mark.pcsc

EXAM_CLIENT = [sys.executable, "-c", "from exam_client.cli import main; main()"]
PORT = PORTS[1]


@pytest.fixture
def run_virtual_card(pcscd: None) -> Iterator:
    """Start the command; return (process, first lines). Stopped with SIGTERM at teardown."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
        process = subprocess.Popen([*EXAM_CLIENT, "virtual-card", "--port", str(PORT), "--lang", "en", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:  # the command prints its banner once pcscd shows the card
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                return process, lines
        raise AssertionError(f"virtual-card ended early: {lines} {process.stderr.read() if process.stderr else ''}")

    yield run
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(15)
    wait_reader(reader_name(PORT), present=False, timeout=10)


def test_demo_virtual_card_then_read_card(run_virtual_card, tmp_path: Path, photo_path: Path | None) -> None:
    identity = tmp_path / "person.json"
    identity.write_text(json.dumps({"id_number": "079301000123", "full_name": "Lê Thị Bình", "sex": "Nữ",
                                    "date_of_birth": "02/09/2001", "issue_date": "01/07/2021"}), encoding="utf-8")
    pki_dir = tmp_path / "pki"
    args = ["--identity", str(identity), "--pki-dir", str(pki_dir), "--jpeg2000"]
    process, banner = run_virtual_card(*args, *(["--photo", str(photo_path)] if photo_path else []))
    assert any("Virtual PCD 00 01" in line for line in banner)
    assert "CAN (PACE): 000123" in banner
    assert (pki_dir / testpki.CSCA_FILE).exists()

    photo_out = tmp_path / "face.jp2"
    read = subprocess.run([*EXAM_CLIENT, "read-card", "--reader", reader_name(PORT), "--can", "000123",
                           "--trust", str(pki_dir / testpki.CSCA_FILE), "--photo-out", str(photo_out),
                           "--expected-id", "079301000123"],
                          capture_output=True, text=True, timeout=60)
    assert read.returncode == 0, read.stderr
    report = json.loads(read.stdout)
    assert report["verified"] is True, report["checks"]
    assert report["id_number"] == "079301000123"
    assert photo_out.read_bytes()[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n"  # JPEG 2000 signature

    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Virtual card removed." in out
    wait_reader(reader_name(PORT), present=False, timeout=10)


def test_same_pki_dir_keeps_the_csca(run_virtual_card, tmp_path: Path) -> None:
    pki_dir = tmp_path / "pki"
    process, _ = run_virtual_card("--pki-dir", str(pki_dir), "--fault", "tamper=13")
    first = (pki_dir / testpki.CSCA_FILE).read_bytes()
    read = subprocess.run([*EXAM_CLIENT, "read-card", "--reader", reader_name(PORT), "--can", "012345",
                           "--trust", str(pki_dir / testpki.CSCA_FILE), "--no-photo"],
                          capture_output=True, text=True, timeout=60)
    report = json.loads(read.stdout)
    assert report["verified"] is False
    assert {c["name"]: c["status"] for c in report["checks"]}["data_group_hashes"] == "failed"
    process.send_signal(signal.SIGTERM)
    process.wait(15)
    wait_reader(reader_name(PORT), present=False, timeout=10)
    assert testpki.load_or_generate(pki_dir).csca_pem() == first


@pytest.mark.parametrize(("args", "named"), [
    (["--id-number", "12345"], "id_number"),
    (["--dob", "31/02/2001"], "date_of_birth"),
    (["--fault", "explode"], "explode"),
    (["--fault", "tamper=7"], "tamper"),
])
def test_bad_input_is_refused_before_any_card_is_inserted(args: list[str], named: str) -> None:
    result = subprocess.run([*EXAM_CLIENT, "virtual-card", "--port", str(PORT), *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert named in result.stderr

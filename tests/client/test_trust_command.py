"""`exam-client trust show` / `trust update`: the station's anchors, refreshed from a master list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from card_reader import testpki
from card_reader.builtin_trust import VN_CSCA_SHA256
from exam_client.cli import main
from exam_client.trust_store import station_trust
from tests.card_reader.pki_files import NOT_A_CERTIFICATE, master_list
from tests.conftest import SHARED, require

GMRTD = SHARED / "peers" / "gmrtd"


@pytest.fixture(autouse=True)
def _no_user_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands follow LANG when --lang is not given: these tests expect the default (Vietnamese)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def _run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, list(args))
    text = result.stdout if result.exit_code == 0 else result.stderr
    return result.exit_code, json.loads(text)


def _list(tmp_path: Path, name: str, entries: list[bytes], signer: testpki.TestPKI, days_ago: int) -> Path:
    path = tmp_path / name
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=days_ago)
    path.write_bytes(master_list(entries, signer, signing_time=when))
    return path


def test_show_without_anything_installed_trusts_vietnam_only(tmp_path: Path) -> None:
    code, shown = _run("trust", "show", "--data-dir", str(tmp_path), "--lang", "en")
    assert code == 0
    assert shown["builtin"]["sha256"] == VN_CSCA_SHA256 and "CSCA ePassport Vietnam" in shown["builtin"]["subject"]
    assert shown["certificates"] == 1 and shown["master_lists"] == [] and shown["test_only"] == []


def test_update_shows_added_removed_expired_and_refuses_older_lists(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    signer = testpki.generate(label=" ML signer")
    a, b, c = (testpki.generate(label=f" {n}") for n in "abc")
    data = tmp_path / "data"
    first = _list(tmp_path, "first.ml", [a.csca_der, b.csca_der], signer, days_ago=10)
    code, result = _run("trust", "update", str(first), "--data-dir", str(data))
    assert code == 0 and len(result["added"]) == 2 and result["removed"] == [] and result["previous"] is None
    second = _list(tmp_path, "second.ml", [b.csca_der, c.csca_der, NOT_A_CERTIFICATE], signer, days_ago=1)
    code, result = _run("trust", "update", str(second), "--data-dir", str(data), "--lang", "en")
    assert code == 0
    assert [x["subject"] for x in result["added"]] == [c.csca_cert.subject_text]
    assert [x["subject"] for x in result["removed"]] == [a.csca_cert.subject_text]
    assert result["expired"] == []
    assert result["installed"]["skipped"][0]["code"] == "cert.unparseable"
    # an older list is refused and changes nothing
    code, error = _run("trust", "update", str(first), "--data-dir", str(data), "--lang", "en")
    assert code == 2 and "before the installed list" in error["error"] and error["code"] == "client.trust.older_list"
    code, error = _run("trust", "update", str(first), "--data-dir", str(data))  # Vietnamese by default
    assert code == 2 and "cũ hơn danh sách đang cài" in error["error"] and "older" not in error["error"]
    monkeypatch.setenv("LANG", "en_GB.UTF-8")  # no --lang: the user's environment decides
    code, error = _run("trust", "update", str(first), "--data-dir", str(data))
    assert code == 2 and "before the installed list" in error["error"]
    monkeypatch.delenv("LANG")
    store = station_trust(data)
    assert {x.subject_text for x in store.certificates} >= {b.csca_cert.subject_text, c.csca_cert.subject_text}
    assert a.csca_cert.subject_text not in {x.subject_text for x in store.certificates}
    code, shown = _run("trust", "show", "--data-dir", str(data), "--lang", "vi")
    assert code == 0 and shown["certificates"] == 3 and len(shown["skipped"]) == 1
    assert shown["skipped"][0]["reason"].startswith("Chứng thư không đọc được")
    assert len(shown["test_only"]) == 2  # flagged: these are the tests' own CSCAs


def test_a_tampered_list_is_refused(tmp_path: Path) -> None:
    signer = testpki.generate()
    bad = tmp_path / "bad.ml"
    bad.write_bytes(master_list([signer.csca_der], signer, tamper=True))
    code, error = _run("trust", "update", str(bad), "--data-dir", str(tmp_path / "data"), "--lang", "en")
    assert code == 2 and "signature does not verify" in error["error"]
    assert not (tmp_path / "data" / "trust" / "masterlist.ml").exists()
    not_a_list = tmp_path / "csca.cer"
    not_a_list.write_bytes(signer.csca_der)
    code, error = _run("trust", "update", str(not_a_list), "--data-dir", str(tmp_path / "data"), "--lang", "en")
    assert code == 2 and "master list cannot be parsed" in error["error"]


@pytest.mark.slow
def test_update_from_the_real_german_list_remembers_its_root(tmp_path: Path) -> None:
    require((GMRTD / "DE_ML_2026-05-28-08-28-45.ml").exists(), f"gmrtd data not found at {GMRTD}")
    data = tmp_path / "data"
    code, result = _run("trust", "update", str(GMRTD / "DE_ML_2026-05-28-08-28-45.ml"),
                        "--root", str(GMRTD / "DE_ROOT_CA_CSCA07.cer"), "--data-dir", str(data))
    assert code == 0
    installed = result["installed"]
    assert installed["signature_valid"] and installed["root_verified"] is True
    assert installed["signer"].startswith("CN=CSCA Master List Signer") and installed["signing_time"].startswith("2026-05-28")
    assert len(result["added"]) == 588 and len(result["expired"]) > 0
    # the Dutch list is not signed under the German root the station now expects
    code, error = _run("trust", "update", str(GMRTD / "NL_ML_2026-07-22.ml"), "--data-dir", str(data), "--lang", "en")
    assert code == 2 and "does not chain to the root" in error["error"]
    code, shown = _run("trust", "show", "--data-dir", str(data), "--lang", "en")
    assert shown["certificates"] == 589 and shown["master_lists"][0]["root_verified"] is True
    assert any("CSCA-AUSTRIA" in e["subject"] for e in shown["tolerated_entries"])

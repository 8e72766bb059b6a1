"""Signed result packages: a valid package verifies; any change is named exactly."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from exam_server.results.package import (
    MANIFEST,
    SIGNATURE,
    generate_demo_signer,
    load_certificates,
    sign_package,
    verify_package,
)


@pytest.fixture()
def signed(tmp_path: Path) -> tuple[Path, Path]:
    pkg = tmp_path / "pkg"
    (pkg / "phong-01").mkdir(parents=True)
    (pkg / "phong-01" / "ket-qua.csv").write_text("SBD,Điểm\n010001,8.25\n", encoding="utf-8-sig")
    (pkg / "ket-qua.json").write_text(json.dumps({"010001": 8.25}), encoding="utf-8")
    key, cert = generate_demo_signer(tmp_path / "keys")
    sign_package(pkg, key.read_bytes(), cert.read_bytes(), {"sitting": 7})
    return pkg, cert


def test_untouched_package_verifies(signed: tuple[Path, Path]) -> None:
    pkg, cert = signed
    result = verify_package(pkg, load_certificates(cert))
    assert result.ok, result.to_dict()
    assert "DEMO ONLY" in result.signer
    assert json.loads((pkg / MANIFEST).read_text())["sitting"] == 7


def test_signature_is_standard_cms(signed: tuple[Path, Path]) -> None:
    """An independent implementation (OpenSSL) accepts the detached signature."""
    pkg, cert = signed
    if not shutil.which("openssl"):
        pytest.skip("openssl command not installed")
    proc = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(pkg / SIGNATURE),
         "-content", str(pkg / MANIFEST), "-CAfile", str(cert), "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_changed_file_is_named(signed: tuple[Path, Path]) -> None:
    pkg, cert = signed
    (pkg / "phong-01" / "ket-qua.csv").write_text("SBD,Điểm\n010001,9.25\n", encoding="utf-8-sig")
    result = verify_package(pkg, load_certificates(cert))
    assert not result.ok
    assert result.changed == ["phong-01/ket-qua.csv"]
    assert result.signature_ok and not result.missing and not result.added


def test_missing_and_added_files_are_named(signed: tuple[Path, Path]) -> None:
    pkg, cert = signed
    (pkg / "ket-qua.json").unlink()
    (pkg / "extra.csv").write_text("x")
    result = verify_package(pkg, load_certificates(cert))
    assert result.missing == ["ket-qua.json"]
    assert result.added == ["extra.csv"]


def test_edited_manifest_breaks_the_signature(signed: tuple[Path, Path]) -> None:
    pkg, cert = signed
    manifest = json.loads((pkg / MANIFEST).read_text())
    (pkg / "phong-01" / "ket-qua.csv").write_text("forged", encoding="utf-8")
    manifest["files"]["phong-01/ket-qua.csv"] = "0" * 64
    (pkg / MANIFEST).write_text(json.dumps(manifest))
    result = verify_package(pkg, load_certificates(cert))
    assert not result.signature_ok
    assert "manifest was changed" in result.problems[0]


def test_untrusted_signer(signed: tuple[Path, Path], tmp_path: Path) -> None:
    pkg, _ = signed
    _, other = generate_demo_signer(tmp_path / "other")
    result = verify_package(pkg, load_certificates(other))
    assert result.signature_ok and not result.trusted and not result.ok
    assert "not trusted" in result.problems[0]

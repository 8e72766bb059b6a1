"""Headers, the signing key and file modes (issue #12, items 5 and 13).

Each test plays the finding first: a cookie forged with the published placeholder key (the
server no longer starts with it), pages that could be framed or run inline script, an SQLite
file other users could read.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.app import create_app
from exam_server.config import ConfigError
from tests.server.conftest import make_app
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.search(r"^SECRET_KEY=(.+)$", (ROOT / "config/production/env.example").read_text(), re.M).group(1)


@pytest.mark.parametrize("key, named", [
    (PLACEHOLDER, "placeholder"),
    ("change-me", "placeholder"),
    ("s3cr3t-but-short", "too short"),
    ("", "not set"),
])
def test_production_refuses_a_missing_short_or_placeholder_key(key: str, named: str, postgres_url: str,
                                                               tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY") as refused:
        create_app({"DATABASE_URL": postgres_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": key})
    assert named in str(refused.value)


def test_a_cookie_forged_with_the_placeholder_gets_nowhere(tmp_path: Path) -> None:
    """Even the embedded demo refuses the published key, so no server signs with it."""
    with pytest.raises(ConfigError, match="placeholder"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": PLACEHOLDER})


def test_cli_run_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from exam_server.cli import main

    env = {"DATABASE_URL": "postgresql+psycopg://exam@127.0.0.1/exam", "SECRET_KEY": PLACEHOLDER,
           "EXAM_INSTANCE_PATH": str(tmp_path)}
    r = CliRunner(env=env).invoke(main, ["run", "--port", "1"])
    assert r.exit_code != 0 and "SECRET_KEY" in r.output and "placeholder" in r.output


def test_a_random_key_starts(postgres_url: str, tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": postgres_url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": os.urandom(32).hex()})
    assert app.config["SECRET_KEY"]


def test_headers_on_pages_api_and_errors(app: Flask, client: FlaskClient) -> None:
    for path in ("/login", "/exam/login", "/api/v1/time", "/no-such-page"):
        r = client.get(path)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in r.headers  # plain-http demo: not sent


def test_hsts_where_the_production_config_asks(database_url: str, tmp_path: Path) -> None:
    import tomllib

    production = tomllib.loads((ROOT / "config/production/production.toml").read_text())
    seconds = production["security"]["hsts_seconds"]
    assert seconds >= 180 * 24 * 3600
    app = make_app(database_url, tmp_path / "inst", SECURITY_HSTS_SECONDS=seconds)
    assert app.test_client().get("/login").headers["Strict-Transport-Security"].startswith(f"max-age={seconds}")
    nginx = (ROOT / "config/production/nginx.conf").read_text()
    for header in ("Strict-Transport-Security", "X-Frame-Options", "Content-Security-Policy",
                   "X-Content-Type-Options", "Referrer-Policy"):
        assert re.search(rf'add_header {header} "[^"]+" always;', nginx), header


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_templates_and_rendered_pages_carry_no_inline_script(app: Flask, client: FlaskClient) -> None:
    for template in (ROOT / "exam_server/templates").rglob("*.html"):
        text = template.read_text()
        assert not INLINE_SCRIPT.search(text), template
        assert not INLINE_HANDLER.search(text), template
        assert "javascript:" not in text, template
    seeded = seed_sitting()
    from tests.server.conftest import login_staff

    login_staff(client, username(seeded, "admin"), STAFF_PASSWORD)
    for path in ("/exams/", f"/exams/sittings/{seeded.sitting_id}", f"/monitor/sittings/{seeded.sitting_id}"):
        page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page) and not INLINE_HANDLER.search(page), path


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    db_file = tmp_path / "exam.db"
    old = os.umask(0o022)
    try:
        app = make_app(f"sqlite:///{db_file}", tmp_path / "inst")
    finally:
        os.umask(old)
    with app.app_context():
        seed_sitting()
    for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # a file an older version left world-readable is narrowed on start
    legacy = tmp_path / "legacy.db"
    legacy.touch(mode=0o644)
    os.chmod(legacy, 0o644)
    make_app(f"sqlite:///{legacy}", tmp_path / "inst2")
    assert stat.S_IMODE(legacy.stat().st_mode) == 0o600

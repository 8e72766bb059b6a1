"""Configuration layering and the generated secret key."""

from __future__ import annotations

import stat
from pathlib import Path

from exam_server.app import create_app
from exam_server.config import load_config


def test_layers_default_file_then_env(tmp_path: Path) -> None:
    extra = tmp_path / "site.toml"
    extra.write_text('[exam]\ngrace_seconds = 30\n[security]\nlogin_rate_limit = "5 per minute"\n', encoding="utf-8")
    cfg = load_config({"EXAM_CONFIG": str(extra), "EXAM_EXAM_GRACE_SECONDS": "45",
                       "DATABASE_URL": "postgresql://u@h/db", "EXAM_SECURITY_SESSION_COOKIE_SECURE": "true"})
    assert cfg["EXAM_GRACE_SECONDS"] == 45  # env beats the file, and keeps the default's type
    assert cfg["SECURITY_LOGIN_RATE_LIMIT"] == "5 per minute"
    assert cfg["SECURITY_SESSION_COOKIE_SECURE"] is True
    assert cfg["DATABASE_URL"] == "postgresql://u@h/db"
    assert load_config({})["DATABASE_URL"] == "sqlite:///instance/exam.db"


def test_secret_generated_into_instance_and_cookie_flags(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "inst"
    app = create_app({"INSTANCE_PATH": str(instance), "SECURITY_SESSION_COOKIE_SECURE": True})
    secret = instance / "secret_key"
    assert app.config["SECRET_KEY"] == secret.read_text().strip() and len(app.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'exam.db'}"
    again = create_app({"INSTANCE_PATH": str(instance)})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]  # stable across restarts
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"

"""Fixtures for the check-in tests: an in-process server app on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.support.seed import Seeded, seed_sitting


@pytest.fixture(params=["sqlite", "postgresql"])
def server_app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    from exam_server.app import create_app
    from tests.support.schema import ensure_schema

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'exam.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app({
        "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url, "TESTING": True,
        "SOCKETIO_ASYNC_MODE": "threading", "WTF_CSRF_ENABLED": True, "REDIS_URL": "",
        "SECURITY_LOGIN_RATE_LIMIT": "1000 per minute",
    })
    with app.app_context():
        ensure_schema(app)
    # PostgreSQL's database lives for the whole session: tests filter by their own sitting.
    return app


@pytest.fixture
def seeded(server_app: Flask) -> Seeded:
    with server_app.app_context():
        return seed_sitting(rooms=2, per_room=3)


# --- end to end: a real server process, pcscd + the virtual chip, the station -----------------
# The card reader's fixtures (test PKI, virtual chips, pcscd) are shared, not copied.
from tests.card_reader.conftest import csca_file, make_chip, pcscd, photo_path, test_pki, vpcd_card  # noqa: E402,F401

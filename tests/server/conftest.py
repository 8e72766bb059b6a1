"""The server suite runs every test against SQLite and PostgreSQL (`app` is parametrized)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.app import create_app
from tests.support.schema import ensure_schema


def make_app(database_url: str, instance: Path, **extra: object) -> Flask:
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "SECURITY_LOGIN_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SOCKETIO_ASYNC_MODE": "threading",
        "SECURITY_PASSWORD_METHOD": "pbkdf2:sha256:1000",  # the default scrypt costs ~0.5 s per seeded user
        "REDIS_PREFIX": "test-" + uuid.uuid4().hex[:8],
        **extra,
    })
    ensure_schema(app)
    return app


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'exam.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        yield app
    from exam_server.db import db

    db.engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}


def login_staff(client: FlaskClient, username: str, password: str) -> dict[str, str]:
    headers = csrf(client)
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return {"X-CSRFToken": r.get_json()["csrf_token"]}


def login_candidate(client: FlaskClient, sitting_id: int, sbd: str, password: str) -> tuple[int, dict[str, str]]:
    headers = csrf(client)
    r = client.post("/api/v1/auth/candidate-login", json={"sitting_id": sitting_id, "sbd": sbd, "password": password},
                    headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    return body["attempt_id"], {"X-CSRFToken": body["csrf_token"]}

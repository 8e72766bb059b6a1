"""Fixtures of the staff page tests: an app on SQLite and PostgreSQL for the Flask test client,
and a real gunicorn (gevent worker) server process with headless chromium for the walk-through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import StrictUndefined
from playwright.sync_api import Browser, BrowserContext, Page, expect

from exam_server.app import create_app
from exam_server.db import db
from tests.support.schema import ensure_schema
from tests.support.seed import STAFF_PASSWORD
from tests.support.server import ServerProcess

SECRET = "pages-test-secret-" + uuid.uuid4().hex
BROWSER_TIMEOUT_MS = 30_000  # generous: the 2 cores are shared with the server under test


def make_app(database_url: str, instance: Path, **overrides: object) -> Flask:
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "SECURITY_LOGIN_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SOCKETIO_ASYNC_MODE": "threading",
        "REDIS_PREFIX": "pages-" + uuid.uuid4().hex[:8],
        **overrides,
    })
    # A misspelt template variable fails the test instead of rendering as an empty string.
    app.jinja_env.undefined = StrictUndefined
    ensure_schema(app)
    return app


@pytest.fixture(scope="session")
def pages_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('pages-db') / 'exam.db'}"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per module and database; tests seed their own sittings (unique names) in it."""
    url = request.getfixturevalue("pages_sqlite_url" if request.param == "sqlite" else "postgres_url")
    app = make_app(url, tmp_path_factory.mktemp("instance"))
    # No app context stays pushed around the test: each test-client request must get its own,
    # as in production (`g` caches the signed-in user per context).
    yield app
    db.engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def form_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def page_login(client: FlaskClient, username: str, password: str) -> str:
    """Sign in through the login page; returns a CSRF token for later form posts."""
    token = form_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    # Signing in starts a fresh session, so the token comes from a page after it.
    return form_token(client.get("/", follow_redirects=True).get_data(as_text=True))


@dataclass
class LiveServer:
    url: str
    app: Flask  # on the server's database, to seed it from the test process


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`exam-server run` (gunicorn, gevent worker) on a migrated SQLite file: the demo set-up."""
    work = tmp_path_factory.mktemp("pages-live")
    url = f"sqlite:///{work / 'exam.db'}"
    app = make_app(url, work / "instance")  # migrates the database the server will use
    server = ServerProcess(url, work / "server", env={"EXAM_REDIS_PREFIX": f"pages-{uuid.uuid4().hex[:8]}"})
    server.start(timeout=90)  # generous: the 2 shared cores may be busy with other suites
    try:
        yield LiveServer(server.url, app)
    finally:
        server.stop()
        db.engine(app).dispose()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A Vietnamese browser on the live server that keeps downloads (exports, slips)."""
    ctx = browser.new_context(base_url=live_server.url, locale="vi-VN", accept_downloads=True)
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield ctx
    ctx.close()


def sign_in(page: Page, user: str, landing: str | None = r"/exams/$") -> None:
    """Log a staff member in on the login page; `landing` is the URL the role arrives at."""
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(user)
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    if landing is None:
        page.wait_for_load_state()
    else:
        expect(page).to_have_url(re.compile(landing))

"""A candidate's entry: the login is one transaction (all or nothing), and the login, the
socket handshake and the first hello stay within the statements they were measured at
(benchmarks/entry_bench.py)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from exam_server.accounts.models import LoginCode, LoginSession
from exam_server.accounts.session_store import DatabaseStore
from exam_server.attempts.models import Attempt
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.events.log import SERVER
from exam_server.events.models import Event
from exam_server.exams.candidate_login import issue_login_code
from tests.server.conftest import csrf
from tests.support.seed import seed_sitting

LOGIN = "/api/v1/auth/candidate-login"
# Measured (PostgreSQL and SQLite): 10 statements for a first entry with a code (code + registration
# + sitting + room, spend, attempt, entered_at, 4 for the event, the older logins ended, the new record),
# one more once a minute (the sweep of expired records). Before: 13 statements and 2 COMMITs.
LOGIN_STATEMENTS = 11
CONNECT_STATEMENTS = 2  # the login record (no Redis here), attempt + registration + sitting
HELLO_STATEMENTS = 4  # the login record, attempt + sitting, the paper's sealed copy and key (cold cache)


@contextmanager
def counted(app: Flask) -> Iterator[dict[str, Any]]:
    """This thread's statements and COMMITs inside the block."""
    found: dict[str, Any] = {"statements": Counter(), "commits": 0}
    thread = threading.get_ident()
    engine, maker = database.engine(app), app.extensions["exam_db"]["sessionmaker"]

    def statement(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, _many: bool) -> None:
        kind = sql.split(None, 1)[0].upper()
        if threading.get_ident() == thread and kind != "BEGIN":  # SQLite's BEGIN IMMEDIATE is one
            found["statements"][kind] += 1

    def commit(_session: Any) -> None:
        if threading.get_ident() == thread:
            found["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(maker, "after_commit", commit)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(maker, "after_commit", commit)


def _code(registration_id: int) -> str:
    code, _ = issue_login_code(registration_id, SERVER)
    return code


def _login(client: FlaskClient, code: str) -> Any:
    return client.post(LOGIN, json={"code": code}, headers=csrf(client))


def test_a_login_that_fails_at_its_last_step_changes_nothing(app: Flask, client: FlaskClient,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed_sitting(rooms=1, per_room=2)
    reg_id, attempt_id = seeded.registration_ids[0], seeded.attempt_ids[0]
    first = app.test_client()
    assert _login(first, _code(reg_id)).status_code == 200
    me = first.get("/api/v1/auth/me").get_json()
    assert me["role"] == "candidate"
    code = _code(reg_id)  # a second login, e.g. after a workstation crash
    added = DatabaseStore.add

    def add_then_fail(self: DatabaseStore, record: Any) -> None:
        added(self, record)
        raise RuntimeError("the database went away before the COMMIT")

    monkeypatch.setattr(DatabaseStore, "add", add_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    events_before = db.scalar(select(func.count()).select_from(Event).where(Event.attempt_id == attempt_id))
    failed = _login(client, code)
    assert failed.status_code == 500
    db.rollback()
    # nothing of it stayed: the code unspent, no new record, the first login not ended, no entry event
    assert db.scalar(select(func.count()).select_from(LoginCode).where(
        LoginCode.registration_id == reg_id, LoginCode.used_at.is_(None))) == 1
    records = db.execute(select(LoginSession.revoked_at).where(LoginSession.registration_id == reg_id)).all()
    assert len(records) == 1 and records[0].revoked_at is None
    assert db.scalar(select(func.count()).select_from(Event).where(Event.attempt_id == attempt_id)) == events_before
    assert client.get("/api/v1/auth/me").get_json()["role"] is None  # the failed browser is nobody
    assert first.get("/api/v1/auth/me").get_json()["role"] == "candidate"  # still logged in
    monkeypatch.setattr(DatabaseStore, "add", added)
    # the same code works once the database is back: it was never spent
    again = _login(client, code)
    assert again.status_code == 200, again.get_json()
    assert client.get("/api/v1/auth/me").get_json()["role"] == "candidate"
    first_me = first.get("/api/v1/auth/me")
    assert first_me.status_code == 200 and first_me.get_json()["role"] is None  # one login per candidate


def test_a_refused_entry_keeps_the_code(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(rooms=1, per_room=1)
    reg_id, attempt_id = seeded.registration_ids[0], seeded.attempt_ids[0]
    code = _code(reg_id)
    db.get(Attempt, attempt_id).state = "submitted"
    db.commit()
    refused = _login(client, code)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "accounts.already_submitted"
    db.rollback()
    assert db.scalar(select(LoginCode.used_at).where(LoginCode.registration_id == reg_id)) is None
    assert db.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.registration_id == reg_id)) == 0


def test_login_is_one_commit_within_its_statements(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(rooms=1, per_room=2)
    first, second = (_code(r) for r in seeded.registration_ids)
    headers = csrf(client)
    _login(app.test_client(), first)  # the process's first login also sweeps expired records
    with counted(app) as found:
        r = client.post(LOGIN, json={"code": second}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert found["commits"] == 1, found
    assert sum(found["statements"].values()) <= LOGIN_STATEMENTS, found
    body = r.get_json()
    # the reply's CSRF token works with the new login (the record holds it from its first write)
    save = client.put(f"/api/v1/attempts/{body['attempt_id']}/responses/1", json={"seq": 1, "value": "A"},
                      headers={"X-CSRFToken": body["csrf_token"]})
    assert save.status_code != 400, save.get_json()


def test_socket_connect_and_hello_within_their_statements_and_hello_reads_the_attempt_now(
        app: Flask, client: FlaskClient) -> None:
    from exam_server.extensions import socketio

    seeded = seed_sitting(rooms=1, per_room=1)
    attempt_id = seeded.attempt_ids[0]
    assert _login(client, _code(seeded.registration_ids[0])).status_code == 200
    with counted(app) as connected:
        sock = socketio.test_client(app, namespace="/exam", flask_test_client=client, auth={"attempt": attempt_id})
    try:
        assert sock.is_connected("/exam")
        assert sum(connected["statements"].values()) <= CONNECT_STATEMENTS, connected
        with counted(app) as said:
            hello = sock.emit("hello", {"attempt": attempt_id}, namespace="/exam", callback=True)
        assert hello["ok"] and hello["state"]["phase"] == "waiting" and hello["sealed_paper"], hello
        assert sum(said["statements"].values()) <= HELLO_STATEMENTS, said
        # the attempt changes after the handshake read it: hello tells the state as stored now
        attempt = db.get(Attempt, attempt_id)
        attempt.state = "submitted"
        attempt.submitted_by = "server"
        db.commit()
        again = sock.emit("hello", {"attempt": attempt_id}, namespace="/exam", callback=True)
        assert again["ok"] and again["state"]["phase"] == "submitted", again
    finally:
        sock.disconnect(namespace="/exam")


def test_the_login_entry_marks_the_dashboards_but_pushes_no_state() -> None:
    from exam_server.realtime import pushes

    class Recorder:
        def __init__(self) -> None:
            self.marks: list[tuple[Any, ...]] = []
            self.socketio = self
            self.broadcaster = self

        def mark(self, *args: Any, **_kw: Any) -> None:
            self.marks.append(args)

        def mark_entry(self, *_a: Any, **_kw: Any) -> None:
            raise AssertionError("an entry about an attempt")

        @property
        def server(self) -> Any:
            raise AssertionError("no state is pushed for a login")

    class NoQueries:
        def scalars(self, *_a: Any) -> Any:
            raise AssertionError("no attempt is read for a login")

    rt = Recorder()
    login = pushes.Committed("candidate.login", 7, 3, 42, "", {"how": "code"})
    pushes._deliver(NoQueries(), rt, [login], {})  # type: ignore[arg-type]  # only what _deliver calls
    assert rt.marks == [(7, 42)]

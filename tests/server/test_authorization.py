"""Every endpoint declares who may call it, and the declaration holds.

Walks the whole URL map (every blueprint of every engineer): an endpoint without an access
decorator fails; each is called anonymously and as every role, and must answer 401/redirect,
403, or pass the check accordingly. Candidates are also tried on other candidates' attempts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing import Rule

from exam_server.accounts.models import User
from exam_server.checkin.service import issue_station_token
from exam_server.db import session as db
from exam_server.exams.models import Room, Sitting
from tests.server.conftest import make_app
from tests.support.seed import CANDIDATE_PASSWORD, seed_sitting

ROLES = ("admin", "examiner", "invigilator", "candidate")
IGNORED = {"static", "common_static.static"}  # static files: public by nature (the shared JS modules too)


@pytest.fixture
def authz_app(database_url: str, tmp_path: Path) -> Flask:
    # CSRF off here: this test is about who may call what; CSRF has its own tests.
    app = make_app(database_url, tmp_path / "inst", WTF_CSRF_ENABLED=False)
    with app.app_context():
        yield app


def _url(rule: Rule, ids: dict[str, object]) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        if hasattr(converter, "items"):  # any(...)
            values[arg] = sorted(converter.items)[0] if isinstance(converter.items, set) else next(iter(converter.items))
        else:
            values[arg] = ids.get(arg, 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "x")
    return rule.build(values, append_unknown=False)[1]


def _denied(response, anonymous: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """401/403, or a redirect to a login page (pages send people where they can log in)."""
    if response.status_code == 403 or (anonymous and response.status_code == 401):
        return True
    return response.status_code in (302, 303) and "login" in response.headers.get("Location", "")


def _login(client, seeded, role: str) -> None:  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session.clear()
        if role == "candidate":
            session.update(role="candidate", registration_id=seeded.registration_ids[0],
                           attempt_id=seeded.attempt_ids[0], sbd=seeded.sbds[0])
        else:
            key = {"admin": "admin", "examiner": "examiner", "invigilator": "inv1"}[role]
            user = db.get(User, seeded.users[key])
            session.update(user_id=user.id, role=user.role)


def test_every_endpoint_enforces_its_declared_roles(authz_app: Flask) -> None:
    seeded = seed_sitting(start=True)
    # Every id names an object of this sitting (the PostgreSQL database is shared by the whole
    # session, so "1" could be another test's room, which a room-scoped check rightly refuses).
    inv1, room = db.get(User, seeded.users["inv1"]), db.get(Room, seeded.room_ids[0])
    _, station = issue_station_token(inv1, room, "authz")
    ids = {"sitting_id": seeded.sitting_id, "room_id": room.id, "registration_id": seeded.registration_ids[0],
           "attempt_id": seeded.attempt_ids[0], "question_no": 1, "station_id": station.id,
           "exam_id": db.get(Sitting, seeded.sitting_id).exam_id,
           "user_id": seeded.users["inv2"]}  # staff admin endpoints act on a user of this sitting
    client = authz_app.test_client()
    undeclared, wrong = [], []
    checked = 0
    for rule in authz_app.url_map.iter_rules():
        if rule.endpoint in IGNORED:
            continue
        view = authz_app.view_functions[rule.endpoint]
        access = getattr(view, "access", None)
        if access is None:
            undeclared.append(rule.rule)
            continue
        if access == "public":
            continue
        url = _url(rule, ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            kwargs = {"json": {"seq": 1, "value": "A", "reason": "kiểm tra", "seconds": 1}} if method != "GET" else {}
            with client.session_transaction() as session:
                session.clear()
            r = client.open(url, method=method, **kwargs)
            if not _denied(r, anonymous=True):
                wrong.append(f"anonymous {method} {url} -> {r.status_code}")
            for role in ROLES:
                _login(client, seeded, role)
                r = client.open(url, method=method, **kwargs)
                checked += 1
                if role in access and r.status_code in (401, 403):
                    wrong.append(f"{role} {method} {url} -> {r.status_code} (should be allowed)")
                if role not in access and not _denied(r):
                    wrong.append(f"{role} {method} {url} -> {r.status_code} (should be 403)")
    assert not undeclared, f"endpoints without an access decorator: {undeclared}"
    assert not wrong, "\n".join(wrong)
    assert checked > 40


def test_candidate_reaches_only_their_own_attempt(authz_app: Flask) -> None:
    seeded = seed_sitting(start=True)
    client = authz_app.test_client()
    r = client.post("/api/v1/auth/candidate-login",
                    json={"sitting_id": seeded.sitting_id, "sbd": seeded.sbds[0], "password": CANDIDATE_PASSWORD})
    assert r.status_code == 200
    own = r.get_json()["attempt_id"]
    assert own == seeded.attempt_ids[0]
    other = seeded.attempt_ids[1]
    assert client.get(f"/api/v1/attempts/{own}").status_code == 200
    assert client.get(f"/api/v1/attempts/{other}").status_code == 404
    r = client.put(f"/api/v1/attempts/{other}/responses/1", json={"seq": 1, "value": "A"})
    assert r.status_code == 404
    assert client.post(f"/api/v1/attempts/{other}/submit").status_code == 404
    assert client.get(f"/api/v1/attempts/{10**9}").status_code == 404
    # An invigilator of another room cannot act on this room's candidates.
    with client.session_transaction() as session:
        session.clear()
        user = db.get(User, seeded.users["inv2"])
        session.update(user_id=user.id, role="invigilator")
    assert client.post(f"/api/v1/registrations/{seeded.registration_ids[0]}/login-code").status_code == 403
    assert client.post(f"/api/v1/attempts/{own}/pause", json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/rooms/{seeded.room_ids[0]}/pause", json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/registrations/{seeded.registration_ids[-1]}/login-code").status_code == 200

"""Logins: one-time seat-bound codes, password login where allowed, late entry, rate limit; the event chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.db import session as db
from exam_server.events.log import SERVER, verify_chain
from exam_server.events.models import Event
from exam_server.exams.models import Registration, Sitting
from tests.server.conftest import csrf, login_staff, make_app
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username


def _code_login(client: FlaskClient, code: str, seat: str | None = None):  # type: ignore[no-untyped-def]
    body = {"code": code} if seat is None else {"code": code, "seat": seat}
    return client.post("/api/v1/auth/candidate-login", json=body, headers=csrf(client))


def test_one_time_code_bound_to_seat(app: Flask) -> None:
    s = seed_sitting(start=True)
    staff = app.test_client()
    headers = login_staff(staff, username(s, "inv1"), STAFF_PASSWORD)
    reg_id = s.registration_ids[0]
    r = staff.post(f"/api/v1/registrations/{reg_id}/login-code", headers=headers)
    assert r.status_code == 200
    code, seat = r.get_json()["code"], r.get_json()["seat"]
    assert seat == "M01" and len(code) == 8

    cand = app.test_client()
    assert _code_login(cand, code, seat="M02").status_code == 403  # another workstation
    r = _code_login(cand, code.lower(), seat="M01")
    assert r.status_code == 200 and r.get_json()["attempt_id"] == s.attempt_ids[0]
    assert cand.get("/api/v1/attempt").status_code == 200
    again = app.test_client()
    r = _code_login(again, code)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.code_invalid"  # one time only

    # Moving the candidate: a code for another seat; the old unused code dies with the new one.
    old = staff.post(f"/api/v1/registrations/{reg_id}/login-code", headers=headers).get_json()["code"]
    new = staff.post(f"/api/v1/registrations/{reg_id}/login-code", json={"seat": "M03"}, headers=headers).get_json()
    assert _code_login(app.test_client(), old).status_code == 403
    moved = app.test_client()
    assert _code_login(moved, new["code"], seat="M03").status_code == 200
    db.expire_all()
    assert db.get(Registration, reg_id).seat == "M03"
    assert db.query(Event).filter(Event.action == "candidate.moved", Event.chain == s.sitting_id).count() == 1


def test_password_login_only_where_allowed_and_late_entry(app: Flask) -> None:
    s = seed_sitting(start=True, late_entry_s=0)
    c = app.test_client()
    body = {"sitting_id": s.sitting_id, "sbd": s.sbds[0], "password": "wrong-password"}
    assert c.post("/api/v1/auth/candidate-login", json=body, headers=csrf(c)).status_code == 403
    body["password"] = CANDIDATE_PASSWORD
    r = c.post("/api/v1/auth/candidate-login", json=body, headers=csrf(c))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.too_late"
    db.execute(update(Sitting).where(Sitting.id == s.sitting_id).values(late_entry_s=3600))
    db.execute(update(Attempt).where(Attempt.id == s.attempt_ids[1]).values(entered_at=None))
    db.commit()
    assert c.post("/api/v1/auth/candidate-login", json=body, headers=csrf(c)).status_code == 200
    db.execute(update(Sitting).where(Sitting.id == s.sitting_id).values(allow_password_login=False))
    db.commit()
    r = c.post("/api/v1/auth/candidate-login", json={**body, "sbd": s.sbds[1]}, headers=csrf(c))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.password_login_disabled"


def test_login_rate_limit(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "inst", SECURITY_LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        c = app.test_client()
        codes = [c.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 8},
                        headers=csrf(c)).status_code for _ in range(4)]
        assert codes == [403, 403, 403, 429]
        r = c.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 8}, headers=csrf(c))
        assert r.get_json()["error"]["code"] == "accounts.rate_limited"


def test_closing_twice_loses_and_chain_detects_tampering(app: Flask) -> None:
    s = seed_sitting(start=True, rooms=1, per_room=1)
    attempt = db.get(Attempt, s.attempt_ids[0])
    assert close_attempt(db, attempt, at=attempt.deadline_at, by="server", actor=SERVER)
    db.commit()
    assert not close_attempt(db, attempt, at=attempt.deadline_at, by="server", actor=SERVER)  # second process loses
    db.rollback()
    assert verify_chain(db, s.sitting_id) == []
    event = db.query(Event).filter(Event.chain == s.sitting_id, Event.action == "attempt.submitted").one()
    db.execute(update(Event).where(Event.id == event.id).values(reason="sửa lén"))
    db.commit()
    db.expire_all()
    problems = verify_chain(db, s.sitting_id)
    assert any("content changed" in p for p in problems)
    db.rollback()


@pytest.mark.parametrize("lang,word", [("vi", "Không tìm thấy"), ("en", "not found")])
def test_errors_speak_the_requested_language(client: FlaskClient, lang: str, word: str) -> None:
    r = client.get(f"/api/v1/nothing-here?lang={lang}")
    assert r.status_code == 404 and word in r.get_json()["error"]["message"]

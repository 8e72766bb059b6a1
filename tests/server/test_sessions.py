"""Server-side sessions (issue #12, item 4): a login is a record; ending it ends every copy.

Each test first plays the attack the security review reproduced (a copied cookie after logout,
an old workstation after a move, a cookie minted with the signing key) and checks it is now
refused with the agreed answer: 401 `{"ok": false, "code": "accounts.session_revoked"}`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from exam_server.accounts.models import User
from exam_server.accounts.session_store import CachedStore
from exam_server.db import session as db
from tests.server.conftest import csrf, login_candidate, login_staff, make_app
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username

COOKIE = "session"


def _copy(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _revoked(response) -> bool:  # type: ignore[no-untyped-def]
    body = response.get_json(silent=True) or {}
    return response.status_code == 401 and body.get("ok") is False and body.get("code") == "accounts.session_revoked"


def test_copied_staff_cookie_stops_working_at_logout(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting()
    headers = login_staff(client, username(seeded, "admin"), STAFF_PASSWORD)
    thief = _copy(client, app)
    assert thief.get("/api/v1/api-tokens").status_code == 200  # the copy works while the login lasts
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    r = thief.get("/api/v1/api-tokens")
    assert _revoked(r), (r.status_code, r.get_json())
    # pages: back to the login page, which says why
    page = thief.get("/exams/", headers={"Accept": "text/html"})
    assert page.status_code == 302 and "reason=session_revoked" in page.headers["Location"]
    login_page = thief.get(page.headers["Location"])
    assert "Phiên đăng nhập này đã kết thúc" in login_page.get_data(as_text=True)
    # public endpoints still answer (the copy can only log in again)
    assert thief.get("/api/v1/auth/me").get_json()["role"] is None


def test_new_candidate_login_ends_the_older_one(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(start=True)
    attempt, headers = login_candidate(client, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    save = f"/api/v1/attempts/{attempt}/responses/1"
    assert client.put(save, json={"seq": 1, "value": "A"}, headers=headers).status_code == 200
    other = app.test_client()
    login_candidate(other, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    # the first browser, CSRF token and all, is refused before anything is stored
    r = client.put(save, json={"seq": 2, "value": "B"}, headers=headers)
    assert _revoked(r), (r.status_code, r.get_json())
    page = client.get("/exam", headers={"Accept": "text/html"})
    assert page.status_code == 302 and "/exam/login" in page.headers["Location"]
    assert "reason=session_revoked" in page.headers["Location"]
    assert "Phiên đăng nhập này đã kết thúc" in client.get(page.headers["Location"]).get_data(as_text=True)
    held = other.get(f"/api/v1/attempts/{attempt}").get_json()
    assert "B" not in str(held.get("responses", held))


def test_workstation_move_ends_the_old_workstations_login(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(start=True)
    attempt, headers = login_candidate(client, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    save = f"/api/v1/attempts/{attempt}/responses/1"
    assert client.put(save, json={"seq": 1, "value": "A"}, headers=headers).status_code == 200
    staff = app.test_client()
    staff_headers = login_staff(staff, username(seeded, "inv1"), STAFF_PASSWORD)
    moved = staff.post(f"/api/v1/registrations/{seeded.registration_ids[0]}/login-code", json={"seat": "M03"},
                       headers=staff_headers)
    assert moved.status_code == 200 and moved.get_json()["seat"] == "M03"
    r = client.put(save, json={"seq": 2, "value": "C"}, headers=headers)
    assert _revoked(r), (r.status_code, r.get_json())
    # at the new workstation the candidate goes on with the code
    new_pc = app.test_client()
    r = new_pc.post("/api/v1/auth/candidate-login", json={"code": moved.get_json()["code"], "seat": "M03"},
                    headers=csrf(new_pc))
    assert r.status_code == 200, r.get_json()
    r = new_pc.put(save, json={"seq": 2, "value": "D"}, headers={"X-CSRFToken": r.get_json()["csrf_token"]})
    assert r.status_code == 200 and r.get_json()["ok"] is True


def test_password_change_ends_the_other_logins(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting()
    name = username(seeded, "examiner")
    headers = login_staff(client, name, STAFF_PASSWORD)
    laptop = app.test_client()
    login_staff(laptop, name, STAFF_PASSWORD)
    wrong = client.post("/api/v1/auth/password", json={"current_password": "nope", "new_password": "x" * 12},
                        headers=headers)
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "accounts.password_wrong"
    assert laptop.get("/api/v1/auth/me").get_json()["role"] == "examiner"  # nothing changed
    r = client.post("/api/v1/auth/password", json={"current_password": STAFF_PASSWORD,
                                                    "new_password": "mat-khau-moi-2026"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert _revoked(laptop.get(f"/api/v1/sittings/{seeded.sitting_id}/marking"))
    # this browser goes on (under a new record), with the new CSRF token
    assert client.get(f"/api/v1/sittings/{seeded.sitting_id}/marking").status_code == 200
    fresh = app.test_client()
    r = fresh.post("/api/v1/auth/login", json={"username": name, "password": STAFF_PASSWORD}, headers=csrf(fresh))
    assert r.status_code == 403
    login_staff(fresh, name, "mat-khau-moi-2026")


def test_cookie_names_a_record_and_a_minted_cookie_is_anonymous(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting()
    login_staff(client, username(seeded, "admin"), STAFF_PASSWORD)
    signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    payload = signer.loads(client.get_cookie(COOKIE).value)
    assert set(payload) == {"_sid"}  # who is logged in lives on the server only
    # Someone holding the signing key mints the old style of cookie: it carries no login.
    admin = db.get(User, seeded.users["admin"])
    forged = app.test_client()
    forged.set_cookie(COOKIE, signer.dumps({"user_id": admin.id, "role": "admin"}))
    r = forged.get("/api/v1/api-tokens")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "accounts.login_required"
    # and a made-up record id is nobody
    forged.set_cookie(COOKIE, signer.dumps({"_sid": uuid.uuid4().hex}))
    assert forged.get("/api/v1/api-tokens").status_code == 401


def test_redis_store_revokes_the_same_way(database_url: str, redis_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "inst", REDIS_URL=redis_url)
    with app.app_context():
        from exam_server.accounts.session_store import store

        assert isinstance(store(app), CachedStore)
        seeded = seed_sitting(start=True)
        client = app.test_client()
        attempt, headers = login_candidate(client, seeded.sitting_id, seeded.sbds[1], CANDIDATE_PASSWORD)
        thief = _copy(client, app)
        save = f"/api/v1/attempts/{attempt}/responses/1"
        assert thief.put(save, json={"seq": 1, "value": "A"}, headers=headers).status_code == 200
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
        assert _revoked(thief.put(save, json={"seq": 2, "value": "B"}, headers=headers))
        # the record is in Redis under its hash only, with the login's lifetime
        cache = store(app).cache  # type: ignore[attr-defined]
        keys = list(cache.redis.scan_iter(f"{app.config['REDIS_PREFIX']}:session:*"))
        assert keys and all(0 < cache.redis.ttl(k) <= 12 * 3600 for k in keys)


def test_a_redis_restart_logs_nobody_out_and_keeps_revocations(database_url: str, redis_url: str,
                                                               tmp_path: Path) -> None:
    """Redis keeps nothing on disk: losing its keys (a restart) must not end an exam's logins."""
    app = make_app(database_url, tmp_path / "inst", REDIS_URL=redis_url, REDIS_PREFIX=f"t{uuid.uuid4().hex[:8]}")
    with app.app_context():
        from exam_server.accounts.session_store import store

        seeded = seed_sitting(start=True)
        client = app.test_client()
        attempt, headers = login_candidate(client, seeded.sitting_id, seeded.sbds[1], CANDIDATE_PASSWORD)
        thief = _copy(client, app)
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
        again = app.test_client()
        attempt, headers = login_candidate(again, seeded.sitting_id, seeded.sbds[1], CANDIDATE_PASSWORD)
        cache = store(app).cache  # type: ignore[attr-defined]
        lost = list(cache.redis.scan_iter(f"{app.config['REDIS_PREFIX']}:*"))
        assert lost and cache.redis.delete(*lost) == len(lost)  # what a restart does to our keys
        save = f"/api/v1/attempts/{attempt}/responses/1"
        assert again.put(save, json={"seq": 1, "value": "A"}, headers=headers).status_code == 200
        assert _revoked(thief.put(save, json={"seq": 2, "value": "B"}, headers=headers))


def test_expired_login_records_are_swept_once_a_minute_not_per_login(app: Flask, client: FlaskClient,
                                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import select

    from exam_server.accounts import session_store
    from exam_server.accounts.models import LoginSession
    from exam_server.db import utcnow

    seeded = seed_sitting(start=True)

    def expired(tag: str) -> None:
        db.add(LoginSession(id_hash=f"old-{tag}", role="candidate", data="{}", created_at=utcnow() - timedelta(days=2),
                            expires_at=utcnow() - timedelta(days=1), revoked_reason=""))
        db.commit()

    def left() -> set[str]:
        return {h for h in db.scalars(select(LoginSession.id_hash)) if h.startswith("old-")}

    with app.app_context():
        expired("a")
    login_candidate(client, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    with app.app_context():
        assert left() == set()  # the first login of the process sweeps
        expired("b")
    login_candidate(app.test_client(), seeded.sitting_id, seeded.sbds[1], CANDIDATE_PASSWORD)
    with app.app_context():
        assert left() == {"old-b"}  # within the minute: no DELETE per login
    monkeypatch.setattr(session_store, "SWEEP_EVERY_S", 0.0)
    login_candidate(app.test_client(), seeded.sitting_id, seeded.sbds[2], CANDIDATE_PASSWORD)
    with app.app_context():
        assert left() == set()

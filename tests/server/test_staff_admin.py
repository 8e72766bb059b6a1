"""Staff accounts by admins over the API: create (password generated, shown once), role and room
assignment, reset password and deactivate (both end the user's logins at once), all audited;
examiners and invigilators are refused; an admin cannot lock themselves out."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.db import session as db
from exam_server.events.models import Event
from tests.server.conftest import login_staff
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _events(action: str, user_id: int) -> list[Event]:
    return [e for e in db.scalars(select(Event).where(Event.action == action)) if e.data.get("user_id") == user_id]


def test_admin_creates_assigns_resets_and_deactivates(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    headers = login_staff(client, username(s, "admin"), STAFF_PASSWORD)
    name = "gt-" + uuid.uuid4().hex[:8]
    r = client.post("/api/v1/staff", json={"username": name, "full_name": "Trần Văn Giám", "role": "invigilator"},
                    headers=headers)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    password = created["password"]
    assert len(password) == 12 and created["role"] == "invigilator" and created["room_ids"] == []
    user_id = created["id"]
    assert _events("staff.created", user_id)
    assert all(password not in str(e.data) for e in _events("staff.created", user_id))

    r = client.post("/api/v1/staff", json={"username": name, "role": "invigilator"}, headers=headers)
    assert r.status_code == 409
    r = client.post("/api/v1/staff", json={"username": "x y", "role": "invigilator"}, headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "username"
    r = client.post("/api/v1/staff", json={"username": "ok-" + name, "role": "candidate"}, headers=headers)
    assert r.status_code == 400

    r = client.patch(f"/api/v1/staff/{user_id}", json={"room_ids": [s.room_ids[1]]}, headers=headers)
    assert r.status_code == 200 and r.get_json()["room_ids"] == [s.room_ids[1]]
    r = client.patch(f"/api/v1/staff/{user_id}", json={"room_ids": [999_999]}, headers=headers)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "accounts.bad_rooms"

    # The new invigilator signs in and sees their room.
    inv = app.test_client()
    login_staff(inv, name, password)
    assert inv.get(f"/api/v1/rooms/{s.room_ids[1]}").status_code == 200

    # Reset: the old password and the open login both stop working; the new one works.
    r = client.post(f"/api/v1/staff/{user_id}/reset-password", headers=headers)
    assert r.status_code == 200
    new_password = r.get_json()["password"]
    assert new_password != password
    assert inv.get(f"/api/v1/rooms/{s.room_ids[1]}").status_code == 401
    assert _events("staff.password_reset", user_id)
    other = app.test_client()
    login_staff(other, name, new_password)
    assert other.get("/api/v1/auth/me").status_code == 200

    # Deactivate: signed out at once, cannot sign in again.
    r = client.post(f"/api/v1/staff/{user_id}/deactivate", headers=headers)
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert other.get(f"/api/v1/rooms/{s.room_ids[1]}").status_code == 401
    third = app.test_client()
    from tests.server.conftest import csrf

    r = third.post("/api/v1/auth/login", json={"username": name, "password": new_password}, headers=csrf(third))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.bad_credentials"
    assert _events("staff.deactivated", user_id)
    db.expire_all()
    assert db.get(User, user_id).active is False


def test_only_admins_and_never_themselves(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    assert client.get("/api/v1/staff").status_code == 403
    assert client.post("/api/v1/staff", json={"username": "zz", "role": "admin"}, headers=headers).status_code == 403
    admin = app.test_client()
    headers = login_staff(admin, username(s, "admin"), STAFF_PASSWORD)
    me = s.users["admin"]
    r = admin.post(f"/api/v1/staff/{me}/deactivate", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "accounts.not_yourself"
    r = admin.patch(f"/api/v1/staff/{me}", json={"role": "invigilator"}, headers=headers)
    assert r.status_code == 409
    listed = {u["username"] for u in admin.get("/api/v1/staff").get_json()["staff"]}
    assert username(s, "examiner") in listed

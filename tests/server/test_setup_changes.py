"""Sittings and rooms before check-in over the API: duplicate (settings and rooms, no candidates or
papers), delete a room (refused while candidates are in it), delete a sitting (refused once
check-in is open, the papers being locked)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_server.db import session as db
from exam_server.exams.models import Paper, Registration, Room, Sitting
from exam_server.exams.service import create_room
from tests.server.conftest import login_staff
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _count(model: type, *where: object) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_duplicate_then_delete_room_and_sitting(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    r = client.post(f"/api/v1/sittings/{s.sitting_id}/duplicate", headers=headers)
    assert r.status_code == 201
    copy = r.get_json()
    assert copy["name"].endswith("(bản sao)") and len(copy["rooms"]) == 2
    source_room = db.get(Room, s.room_ids[0])
    copied_room = db.get(Room, copy["rooms"][0])
    assert copied_room.seats == source_room.seats and copied_room.invigilators == source_room.invigilators
    assert _count(Registration, Registration.sitting_id == copy["id"]) == 0
    assert _count(Paper, Paper.sitting_id == copy["id"]) == 0

    r = client.delete(f"/api/v1/rooms/{s.room_ids[0]}", headers=headers)
    assert r.status_code == 409 and "3 thí sinh" in r.get_json()["error"]["message"]
    empty = create_room(s.sitting_id, "P99", ["M01"])
    db.commit()
    assert client.delete(f"/api/v1/rooms/{empty.id}", headers=headers).status_code == 200
    assert _count(Room, Room.id == empty.id) == 0

    r = client.delete(f"/api/v1/sittings/{s.sitting_id}", headers=headers)
    assert r.status_code == 200
    assert _count(Sitting, Sitting.id == s.sitting_id) == 0
    assert _count(Registration, Registration.sitting_id == s.sitting_id) == 0
    assert _count(Room, Room.sitting_id == s.sitting_id) == 0


def test_no_deletion_after_checkin_opened(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=True)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    r = client.delete(f"/api/v1/sittings/{s.sitting_id}", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "exams.setup_locked"
    assert "điểm danh" in r.get_json()["error"]["message"]
    assert _count(Sitting, Sitting.id == s.sitting_id) == 1
    r = client.delete(f"/api/v1/rooms/{s.room_ids[0]}", headers=headers)
    assert r.status_code == 409
    invigilator = app.test_client()
    inv_headers = login_staff(invigilator, username(s, "inv1"), STAFF_PASSWORD)
    assert invigilator.delete(f"/api/v1/sittings/{s.sitting_id}", headers=inv_headers).status_code == 403


def test_edit_sitting_before_checkin_names_bad_fields(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    good = {"name": "Ca 2 — Ngữ văn", "subject": "Ngữ văn", "starts_at": "15/06/2027 07:30",
            "duration_minutes": 120, "late_entry_minutes": 15, "grace_seconds": 10, "allow_password_login": True}
    r = client.patch(f"/api/v1/sittings/{s.sitting_id}", json={**good, "starts_at": "31/02/2027 07:30",
                                                               "duration_minutes": 0}, headers=headers)
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert set(error["fields"]) == {"starts_at", "duration_minutes"} and "31/02/2027" in error["fields"]["starts_at"]
    db.expire_all()
    assert db.get(Sitting, s.sitting_id).name == "Ca 1 — Toán"  # nothing changed
    r = client.patch(f"/api/v1/sittings/{s.sitting_id}", json=good, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["duration_s"] == 7200 and r.get_json()["scheduled_start"].startswith("2027-06-15T00:30")
    other = seed_sitting(open_checkin=True)
    headers = login_staff(client, username(other, "examiner"), STAFF_PASSWORD)
    assert client.patch(f"/api/v1/sittings/{other.sitting_id}", json=good, headers=headers).status_code == 409

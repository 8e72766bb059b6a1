"""PATCH /api/v1/rooms/<id>: the add-room form's fields as JSON, before check-in only (409
`exams.setup_locked` after), never removing a seat a candidate sits at (409 naming it), every bad
field named (400), each change logged; invigilators are refused (403)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.lifecycle import get_room
from tests.server.conftest import login_staff
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _room(room_id: int) -> tuple[str, list[str], int, list[int]]:
    db.expire_all()
    room = get_room(room_id)
    return room.name, list(room.seats), room.capacity, sorted(u.id for u in room.invigilators)


def test_patch_room_before_checkin(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(rooms=2, per_room=2, open_checkin=False)  # candidates at M01, M02 of each room
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    url = f"/api/v1/rooms/{s.room_ids[0]}"
    # A field left out keeps its value: only the seats change here.
    r = client.patch(url, json={"seats": ["M01", "M02", "M03"]}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["seats"] == ["M01", "M02", "M03"] and r.get_json()["capacity"] == 3
    assert _room(s.room_ids[0]) == ("P01", ["M01", "M02", "M03"], 3, [s.users["inv1"]])
    r = client.patch(url, json={"room_name": "P01B", "seats": "M01–M02, M09", "invigilators": [s.users["inv2"]]},
                     headers=headers)
    assert r.status_code == 200 and r.get_json()["invigilators"] == [username(s, "inv2")]
    assert _room(s.room_ids[0]) == ("P01B", ["M01", "M02", "M09"], 3, [s.users["inv2"]])
    logged = db.scalars(select(Event.data).where(Event.room_id == s.room_ids[0], Event.action == "room.updated")).all()
    assert [sorted(d["changes"]) for d in logged] == [["seats"], ["invigilators", "name", "seats"]]

    before = _room(s.room_ids[0])
    r = client.patch(url, json={"seats": "M01, M05"}, headers=headers)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "exams.room_seats_in_use" and error["field"] == "seats" and "M02" in error["message"]
    r = client.patch(url, json={"room_name": "P02", "seats": "M05–M01", "invigilators": [s.users["examiner"]]},
                     headers=headers)
    assert r.status_code == 400
    assert set(r.get_json()["error"]["fields"]) == {"room_name", "seats", "invigilators"}
    assert _room(s.room_ids[0]) == before
    assert client.patch("/api/v1/rooms/999999", json={"seats": "M01"}, headers=headers).status_code == 404


def test_patch_room_refused_after_checkin_and_to_invigilators(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(rooms=1, per_room=1, open_checkin=True)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    before = _room(s.room_ids[0])
    r = client.patch(f"/api/v1/rooms/{s.room_ids[0]}", json={"room_name": "P09"}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "exams.setup_locked"
    assert "mã đề đã khoá" in r.get_json()["error"]["message"]
    invigilator = app.test_client()
    inv_headers = login_staff(invigilator, username(s, "inv1"), STAFF_PASSWORD)
    r = invigilator.patch(f"/api/v1/rooms/{s.room_ids[0]}", json={"room_name": "P09"}, headers=inv_headers)
    assert r.status_code == 403
    assert _room(s.room_ids[0]) == before

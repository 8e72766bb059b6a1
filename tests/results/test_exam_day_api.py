"""Issue #13 contracts of the exam day: ending with confirmation (and a reason), room-wide
login codes and their printed slips. Runs against SQLite and PostgreSQL."""

from __future__ import annotations

import io

from flask import Flask
from pypdf import PdfReader

from exam_server.db import session as db
from exam_server.exams import lifecycle
from exam_server.exams.models import Room, Sitting
from tests.server.conftest import csrf, login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username


def _state(model: type, ident: int) -> str:
    db.expire_all()
    return db.get(model, ident).state


def test_sitting_end_needs_confirmation_naming_writers_and_waiting_rooms(app: Flask) -> None:
    s = seed_sitting(rooms=2, per_room=2)
    lifecycle.start_room(s.room_ids[0], lifecycle.Actor("examiner:test"))
    writer = app.test_client()
    login_candidate(writer, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)  # logged in: writing now

    examiner = app.test_client()
    headers = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    url = f"/api/v1/sittings/{s.sitting_id}/end"

    r = examiner.post(url, json={"reason": "Hết giờ"}, headers=headers)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "exams.end_needs_confirm"
    assert [c["sbd"] for c in error["writing"]] == [s.sbds[0]]  # the one who never logged in is not writing
    assert error["writing"][0]["room"] == "P01" and error["writing"][0]["full_name"] == "Nguyễn Văn 1"
    assert [room["name"] for room in error["rooms_not_started"]] == ["P02"]
    assert "1 thí sinh đang làm bài" in error["message"] and "1 phòng" in error["message"]
    assert _state(Sitting, s.sitting_id) == "started"  # nothing changed

    # The page's check never ends anything, even with nobody left to warn about.
    assert examiner.post(url, json={"reason": "x", "check": True}, headers=headers).status_code == 409

    r = examiner.post(url, json={"confirm": True}, headers=headers)
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "exams.end_reason_required"
    assert r.get_json()["error"]["field"] == "reason"
    assert _state(Sitting, s.sitting_id) == "started"

    r = examiner.post(url, json={"confirm": True, "reason": "Hết giờ làm bài"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "ended"
    assert {room["state"] for room in r.get_json()["rooms"]} == {"ended"}


def test_sitting_end_without_writers_ends_at_once_but_check_does_not(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=2, start=True)  # nobody logged in: nobody is writing
    examiner = app.test_client()
    headers = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    url = f"/api/v1/sittings/{s.sitting_id}/end"
    r = examiner.post(url, json={"check": True, "reason": "x"}, headers=headers)
    assert r.status_code == 200 and r.get_json() == {"writing": [], "rooms_not_started": []}
    assert _state(Sitting, s.sitting_id) == "started"
    assert examiner.post(url, json={}, headers=headers).status_code == 400  # no reason: named, not a 500
    r = examiner.post(url, data="not json", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert examiner.post(url, json={"reason": "Hết giờ"}, headers=headers).get_json()["state"] == "ended"


def test_room_end_confirmation_and_room_access(app: Flask) -> None:
    s = seed_sitting(rooms=2, per_room=2, start=True)
    writer = app.test_client()
    login_candidate(writer, s.sitting_id, s.sbds[1], CANDIDATE_PASSWORD)
    url = f"/api/v1/rooms/{s.room_ids[0]}/end"

    other = app.test_client()
    other_headers = login_staff(other, username(s, "inv2"), STAFF_PASSWORD)
    assert other.post(url, json={"confirm": True, "reason": "x"}, headers=other_headers).status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(url, json={"confirm": True, "reason": "x"}, headers=csrf(anonymous)).status_code == 401

    inv = app.test_client()
    headers = login_staff(inv, username(s, "inv1"), STAFF_PASSWORD)
    r = inv.post(url, json={"reason": "Hết giờ"}, headers=headers)
    assert r.status_code == 409
    assert [(c["sbd"], c["seat"], c["state"]) for c in r.get_json()["error"]["writing"]] == [(s.sbds[1], "M02", "active")]
    assert r.get_json()["error"]["rooms_not_started"] == []
    assert inv.post(url, json={"confirm": True, "reason": "  "}, headers=headers).status_code == 400
    assert _state(Room, s.room_ids[0]) == "started"
    r = inv.post(url, json={"confirm": True, "reason": "Hết giờ"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "ended"
    assert _state(Room, s.room_ids[1]) == "started"  # the other room is untouched


def test_room_login_codes_issue_once_then_skip_then_reissue_on_request(app: Flask) -> None:
    s = seed_sitting(rooms=2, per_room=3)
    early = app.test_client()
    login_candidate(early, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)  # already logged in: no code

    inv = app.test_client()
    headers = login_staff(inv, username(s, "inv1"), STAFF_PASSWORD)
    url = f"/api/v1/rooms/{s.room_ids[0]}/login-codes"
    r = inv.post(url, json={}, headers=headers)
    assert r.status_code == 200, r.get_json()
    codes = r.get_json()["codes"]
    assert [c["sbd"] for c in codes] == s.sbds[1:3]
    assert set(codes[0]) >= {"registration_id", "sbd", "full_name", "seat", "code"}
    assert codes[0]["full_name"] == "Nguyễn Văn 2" and codes[0]["seat"] == "M02"
    assert codes[0]["registration_id"] == s.registration_ids[1]
    assert all(len(c["code"]) == 8 for c in codes) and codes[0]["code"] != codes[1]["code"]

    # A second call (a reload, a second click) replaces nothing: the handed-out codes stay valid.
    r = inv.post(url, json={}, headers=headers)
    assert r.get_json()["codes"] == []
    assert [c["sbd"] for c in r.get_json()["already_issued"]] == s.sbds[1:3]
    assert "code" not in r.get_json()["already_issued"][0]
    first = app.test_client()
    assert first.post("/api/v1/auth/candidate-login", json={"code": codes[0]["code"]},
                      headers=csrf(first)).status_code == 200

    # Re-issuing is explicit; it covers only who has still not logged in, and the old code dies.
    r = inv.post(url, json={"reissue": True}, headers=headers)
    [fresh] = r.get_json()["codes"]
    assert fresh["sbd"] == s.sbds[2] and fresh["code"] != codes[1]["code"]
    stale = app.test_client()
    assert stale.post("/api/v1/auth/candidate-login", json={"code": codes[1]["code"]},
                      headers=csrf(stale)).status_code == 403
    assert stale.post("/api/v1/auth/candidate-login", json={"code": fresh["code"]},
                      headers=csrf(stale)).status_code == 200

    other = app.test_client()
    assert other.post(url, json={}, headers=login_staff(other, username(s, "inv2"), STAFF_PASSWORD)).status_code == 403


def test_login_code_slips_pdf_one_slip_per_candidate(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=3)
    examiner = app.test_client()
    headers = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    r = examiner.post(f"/api/v1/rooms/{s.room_ids[0]}/login-codes?format=pdf",
                      data={"csrf_token": headers["X-CSRFToken"]})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    for n in (1, 2, 3):
        assert f"Nguyễn Văn {n}" in text
    assert text.count("Đăng nhập tại") == 3 and "/exam/login?sitting=" in text
    assert s.sbds[2] in text and "M03" in text
    # The codes printed are the ones issued: the JSON call now has nobody left to issue for.
    again = examiner.post(f"/api/v1/rooms/{s.room_ids[0]}/login-codes", json={}, headers=headers).get_json()
    assert again["codes"] == [] and len(again["already_issued"]) == 3
    lifecycle.start_sitting(s.sitting_id, lifecycle.Actor("examiner:test"))
    lifecycle.end_sitting(s.sitting_id, lifecycle.Actor("examiner:test"), "x")
    r = examiner.post(f"/api/v1/rooms/{s.room_ids[0]}/login-codes", json={}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "exams.login_codes_closed"


def test_sitting_never_started_lists_every_room_then_ends_all_absent(app: Flask) -> None:
    s = seed_sitting(rooms=2, per_room=1)  # check-in open, no room started
    examiner = app.test_client()
    headers = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    url = f"/api/v1/sittings/{s.sitting_id}/end"
    r = examiner.post(url, json={"reason": "Hoãn thi"}, headers=headers)
    assert r.status_code == 409
    assert [room["name"] for room in r.get_json()["error"]["rooms_not_started"]] == ["P01", "P02"]
    assert r.get_json()["error"]["writing"] == []
    r = examiner.post(url, json={"reason": "Hoãn thi", "confirm": True}, headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "ended"
    scores = examiner.get(f"/api/v1/sittings/{s.sitting_id}/scores").get_json()["scores"]
    assert {row["state"] for row in scores} == {"absent"}
    assert examiner.post(url, json={"reason": "x", "confirm": True}, headers=headers).status_code == 409  # ended

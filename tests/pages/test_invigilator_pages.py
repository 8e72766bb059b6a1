"""Invigilator pages through the Flask test client: the room roster, starting/pausing/resuming
the room, issuing a one-time login code (shown once, works once), extra time with a reason."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.lifecycle import get_room
from tests.pages.conftest import form_token, page_login
from tests.support.seed import STAFF_PASSWORD, Seeded, seed_sitting, username


def seed(app: Flask, **kwargs: object) -> tuple[Seeded, str]:
    """A sitting and the username of room 1's invigilator."""
    with app.app_context():
        s = seed_sitting(**kwargs)  # type: ignore[arg-type]
        return s, username(s, "inv1")


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def room_state(app: Flask, room_id: int) -> str:
    with app.app_context():
        return get_room(room_id).state


def test_room_page_lists_candidates_with_state(app: Flask, client: FlaskClient) -> None:
    s, inv = seed(app, open_checkin=False, rooms=1, per_room=3)
    page_login(client, inv, STAFF_PASSWORD)
    page = text(client.get(f"/rooms/{s.room_ids[0]}"))
    assert "Phòng thi P01" in page and "Phòng chưa mở điểm danh." in page
    for sbd in s.sbds:
        assert f'<tr data-sbd="{sbd}">' in page
    assert re.search(r"<td>\d\d/\d\d/2008</td>", page), "dates of birth are dd/mm/yyyy"
    assert "Cấp mã đăng nhập" not in page  # no codes before check-in opens
    assert "Chưa có bài thi" in page
    token = form_token(page)
    r = client.post(f"/rooms/{s.room_ids[0]}/candidates/{s.registration_ids[0]}/login-code",
                    data={"csrf_token": token}, follow_redirects=True)
    assert "Chỉ cấp được mã khi phòng đang điểm danh hoặc đang thi." in text(r)
    assert 'id="login-code"' not in text(r)


def test_issue_login_code_shows_it_once_and_it_logs_the_candidate_in(app: Flask, client: FlaskClient) -> None:
    s, inv = seed(app, open_checkin=True, rooms=1, per_room=2)
    token = page_login(client, inv, STAFF_PASSWORD)
    room_url = f"/rooms/{s.room_ids[0]}"
    assert "Cấp mã đăng nhập" in text(client.get(room_url))
    r = client.post(f"{room_url}/candidates/{s.registration_ids[1]}/login-code", data={"csrf_token": token})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    code = re.search(r'<span class="code" id="login-code">([A-Z0-9]{8})</span>', text(r))
    assert code, text(r)
    assert s.sbds[1] in text(r) and "M02" in text(r)
    roster = text(client.get(f"{room_url}/roster"))
    row = re.search(rf'<tr data-sbd="{s.sbds[1]}">(.*?)</tr>', roster, re.S)
    assert row and "Đã cấp mã" in row.group(1)

    candidate = app.test_client()
    headers = {"X-CSRFToken": candidate.get("/api/v1/auth/csrf").get_json()["csrf_token"]}
    r = candidate.post("/api/v1/auth/candidate-login", headers=headers, json={"code": code.group(1)})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["registration_id"] == s.registration_ids[1]
    row = re.search(rf'<tr data-sbd="{s.sbds[1]}">(.*?)</tr>', text(client.get(f"{room_url}/roster")), re.S)
    assert row and "Đã vào, chờ bắt đầu" in row.group(1)
    # One time only.
    again = app.test_client()
    headers = {"X-CSRFToken": again.get("/api/v1/auth/csrf").get_json()["csrf_token"]}
    assert again.post("/api/v1/auth/candidate-login", headers=headers,
                      json={"code": code.group(1)}).status_code == 403


def test_start_pause_needs_reason_resume(app: Flask, client: FlaskClient) -> None:
    s, inv = seed(app, open_checkin=True, rooms=1, per_room=2)
    token = page_login(client, inv, STAFF_PASSWORD)
    room_id = s.room_ids[0]
    page = text(client.post(f"/rooms/{room_id}/start", data={"csrf_token": token}, follow_redirects=True))
    assert "Phòng thi đã bắt đầu." in page and "Lý do tạm dừng" in page
    assert room_state(app, room_id) == "started"
    page = text(client.post(f"/rooms/{room_id}/pause", data={"csrf_token": token, "reason": "  "},
                            follow_redirects=True))
    assert "Không thực hiện được:" in page
    assert room_state(app, room_id) == "started"
    page = text(client.post(f"/rooms/{room_id}/pause", data={"csrf_token": token, "reason": "Mất điện"},
                            follow_redirects=True))
    assert "Đã tạm dừng phòng thi" in page and ">Tiếp tục</button>" in page
    assert room_state(app, room_id) == "paused"
    with app.app_context():
        reasons = db.scalars(select(Event.reason).where(Event.room_id == room_id, Event.action == "room.paused")).all()
        assert reasons == ["Mất điện"]
    page = text(client.post(f"/rooms/{room_id}/resume", data={"csrf_token": token}, follow_redirects=True))
    assert "Phòng thi đã tiếp tục." in page
    assert room_state(app, room_id) == "started"
    # Resuming a running room is refused with the reason.
    page = text(client.post(f"/rooms/{room_id}/resume", data={"csrf_token": token}, follow_redirects=True))
    assert "Không thực hiện được:" in page


def test_extra_time_with_reason(app: Flask, client: FlaskClient) -> None:
    s, inv = seed(app, open_checkin=True, start=True, rooms=2, per_room=2)
    token = page_login(client, inv, STAFF_PASSWORD)
    url = f"/rooms/{s.room_ids[0]}/extra-time"
    reg, attempt_id = s.registration_ids[0], s.attempt_ids[0]
    cases = [
        ({"registration_id": reg, "minutes": "0", "reason": "máy hỏng"}, "Số phút phải là số nguyên từ 1 đến 240."),
        ({"registration_id": reg, "minutes": "abc", "reason": "máy hỏng"}, "Số phút phải là số nguyên từ 1 đến 240."),
        ({"registration_id": reg, "minutes": "10", "reason": " "}, "Hãy ghi lý do cộng giờ."),
        ({"registration_id": "", "minutes": "10", "reason": "máy hỏng"}, "Hãy chọn một thí sinh của phòng này."),
        # A candidate of the other room, through this room's form.
        ({"registration_id": s.registration_ids[2], "minutes": "10", "reason": "x"}, "Hãy chọn một thí sinh của phòng này."),
    ]
    for form, error in cases:
        page = text(client.post(url, data={"csrf_token": token, **form}, follow_redirects=True))
        assert error in page, form
    with app.app_context():
        assert db.get(Attempt, attempt_id).extra_s == 0  # type: ignore[union-attr]
    page = text(client.post(url, data={"csrf_token": token, "registration_id": reg, "minutes": "10",
                                       "reason": "Máy tính bị treo"}, follow_redirects=True))
    assert f"Đã cộng 10 phút cho thí sinh {s.sbds[0]}." in page
    with app.app_context():
        attempt = db.get(Attempt, attempt_id)
        assert attempt is not None and attempt.extra_s == 600
        event = db.scalars(select(Event).where(Event.attempt_id == attempt_id, Event.action == "attempt.extra_time")).one()
        assert event.reason == "Máy tính bị treo" and event.actor == f"invigilator:{inv}"
    row = re.search(rf'<tr data-sbd="{s.sbds[0]}">(.*?)</tr>', text(client.get(f"/rooms/{s.room_ids[0]}/roster")), re.S)
    assert row and "10 phút" in row.group(1)


def test_examiner_can_manage_any_room(app: Flask, client: FlaskClient) -> None:
    s, _ = seed(app, open_checkin=True, rooms=2, per_room=1)
    with app.app_context():
        examiner = username(s, "examiner")
    token = page_login(client, examiner, STAFF_PASSWORD)
    assert client.get(f"/rooms/{s.room_ids[1]}").status_code == 200
    client.post(f"/rooms/{s.room_ids[1]}/start", data={"csrf_token": token})
    assert room_state(app, s.room_ids[1]) == "started"

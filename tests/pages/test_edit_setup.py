"""Editing a sitting and a room through the examiner pages (Flask test client, SQLite and
PostgreSQL): the creation form comes back filled in, a save is logged; once check-in is open the
pages refuse, saying why, and change nothing; seats candidates sit at cannot be removed; the
irreversible steps (open check-in, end) ask first, naming what they do; invigilators are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.lifecycle import get_room, get_sitting
from exam_server.exams.service import create_room
from tests.pages.conftest import form_token, page_login
from tests.pages.test_setup_pages import examiner_session, sitting_form, text
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username

LOCKED = "đã mở điểm danh (mã đề đã khoá)"


def in_english(client: FlaskClient, url: str) -> str:
    """A page in English; the language cookie is set back to Vietnamese after it."""
    page = text(client.get(f"{url}?lang=en"))
    client.get(f"{url}?lang=vi")
    return page


def events(app: Flask, sitting_id: int, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [e.data for e in db.scalars(select(Event).where(Event.sitting_id == sitting_id, Event.action == action))]


def sitting_row(app: Flask, sitting_id: int) -> tuple[Any, ...]:
    with app.app_context():
        s = get_sitting(sitting_id)
        return (s.name, s.subject, s.scheduled_start, s.duration_s, s.late_entry_s, s.grace_s,
                s.allow_password_login)


def room_row(app: Flask, room_id: int) -> tuple[Any, ...]:
    with app.app_context():
        room = get_room(room_id)
        return room.name, list(room.seats), room.capacity, sorted(u.id for u in room.invigilators)


def test_sitting_edit_is_the_creation_form_filled_in_and_is_logged(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    base = f"/exams/sittings/{s.sitting_id}"
    assert f'href="{base}/edit"' in text(client.get(base))
    page = text(client.get(f"{base}/edit"))
    assert "Sửa ca thi Ca 1 — Toán" in page and 'value="Ca 1 — Toán"' in page and 'value="Toán"' in page
    assert 'value="10"' in page and "Lưu thay đổi" in page  # duration (600 s) in minutes
    assert 'name="allow_password_login" value="1" checked' in page
    assert 'name="code"' not in page  # the exam's own fields are not part of a sitting
    english = in_english(client, f"{base}/edit")
    assert "Edit sitting Ca 1 — Toán" in english and "Save the changes" in english and "pages." not in english

    r = client.post(f"{base}/edit", data={"csrf_token": token, **sitting_form(
        name="Ca 1 — Toán (đổi giờ)", starts_at="28/06/2027 13:30", duration_minutes="75",
        late_entry_minutes="5", grace_seconds="20", allow_password_login="")})
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == base
    # 13:30 in Hanoi is 06:30 UTC; an unticked box turns password sign-in off.
    assert sitting_row(app, s.sitting_id) == ("Ca 1 — Toán (đổi giờ)", "Vật lí", datetime(2027, 6, 28, 6, 30, tzinfo=UTC),
                                              4500, 300, 20, False)
    assert "Đã lưu ca thi Ca 1 — Toán (đổi giờ)." in text(client.get(base))
    [logged] = events(app, s.sitting_id, "sitting.updated")
    assert set(logged["changes"]) == {"name", "subject", "scheduled_start", "duration_s", "late_entry_s",
                                      "grace_s", "allow_password_login"}
    assert logged["changes"]["duration_s"] == {"from": "600", "to": "4500"}
    # The stored values come back as they were typed.
    page = text(client.get(f"{base}/edit"))
    assert 'value="28/06/2027 13:30"' in page and 'value="75"' in page
    assert 'name="allow_password_login" value="1">' in page  # unticked

    # Saving the form unchanged logs nothing more.
    r = client.post(f"{base}/edit", data={"csrf_token": token, **sitting_form(
        name="Ca 1 — Toán (đổi giờ)", starts_at="28/06/2027 13:30", duration_minutes="75",
        late_entry_minutes="5", grace_seconds="20", allow_password_login="")})
    assert r.status_code == 302 and len(events(app, s.sitting_id, "sitting.updated")) == 1


def test_impossible_date_is_named_and_nothing_changes(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    before = sitting_row(app, s.sitting_id)
    r = client.post(f"/exams/sittings/{s.sitting_id}/edit", data={"csrf_token": token, **sitting_form(
        name="Tên mới", starts_at="31/02/2027 07:30", duration_minutes="0")})
    assert r.status_code == 422
    page = text(r)
    # 31/02 is well formed but cannot exist: said so, not "wrong format".
    assert "không có thật: tháng 2/2027 chỉ có 28 ngày" in page and 'id="f-starts_at-error"' in page
    assert 'id="f-duration_minutes-error"' in page and "Chưa có gì thay đổi." in page
    assert 'value="Tên mới"' in page  # what was typed is kept for the next try
    assert sitting_row(app, s.sitting_id) == before
    assert events(app, s.sitting_id, "sitting.updated") == []
    assert client.get("/exams/sittings/999999/edit").status_code == 404


def test_room_edit_renames_reseats_and_reassigns_and_is_logged(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)  # two rooms, one candidate each at M01
    room_id = s.room_ids[0]
    url = f"/exams/sittings/{s.sitting_id}/rooms/{room_id}/edit"
    assert f'href="{url}"' in text(client.get(f"/exams/sittings/{s.sitting_id}"))
    page = text(client.get(url))
    assert "Sửa phòng P01" in page and 'value="P01"' in page and ">M01</textarea>" in page
    assert f'value="{s.users["inv1"]}" checked' in page and f'value="{s.users["inv2"]}">' in page

    r = client.post(url, data={"csrf_token": token, "room_name": "P01A", "seats": "M01–M04, B1",
                               "invigilators": [str(s.users["inv2"])]})
    assert r.status_code == 302, text(r)
    assert room_row(app, room_id) == ("P01A", ["M01", "M02", "M03", "M04", "B1"], 5, [s.users["inv2"]])
    assert "Đã lưu phòng P01A (5 chỗ ngồi)." in text(client.get(f"/exams/sittings/{s.sitting_id}"))
    [logged] = events(app, s.sitting_id, "room.updated")
    assert logged["changes"]["name"] == {"from": "P01", "to": "P01A"}
    assert logged["changes"]["seats"]["added"] == ["M02", "M03", "M04", "B1"]
    assert logged["changes"]["invigilators"] == {"from": [s.users["inv1"]], "to": [s.users["inv2"]]}
    assert "Edit room P01A" in in_english(client, url)
    # The range comes back as a range.
    assert ">M01–M04, B1</textarea>" in text(client.get(url))

    # Seats nobody sits at can go; the same form refuses a name another room has.
    r = client.post(url, data={"csrf_token": token, "room_name": "P01A", "seats": "M01, M02",
                               "invigilators": [str(s.users["inv2"])]})
    assert r.status_code == 302 and room_row(app, room_id)[1:3] == (["M01", "M02"], 2)
    r = client.post(url, data={"csrf_token": token, "room_name": "p02", "seats": "M01"})
    assert r.status_code == 422 and "Ca thi đã có phòng “p02”." in text(r)
    assert room_row(app, room_id)[0] == "P01A"
    # A room of another sitting is not found through this sitting's address.
    assert client.get(f"/exams/sittings/{s.sitting_id + 10**6}/rooms/{room_id}/edit").status_code == 404


def test_seats_candidates_sit_at_cannot_be_removed(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        s = seed_sitting(rooms=1, per_room=3, open_checkin=False)  # candidates at M01, M02, M03
        examiner = username(s, "examiner")
    token = page_login(client, examiner, STAFF_PASSWORD)
    room_id = s.room_ids[0]
    before = room_row(app, room_id)
    r = client.post(f"/exams/sittings/{s.sitting_id}/rooms/{room_id}/edit", data={
        "csrf_token": token, "room_name": "P01", "seats": "M01, M04", "invigilators": [str(s.users["inv1"])]})
    assert r.status_code == 409
    page = text(r)
    assert "Chưa đổi chỗ ngồi của phòng P01: đã có thí sinh được xếp ngồi ở M02, M03." in page
    assert 'id="f-seats-error"' in page and ">M01, M04</textarea>" in page
    assert room_row(app, room_id) == before
    assert events(app, s.sitting_id, "room.updated") == []


def test_after_checkin_the_edits_are_refused_saying_why(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        s = seed_sitting(rooms=1, per_room=1, open_checkin=True)
        examiner = username(s, "examiner")
    token = page_login(client, examiner, STAFF_PASSWORD)
    base = f"/exams/sittings/{s.sitting_id}"
    room_url = f"{base}/rooms/{s.room_ids[0]}/edit"
    page = text(client.get(base))
    assert f'href="{base}/edit"' not in page and f'href="{room_url}"' not in page
    sitting_before, room_before = sitting_row(app, s.sitting_id), room_row(app, s.room_ids[0])
    for url, form in ((f"{base}/edit", sitting_form()), (room_url, {"room_name": "P09", "seats": "M01–M09"})):
        r = client.get(url)
        assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == base, url
        r = client.post(url, data={"csrf_token": token, **form}, follow_redirects=True)
        assert r.status_code == 200 and LOCKED in text(r), url
    assert sitting_row(app, s.sitting_id) == sitting_before and room_row(app, s.room_ids[0]) == room_before
    assert events(app, s.sitting_id, "sitting.updated") == events(app, s.sitting_id, "room.updated") == []


def test_irreversible_steps_ask_first_naming_the_consequence(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    base = f"/exams/sittings/{s.sitting_id}"
    page = text(client.get(base))
    # Opening check-in asks (staff.js reads data-confirm) and says the papers are locked.
    assert (f'action="{base}/open_checkin" data-confirm="Mở điểm danh? Các mã đề sẽ bị khoá (không tải lên hay '
            "tạo lại được) và thí sinh được chia đề. Không thể hoàn tác.") in page
    assert client.post(f"{base}/open_checkin", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{base}/start", data={"csrf_token": token}).status_code == 302
    page = text(client.get(base))
    # Ending goes through the dialog, which says what ending does and that it is final.
    assert 'class="inline-form end-form"' in page and '<dialog id="end-dialog"' in page
    assert "Bài đang làm sẽ được nộp ngay; thí sinh chưa làm bài được ghi là vắng. Không thể hoàn tác." in page


@pytest.mark.parametrize("role", ["inv1", "anonymous"])
def test_edit_pages_refuse_invigilators_and_anonymous(app: Flask, client: FlaskClient, role: str) -> None:
    with app.app_context():
        s = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        inv = username(s, "inv1")
        empty = create_room(s.sitting_id, "P50", ["M01"]).id
        db.commit()
    token = (page_login(client, inv, STAFF_PASSWORD) if role == "inv1"
             else form_token(text(client.get("/login"))))
    expected = 403 if role == "inv1" else 302
    base = f"/exams/sittings/{s.sitting_id}"
    before = sitting_row(app, s.sitting_id), room_row(app, s.room_ids[0]), room_row(app, empty)
    for url in (f"{base}/edit", f"{base}/rooms/{s.room_ids[0]}/edit", f"{base}/rooms/{empty}/edit"):
        assert client.get(url).status_code == expected, url
        r = client.post(url, data={"csrf_token": token, "room_name": "P77", "seats": "M01–M05", **sitting_form()})
        assert r.status_code == expected, url
        if role == "anonymous":
            assert urlsplit(r.headers["Location"]).path == "/login"
    assert (sitting_row(app, s.sitting_id), room_row(app, s.room_ids[0]), room_row(app, empty)) == before

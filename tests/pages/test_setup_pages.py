"""Setting up a sitting through the examiner pages (Flask test client, SQLite and PostgreSQL):
exam → sitting → rooms → papers (uploaded or generated) → roster → check-in → start → pause/resume.
Bad input names the field and creates nothing; invigilators are refused every set-up page."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.models import Exam, Paper, Room, Sitting
from exam_server.sample_questions import sample_questions
from question_bank.formats import write_bytes_any
from question_bank.papers import Blueprint, generate_papers
from tests.pages.conftest import form_token, page_login
from tests.support.seed import STAFF_PASSWORD, Seeded, seed_sitting, username

ROSTER = ("SBD,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng thi,Số máy/Ghế\n"
          "{p}001,Trần Thị Bình,05/03/2008,{c}01,THPT A,12A1,P01,M01\n"
          "{p}002,Lê Văn Cường,06/04/2008,{c}02,THPT A,12A1,P02,A1\n")
_unique = [0]


def unique(prefix: str) -> str:
    _unique[0] += 1
    return f"{prefix}{_unique[0]}{datetime.now().strftime('%H%M%S%f')}"


def sitting_form(**changes: str) -> dict[str, str]:
    return {"name": "Ca 2 — Vật lí", "subject": "Vật lí", "starts_at": "27/06/2026 07:30",
            "duration_minutes": "50", "late_entry_minutes": "15", "grace_seconds": "10",
            "allow_password_login": "1", **changes}


def papers_json() -> bytes:
    blueprint = Blueprint.from_dict({"title": "Đề", "seed": 3, "codes": ["0101", "0102"],
                                     "sections": [{"name": "Phần I", "draw": 5}]})
    papers = generate_papers(blueprint, [q.with_uid() for q in sample_questions()]).papers
    return json.dumps([p.to_dict() for p in papers], ensure_ascii=False).encode()


def gift_bank(n: int = 6) -> bytes:
    return "\n\n".join(f"::Q{i}:: {i} + 1 bằng mấy? {{={i + 1} ~{i + 2} ~{i + 3} ~{i}}}"
                       for i in range(1, n + 1)).encode()


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def examiner_session(app: Flask, client: FlaskClient) -> tuple[Seeded, str, dict[str, str]]:
    """A seeded sitting (for its staff accounts), a signed-in examiner's CSRF token, usernames."""
    with app.app_context():
        s = seed_sitting(rooms=2, per_room=1, open_checkin=False)
        names = {key: username(s, key) for key in s.users}
    return s, page_login(client, names["examiner"], STAFF_PASSWORD), names


def test_examiner_sets_up_and_starts_a_sitting_through_the_pages(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    assert 'href="/exams/new"' in text(client.get("/exams/"))
    assert "Mã kỳ thi" in text(client.get("/exams/new"))
    code = unique("TN")
    r = client.post("/exams/new", data={"csrf_token": token, "code": code, "exam_name": "Thi thử THPT",
                                        **sitting_form()})
    assert r.status_code == 302, text(r)
    sitting_id = int(re.fullmatch(r"/exams/sittings/(\d+)", r.headers["Location"]).group(1))  # type: ignore[union-attr]
    with app.app_context():
        sitting = db.get(Sitting, sitting_id)
        assert sitting.exam.code == code and sitting.subject == "Vật lí"
        # 07:30 in Hanoi is 00:30 UTC.
        assert sitting.scheduled_start == datetime(2026, 6, 27, 0, 30, tzinfo=UTC)
        assert (sitting.duration_s, sitting.late_entry_s, sitting.grace_s) == (3000, 900, 10)
        assert sitting.allow_password_login and sitting.state == "scheduled"
        exam_id = sitting.exam_id
    page = text(client.get(f"/exams/sittings/{sitting_id}"))
    assert "Đã tạo kỳ thi Thi thử THPT." in page and "27/06/2026 07:30" in page

    # A second sitting of the same exam through "New sitting".
    r = client.post(f"/exams/{exam_id}/sittings/new", data={"csrf_token": token, **sitting_form(name="Ca 3")})
    assert r.status_code == 302
    assert count(app, Sitting, Sitting.exam_id == exam_id) == 2

    base = f"/exams/sittings/{sitting_id}"
    r = client.post(f"{base}/rooms", data={"csrf_token": token, "room_name": "P01", "seats": "M01–M03",
                                           "invigilators": [str(s.users["inv1"])]})
    assert r.status_code == 302, text(r)
    r = client.post(f"{base}/rooms", data={"csrf_token": token, "room_name": "P02", "seats": "A1, A2\nA3",
                                           "invigilators": [str(s.users["inv2"]), str(s.users["inv1"])]})
    assert r.status_code == 302, text(r)
    with app.app_context():
        rooms = db.scalars(select(Room).where(Room.sitting_id == sitting_id).order_by(Room.id)).all()
        assert [(r.name, r.seats, r.capacity) for r in rooms] == [
            ("P01", ["M01", "M02", "M03"], 3), ("P02", ["A1", "A2", "A3"], 3)]
        assert {u.id for u in rooms[1].invigilators} == {s.users["inv1"], s.users["inv2"]}

    r = client.post(f"{base}/papers", content_type="multipart/form-data", data={
        "csrf_token": token, "papers": (io.BytesIO(papers_json()), "papers.json")})
    assert r.status_code == 302, text(r)
    r = client.post(f"{base}/papers/generate", content_type="multipart/form-data", data={
        "csrf_token": token, "questions": (io.BytesIO(gift_bank()), "ngan-hang.gift"),
        "paper_count": "2", "start_code": "0201", "seed": "9", "draw": "4",
        "shuffle_questions": "on", "shuffle_options": "on"})
    assert r.status_code == 302, text(r)
    page = text(client.get(base))
    assert "Đã thêm 2 mã đề: 0201, 0202." in page
    table = re.findall(r'<tr><th scope="row">(\w+)</th><td class="num">(\d+)</td></tr>', page)
    assert table == [("0101", "5"), ("0102", "5"), ("0201", "4"), ("0202", "4")]

    tag = unique("")[-6:]
    r = client.post(f"{base}/roster", content_type="multipart/form-data", data={
        "csrf_token": token, "roster": (io.BytesIO(ROSTER.format(p=tag, c="0012080" + tag[:3]).encode()), "ds.csv")})
    assert r.status_code == 302, text(r)

    assert client.post(f"{base}/open_checkin", data={"csrf_token": token}).status_code == 302
    # Papers and rooms are fixed once check-in is open: refused with a clear message.
    r = client.post(f"{base}/papers", content_type="multipart/form-data", follow_redirects=True, data={
        "csrf_token": token, "papers": (io.BytesIO(papers_json()), "papers.json")})
    assert "Chỉ thêm mã đề trước khi mở điểm danh." in text(r)
    r = client.post(f"{base}/rooms", follow_redirects=True,
                    data={"csrf_token": token, "room_name": "P03", "seats": "M01"})
    assert "Chỉ thêm phòng thi trước khi mở điểm danh." in text(r)
    assert count(app, Paper, Paper.sitting_id == sitting_id) == 4
    assert count(app, Room, Room.sitting_id == sitting_id) == 2

    assert client.post(f"{base}/start", data={"csrf_token": token}).status_code == 302
    page = text(client.get(base))
    assert "Tạm dừng ca thi" in page and "Lý do tạm dừng" in page
    r = client.post(f"{base}/pause", data={"csrf_token": token, "reason": " "}, follow_redirects=True)
    assert "Cần ghi lý do cho thao tác này." in text(r)
    r = client.post(f"{base}/pause", data={"csrf_token": token, "reason": "Mất điện"}, follow_redirects=True)
    assert "Đã tạm dừng ca thi" in text(r) and "Tiếp tục ca thi" in text(r)
    with app.app_context():
        assert {r.state for r in db.scalars(select(Room).where(Room.sitting_id == sitting_id))} == {"paused"}
    r = client.post(f"{base}/resume", data={"csrf_token": token, "reason": "Có điện"}, follow_redirects=True)
    assert "Ca thi đã tiếp tục." in text(r)
    with app.app_context():
        assert db.get(Sitting, sitting_id).state == "started"
        assert {r.state for r in db.scalars(select(Room).where(Room.sitting_id == sitting_id))} == {"started"}
        actions = set(db.scalars(select(Event.action).where(Event.sitting_id == sitting_id)))
        assert {"sitting.created", "room.created", "papers.imported"} <= actions
        assert db.scalar(select(func.count()).select_from(Event).where(
            Event.action == "exam.created", Event.data["code"].as_string() == code)) == 1


def test_bad_exam_and_sitting_forms_name_each_field_and_create_nothing(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    exams, sittings = count(app, Exam), count(app, Sitting)
    r = client.post("/exams/new", data={"csrf_token": token, "code": "có dấu", "exam_name": "",
                                        **sitting_form(name="", starts_at="31/02/2026 07:00",
                                                       duration_minutes="0", late_entry_minutes="abc")})
    assert r.status_code == 422
    page = text(r)
    for name in ("code", "exam_name", "name", "starts_at", "duration_minutes", "late_entry_minutes"):
        assert f'id="f-{name}-error"' in page, name
    # 31/02 is well formed but cannot exist: said so, not "wrong format"
    assert "không có thật: tháng 2/2026 chỉ có 28 ngày" in page and "Nhập một số nguyên từ 1 đến 600." in page
    assert 'id="f-grace_seconds-error"' not in page and 'value="Vật lí"' in page  # the rest is kept
    # A taken exam code: neither the exam nor its first sitting is created.
    with app.app_context():
        taken = db.get(Sitting, s.sitting_id).exam.code
    r = client.post("/exams/new", data={"csrf_token": token, "code": taken, "exam_name": "X", **sitting_form()})
    assert r.status_code == 422 and f"Mã kỳ thi {taken} đã tồn tại." in text(r)
    with app.app_context():
        exam_id = db.get(Sitting, s.sitting_id).exam_id
    r = client.post(f"/exams/{exam_id}/sittings/new", data={"csrf_token": token,
                                                            **sitting_form(grace_seconds="-1", starts_at="")})
    assert r.status_code == 422
    assert 'id="f-grace_seconds-error"' in text(r) and "Trường này là bắt buộc." in text(r)
    assert client.get("/exams/999999/sittings/new").status_code == 404
    english = text(client.get("/exams/new?lang=en"))
    assert "New exam" in english and "Duration (minutes)" in english and "pages." not in english
    assert (count(app, Exam), count(app, Sitting)) == (exams, sittings)


def test_bad_room_and_paper_inputs_are_refused_and_change_nothing(app: Flask, client: FlaskClient) -> None:
    s, token, _ = examiner_session(app, client)
    base = f"/exams/sittings/{s.sitting_id}"
    rooms = count(app, Room, Room.sitting_id == s.sitting_id)
    r = client.post(f"{base}/rooms", data={"csrf_token": token, "room_name": "P01", "seats": "M05–M01",
                                           "invigilators": [str(s.users["examiner"])]})
    assert r.status_code == 422
    page = text(r)
    assert "Ca thi đã có phòng “P01”." in page and "Không hiểu “M05–M01”" in page
    assert "Chỉ chọn cán bộ coi thi có trong danh sách." in page and "Chưa có gì được tạo." in page
    r = client.post(f"{base}/rooms", data={"csrf_token": token, "room_name": "P09", "seats": "M01-M03, M02"})
    assert r.status_code == 422 and "Chỗ ngồi bị trùng: M02." in text(r)
    assert 'value="P09"' in text(r)  # the form comes back filled in
    assert count(app, Room, Room.sitting_id == s.sitting_id) == rooms

    papers = count(app, Paper, Paper.sitting_id == s.sitting_id)
    r = client.post(f"{base}/papers", content_type="multipart/form-data", data={
        "csrf_token": token, "papers": (io.BytesIO(b"{not json"), "papers.json")})
    assert r.status_code == 422 and "Không đọc được tệp đề papers.json" in text(r)
    r = client.post(f"{base}/papers", data={"csrf_token": token})
    assert r.status_code == 422 and "Hãy chọn tệp mã đề .json." in text(r)
    r = client.post(f"{base}/papers/generate", content_type="multipart/form-data", data={
        "csrf_token": token, "questions": (io.BytesIO(gift_bank(3)), "bank.gift"),
        "paper_count": "2", "start_code": "0101", "seed": "1", "draw": "5"})
    assert r.status_code == 422
    assert 'id="generate-problems"' in text(r) and 'id="f-draw-error"' in text(r)
    r = client.post(f"{base}/papers/generate", content_type="multipart/form-data", data={
        "csrf_token": token, "questions": (io.BytesIO(b"<quiz><question type="), "bank.xml"),
        "paper_count": "2", "start_code": "0101", "draw": "2"})
    assert r.status_code == 422 and "Không đọc được tệp câu hỏi “bank.xml”" in text(r)
    r = client.post(f"{base}/papers/generate", content_type="multipart/form-data", data={
        "csrf_token": token, "paper_count": "100", "start_code": "A1", "draw": "0"})
    page = text(r)
    assert r.status_code == 422 and "Hãy chọn tệp câu hỏi." in page
    for name in ("paper_count", "start_code", "draw"):
        assert f'id="f-{name}-error"' in page, name
    # Codes already in the sitting (the seed's paper 101): nothing of the batch is stored.
    xlsx = write_bytes_any(sample_questions(), "bank.xlsx")
    r = client.post(f"{base}/papers/generate", content_type="multipart/form-data", data={
        "csrf_token": token, "questions": (io.BytesIO(xlsx), "bank.xlsx"),
        "paper_count": "3", "start_code": "100", "draw": "8"})
    assert r.status_code == 409 and "Mã đề đã có trong ca thi: 101." in text(r)
    assert count(app, Paper, Paper.sitting_id == s.sitting_id) == papers


@pytest.mark.parametrize("role", ["inv1", "anonymous"])
def test_set_up_pages_refuse_invigilators_and_anonymous(app: Flask, client: FlaskClient, role: str) -> None:
    with app.app_context():
        s = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        exam_id = db.get(Sitting, s.sitting_id).exam_id
        inv = username(s, "inv1")
    token = (page_login(client, inv, STAFF_PASSWORD) if role == "inv1"
             else form_token(text(client.get("/login"))))
    expected = 403 if role == "inv1" else 302
    base = f"/exams/sittings/{s.sitting_id}"
    before = (count(app, Exam), count(app, Sitting), count(app, Room), count(app, Paper))
    for url in ("/exams/new", f"/exams/{exam_id}/sittings/new"):
        assert client.get(url).status_code == expected, url
    form = {"csrf_token": token, "code": unique("X"), "exam_name": "X", "room_name": "P77", "seats": "M01",
            "reason": "x", **sitting_form()}
    for url in ("/exams/new", f"/exams/{exam_id}/sittings/new", f"{base}/rooms", f"{base}/papers",
                f"{base}/papers/generate", f"{base}/pause", f"{base}/resume"):
        assert client.post(url, data=form).status_code == expected, url
    assert (count(app, Exam), count(app, Sitting), count(app, Room), count(app, Paper)) == before


def test_set_up_forms_need_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    s, _, _ = examiner_session(app, client)
    sittings = count(app, Sitting)
    r = client.post("/exams/new", data={"code": unique("C"), "exam_name": "X", **sitting_form()})
    assert r.status_code == 400
    r = client.post(f"/exams/sittings/{s.sitting_id}/rooms", data={"room_name": "P55", "seats": "M01"})
    assert r.status_code == 400
    assert count(app, Sitting) == sittings
    assert count(app, Room, Room.sitting_id == s.sitting_id) == 2

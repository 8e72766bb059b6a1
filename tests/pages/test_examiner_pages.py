"""Examiner pages through the Flask test client: sign-in, roster import (every row error shown,
nothing half-imported), the sitting lifecycle buttons, refusals shown in Vietnamese, scores."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from exam_server.accounts.models import User
from exam_server.db import session as db
from exam_server.exams.lifecycle import get_sitting
from exam_server.exams.models import Registration
from tests.pages.conftest import form_token, page_login
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, Seeded, seed_sitting, username

HEADER = "SBD,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng thi,Số máy/Ghế\n"


def seed(app: Flask, **kwargs: object) -> tuple[Seeded, str]:
    """A sitting and its examiner's username."""
    with app.app_context():
        s = seed_sitting(**kwargs)  # type: ignore[arg-type]
        return s, username(s, "examiner")


def registrations(app: Flask, sitting_id: int) -> int:
    with app.app_context():
        return db.scalar(select(func.count()).where(Registration.sitting_id == sitting_id)) or 0


def sitting_state(app: Flask, sitting_id: int) -> str:
    with app.app_context():
        return get_sitting(sitting_id).state


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_login_page_is_vietnamese_and_explains_bad_credentials(app: Flask, client: FlaskClient) -> None:
    page = text(client.get("/login"))
    assert '<html lang="vi">' in page
    assert "Đăng nhập cán bộ" in page and 'autocomplete="current-password"' in page
    token = form_token(page)
    r = client.post("/login", data={"username": "không-có-ai", "password": "sai-mat-khau", "csrf_token": token})
    assert r.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in text(r)
    assert 'value="không-có-ai"' in text(r)  # the username is kept, the password never is
    r = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert "Hãy nhập cả tên đăng nhập và mật khẩu." in text(r)


def test_login_follows_next_but_never_to_another_site(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False)
    target = f"/exams/sittings/{s.sitting_id}"
    token = form_token(text(client.get("/login")))
    r = client.post(f"/login?next={target}", data={"username": examiner, "password": STAFF_PASSWORD,
                                                    "csrf_token": token})
    assert r.headers["Location"] == target
    client.post("/logout", data={"csrf_token": form_token(text(client.get(target)))})
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        token = form_token(text(client.get("/login")))
        r = client.post("/login", query_string={"next": evil},
                        data={"username": examiner, "password": STAFF_PASSWORD, "csrf_token": token})
        assert r.headers["Location"] == "/exams/", evil
        client.post("/logout", data={"csrf_token": form_token(text(client.get("/exams/")))})


def test_language_switch_to_english_and_back(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False)
    token = page_login(client, examiner, STAFF_PASSWORD)
    url = f"/exams/sittings/{s.sitting_id}"
    r = client.post("/language", data={"lang": "en", "next": url, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == url
    assert "lang=en" in r.headers["Set-Cookie"]
    page = text(client.get(url))
    assert '<html lang="en">' in page and "Sitting set-up" in page and "Open check-in" in page
    assert re.search(r"<dd>\d\d/\d\d/\d{4} \d\d:\d\d</dd>", page), "dates are dd/mm/yyyy"
    client.post("/language", data={"lang": "vi", "next": url, "csrf_token": token})
    assert "Thiết lập ca thi" in text(client.get(url))
    r = client.post("/language", data={"lang": "vi", "next": "https://evil.example/", "csrf_token": token})
    assert r.headers["Location"] == "/"
    # ?lang=en on any page (the demo prints such a link) is remembered for the next pages.
    assert '<html lang="en">' in text(client.get("/exams/?lang=en"))
    assert '<html lang="en">' in text(client.get(url))


def test_exam_list_and_sitting_setup(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False, rooms=2, per_room=3)
    page_login(client, examiner, STAFF_PASSWORD)
    listing = text(client.get("/exams/"))
    assert f'href="/exams/sittings/{s.sitting_id}"' in listing and "Ca 1 — Toán" in listing
    page = text(client.get(f"/exams/sittings/{s.sitting_id}"))
    assert "Chưa bắt đầu" in page  # state
    assert "<dd>6</dd>" in page  # candidates
    assert '<span class="badge">101</span>' in page  # paper code
    assert "P01" in page and "P02" in page and "Giám thị 1" in page
    shown = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)  # not the scripts' catalogue
    assert "Mở điểm danh" in shown and "Bắt đầu ca thi" not in shown


def test_roster_import_shows_every_row_error_and_imports_nothing(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False, rooms=1, per_room=3)
    token = page_login(client, examiner, STAFF_PASSWORD)
    before = registrations(app, s.sitting_id)
    bad = (HEADER
           + "020001,Trần Thị Bình,05/03/2008,001208099001,THPT A,12A1,P01,\n"
           + "020002,Lê Văn Cường,31/02/2008,001208099002,THPT A,12A1,P01,\n"  # no such date
           + "020003,,05/03/2008,12345,THPT A,12A1,P09,\n")  # no name, short CCCD, unknown room
    r = client.post(f"/exams/sittings/{s.sitting_id}/roster", content_type="multipart/form-data", data={
        "csrf_token": token, "roster": (io.BytesIO(("\ufeff" + bad).encode()), "danh-sach.csv")})
    assert r.status_code == 422
    page = text(r)
    assert "Tệp bị từ chối: 4 lỗi." in page and "Không có thí sinh nào được nhập." in page
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td>([^<]*)</td>', page)
    assert rows == [("3", "Ngày sinh"), ("4", "Họ và tên"), ("4", "Phòng"), ("4", "Số CCCD")]
    assert registrations(app, s.sitting_id) == before


def test_roster_import_csv_and_xlsx(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False, rooms=1, per_room=3)
    token = page_login(client, examiner, STAFF_PASSWORD)
    before = registrations(app, s.sitting_id)
    good = HEADER + "030001,Phạm Thu Hà,09/12/2008,001308099001,THPT B,12A2,P01,\n"
    r = client.post(f"/exams/sittings/{s.sitting_id}/roster", content_type="multipart/form-data", data={
        "csrf_token": token, "roster": (io.BytesIO(good.encode()), "ds.csv")})
    assert r.status_code == 302
    assert "Đã nhập 1 thí sinh." in text(client.get(r.headers["Location"]))
    wb = Workbook()
    ws = wb.active
    ws.append(["SBD", "Họ và tên", "Ngày sinh", "Số CCCD", "Trường", "Lớp", "Phòng thi"])
    ws.append(["030002", "Đỗ Minh Khôi", date(2008, 7, 1), "001308099002", "THPT B", "12A2", "P01"])
    ws.append(["030003", "Vũ Ngọc Ánh", "15/08/2008", "001308099003", "THPT B", "12A2", "P01"])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    r = client.post(f"/exams/sittings/{s.sitting_id}/roster", content_type="multipart/form-data", data={
        "csrf_token": token, "roster": (data, "ds.xlsx")})
    assert r.status_code == 302
    assert registrations(app, s.sitting_id) == before + 3
    r = client.post(f"/exams/sittings/{s.sitting_id}/roster", content_type="multipart/form-data", data={
        "csrf_token": token, "roster": (io.BytesIO(b"x"), "ds.pdf")})
    assert r.status_code == 422 and "không phải .csv hoặc .xlsx" in text(r)
    r = client.post(f"/exams/sittings/{s.sitting_id}/roster", data={"csrf_token": token})
    assert r.status_code == 422 and "Hãy chọn một tệp .csv hoặc .xlsx." in text(r)


def test_open_checkin_start_room_start_sitting_end(app: Flask, client: FlaskClient) -> None:
    s, examiner = seed(app, open_checkin=False, rooms=2, per_room=2)
    token = page_login(client, examiner, STAFF_PASSWORD)
    base = f"/exams/sittings/{s.sitting_id}"
    # Starting before check-in is refused, with the reason, and changes nothing.
    r = client.post(f"{base}/start", data={"csrf_token": token}, follow_redirects=True)
    assert "Không thực hiện được:" in text(r) and 'role="alert"' in text(r)
    assert sitting_state(app, s.sitting_id) == "scheduled"
    r = client.post(f"{base}/open_checkin", data={"csrf_token": token}, follow_redirects=True)
    assert "Đã mở điểm danh cho ca thi." in text(r)
    assert sitting_state(app, s.sitting_id) == "checkin_open"
    r = client.post(f"{base}/rooms/{s.room_ids[0]}/start", data={"csrf_token": token}, follow_redirects=True)
    assert "Phòng thi đã bắt đầu." in text(r)
    status = text(client.get(f"{base}/status"))
    assert f"{base}/rooms/{s.room_ids[0]}/start" not in status
    assert f"{base}/rooms/{s.room_ids[1]}/start" in status
    r = client.post(f"{base}/start", data={"csrf_token": token}, follow_redirects=True)
    assert "Ca thi đã bắt đầu." in text(r)
    assert text(client.get(f"{base}/status")).count("Đang làm bài</span>") == 0  # room badges say "Đang thi"
    r = client.post(f"{base}/end", data={"csrf_token": token}, follow_redirects=True)
    assert "Ca thi đã kết thúc." in text(r)
    assert sitting_state(app, s.sitting_id) == "ended"
    # A room of another sitting cannot be started through this sitting's URL.
    other, _ = seed(app, open_checkin=True, rooms=1, per_room=1)
    assert client.post(f"{base}/rooms/{other.room_ids[0]}/start", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("lang,expected", [("vi", "0,25 / 6,00"), ("en", "0.25 / 6.00")])
def test_scores_after_submission(app: Flask, client: FlaskClient, lang: str, expected: str) -> None:
    s, examiner = seed(app, open_checkin=True, start=True, rooms=1, per_room=2)
    headers = {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}
    r = client.post("/api/v1/auth/candidate-login", headers=headers, json={
        "sitting_id": s.sitting_id, "sbd": s.sbds[0], "password": CANDIDATE_PASSWORD})
    assert r.status_code == 200, r.get_json()
    headers = {"X-CSRFToken": r.get_json()["csrf_token"]}
    attempt = r.get_json()["attempt_id"]
    assert client.put(f"/api/v1/attempts/{attempt}/responses/1", headers=headers,
                      json={"seq": 1, "value": "A"}).status_code == 200
    assert client.post(f"/api/v1/attempts/{attempt}/submit", headers=headers).status_code == 200
    client.post("/api/v1/auth/logout", headers=headers)
    page_login(client, examiner, STAFF_PASSWORD)
    client.set_cookie("lang", lang)
    page = text(client.get(f"/exams/sittings/{s.sitting_id}/scores"))
    # Question 1 (0.25 of 6 objective points) right: 0.25 raw -> 0.4167 on the 10-point scale,
    # shown rounded to the sitting's step (0.25 by default, as in the exports): 0.50.
    row = re.search(rf"<th scope=\"row\">{s.sbds[0]}</th>(.*?)</tr>", page, re.S)
    assert row, page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[0] == "Nguyễn Văn 1" and cells[1] == "P01" and cells[2] == "101"
    assert cells[4] == ("0,50" if lang == "vi" else "0.50")
    assert re.sub(r"\s+", " ", cells[5]).strip() == expected
    other = re.search(rf"<th scope=\"row\">{s.sbds[1]}</th>(.*?)</tr>", page, re.S)
    assert other and "—" in other.group(1)  # not submitted: no score


def test_scores_by_room_and_page(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large sitting's score table comes a page at a time, for one room or all of them."""
    from exam_server.results import views

    monkeypatch.setattr(views, "SCORES_PER_PAGE", 2)
    s, examiner = seed(app, rooms=2, per_room=3)
    page_login(client, examiner, STAFF_PASSWORD)
    base = f"/exams/sittings/{s.sitting_id}/scores"

    def shown(url: str) -> list[str]:
        return re.findall(r'<th scope="row">([^<]+)</th>', text(client.get(url)))

    everyone = sorted(s.sbds)
    assert shown(base) == everyone[:2]
    assert shown(f"{base}?page=3") == everyone[4:6]
    assert shown(f"{base}?page=99") == everyone[4:6]  # past the end: the last page
    assert "Điểm của thí sinh thứ 1–2 trong số 6" in text(client.get(base))
    assert "Trang 1/3" in text(client.get(base))
    room_two = shown(f"{base}?room={s.room_ids[1]}") + shown(f"{base}?room={s.room_ids[1]}&page=2")
    assert len(room_two) == 3 and set(room_two) <= set(everyone)
    assert set(room_two).isdisjoint(shown(f"{base}?room={s.room_ids[0]}"))


def test_admin_sees_examiner_pages(app: Flask, client: FlaskClient) -> None:
    s, _ = seed(app, open_checkin=False)
    with app.app_context():
        admin = db.get(User, s.users["admin"])
        assert admin is not None
        name = admin.username
    page_login(client, name, STAFF_PASSWORD)
    assert client.get(f"/exams/sittings/{s.sitting_id}").status_code == 200
    assert client.get("/rooms/").status_code == 200

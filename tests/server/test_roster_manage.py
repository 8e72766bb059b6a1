"""Roster after import over the API: preview (rows and every error, nothing stored), template,
search, edit, remove before check-in (409 after), accommodations applied when the room starts,
the optional password column (hashed; SBD + password login works)."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from exam_server.exams.models import Registration
from exam_server.exams.roster import parse_extra_time
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting, username

HEADER = "SBD,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng,Số máy/Ghế,Thời gian cộng thêm,Mật khẩu\n"


def _post_file(client: FlaskClient, url: str, body: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(url, data={"file": (io.BytesIO(("\ufeff" + HEADER + body).encode()), "ds.csv")},
                       headers=headers, content_type="multipart/form-data")


def _regs(sitting_id: int) -> dict[str, Registration]:
    db.expire_all()
    return {r.sbd: r for r in db.scalars(select(Registration).where(Registration.sitting_id == sitting_id))}


def test_extra_time_minutes_or_percent() -> None:
    assert parse_extra_time("", 5400) == 0
    assert parse_extra_time("15", 5400) == 900
    assert parse_extra_time("15 phút", 5400) == 900
    assert parse_extra_time("25%", 5400) == 1350
    assert parse_extra_time("12,5", 5400) == 750
    for bad in ("mười lăm", "500", "150%", "-5"):
        try:
            parse_extra_time(bad, 5400)
        except ValueError as exc:
            assert bad in str(exc)
        else:
            raise AssertionError(f"{bad!r} accepted")


def test_preview_shows_rows_and_every_error_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False, duration_s=3600)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    before = set(_regs(s.sitting_id))
    body = ("050001,Hoàng Thị Mai,05/03/2008,001308050001,THPT A,12A1,P01,M01,25%,matkhau01\n"
            "050002,Ngô Văn Nam,31/02/2008,001208050002,THPT A,12A1,P01,M02,nhiều,abc\n")
    r = _post_file(client, f"/api/v1/sittings/{s.sitting_id}/roster/preview", body, headers)
    assert r.status_code == 200
    data = r.get_json()
    assert data["ok"] is False and data["count"] == 2
    assert data["rows"][0] == {"row": 2, "sbd": "050001", "full_name": "Hoàng Thị Mai", "dob": "05/03/2008",
                               "citizen_id": "001308050001", "school": "THPT A", "class_name": "12A1",
                               "room": "P01", "seat": "M01", "extra_time_s": 900, "extra_minutes": "15",
                               "has_password": True}
    assert "matkhau01" not in r.get_data(as_text=True)  # the preview never echoes a password
    errors = {(e["row"], e["column"]): e["message"] for e in data["errors"]}
    assert set(errors) == {(3, "Ngày sinh"), (3, "Thời gian cộng thêm"), (3, "Mật khẩu")}
    assert "không có" in errors[(3, "Ngày sinh")] or "không tồn tại" in errors[(3, "Ngày sinh")]
    assert set(_regs(s.sitting_id)) == before  # a preview stores nothing


def test_import_with_accommodation_and_password_then_edit_and_remove(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False, duration_s=3600)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    body = ("050011,Hoàng Thị Mai,05/03/2008,001308050011,THPT A,12A1,P01,,25%,matkhau01\n"
            "050012,Ngô Văn Nam,06/03/2008,001208050012,THPT A,12A1,P02,,,\n")
    r = _post_file(client, f"/api/v1/sittings/{s.sitting_id}/roster", body, headers)
    assert r.status_code == 200 and r.get_json()["imported"] == 2
    regs = _regs(s.sitting_id)
    mai, nam = regs["050011"], regs["050012"]
    assert mai.extra_time_s == 900 and mai.password_hash and "matkhau01" not in mai.password_hash
    assert nam.password_hash is None

    found = client.get(f"/api/v1/sittings/{s.sitting_id}/registrations?q=hoàng thị").get_json()
    assert found["sitting_code"] == s.sitting_id
    assert [c["sbd"] for c in found["registrations"]] == ["050011"]

    r = client.patch(f"/api/v1/registrations/{nam.id}", json={"dob": "30/02/2008"}, headers=headers)
    assert r.status_code == 400 and "30/02/2008" in r.get_json()["error"]["message"]
    r = client.patch(f"/api/v1/registrations/{nam.id}", json={"full_name": "Ngô Văn Nam Anh", "extra_time": "10",
                                                               "seat": "M03"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["full_name"] == "Ngô Văn Nam Anh" and r.get_json()["extra_time_s"] == 600
    r = client.patch(f"/api/v1/registrations/{nam.id}", json={"seat": "M99"}, headers=headers)
    assert r.status_code == 400 and "M99" in r.get_json()["error"]["message"]
    assert _regs(s.sitting_id)["050012"].seat == "M03"  # the refused edit changed nothing
    updated = db.scalars(select(Event).where(Event.sitting_id == s.sitting_id, Event.action == "registration.updated")).all()
    assert updated and updated[-1].data["changes"]["full_name"]["to"] == "Ngô Văn Nam Anh"

    r = client.delete(f"/api/v1/registrations/{nam.id}", headers=headers)
    assert r.status_code == 200
    assert "050012" not in _regs(s.sitting_id)

    # The password from the file works for SBD + password login; a logged-in candidate is locked.
    lifecycle.open_checkin(s.sitting_id, EXAMINER)
    candidate = app.test_client()
    login_candidate(candidate, s.sitting_id, "050011", "matkhau01")
    r = client.delete(f"/api/v1/registrations/{mai.id}", headers=headers)
    assert r.status_code == 409 and "050011" in r.get_json()["error"]["message"]
    r = client.patch(f"/api/v1/registrations/{mai.id}", json={"full_name": "X"}, headers=headers)
    assert r.status_code == 409
    assert "050011" in _regs(s.sitting_id)


def test_accommodation_edited_after_checkin_is_applied_when_the_room_starts(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=True, duration_s=3600)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    reg_id = s.registration_ids[0]
    r = client.patch(f"/api/v1/registrations/{reg_id}", json={"extra_time": "50%"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["extra_time_s"] == 1800
    lifecycle.start_room(s.room_ids[0], EXAMINER)
    db.expire_all()
    attempt = db.scalar(select(Attempt).where(Attempt.registration_id == reg_id))
    assert attempt is not None and attempt.extra_s == 1800
    assert attempt.started_at is not None and attempt.deadline_at is not None
    assert (attempt.deadline_at - attempt.started_at).total_seconds() == 3600 + 1800
    logged = db.scalars(select(Event).where(Event.attempt_id == attempt.id,
                                            Event.action == "attempt.accommodation_applied")).all()
    assert [e.data["extra_s"] for e in logged] == [1800]
    other = db.scalar(select(Attempt).where(Attempt.registration_id == s.registration_ids[1]))
    assert other is not None and other.extra_s == 0


def test_template_is_an_xlsx_the_importer_reads(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    r = client.get(f"/api/v1/sittings/{s.sitting_id}/roster/template")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(r.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["SBD", "Họ và tên", "Ngày sinh", "Số CCCD"] and "Mật khẩu" in header
    assert "Thời gian cộng thêm" in header
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    r = client.post(f"/api/v1/sittings/{s.sitting_id}/roster/preview",
                    data={"file": (io.BytesIO(r.data), "mau.xlsx")}, headers=headers,
                    content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["ok"] is True and r.get_json()["count"] == 2

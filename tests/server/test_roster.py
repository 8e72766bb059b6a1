"""Roster import: Vietnamese headers, CSV with/without BOM, XLSX, all-or-nothing with every error."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from exam_server.db import session as db
from exam_server.exams.models import Registration
from exam_server.exams.roster import RosterError, import_roster
from tests.server.conftest import login_staff
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting, username

HEADER = ["STT", "SBD", "Họ và tên", "Ngày sinh", "Số CCCD", "Trường", "Lớp", "Phòng", "Số máy/Ghế"]
GOOD = [
    ["1", "020001", "Trần Thị Bích Ngọc", "05/03/2008", "001308000111", "THPT Việt Đức", "12A3", "P01", "M01"],
    ["2", "020002", "Lê Đức Anh", "31/12/2008", "001208000222", "THPT Việt Đức", "12A3", "P02", "M02"],
]


def _csv(rows: list[list[str]], bom: bool = True, sep: str = ",") -> bytes:
    text = "\n".join(sep.join(r) for r in [HEADER, *rows]) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def _regs(sitting_id: int) -> list[Registration]:
    return list(db.query(Registration).filter(Registration.sitting_id == sitting_id, Registration.sbd.like("02%")))


@pytest.mark.parametrize("bom,sep", [(True, ","), (False, ";")])
def test_csv_imports_with_or_without_bom(app: Flask, bom: bool, sep: str) -> None:
    s = seed_sitting(open_checkin=False)
    result = import_roster(s.sitting_id, "ds.csv", _csv(GOOD, bom, sep), EXAMINER)
    assert result.imported == 2
    regs = sorted(_regs(s.sitting_id), key=lambda r: r.sbd)
    assert regs[0].full_name == "Trần Thị Bích Ngọc" and regs[0].dob == date(2008, 3, 5)
    assert regs[1].citizen_id == "001208000222" and regs[1].seat == "M02" and regs[1].room.name == "P02"


def test_xlsx_imports_with_dates_as_cells_or_text(app: Flask) -> None:
    s = seed_sitting(open_checkin=True)
    wb = Workbook()
    ws = wb.active
    ws.append(["Số báo danh", "Họ tên", "Ngày sinh", "CCCD", "Trường", "Lớp", "Phòng thi", "Số máy"])
    ws.append([20003, "Phạm Minh Châu", datetime(2008, 7, 9), "001308000333", "THPT Kim Liên", "12D", "P01", "M02"])
    ws.append(["020004", "Vũ Hoàng Long", "09/07/2008", "001208000444", "THPT Kim Liên", "12D", "P02", ""])
    buf = io.BytesIO()
    wb.save(buf)
    assert import_roster(s.sitting_id, "DS.XLSX", buf.getvalue(), EXAMINER).imported == 2
    regs = {r.full_name: r for r in db.query(Registration).filter(Registration.sitting_id == s.sitting_id)}
    assert regs["Phạm Minh Châu"].sbd == "20003" and regs["Phạm Minh Châu"].dob == date(2008, 7, 9)
    from exam_server.attempts.control import attempt_for_registration

    assert attempt_for_registration(regs["Vũ Hoàng Long"].id).state == "pending"  # check-in open: attempt made


def test_bad_file_reports_every_row_and_imports_nothing(app: Flask) -> None:
    s = seed_sitting(open_checkin=False)
    rows = [
        GOOD[0],
        ["2", "020002", "", "31/02/2008", "00120800022", "THPT", "12A", "P09", "M01"],  # 4 problems
        ["3", "020001", "Lê Văn Hai", "2008-01-01", "001308000111", "THPT", "12A", "P01", "M01"],  # dups + date
        ["4", "010001", "Trùng SBD đã có", "01/01/2008", "001208009999", "THPT", "12A", "P01", "M09"],  # seeded SBD
    ]
    with pytest.raises(RosterError) as err:
        import_roster(s.sitting_id, "ds.csv", _csv(rows), EXAMINER)
    found = {(e.row, e.column) for e in err.value.errors}
    assert {(3, "Họ và tên"), (3, "Ngày sinh"), (3, "Số CCCD"), (3, "Phòng")} <= found
    assert {(4, "SBD"), (4, "Số CCCD"), (4, "Ngày sinh"), (4, "Số máy/Ghế")} <= found
    assert (5, "SBD") in found and (5, "Số máy/Ghế") in found
    assert any("trùng với dòng 2" in e.message for e in err.value.errors)
    assert _regs(s.sitting_id) == []  # nothing half-imported
    with pytest.raises(RosterError) as err:
        import_roster(s.sitting_id, "ds.csv", "SBD,Tên\n1,A\n".encode(), EXAMINER)
    assert {e.column for e in err.value.errors} >= {"Họ và tên", "Ngày sinh", "Số CCCD", "Phòng"}


def test_roster_over_http_and_wrong_encoding(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(open_checkin=False)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    bad = _csv([GOOD[0], ["2", "x y", "A", "01/01/2008", "1", "", "", "P01", ""]])
    r = client.post(f"/api/v1/sittings/{s.sitting_id}/roster", data={"file": (io.BytesIO(bad), "ds.csv")},
                    headers=headers, content_type="multipart/form-data")
    assert r.status_code == 400
    body = r.get_json()["error"]
    assert body["code"] == "exams.roster_rejected" and body["count"] == 2
    assert {e["row"] for e in body["errors"]} == {3}
    latin = "SBD,Họ và tên\n".encode("cp1258", errors="replace") + b"\xff\xfe"
    r = client.post(f"/api/v1/sittings/{s.sitting_id}/roster", data={"file": (io.BytesIO(latin), "ds.csv")},
                    headers=headers, content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "exams.roster_not_utf8"
    r = client.post(f"/api/v1/sittings/{s.sitting_id}/roster", data={"file": (io.BytesIO(_csv(GOOD)), "ds.csv")},
                    headers=headers, content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["imported"] == 2

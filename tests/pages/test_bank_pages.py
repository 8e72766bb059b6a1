"""The bank pages without JavaScript (forms post to the server), on SQLite and PostgreSQL:
import summary, a refused file shown with every error and nothing stored, filters, edit with
history, export of the ticked questions; Vietnamese texts, decimal comma."""

from __future__ import annotations

import html as html_lib
import io
import re
import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_server.bank.models import BankQuestion
from exam_server.db import session as db
from question_bank.formats import read_bytes_any
from tests.pages.conftest import form_token, page_login
from tests.support.bank_files import moodle_bank, refused_bank
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _examiner(app: Flask, client: FlaskClient, key: str = "examiner") -> str:
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        name = username(seeded, key)
    return page_login(client, name, STAFF_PASSWORD)


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.scalar(select(func.count()).select_from(BankQuestion)) or 0)


def _upload(client: FlaskClient, token: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return client.post("/bank/import", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_import_page_summary_and_refusal(app: Flask, client: FlaskClient) -> None:
    token = _examiner(app, client)
    tag = "P" + uuid.uuid4().hex[:10]
    page = client.get("/bank/import").get_data(as_text=True)
    assert "Nhập câu hỏi từ tệp" in page and 'id="import-bar"' in page
    r = _upload(client, token, moodle_bank(tag), "ngân-hàng.xml")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Đã nhập ngân-hàng.xml: thêm 4 trên 4 câu hỏi." in html
    assert re.search(r'id="sum-points">7<', html)
    assert "Điền khuyết (cloze)" in html and "Một lựa chọn" in html
    before = _count(app)
    r = _upload(client, token, refused_bank(), "hỏng.xml")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "không câu hỏi nào được lưu" in html
    assert "câu hỏi thứ 2 «Sai tỉ lệ»" in html and "câu hỏi thứ 3 «Không đúng»" in html
    assert html.count("<td>hỏng.xml</td>") == 2
    assert _count(app) == before


def test_browse_edit_and_export(app: Flask, client: FlaskClient) -> None:
    token = _examiner(app, client)
    tag = "P" + uuid.uuid4().hex[:10]
    _upload(client, token, moodle_bank(tag), "bank.xml")
    html = client.get("/bank/", query_string={"topic": f"{tag}/Toán"}).get_data(as_text=True)
    assert "Tìm thấy 2 câu hỏi." in html and "1,5" in html  # decimal comma
    assert "&lt;p&gt;" not in html and "<p>1 + 1" not in html  # the listing shows plain text
    ids = re.findall(r'name="ids" value="(\d+)"', html)
    assert len(ids) == 2
    qid = ids[0]
    edit = client.get(f"/bank/questions/{qid}/edit").get_data(as_text=True)
    values = {"csrf_token": form_token(edit), "base_version": "1", "type": "single_choice", "source": "",
              "title": "Cộng (đã sửa)", "stem": f"<p>1 + 1 bằng mấy? ({tag})</p>", "topic": f"{tag}/Toán",
              "difficulty": "NB", "tags": "số học, lớp 1", "points": "2,5", "general_feedback": "",
              "details": html_lib.unescape(re.search(r'id="f-details"[^>]*>(.*?)</textarea>', edit, re.S).group(1)),  # type: ignore[union-attr]
              "note": "sửa đề"}
    r = client.post(f"/bank/questions/{qid}/edit", data=values)
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(f"/bank/questions/{qid}").get_data(as_text=True)
    assert 'id="current-version">2<' in page and "sửa đề" in page and "2,5" in page
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", page)  # dd/mm/yyyy
    # A stale form (from version 1) is refused and says why; points with a letter are refused.
    r = client.post(f"/bank/questions/{qid}/edit", data=values)
    assert r.status_code == 422 and "đã được người khác sửa" in r.get_data(as_text=True)
    r = client.post(f"/bank/questions/{qid}/edit", data={**values, "base_version": "2", "points": "hai"})
    assert r.status_code == 422 and "Điểm «hai» không hợp lệ" in r.get_data(as_text=True)
    assert "lớp 1" in client.get("/bank/", query_string={"tag": "lớp 1", "topic": f"{tag}/Toán"}).get_data(as_text=True)
    r = client.post("/bank/export", data={"csrf_token": token, "format": "moodle", "scope": "ids", "ids": ids})
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    stems = sorted(q.stem for q in read_bytes_any(r.data, "x.xml").questions)
    assert stems == sorted([f"<p>1 + 1 bằng mấy? ({tag})</p>", f"<p>2 × 3 = ? ({tag})</p>"])
    r = client.post("/bank/export", data={"csrf_token": token, "format": "moodle", "scope": "ids"})
    assert r.status_code == 302  # nothing ticked: back to the bank with the reason
    assert "Chưa chọn câu hỏi nào" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_invigilator_has_no_bank(app: Flask, client: FlaskClient) -> None:
    token = _examiner(app, client, "inv1")
    assert client.get("/bank/").status_code == 403
    assert _upload(client, token, moodle_bank("X" + uuid.uuid4().hex[:8]), "b.xml").status_code == 403
    assert 'href="/bank/"' not in client.get("/rooms/").get_data(as_text=True)

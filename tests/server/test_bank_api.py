"""The bank's API on SQLite and PostgreSQL: import with its summary, a refused file changes
nothing, browse with filters and pages, edit keeps every version, a paper keeps its snapshot,
export a selection; only examiners and admins get in."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_server.bank.models import BankImport, BankQuestion, BankVersion
from exam_server.db import session as db
from exam_server.exams.models import Paper
from question_bank.formats import read_bytes_any
from question_bank.model import Question
from tests.server.conftest import csrf, login_staff
from tests.support.bank_files import moodle_bank, refused_bank
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _tag() -> str:
    return "T" + uuid.uuid4().hex[:10]


def _examiner(client: FlaskClient) -> dict[str, str]:
    seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
    return login_staff(client, username(seeded, "examiner"), STAFF_PASSWORD)


def _import(client: FlaskClient, headers: dict[str, str], data: bytes, name: str) -> Any:
    return client.post("/api/v1/bank/imports", data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def _counts() -> tuple[int, int, int]:
    return (db.scalar(select(func.count()).select_from(BankQuestion)) or 0,
            db.scalar(select(func.count()).select_from(BankVersion)) or 0,
            db.scalar(select(func.count()).select_from(BankImport)) or 0)


def test_import_summary_then_the_same_file_adds_nothing(app: Flask, client: FlaskClient) -> None:
    headers = _examiner(client)
    tag = _tag()
    r = _import(client, headers, moodle_bank(tag), "bank.xml")
    assert r.status_code == 201, r.get_json()
    summary = r.get_json()
    assert summary["format"] == "moodle"
    assert (summary["total"], summary["added"], summary["duplicates"]) == (4, 4, 0)
    assert summary["by_type"] == {"cloze": 1, "short_text": 1, "single_choice": 2}
    assert summary["points"] == 7.0
    assert summary["warnings"] == []
    before = _counts()
    again = _import(client, headers, moodle_bank(tag), "bank-copy.xml").get_json()
    assert (again["total"], again["added"], again["duplicates"]) == (4, 0, 4)
    assert _counts()[:2] == before[:2]  # no question and no version stored twice


def test_refused_file_changes_nothing_and_names_every_question(app: Flask, client: FlaskClient) -> None:
    headers = _examiner(client)
    before = _counts()
    r = _import(client, headers, refused_bank(), "hỏng.xml")
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "bank.import_refused"
    assert "hỏng.xml" in error["message"] and "không câu hỏi nào được lưu" in error["message"]
    where = [(e["file"], e["location"]) for e in error["errors"]]
    assert where == [("hỏng.xml", "câu hỏi thứ 2 «Sai tỉ lệ»"), ("hỏng.xml", "câu hỏi thứ 3 «Không đúng»")]
    assert "33%" in error["errors"][0]["reason"] and "100%" in error["errors"][1]["reason"]
    assert _counts() == before  # the good first question was not stored either
    r = client.get("/api/v1/bank/questions", query_string={"text": "Một cộng một?"}, headers=headers)
    assert r.get_json()["total"] == 0
    # Not a question file at all (a Word 97 file named .docx): refused by content, nothing stored.
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    r = _import(client, headers, ole2, "cu.docx")
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["file"] == "cu.docx"
    refusal = r.get_json()["error"]["errors"][0]
    assert refusal["code"] == "qb.input.ole2_refused" and refusal["reason"].startswith("Đây là tệp Office 97-2003")
    # The question bank's codes are shown in the request's language.
    r = client.post("/api/v1/bank/imports", query_string={"lang": "en"}, headers=headers,
                    data={"file": (io.BytesIO(ole2), "cu.docx")}, content_type="multipart/form-data")
    assert r.get_json()["error"]["errors"][0]["reason"].startswith("Word 97-2003 / OLE2 file refused")
    assert _counts() == before
    assert _import(client, headers, b"", "").status_code in (400, 422)


def test_browse_filters_and_pages(app: Flask, client: FlaskClient) -> None:
    headers = _examiner(client)
    tag = _tag()
    assert _import(client, headers, moodle_bank(tag), "bank.xml").status_code == 201

    def found(**args: Any) -> dict[str, Any]:
        r = client.get("/api/v1/bank/questions", query_string=args, headers=headers)
        assert r.status_code == 200
        return r.get_json()

    maths = found(topic=f"{tag}/Toán")
    assert maths["total"] == 2 and {i["type"] for i in maths["items"]} == {"single_choice"}
    assert found(topic=f"{tag}/Toán", difficulty="VD")["total"] == 1
    geo = found(topic=f"{tag}/Địa lí", type="cloze")
    assert geo["total"] == 1
    item = geo["items"][0]
    assert item["excerpt"].startswith(f"Thủ đô ({tag}) của Việt Nam là ____")  # tags stripped, blanks shown
    assert item["tags"] == ["địa lí"] and item["version"] == 1
    assert found(topic=f"{tag}/Toán", tag="số học")["total"] == 2
    assert found(topic=f"{tag}/Toán", tag="địa lí")["total"] == 0
    assert found(text=tag)["total"] == 4
    page1, page2 = found(text=tag, per_page=3, page=1), found(text=tag, per_page=3, page=2)
    assert page1["pages"] == 2 and len(page1["items"]) == 3 and len(page2["items"]) == 1
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    facets = client.get("/api/v1/bank/facets", headers=headers).get_json()
    assert {"value": f"{tag}/Toán", "count": 2} in facets["topics"]
    assert client.get("/api/v1/bank/questions?page=x", headers=headers).status_code == 400


def _one(client: FlaskClient, headers: dict[str, str], **args: Any) -> dict[str, Any]:
    item = client.get("/api/v1/bank/questions", query_string=args, headers=headers).get_json()["items"][0]
    return client.get(f"/api/v1/bank/questions/{item['id']}", headers=headers).get_json()


def test_edit_keeps_every_version_and_papers_keep_their_snapshot(app: Flask, client: FlaskClient) -> None:
    headers = _examiner(client)
    tag = _tag()
    _import(client, headers, moodle_bank(tag), "bank.xml")
    got = _one(client, headers, topic=f"{tag}/Địa lí", type="cloze")
    qid, original = got["id"], got["question"]
    assert got["public"]["blanks"][0]["kind"] == "multichoice"
    assert "fraction" not in str(got["public"])  # the preview is what candidates get: no keys

    # A paper built from the bank question, as papers are: a snapshot of its dict.
    seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False, questions=[Question.from_dict(original)])
    paper_before = db.scalar(select(Paper.snapshot).where(Paper.sitting_id == seeded.sitting_id))

    edited = dict(original, stem=original["stem"].replace("Việt Nam", "nước Việt Nam"), points=4.0)
    r = client.put(f"/api/v1/bank/questions/{qid}", json={"question": edited, "base_version": 1, "note": "sửa đề"},
                   headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 2 and r.get_json()["points"] == 4.0
    # A second editor who started from version 1 is refused, not silently overwriting.
    stale = dict(original, points=5.0)
    r = client.put(f"/api/v1/bank/questions/{qid}", json={"question": stale, "base_version": 1}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "bank.version_conflict"
    # An invalid edit (a blank the stem does not hold) is refused with the reason.
    broken = dict(edited, stem="Không còn ô trống nào")
    r = client.put(f"/api/v1/bank/questions/{qid}", json={"question": broken, "base_version": 2}, headers=headers)
    assert r.status_code == 422 and r.get_json()["error"]["problems"]

    history = client.get(f"/api/v1/bank/questions/{qid}/versions", headers=headers).get_json()["items"]
    assert [v["version"] for v in history] == [2, 1] and history[0]["note"] == "sửa đề"
    v1 = client.get(f"/api/v1/bank/questions/{qid}/versions/1", headers=headers).get_json()["question"]
    assert v1["stem"] == original["stem"] and v1["points"] == 3.0
    current = client.get(f"/api/v1/bank/questions/{qid}", headers=headers).get_json()
    assert "nước Việt Nam" in current["question"]["stem"] and current["version"] == 2
    assert current["uid"] != got["uid"]
    db.expire_all()
    assert db.scalar(select(Paper.snapshot).where(Paper.sitting_id == seeded.sitting_id)) == paper_before
    assert "nước Việt Nam" not in str(paper_before)


def test_export_a_selection_in_every_writable_format(app: Flask, client: FlaskClient) -> None:
    headers = _examiner(client)
    tag = _tag()
    _import(client, headers, moodle_bank(tag), "bank.xml")
    items = client.get("/api/v1/bank/questions", query_string={"topic": f"{tag}/Toán"}, headers=headers).get_json()["items"]
    ids = [i["id"] for i in items]
    r = client.post("/api/v1/bank/exports", json={"format": "moodle", "ids": ids}, headers=headers)
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    back = read_bytes_any(r.data, "back.xml").questions
    assert sorted(q.stem for q in back) == sorted([f"<p>1 + 1 = ? ({tag})</p>", f"<p>2 × 3 = ? ({tag})</p>"])
    for fmt, name in (("qti", "x.zip"), ("qti3", "x.qti3.zip"), ("xlsx", "x.xlsx")):
        r = client.post("/api/v1/bank/exports", json={"format": fmt, "filter": {"topic": f"{tag}/Toán"}}, headers=headers)
        assert r.status_code == 200, (fmt, r.get_json())
        if fmt != "xlsx":
            assert zipfile.ZipFile(io.BytesIO(r.data)).namelist()
        assert len(read_bytes_any(r.data, name).questions) == 2
    r = client.post("/api/v1/bank/exports", json={"format": "pdf", "ids": ids}, headers=headers)
    assert r.status_code == 422 and "moodle" in r.get_json()["error"]["message"]
    r = client.post("/api/v1/bank/exports", json={"format": "moodle", "ids": [10**9]}, headers=headers)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "bank.export_empty"


def test_only_examiners_and_admins(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
    assert client.get("/api/v1/bank/questions").status_code == 401
    headers = login_staff(client, username(seeded, "inv1"), STAFF_PASSWORD)
    assert client.get("/api/v1/bank/questions", headers=headers).status_code == 403
    assert _import(client, headers, moodle_bank(_tag()), "bank.xml").status_code == 403
    client.post("/api/v1/auth/logout", headers=headers)
    headers = login_staff(client, username(seeded, "admin"), STAFF_PASSWORD)
    assert client.get("/api/v1/bank/questions", headers=headers).status_code == 200
    # CSRF holds on the upload too.
    r = client.post("/api/v1/bank/imports", data={"file": (io.BytesIO(moodle_bank(_tag())), "b.xml")},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert csrf(client)

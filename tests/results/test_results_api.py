"""Issue #13 contracts of the results: absentees in the scores API and item statistics, the
signed result package download in every format and grouping, publication withdrawn.
Runs against SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from exam_server.results import FORMATS, GROUPINGS, item_report, package
from exam_server.results.commands import trust_path
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, Seeded, seed_sitting, username


def _exam_day(app: Flask) -> tuple[Seeded, FlaskClient, dict[str, str]]:
    """Candidate 1 answers and submits, candidate 2 logs in and writes nothing, candidate 3 never
    comes; the examiner ends the sitting (confirmed, with a reason)."""
    s = seed_sitting(rooms=1, per_room=3, start=True)
    first = app.test_client()
    attempt, headers = login_candidate(first, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)
    assert first.put(f"/api/v1/attempts/{attempt}/responses/1", json={"seq": 1, "value": "A"},
                     headers=headers).status_code == 200
    assert first.post(f"/api/v1/attempts/{attempt}/submit", headers=headers).status_code == 200
    login_candidate(app.test_client(), s.sitting_id, s.sbds[1], CANDIDATE_PASSWORD)
    examiner = app.test_client()
    staff = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    r = examiner.post(f"/api/v1/sittings/{s.sitting_id}/end", json={"confirm": True, "reason": "Hết giờ"},
                      headers=staff)
    assert r.status_code == 200, r.get_json()
    return s, examiner, staff


def test_absent_candidate_is_absent_never_submitted_with_zero(app: Flask) -> None:
    s, examiner, _ = _exam_day(app)
    body = examiner.get(f"/api/v1/sittings/{s.sitting_id}/scores").get_json()
    by_sbd = {row["sbd"]: row for row in body["scores"]}
    assert by_sbd[s.sbds[2]]["state"] == "absent" and by_sbd[s.sbds[2]]["score"] is None
    assert by_sbd[s.sbds[2]]["status_text"] == "Vắng"
    assert by_sbd[s.sbds[0]]["state"] == "submitted" and by_sbd[s.sbds[0]]["score"] is not None
    assert by_sbd[s.sbds[1]]["state"] == "submitted" and by_sbd[s.sbds[1]]["score"] == 0  # sat, wrote nothing
    assert body["absent"] == 1
    # Item statistics count the two who sat, not the absentee.
    report = item_report.sitting_analysis(_db(), s.sitting_id)
    assert report.test.candidates == 2
    # The scores page says "Vắng" too.
    page = examiner.get(f"/exams/sittings/{s.sitting_id}/scores").get_data(as_text=True)
    row = page[page.index(s.sbds[2]):].split("</tr>")[0]
    assert "Vắng" in row and "0,00" not in row


def _db():  # the app fixture's context-bound session
    from exam_server.db import session

    return session


def _unzip(data: bytes, into: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(into)
        return sorted(zf.namelist())


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_a_signed_package_in_every_format(app: Flask, tmp_path: Path, fmt: str) -> None:
    s, examiner, _ = _exam_day(app)
    for by in GROUPINGS:
        r = examiner.get(f"/api/v1/sittings/{s.sitting_id}/results/export?format={fmt}&by={by}")
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
        assert r.mimetype == "application/zip"
        folder = tmp_path / by
        names = _unzip(r.data, folder)
        assert "manifest.json" in names and "manifest.json.p7s" in names and len(names) >= 3
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["format"] == fmt and manifest["by"] == by and manifest["sitting"] == s.sitting_id
        verification = package.verify_package(folder, package.load_certificates(trust_path(app)))
        assert verification.ok, verification.to_dict()
    # The absentee reads "Vắng" in the file itself (by sitting: one group, all candidates).
    folder = tmp_path / "sitting"
    if fmt == "csv":
        [name] = [p for p in folder.glob("*.csv")]
        rows = list(csv.reader(name.read_text(encoding="utf-8-sig").splitlines()))
        absent = next(r for r in rows if r[0] == s.sbds[2])
        assert absent[-1] == "Vắng" and absent[9] == ""
    elif fmt == "xlsx":
        ws = load_workbook(folder / "ket-qua.xlsx").worksheets[0]
        absent = next(row for row in ws.iter_rows(values_only=True) if row[0] == s.sbds[2])
        assert absent[-1] == "Vắng" and absent[9] is None
    elif fmt == "json":
        data = json.loads((folder / "ket-qua.json").read_text(encoding="utf-8"))
        absent = next(r for r in data["all"] if r["sbd"] == s.sbds[2])
        assert absent["status"] == "absent" and absent["score"] is None
    else:
        text = PdfReader(folder / "bang-diem.pdf").pages[0].extract_text()
        assert "Vắng" in text[text.index(s.sbds[2]):] and "BẢNG GHI ĐIỂM" in text


def test_export_refuses_bad_requests_and_other_roles(app: Flask) -> None:
    s, examiner, _ = _exam_day(app)
    r = examiner.get(f"/api/v1/sittings/{s.sitting_id}/results/export?format=docx&by=room")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "format"
    r = examiner.get(f"/api/v1/sittings/{s.sitting_id}/results/export?format=csv&by=desk")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "by"
    assert examiner.get("/api/v1/sittings/999999/results/export?format=csv&by=room").status_code == 404
    inv = app.test_client()
    login_staff(inv, username(s, "inv1"), STAFF_PASSWORD)
    assert inv.get(f"/api/v1/sittings/{s.sitting_id}/results/export?format=csv&by=room").status_code == 403
    assert app.test_client().get(f"/api/v1/sittings/{s.sitting_id}/results/export").status_code == 401


def test_publish_then_withdraw_with_a_reason(app: Flask) -> None:
    s, examiner, staff = _exam_day(app)
    base = f"/api/v1/sittings/{s.sitting_id}"
    assert examiner.post(f"{base}/unpublish", json={"reason": "x"}, headers=staff).status_code == 409
    assert examiner.post(f"{base}/publish", headers=staff).status_code == 200
    r = examiner.post(f"{base}/unpublish", json={}, headers=staff)
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "reason"
    r = examiner.post(f"{base}/unpublish", json={"reason": "Sai đáp án câu 3"}, headers=staff)
    assert r.status_code == 200 and r.get_json()["published_at"] is None
    assert examiner.post(f"{base}/publish", headers=staff).status_code == 200  # may publish again


def test_attempt_review_shows_the_paper_as_seen_answers_and_timeline(app: Flask) -> None:
    from exam_server.exams.models import Paper, Registration

    s, examiner, _ = _exam_day(app)
    db = _db()
    reg = db.get(Registration, s.registration_ids[0])
    snapshot = db.get(Paper, reg.paper_id).snapshot
    body = examiner.get(f"/api/v1/sittings/{s.sitting_id}/attempts/{s.sbds[0]}/review").get_json()
    assert body["sbd"] == s.sbds[0] and body["paper_code"] == "101" and body["state"] == "submitted"
    first = body["items"][0]
    assert first["stem"] == snapshot[0]["stem"] and len(body["items"]) == len(snapshot)
    if snapshot[0].get("options"):
        shown = [o["id"] for o in snapshot[0]["options"]]
        letter = "ABCDEFGH"[shown.index("A")] if "A" in shown else "A"
        assert first["answer"] == letter
        assert [o["letter"] for o in first["options"]] == list("ABCDEFGH"[:len(shown)])
        assert [o["chosen"] for o in first["options"]].count(True) == (1 if "A" in shown else 0)
    actions = [e["action"] for e in body["events"]]
    assert "candidate.login" in actions and "attempt.submitted" in actions
    assert actions.index("candidate.login") < actions.index("attempt.submitted")
    page = examiner.get(f"/results/sittings/{s.sitting_id}/review?sbd={s.sbds[0]}").get_data(as_text=True)
    assert "Nguyễn Văn 1" in page and "Diễn biến bài thi" in page and "Đăng nhập" in page and "Nộp bài" in page
    assert examiner.get(f"/api/v1/sittings/{s.sitting_id}/attempts/999999/review").status_code == 404
    inv = app.test_client()
    login_staff(inv, username(s, "inv1"), STAFF_PASSWORD)
    assert inv.get(f"/results/sittings/{s.sitting_id}/review?sbd={s.sbds[0]}").status_code == 403

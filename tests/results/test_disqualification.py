"""Đình chỉ thi: a voided paper is "Đình chỉ" with its reason in the scores API, the scores page
and every export, never a score; it takes no part in item statistics; the reason is required and
logged. Runs against SQLite and PostgreSQL (the `app` fixture)."""

from __future__ import annotations

import csv
import io
import zipfile

from flask import Flask
from flask.testing import FlaskClient

from exam_server.i18n import translate
from exam_server.results import item_report
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username

REASON = "Mang điện thoại vào phòng thi"


def _sitting_with_writers(app: Flask) -> tuple[object, list[int], FlaskClient, dict[str, str]]:
    s = seed_sitting(rooms=1, per_room=3, start=True)
    attempts = []
    for sbd in s.sbds:
        client = app.test_client()
        attempt, headers = login_candidate(client, s.sitting_id, sbd, CANDIDATE_PASSWORD)
        assert client.put(f"/api/v1/attempts/{attempt}/responses/1", json={"seq": 1, "value": "A"},
                          headers=headers).status_code == 200
        attempts.append(attempt)
    invigilator = app.test_client()
    staff = login_staff(invigilator, username(s, "inv1"), STAFF_PASSWORD)
    return s, attempts, invigilator, staff


def test_reason_is_required_and_nothing_changes_without_it(app: Flask) -> None:
    s, attempts, invigilator, staff = _sitting_with_writers(app)
    r = invigilator.post(f"/api/v1/attempts/{attempts[0]}/disqualify", json={"reason": "  "}, headers=staff)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "exams.reason_required"
    from exam_server.attempts.models import Attempt
    from exam_server.db import session

    attempt = session.get(Attempt, attempts[0])
    session.refresh(attempt)
    assert attempt.state == "active" and attempt.submitted_by == ""


def test_voided_paper_reads_dinh_chi_everywhere_and_leaves_the_statistics(app: Flask) -> None:
    s, attempts, invigilator, staff = _sitting_with_writers(app)
    r = invigilator.post(f"/api/v1/attempts/{attempts[0]}/disqualify", json={"reason": REASON}, headers=staff)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "submitted"  # the candidate's page closes
    again = invigilator.post(f"/api/v1/attempts/{attempts[0]}/disqualify", json={"reason": REASON},
                             headers=staff)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "attempts.already_disqualified"

    examiner = app.test_client()
    exam_headers = login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    r = examiner.post(f"/api/v1/sittings/{s.sitting_id}/end", json={"confirm": True, "reason": "Hết giờ"},
                      headers=exam_headers)
    assert r.status_code == 200, r.get_json()

    body = examiner.get(f"/api/v1/sittings/{s.sitting_id}/scores").get_json()
    by_sbd = {row["sbd"]: row for row in body["scores"]}
    voided = by_sbd[s.sbds[0]]
    assert voided["state"] == "disqualified" and voided["score"] is None
    assert voided["status_text"] == f"Đình chỉ: {REASON}"
    assert by_sbd[s.sbds[1]]["state"] == "submitted" and by_sbd[s.sbds[1]]["score"] is not None
    assert body["disqualified"] == 1 and body["absent"] == 0

    from exam_server.db import session

    assert item_report.sitting_analysis(session, s.sitting_id).test.candidates == 2

    page = examiner.get(f"/exams/sittings/{s.sitting_id}/scores").get_data(as_text=True)
    row = page[page.index(s.sbds[0]):].split("</tr>")[0]
    assert "Đình chỉ" in row

    r = examiner.get(f"/api/v1/sittings/{s.sitting_id}/results/export?format=csv&by=sitting")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        rows = list(csv.reader(io.StringIO(zf.read(name).decode("utf-8-sig"))))
    line = next(x for x in rows if s.sbds[0] in x)
    assert f"Đình chỉ: {REASON}" in line
    assert line[rows[0].index(translate("results.col.score", "vi"))] == ""  # no score, not even 0

    # The appeal review's timeline carries the decision and its reason.
    review = examiner.get(f"/api/v1/sittings/{s.sitting_id}/attempts/{s.sbds[0]}/review")
    assert review.status_code == 200 and REASON in review.get_data(as_text=True)


def test_candidate_cannot_disqualify_and_other_rooms_staff_cannot(app: Flask) -> None:
    s, attempts, _invigilator, _staff = _sitting_with_writers(app)
    client = app.test_client()
    _attempt, headers = login_candidate(client, s.sitting_id, s.sbds[1], CANDIDATE_PASSWORD)
    r = client.post(f"/api/v1/attempts/{attempts[0]}/disqualify", json={"reason": REASON}, headers=headers)
    assert r.status_code in (401, 403)

"""Defects found by the exam-day walkthrough (tests/pages/test_exam_day.py), each pinned here
without a browser: the appeal review's option letters and timeline words, the sitting page's
"writing" count, and the absentee's maximum in the result files."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from flask import Flask

from exam_server.db import session as db
from exam_server.events.log import Actor, append_event
from exam_server.i18n import translate
from tests.results.event_kinds import written_event_kinds
from tests.results.test_results_api import _exam_day
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username


def test_every_event_kind_the_code_writes_has_words_on_the_timeline(app: Flask) -> None:
    kinds, unresolved = written_event_kinds()
    assert not unresolved, f"event kinds this test cannot read: {unresolved}"
    # the reader finds the ones the walkthrough saw raw, so it would find a new one too
    assert {"attempt.extra_time", "attempt.disqualified", "attempt.locked", "attempt.unlocked",
            "room.extra_time", "message.sent", "incident.logged", "checkin.accepted"} <= kinds
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        missing = sorted(k for k in kinds if translate(f"results.event.{k}", "vi") == f"results.event.{k}")
        assert not missing, f"no results.event.<kind> message for: {missing}"
        untranslated = sorted(k for k in kinds if translate(f"results.event.{k}", "vi")
                              == translate(f"results.event.{k}", "en"))
        assert not untranslated, f"no Vietnamese for: {untranslated}"


def test_review_writes_each_letter_once_and_names_every_event(app: Flask) -> None:
    s, examiner, _ = _exam_day(app)
    from exam_server.attempts.control import attempt_for_registration

    attempt = attempt_for_registration(s.registration_ids[0])
    assert attempt is not None
    append_event(db, "attempt.extra_time", Actor("examiner:t"), sitting_id=s.sitting_id,
                 room_id=s.room_ids[0], attempt_id=attempt.id, reason="Máy hỏng", data={"seconds": 300})
    db.commit()
    page = examiner.get(f"/results/sittings/{s.sitting_id}/review?sbd={s.sbds[0]}").get_data(as_text=True)
    assert '<ol class="review-options"' not in page and 'type="A"' not in page  # no list marker of its own
    letters = re.findall(r'data-letter="([A-Z])"><strong>([A-Z])\.</strong>', page)
    assert letters and all(a == b for a, b in letters)
    assert letters[:2] == [("A", "A"), ("B", "B")]  # the paper's letters, in the candidate's order
    timeline = page[page.index('id="review-timeline"'):]
    assert "Cộng thêm giờ" in timeline and "Sự kiện khác" not in timeline


def test_sitting_page_counts_only_candidates_who_entered_as_writing(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=3, start=True)  # every attempt's clock runs with the room
    login_candidate(app.test_client(), s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)
    examiner = app.test_client()
    login_staff(examiner, username(s, "examiner"), STAFF_PASSWORD)
    status = examiner.get(f"/exams/sittings/{s.sitting_id}/status").get_data(as_text=True)
    row = status[status.index("<tbody>"):status.index("</tbody>")]
    # capacity, candidates, then waiting / writing / paused / submitted
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["3", "3", "0", "1", "0", "0"]


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_absentee_has_no_maximum_in_any_file_and_xlsx_numbers_are_numbers(app: Flask) -> None:
    from openpyxl import load_workbook

    s, examiner, _ = _exam_day(app)
    base = f"/api/v1/sittings/{s.sitting_id}/results/export?by=sitting&format="
    files = _unzip(examiner.get(base + "csv").data)
    [name] = [n for n in files if n.endswith(".csv")]
    rows = {r[0]: r for r in csv.reader(files[name].decode("utf-8-sig").splitlines())}
    present, absent = rows[s.sbds[0]], rows[s.sbds[2]]
    assert absent[8] == "" and absent[7] == "" and absent[9] == ""  # max, raw, score: no paper sat
    assert float(present[8]) > 0 and "," not in present[8]  # a machine number: decimal point

    ws = load_workbook(io.BytesIO(_unzip(examiner.get(base + "xlsx").data)["ket-qua.xlsx"])).worksheets[0]
    by_sbd = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert by_sbd[s.sbds[2]][8].value is None
    for cell in by_sbd[s.sbds[0]][7:10]:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), cell  # formatted per locale

    data = json.loads(_unzip(examiner.get(base + "json").data)["ket-qua.json"])
    by = {r["sbd"]: r for r in data["all"]}
    assert by[s.sbds[2]]["max_points"] is None and by[s.sbds[0]]["max_points"] > 0

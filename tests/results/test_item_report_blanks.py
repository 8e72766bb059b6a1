"""The sitting's item analysis splits a cloze into one item per blank (issue 15, item 1):
the report, the results page and `exam-server item-analysis` name each blank."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from exam_server.results import item_report
from question_bank.model import Blank, BlankAnswer, Option, Question
from tests.server.conftest import login_staff, make_app
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting

CLOZE = Question(
    type="cloze", stem="<p>Thủ đô của Việt Nam là {#1}, còn hồ ở trung tâm là hồ {#2}.</p>", points=2.0,
    blanks=[
        Blank("1", "multichoice", answers=[BlankAnswer("Hà Nội", 1.0), BlankAnswer("Huế", 0.0)]),
        Blank("2", "shortanswer", answers=[BlankAnswer("Hoàn Kiếm", 1.0)]),
    ],
).with_uid()


def _choice(n: int) -> Question:
    return Question(type="single_choice", stem=f"Câu trắc nghiệm {n}", points=1.0,
                    options=[Option(x, x, 1.0 if x == "A" else 0.0) for x in "ABCD"]).with_uid()


def _seed_sat_sitting() -> int:
    """Ten candidates; blank 1 is answered right by the strong half, blank 2 by nobody."""
    questions = [_choice(1), _choice(2), CLOZE]
    seeded = seed_sitting(rooms=1, per_room=10, questions=questions, start=True)
    right, wrong = (next(a.id for a in CLOZE.blanks[0].answers if a.text == t) for t in ("Hà Nội", "Huế"))
    for ability, (attempt_id, reg_id) in enumerate(zip(seeded.attempt_ids, seeded.registration_ids, strict=True)):
        strong = ability >= 5
        save_answer(attempt_id, 1, 1, "A" if strong else "B", registration_id=reg_id)
        save_answer(attempt_id, 2, 1, "A" if ability >= 3 else "C", registration_id=reg_id)
        save_answer(attempt_id, 3, 1, {"1": right if strong else wrong, "2": "Hồ Tây"}, registration_id=reg_id)
        submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
    lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
    return seeded.sitting_id


def test_cloze_is_analysed_blank_by_blank(app: Flask, tmp_path: Path) -> None:
    sitting_id = _seed_sat_sitting()
    report = item_report.sitting_analysis(db, sitting_id)
    ids = [item.id for item in report.items]
    assert ids[2:] == [f"{CLOZE.uid}#1", f"{CLOZE.uid}#2"] and len(ids) == 4
    blank1, blank2 = report.items[2], report.items[3]
    assert blank1.facility == 0.5 and blank1.discrimination > 0.5
    assert blank2.facility == 0.0  # nobody wrote "Hoàn Kiếm": the blank is flagged, not hidden in the total
    assert blank2.flags
    assert report.test.max_total == 4.0  # each blank worth its share of the question's 2 points

    labels = item_report.item_labels(db, sitting_id)
    assert labels[f"{CLOZE.uid}#2"] == "Câu 3 (đề 101) — ô 2: Thủ đô của Việt Nam là …, còn …"
    page = item_report.write_html(report, tmp_path / "r.html", "Phân tích", labels).read_text(encoding="utf-8")
    assert "Câu 3 (đề 101) — ô 1: Thủ đô" in page and "Câu 3 (đề 101) — ô 2: Thủ đô" in page
    assert "{#" not in page and "&lt;p&gt;" not in page
    text = "".join(p.extract_text() for p in PdfReader(item_report.write_pdf(
        report, tmp_path / "r.pdf", "Phân tích", labels)).pages)
    assert "ô 1" in text and "ô 2" in text


def test_results_page_names_the_blanks(app: Flask) -> None:
    sitting_id = _seed_sat_sitting()
    client = app.test_client()
    examiner = db.scalars(select(User).where(User.role == "examiner").order_by(User.id.desc())).first()
    login_staff(client, examiner.username, STAFF_PASSWORD)
    page = client.get(f"/results/sittings/{sitting_id}/item-analysis")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Câu 3 (đề 101) — ô 1:" in body and "Câu 3 (đề 101) — ô 2:" in body
    pdf = client.get(f"/results/sittings/{sitting_id}/item-analysis.pdf")
    assert pdf.status_code == 200
    assert "ô 2" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)


def test_cli_names_the_blanks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exam.db'}"
    instance = tmp_path / "instance"
    app = make_app(url, instance)
    with app.app_context():
        sitting_id = _seed_sat_sitting()
    env = dict(os.environ, DATABASE_URL=url, EXAM_INSTANCE_PATH=str(instance), SECRET_KEY=app.config["SECRET_KEY"])
    env.pop("REDIS_URL", None)
    out = tmp_path / "phan-tich"
    done = subprocess.run([str(Path(sys.executable).parent / "exam-server"), "item-analysis", "--sitting",
                           str(sitting_id), "--out", str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["items"] == 4
    assert "Câu 3 (đề 101) — ô 2:" in (out / "phan-tich-cau-hoi.html").read_text(encoding="utf-8")
    report = json.loads((out / "phan-tich-cau-hoi.json").read_text(encoding="utf-8"))
    assert f"{CLOZE.uid}#2" in json.dumps(report)

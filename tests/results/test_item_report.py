"""The item analysis report of a real sitting flags the miskeyed item and draws both charts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from pypdf import PdfReader

from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from exam_server.results import item_report
from question_bank.model import Option, Question
from tests.support.seed import EXAMINER, seed_sitting


def _choice(n: int, key: str) -> Question:
    return Question(type="single_choice", stem=f"Câu {n}", points=1.0,
                    options=[Option(x, x, 1.0 if x == key else 0.0) for x in "ABCD"]).with_uid()


def test_report_flags_the_miskeyed_item(app: Flask, tmp_path: Path) -> None:
    # Items 1-4 keyed A. Item 5 is keyed B, but the strong candidates all answer A.
    questions = [_choice(n, "A") for n in range(1, 5)] + [_choice(5, "B")]
    seeded = seed_sitting(rooms=1, per_room=10, questions=questions, start=True)
    for ability, (attempt_id, reg_id) in enumerate(zip(seeded.attempt_ids, seeded.registration_ids, strict=True)):
        right = ability * 4 // 9  # 0..4 of items 1-4 correct, rising with ability
        for no in range(1, 5):
            save_answer(attempt_id, no, 1, "A" if no <= right else "C", registration_id=reg_id)
        save_answer(attempt_id, 5, 1, "A" if ability >= 5 else "B", registration_id=reg_id)
        submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
    lifecycle.end_sitting(seeded.sitting_id, EXAMINER)

    report = item_report.sitting_analysis(db, seeded.sitting_id)
    assert report.test.candidates == 10 and len(report.items) == 5
    assert "negative_discrimination" in report.items[4].flags
    assert report.items[4].discrimination < 0 < report.items[0].discrimination

    page = item_report.write_html(report, tmp_path / "r.html", "Phân tích câu hỏi").read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count(f'fill="{item_report.RED}"') >= 1  # the flagged item is drawn in red
    pdf = PdfReader(item_report.write_pdf(report, tmp_path / "r.pdf", "Phân tích câu hỏi"))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "Phân tích câu hỏi" in text and "có thể sai đáp án" in text

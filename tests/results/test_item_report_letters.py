"""A sitting with two paper codes: the bank's correct option is B on 101 and D on 102.

A candidate on 102 who chose it is shown "D" in the item report's per-code columns, in the
analysis of code 102 and in the appeal review, and counts for the same bank option as the
candidates on 101 who chose it as B; the mapping is read from the stored snapshot.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.attempts.control import attempt_for_registration
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from exam_server.exams.models import Paper
from exam_server.exams.papers import add_paper
from exam_server.results import item_report
from exam_server.results.review import attempt_review
from question_bank.papers import letter_map, letters_of
from tests.question_bank.test_paper_letters import ORDER, _capital, _other
from tests.support.seed import EXAMINER, seed_sitting


def _sitting() -> tuple[int, dict[str, list[tuple[str, int, int]]]]:
    """The sitting id and, per paper code, its candidates as (sbd, attempt id, registration id)."""
    seeded = seed_sitting(rooms=1, per_room=8, questions=[_capital(ORDER["101"]), _other(ORDER["101"])],
                          open_checkin=False)
    add_paper(db, seeded.sitting_id, "102", [_capital(ORDER["102"]), _other(ORDER["102"])])
    db.commit()
    lifecycle.open_checkin(seeded.sitting_id, EXAMINER)
    lifecycle.start_sitting(seeded.sitting_id, EXAMINER)
    db.commit()
    codes = {p.id: p.code for p in db.scalars(select(Paper).where(Paper.sitting_id == seeded.sitting_id))}
    by_code: dict[str, list[tuple[str, int, int]]] = {"101": [], "102": []}
    for sbd, reg_id in zip(seeded.sbds, seeded.registration_ids, strict=True):
        attempt = attempt_for_registration(reg_id)
        by_code[codes[attempt.paper_id]].append((sbd, attempt.id, reg_id))
    for candidates in by_code.values():
        for n, (_, attempt_id, reg_id) in enumerate(candidates):
            strong = n > 0  # all but the first on each code choose the bank's correct option
            save_answer(attempt_id, 1, 1, "o2" if strong else "o3", registration_id=reg_id)
            save_answer(attempt_id, 2, 1, "p1" if strong else "p2", registration_id=reg_id)
            submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
    lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
    return seeded.sitting_id, by_code


def test_letters_per_code_in_report_analysis_and_review(app: Flask, tmp_path: Path) -> None:
    sitting_id, by_code = _sitting()
    assert len(by_code["101"]) == len(by_code["102"]) == 4

    # The mapping comes from the stored snapshot's order.
    stored = {p.code: p.snapshot for p in db.scalars(select(Paper).where(Paper.sitting_id == sitting_id))}
    assert letter_map(stored["102"][0])["D"] == "o2" and letters_of(stored["101"][0], "o2") == "B"

    report = item_report.sitting_analysis(db, sitting_id)
    right = next(o for o in report.items[0].options if o.label == "o2")
    assert right.is_key and right.count == 6  # one bank option, pooled over both codes
    assert right.letters == {"101": "B", "102": "D"} and right.counts_by_code == {"101": 3, "102": 3}

    labels = item_report.item_labels(db, sitting_id)
    tables = item_report.option_tables(report, labels)
    label, headers, rows = tables[0]
    assert label.startswith("1. Câu 1 (đề 101)")
    assert headers[-2:] == ["Mã đề 101", "Mã đề 102"]
    row = next(r for r in rows if r[0] == "Hà Nội")
    assert row[1] == "✓" and row[-2:] == ["B · 3", "D · 3"]
    assert next(r for r in rows if r[0] == "Đà Nẵng")[-2:] == ["C · 1", "A · 1"]
    assert not any("o2" in cell for r in rows for cell in r)  # never the bank's id

    page = item_report.write_html(report, tmp_path / "r.html", "Phân tích", labels=labels).read_text(encoding="utf-8")
    assert "<td>D · 3</td>" in page and "<td>Hà Nội</td>" in page
    pdf = PdfReader(item_report.write_pdf(report, tmp_path / "r.pdf", "Phân tích", labels=labels))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "D · 3" in text and "B · 3" in text and "Hà Nội" in text

    one = item_report.sitting_analysis(db, sitting_id, code="102")
    assert one.test.candidates == 4
    d = next(o for o in one.items[0].options if o.label == "D")
    assert d.is_key and d.count == 3 and d.text == "Hà Nội"
    _, _, rows = item_report.option_tables(one, labels, code="102")[0]
    assert rows[3][:2] == ["D. Hà Nội", "✓"]

    sbd = by_code["102"][1][0]  # a candidate on 102 who chose the bank's correct option
    review = attempt_review(db, sitting_id, sbd)
    assert review.paper_code == "102" and review.items[0].answer == "D"
    assert [o["letter"] for o in review.items[0].options if o["chosen"]] == ["D"]


def test_many_codes_split_the_pdf_option_table_without_losing_a_code(tmp_path: Path) -> None:
    from question_bank.analysis import Attempt, table_from_papers
    from question_bank.papers import Paper as QbPaper
    from question_bank.papers import PaperItem

    codes = [f"1{n:02d}" for n in range(1, 9)]  # 8 codes: more than one PDF table holds
    papers = [QbPaper(c, "s", [PaperItem(1, "", _capital(ORDER["101"] if n % 2 else ORDER["102"])),
                               PaperItem(2, "", _other(ORDER["101"]))]) for n, c in enumerate(codes)]
    attempts = [Attempt(f"c{n}", codes[n % 8], {1: "o2" if n > 3 else "o1", 2: "p1" if n > 5 else "p2"})
                for n in range(16)]
    report = table_from_papers(papers, attempts).analyse()
    _, headers, _ = item_report.option_tables(report)[0]
    assert len(headers) == 5 + 8
    pdf = PdfReader(item_report.write_pdf(report, tmp_path / "r.pdf", "Phân tích"))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert all(f"Mã đề {c}" in text for c in codes)
    assert text.count("Hà Nội") >= 2  # the option columns repeat in the second table

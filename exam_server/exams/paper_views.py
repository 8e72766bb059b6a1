"""Examiner pages for a sitting's stored papers: a code previewed as its candidates see it, with
its key; every paper and every key as PDF; the import summary on the sitting page.

Papers are secret until the start, so every page here is for examiners and admins only, never
invigilators. Letters are never stored: the preview's renderer letters options by position, and
the keys come from `question_bank.papers` (`PaperItem.key`, `key_table`) reading the same stored
option order, so preview, printout and grading agree on every code. The PDFs are the bank's own
writers (`question_bank.print.pdf`) fed with papers rebuilt by `exams.paper_layout`.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import abort, make_response, render_template, url_for
from werkzeug.wrappers import Response

from exam_server.accounts import auth
from exam_server.exams import lifecycle
from exam_server.exams.models import Sitting
from exam_server.exams.paper_layout import sitting_papers
from exam_server.exams.views import bp
from exam_server.i18n import current_language, translate
from exam_server.page_scripts import script_messages
from question_bank import papers as qb_papers
from question_bank.model import QUESTION_TYPES
from question_bank.print.pdf import FontMissing, write_keys_pdf, write_papers_pdf


def _title(sitting: Sitting) -> str:
    return f"{sitting.exam.name} — {sitting.name}"


def _sections(paper: qb_papers.Paper) -> list[dict[str, Any]]:
    """The paper's sections in order, each with its items' numbers and points."""
    sections: list[dict[str, Any]] = []
    for item in paper.items:
        if not sections or sections[-1]["name"] != item.section:
            sections.append({"name": item.section, "items": [], "points": 0.0})
        sections[-1]["items"].append(item.number)
        if item.question.type != "description":  # a description carries no points (Paper.max_points)
            sections[-1]["points"] = round(sections[-1]["points"] + item.question.points, 6)
    return sections


@bp.get("/sittings/<int:sitting_id>/papers/<code>")
@auth.examiner_required
def paper_preview(sitting_id: int, code: str) -> str:
    """One code exactly as its candidates see it (the candidate page's renderer), and its key."""
    sitting = lifecycle.get_sitting(sitting_id)
    found = sitting_papers(sitting_id, _title(sitting), code=code)
    if not found:
        abort(404)
    paper = found[0]
    lang = current_language()
    config = {"questions": [i.question.public_dict() for i in paper.items], "messages": script_messages(lang),
              "lang": lang}
    return render_template("exams/paper_preview.html", sitting=sitting, paper=paper, sections=_sections(paper),
                           page_config=config, lang=lang)


def _pdf(sitting_id: int, write: Callable[[list[qb_papers.Paper], Path], None], name: str) -> Response:
    sitting = lifecycle.get_sitting(sitting_id)
    papers = sitting_papers(sitting_id, _title(sitting))
    if not papers:
        abort(404)
    with tempfile.TemporaryDirectory() as work:  # reportlab writes to a path
        path = Path(work) / name
        try:
            write(papers, path)
        except FontMissing as exc:
            abort(503, description=exc.message(current_language()))
        response = make_response(path.read_bytes())
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name.removesuffix(".pdf")}-{sitting_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"  # secret before the start: no copy in any cache
    return response


@bp.get("/sittings/<int:sitting_id>/papers.pdf")
@auth.examiner_required
def papers_pdf(sitting_id: int) -> Response:
    """Every paper code of the sitting, each from a new page, ready for printing."""
    return _pdf(sitting_id, write_papers_pdf, "de-thi.pdf")


@bp.get("/sittings/<int:sitting_id>/keys.pdf")
@auth.examiner_required
def keys_pdf(sitting_id: int) -> Response:
    """The combined key of all codes, then one key table per code, each in its own letters."""
    return _pdf(sitting_id, write_keys_pdf, "dap-an.pdf")


def paper_summary(sitting_id: int) -> dict[str, Any]:
    """The import summary of the sitting page: per code, questions by type, points by section."""
    papers = sitting_papers(sitting_id)
    present = {i.question.type for p in papers for i in p.items}
    types = [t for t in QUESTION_TYPES if t in present]  # the bank's order of types
    section_names = list(dict.fromkeys(s["name"] for p in papers for s in _sections(p)))
    rows = []
    for paper in papers:
        counts = Counter(i.question.type for i in paper.items)
        points = {s["name"]: s["points"] for s in _sections(paper)}
        rows.append({
            "code": paper.code,
            "types": [counts.get(t, 0) for t in types],
            "sections": [points.get(name) for name in section_names],
            "total": paper.max_points,
            "preview_url": url_for("exam_pages.paper_preview", sitting_id=sitting_id, code=paper.code),
        })
    return {
        "types": [translate(f"pages.bank.type.{t}") for t in types],
        "sections": section_names,
        "rows": rows,
        "papers_pdf": url_for("exam_pages.papers_pdf", sitting_id=sitting_id),
        "keys_pdf": url_for("exam_pages.keys_pdf", sitting_id=sitting_id),
    }


@bp.context_processor
def _summary_helper() -> dict[str, Any]:
    """The sitting page asks for its summary itself, leaving the sitting view's context alone."""
    return {"paper_summary": paper_summary}

"""Loading paper codes (mã đề) made by `question-bank papers generate` into a sitting.

All or nothing: every paper is checked before any is stored. Papers can be added only before
check-in opens, because opening check-in assigns them to candidates.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from exam_server.db import session as db
from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.lifecycle import get_sitting
from exam_server.exams.models import Paper
from exam_server.exams.paper_layout import layout_of
from exam_server.exams.papers import add_paper
from exam_server.i18n import CATALOGUE, coded, current_language
from question_bank import papers as qb_papers
from question_bank.errors import QuestionBankError

CATALOGUE.register(
    coded("exams.papers_unreadable", "Cannot read the papers file {file}: {reason}"),
    coded("exams.papers_after_checkin", "Papers can only be added before check-in opens."),
    coded("exams.paper_code_exists", "Paper codes already in this sitting: {codes}."),
)


def parse_papers(data: bytes, filename: str) -> list[qb_papers.Paper]:
    try:
        raw: Any = json.loads(data.decode("utf-8-sig"))
        items = raw if isinstance(raw, list) else [raw]
        return [qb_papers.Paper.from_dict(d) for d in items]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        reason = exc.message(current_language()) if isinstance(exc, QuestionBankError) else str(exc)
        raise ServiceError("exams.papers_unreadable", file=filename, reason=reason[:200]) from exc


def import_papers(sitting_id: int, generated: list[qb_papers.Paper], actor: Actor) -> list[str]:
    sitting = get_sitting(sitting_id)
    if sitting.state != "scheduled":
        raise Conflict("exams.papers_after_checkin")
    if not generated:
        raise ServiceError("exams.papers_unreadable", file="", reason="no papers")
    existing = set(db.scalars(select(Paper.code).where(Paper.sitting_id == sitting_id)))
    clash = sorted({p.code for p in generated} & existing)
    if clash:
        raise Conflict("exams.paper_code_exists", codes=", ".join(clash))
    for paper in generated:
        add_paper(db, sitting_id, paper.code, [item.question for item in paper.items])
    codes = [p.code for p in generated]
    # The snapshot keeps no section names; the layout lets previews and printouts show them.
    sections = {p.code: [[name, n] for name, n in layout_of(p)] for p in generated}
    append_event(db, "papers.imported", actor, sitting_id=sitting_id, data={"codes": codes, "sections": sections})
    db.commit()
    return codes

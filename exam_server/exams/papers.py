"""Paper snapshots (mã đề): stored once, immutable, cached per app as Question objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from exam_server.errors import Conflict, NotFound
from exam_server.exams.models import Paper, Registration, Sitting
from question_bank.model import Question


def add_paper(session: Session, sitting_id: int, code: str, questions: Sequence[Question]) -> Paper:
    """Store a paper: its questions in paper order, options already shuffled by the caller."""
    if not questions:
        raise Conflict("exams.paper_empty", code=code)
    # Every item needs a uid: key corrections and item analysis find it across paper codes.
    snapshot = [q.to_dict() if q.uid else Question.from_dict(q.to_dict()).with_uid().to_dict() for q in questions]
    paper = Paper(sitting_id=sitting_id, code=code, snapshot=snapshot)
    session.add(paper)
    session.flush()
    return paper


def paper_questions(session: Session | Connection, paper_id: int) -> list[Question]:
    """The paper's questions. Snapshots never change, so each is read once per process."""
    cache: dict[int, list[Question]] = current_app.extensions.setdefault("exam_paper_cache", {})
    questions = cache.get(paper_id)
    if questions is None:
        snapshot: list[dict[str, Any]] | None = session.scalar(select(Paper.snapshot).where(Paper.id == paper_id))
        if snapshot is None:
            raise NotFound("exams.paper_not_found")
        questions = cache[paper_id] = [Question.from_dict(q) for q in snapshot]
    return questions


def assign_papers(session: Session, sitting: Sitting) -> int:
    """Give every registration without a paper one, round robin by candidate number."""
    papers = list(sitting.papers)
    if not papers:
        raise Conflict("exams.no_papers", sitting=sitting.name)
    regs = session.scalars(
        select(Registration).where(Registration.sitting_id == sitting.id).order_by(Registration.sbd)
    ).all()
    assigned = 0
    for i, reg in enumerate(regs):
        if reg.paper_id is None:
            reg.paper_id = papers[i % len(papers)].id
            assigned += 1
    return assigned

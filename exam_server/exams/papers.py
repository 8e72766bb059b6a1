"""Paper snapshots (mã đề): stored once, cached per process as Question objects.

A snapshot changes only by a key correction, which bumps `Paper.revision` in the same
transaction. Every process checks the revision of its cached copy: always before grading
(`fresh=True`: submit, marking, regrading — a mark recorded on another worker never uses the
old key), and otherwise at most every `[cache] paper_check_seconds` (the save path and the
pages need the questions, not the key). The check is one primary-key lookup of an integer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class CachedPaper:
    revision: int
    questions: list[Question]
    checked: float  # time.monotonic() of the last revision check


def paper_questions(session: Session | Connection, paper_id: int, *, fresh: bool = False) -> list[Question]:
    """The paper's questions, from this process's cache when its revision is current.

    `fresh=True` checks the revision now (grading); otherwise a copy younger than
    `[cache] paper_check_seconds` is used as is.
    """
    cache = current_app.extensions["exam_paper_cache"]
    cached: CachedPaper | None = cache.get(paper_id)
    now = time.monotonic()
    if cached is not None:
        if not fresh and now - cached.checked < float(current_app.config.get("CACHE_PAPER_CHECK_SECONDS", 2.0)):
            return cached.questions
        revision = session.scalar(select(Paper.revision).where(Paper.id == paper_id))
        if revision == cached.revision:
            cached.checked = now
            return cached.questions
    row = session.execute(select(Paper.snapshot, Paper.revision).where(Paper.id == paper_id)).first()
    if row is None:
        cache.pop(paper_id, None)
        raise NotFound("exams.paper_not_found")
    snapshot: list[dict[str, Any]] = row[0]
    cached = CachedPaper(int(row[1]), [Question.from_dict(q) for q in snapshot], now)
    cache[paper_id] = cached
    return cached.questions


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

"""Auto-grading at submission with the question bank's scoring rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.attempts.models import Attempt, Response
from exam_server.db import among
from exam_server.exams.papers import paper_questions
from question_bank.model import Question
from question_bank.scoring import score


def grade(
    questions: Sequence[Question], values: Mapping[int, Any], manual: Mapping[int, float] | None = None
) -> tuple[list[dict[str, Any]], float, float]:
    """Per-question rows, total and maximum. `manual` holds final marks of manually marked items."""
    manual = manual or {}
    rows: list[dict[str, Any]] = []
    total = maximum = 0.0
    for no, question in enumerate(questions, start=1):
        try:
            result = score(question, values.get(no))
        except ValueError as exc:  # validated on save; a changed rule must not block submission
            rows.append({"no": no, "points": 0.0, "max_points": question.points, "status": "invalid",
                         "reason": str(exc), "code": getattr(exc, "code", "")})  # English text, stable code
            maximum += question.points
            continue
        row: dict[str, Any] = {"no": no, "points": result.points, "max_points": result.max_points, "status": result.status}
        if result.status == "manual" and no in manual:
            row.update(points=manual[no], status="marked")
        rows.append(row)
        total += row["points"]
        maximum += result.max_points
    return rows, round(total, 6), round(maximum, 6)


def response_values(session: Session, attempt_id: int) -> dict[int, Any]:
    return dict(
        session.execute(
            select(Response.question_no, Response.value).where(Response.attempt_id == attempt_id)
        ).all()
    )


def grade_attempt(
    session: Session,
    attempt: Attempt,
    questions: Sequence[Question] | None = None,
    manual: Mapping[int, float] | None = None,
) -> None:
    """Score every question of the paper; essays wait for manual marking (status "manual")."""
    if questions is None:
        questions = paper_questions(session, attempt.paper_id, fresh=True)  # the current key, whoever changed it
    attempt.grading, attempt.score, attempt.max_score = grade(
        questions, response_values(session, attempt.id), manual
    )


def grade_attempts(session: Session, attempts: Sequence[Attempt]) -> dict[int, dict[int, Any]]:
    """`grade_attempt` for many attempts at once (a batch of submits): the responses of all of
    them in one query and each paper's current key checked once, instead of two or three
    queries per attempt; the grades are exactly those of one `grade_attempt` each. Returns the
    stored answers it graded, by attempt id and question number."""
    if not attempts:
        return {}
    values: dict[int, dict[int, Any]] = {a.id: {} for a in attempts}
    rows = session.execute(select(Response.attempt_id, Response.question_no, Response.value)
                           .where(among(session, Response.attempt_id, values)))
    for attempt_id, no, value in rows:
        values[attempt_id][no] = value
    papers = {pid: paper_questions(session, pid, fresh=True) for pid in sorted({a.paper_id for a in attempts})}
    for attempt in attempts:
        attempt.grading, attempt.score, attempt.max_score = grade(papers[attempt.paper_id], values[attempt.id])
    return values

"""Who sat the exam: the database side of `scores.is_absent` (kept apart: scores.py stays light).

A candidate sat when they logged in (`entered_at`) or have any saved answer; everyone else whose
attempt was closed is absent ("Vắng") and takes no part in scores or item statistics.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from exam_server.attempts.models import Attempt, Response
from exam_server.exams.models import Registration


def sat_condition() -> Any:
    """SQL condition on `Attempt`: the candidate took part."""
    return or_(Attempt.entered_at.is_not(None), exists().where(Response.attempt_id == Attempt.id))


def answered_attempts(session: Session, sitting_id: int) -> set[int]:
    """Ids of the sitting's attempts with at least one saved answer (one query)."""
    return set(session.scalars(
        select(Response.attempt_id).distinct()
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Registration, Registration.id == Attempt.registration_id)
        .where(Registration.sitting_id == sitting_id)
    ))

"""Closing an attempt exactly once, whoever gets there first (candidate, server job, staff).

The close is a conditional UPDATE (`... WHERE state IN open states`), so two processes racing
to submit the same attempt cannot both win; the winner grades and logs in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from exam_server.attempts.grading import grade_attempt
from exam_server.attempts.models import Attempt
from exam_server.attempts.refusal_log import flush_attempt
from exam_server.events.log import Actor, append_event


def close_attempt(
    session: Session,
    attempt: Attempt,
    *,
    at: datetime,
    by: str,
    actor: Actor,
    reason: str = "",
    from_states: tuple[str, ...] = ("active", "paused"),
    closes_before: datetime | None = None,
) -> bool:
    """Submit `attempt` with finish time `at`; False when someone else closed it first.

    `closes_before` adds the condition that the stored close time has passed, so the deadline
    job cannot submit an attempt whose deadline was just extended.
    """
    stmt = (
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state.in_(from_states))
        .values(state="submitted", submitted_at=at, submitted_by=by, paused_since=None)
        .execution_options(synchronize_session=False)
    )
    if closes_before is not None:
        stmt = stmt.where(Attempt.closes_at <= closes_before)
    if cast(CursorResult[Any], session.execute(stmt)).rowcount != 1:
        return False
    session.refresh(attempt)
    grade_attempt(session, attempt)
    reg = attempt.registration
    append_event(
        session, "attempt.submitted", actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
        attempt_id=attempt.id, reason=reason,
        data={"by": by, "submitted_at": at.isoformat(), "score": attempt.score, "max_score": attempt.max_score},
    )
    flush_attempt(session, attempt.id)  # refused-save counts still open reach the log
    return True

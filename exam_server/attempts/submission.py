"""Closing an attempt exactly once, whoever gets there first (candidate, server job, staff).

The close is a conditional UPDATE (`... WHERE state IN open states`), so two processes racing
to submit the same attempt cannot both win; the winner grades and logs in the same transaction.

`close_locked` closes many attempts whose rows the caller already holds (`SELECT ... FOR UPDATE`
in attempt id order: a batch of submits, `attempts.group_submit`): the same rows, grades and log
entries as one `close_attempt` each, but one query per step for the whole batch instead of about
ten statements per attempt (the UPDATE, its refresh, the paper check, the responses, the lazy
registration, four for the log entry, the refusal counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from exam_server.attempts import receipt
from exam_server.attempts.grading import grade_attempt, grade_attempts
from exam_server.attempts.models import Attempt
from exam_server.attempts.refusal_log import SaveRefusalBurst, flush_attempt
from exam_server.events.batch import Entry, append_events
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


@dataclass(frozen=True)
class Close:
    """One close for `close_locked`: the arguments of `close_attempt` for an attempt held."""

    attempt: Attempt  # loaded in this transaction with its registration, its row locked
    at: datetime
    by: str
    actor: Actor
    reason: str = ""


def close_locked(session: Session, closes: list[Close]) -> dict[int, dict[int, Any]]:
    """Submit attempts the caller holds locked and found open (each attempt once), in order;
    returns their stored answers, by attempt id and question number.

    Everything else is `close_attempt`'s: finish time, grade, an `attempt.submitted` entry in
    each attempt's chain followed by the refusal counts still open. The answers graded are the
    answers of the receipts, kept for this transaction's push (`receipt.keep_graded`)."""
    if not closes:
        return {}
    for c in closes:
        a = c.attempt
        a.state, a.submitted_at, a.submitted_by, a.paused_since = "submitted", c.at, c.by, None
    answers = grade_attempts(session, [c.attempt for c in closes])
    receipt.keep_graded(session, answers)
    session.flush()  # the rows before their log entries, as the one-at-a-time path writes them
    entries = []
    for c in closes:
        a, reg = c.attempt, c.attempt.registration
        entries.append(Entry("attempt.submitted", c.actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                             attempt_id=a.id, reason=c.reason,
                             data={"by": c.by, "submitted_at": c.at.isoformat(), "score": a.score,
                                   "max_score": a.max_score}))
    append_events(session, entries)
    # refused-save counts still open reach the log; only attempts that have some cost a query more
    pending = session.scalars(select(SaveRefusalBurst.attempt_id).distinct().where(
        SaveRefusalBurst.attempt_id.in_([c.attempt.id for c in closes]),
        SaveRefusalBurst.count > SaveRefusalBurst.logged))
    for attempt_id in sorted(pending):
        flush_attempt(session, attempt_id)
    return answers

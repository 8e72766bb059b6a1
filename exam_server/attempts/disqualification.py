"""Đình chỉ thi: voiding one candidate's paper for a breach of the rules, with the reason.

Under the exam regulations a candidate disqualified in a session gets no score for that paper,
and every result document prints "Đình chỉ" with the reason instead of a mark. The attempt is
closed like any other (answers kept and graded for the record, the candidate's page closes), then
marked `submitted_by = "disqualified"`; results, item statistics and marking leave it out. A paper
already handed in can still be voided (a breach found while collecting the papers). The reason
is required and travels in the event log, which the appeal review and the exports read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.attempts import messages  # noqa: F401  (registers the texts)
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.db import utcnow
from exam_server.errors import Conflict
from exam_server.events.log import Actor, append_event
from exam_server.events.models import Event

DISQUALIFIED = "disqualified"  # the `submitted_by` mark of a voided paper
EVENT = "attempt.disqualified"


def is_disqualified(attempt: Attempt | None) -> bool:
    return attempt is not None and attempt.submitted_by == DISQUALIFIED


def disqualify(session: Session, attempt: Attempt, actor: Actor, reason: str) -> Attempt:
    """Close (if still open) and void the attempt; the caller commits."""
    reason = reason.strip()
    if not reason:
        raise Conflict("exams.reason_required")
    if is_disqualified(attempt):
        raise Conflict("attempts.already_disqualified")
    now = utcnow()
    if attempt.state in ("pending", "active", "paused"):
        deadline = attempt.deadline(now)
        finish = min(now, deadline) if deadline else now
        if not close_attempt(session, attempt, at=finish, by="staff", actor=actor, reason=reason,
                             from_states=("pending", "active", "paused")):
            session.refresh(attempt)  # closed by someone else a moment ago: void what they closed
    if attempt.state != "submitted":
        raise Conflict("attempts.illegal_transition", action="disqualify", state=attempt.state)
    previous_by = attempt.submitted_by
    attempt.submitted_by = DISQUALIFIED
    reg = attempt.registration
    append_event(session, EVENT, actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                 attempt_id=attempt.id, reason=reason, data={"submitted_by": previous_by})
    return attempt


def reasons(session: Session, sitting_id: int) -> dict[int, str]:
    """attempt id → the reason it was voided, for every disqualified attempt of a sitting."""
    rows = session.execute(
        select(Event.attempt_id, Event.reason)
        .where(Event.sitting_id == sitting_id, Event.action == EVENT)
        .order_by(Event.id)
    )
    return {attempt_id: reason or "" for attempt_id, reason in rows if attempt_id is not None}

"""What a candidate does with their own attempt besides saving: open it, submit it.

A submit of an open attempt is closed in a batch with the submits that arrive alongside it
(`attempts.group_submit`, on by default) and answered only after that batch's COMMIT; with
`SUBMIT_GROUP_COMMIT` off it is its own transaction (`_submit_alone`), the reference the batch
path answers exactly like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from exam_server.attempts import group_submit
from exam_server.attempts.models import Attempt, Response
from exam_server.attempts.receipt import receipt_for
from exam_server.attempts.submission import close_attempt
from exam_server.attempts.timing import remaining_seconds
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import SERVER, Actor
from exam_server.exams import paper_crypto
from exam_server.exams.models import Registration, Sitting
from exam_server.exams.papers import paper_questions
from exam_server.extensions import real_app


def server_time(now: datetime | None = None) -> dict[str, Any]:
    """What clients need to compute their clock offset: the server's time, ms since the epoch."""
    now = now or utcnow()
    return {"server_time": now.isoformat(), "server_time_ms": int(now.timestamp() * 1000)}


def enforce_deadline(attempt: Attempt, now: datetime) -> None:
    """Lazy enforcement: an attempt found past deadline + grace is submitted at its deadline now.

    Unless its row is held (PostgreSQL, `SKIP LOCKED`): then a submit or the deadline job is
    closing it right now, and waiting for them would only hold this handler and its database
    connection (at the deadline of a large sitting, every reconnecting page did, until the
    worker's pool was all lock waits); the state they commit is pushed to the page."""
    if attempt.state == "active" and attempt.closes_at is not None and attempt.closes_at <= now:
        if db.get_bind().dialect.name == "postgresql" and db.scalar(
                select(Attempt.id).where(Attempt.id == attempt.id).with_for_update(skip_locked=True)) is None:
            db.rollback()
        elif close_attempt(db, attempt, at=attempt.deadline_at or now, by="server", actor=SERVER,
                           reason="deadline", from_states=("active",), closes_before=now):
            db.commit()
        else:
            db.rollback()
        db.refresh(attempt)


@dataclass(frozen=True)
class InSitting:
    """An attempt as stored now, with what a socket event needs of its registration and sitting."""

    attempt: Attempt
    sitting_id: int
    room_id: int | None
    require_seb: bool
    seb_config: dict[str, Any] | None


# Built once: SQLAlchemy derives a statement's cache key on every execution of a new statement
# object (a third of a worker's CPU in a submit storm of 10,000, py-spy), and the same object's
# key is computed once. The registration and sitting come as columns, not objects: loading
# three objects per event was the larger part of a submit's CPU before its batch.
_IN_SITTING = (select(Attempt, Registration.sitting_id, Registration.room_id,
                      Sitting.require_seb, Sitting.seb_config)
               .join(Registration, Registration.id == Attempt.registration_id)
               .join(Sitting, Sitting.id == Registration.sitting_id)
               .where(Attempt.id == bindparam("attempt_id"))
               .execution_options(populate_existing=True))


def owned_attempt(attempt_id: int, registration_id: int) -> Attempt:
    """The attempt if it belongs to the candidate; 404 otherwise (no hint that it exists)."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.registration_id != registration_id:
        raise NotFound("attempts.not_found")
    return attempt


def owned_in_sitting(attempt_id: int, registration_id: int) -> InSitting:
    """`owned_attempt` read as stored now (whatever the session holds already) with its
    registration's and sitting's columns, in one query: the socket handshake and every hello
    and submit read them."""
    row = db.execute(_IN_SITTING, {"attempt_id": attempt_id}).first()
    if row is None or row.Attempt.registration_id != registration_id:
        raise NotFound("attempts.not_found")
    return InSitting(row.Attempt, row.sitting_id, row.room_id, row.require_seb, row.seb_config)


def attempt_status(attempt: Attempt, now: datetime) -> dict[str, Any]:
    deadline = attempt.deadline(now)
    remaining = remaining_seconds(attempt, now)
    return {
        "id": attempt.id,
        "state": attempt.state,
        "locked": attempt.locked,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_ms": int(deadline.timestamp() * 1000) if deadline else None,
        "remaining_s": remaining,
        "extra_s": attempt.extra_s,
        "paused_credit_s": attempt.paused_credit_s,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "submitted_by": attempt.submitted_by,
    }


def attempt_view(attempt_id: int, registration_id: int, sealed: str | None = None) -> dict[str, Any]:
    """Everything the candidate page needs: public questions, stored answers, status, server time.

    Before the start, the paper sealed under its code's key instead (`exams.paper_crypto`),
    unless the page names (`sealed`) the copy it holds already."""
    now = utcnow()
    attempt = owned_attempt(attempt_id, registration_id)
    enforce_deadline(attempt, now)
    reg = attempt.registration
    # The paper stays secret until the room starts, as in a paper exam hall.
    questions = paper_questions(db, attempt.paper_id) if attempt.state != "pending" else []
    responses = {
        no: {"value": value, "seq": seq}
        for no, value, seq in db.execute(
            select(Response.question_no, Response.value, Response.seq).where(Response.attempt_id == attempt.id)
        )
    }
    view = {
        "attempt": attempt_status(attempt, now),
        "candidate": {"sbd": reg.sbd, "full_name": reg.full_name, "room": reg.room.name if reg.room else "",
                      "seat": reg.seat},
        "sitting": {"id": reg.sitting_id, "name": reg.sitting.name, "subject": reg.sitting.subject,
                    "grace_s": attempt.grace_s},
        "questions": [{"no": no, **q.public_dict()} for no, q in enumerate(questions, start=1)],
        "responses": {str(no): r for no, r in responses.items()},
        **_screen_details(attempt),
        **server_time(now),
    }
    sealed_paper = paper_crypto.sealed_for_waiting(attempt, db, sealed)
    if sealed_paper is not None:
        view["sealed_paper"] = sealed_paper
    db.rollback()
    return view


def _screen_details(attempt: Attempt) -> dict[str, Any]:
    """The pause reason and the receipt, as the socket's state gives them."""
    from exam_server.attempts.attempt_state import pause_reason

    receipt = receipt_for(db, attempt)
    return {"pause_reason": pause_reason(attempt, db) if attempt.state == "paused" else "",
            "receipt": receipt.to_dict() if receipt else None}


def submit(attempt_id: int, registration_id: int, actor: Actor) -> Attempt:
    """The candidate hands in; after the deadline (within grace) the finish time is the deadline."""
    return submit_owned(owned_attempt(attempt_id, registration_id), actor)


def submit_owned(attempt: Attempt, actor: Actor) -> Attempt:
    """`submit` of an attempt the caller read with `owned_attempt` (the socket event reads it
    with `owned_in_sitting`, and checks its sitting's SEB policy first)."""
    if attempt.state == "active" and group_submit.enabled(real_app()):
        return group_submit.submit(attempt, actor)
    return _submit_alone(attempt, actor)


def _submit_alone(attempt: Attempt, actor: Actor) -> Attempt:
    """One submit in its own transaction (also every submit of an attempt not active: those
    are answered from the attempt as read, which the batch path would answer alike)."""
    now = utcnow()
    enforce_deadline(attempt, now)
    if attempt.state == "submitted":
        return attempt  # idempotent: a retried submit gets the same answer
    if attempt.state != "active":
        raise Conflict("attempts.illegal_transition", action="submit", state=attempt.state)
    finish = min(now, attempt.deadline_at) if attempt.deadline_at else now
    if not close_attempt(db, attempt, at=finish, by="candidate", actor=actor, from_states=("active",)):
        db.rollback()
        db.refresh(attempt)
        return attempt
    db.commit()
    return attempt

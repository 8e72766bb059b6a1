"""What the candidate page is told about its attempt: phase, deadline, server time."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from exam_server.attempts.models import Attempt, Response
from exam_server.attempts.receipt import receipt_for
from exam_server.attempts.timing import remaining_seconds
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.models import Event
from exam_server.exams import paper_crypto
from exam_server.exams.papers import paper_questions

log = logging.getLogger(__name__)


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def phase(attempt: Attempt) -> str:
    """The page's screen: waiting | writing | paused | locked | submitted."""
    if attempt.state == "pending":
        return "waiting"
    if attempt.state == "submitted":
        return "submitted"
    if attempt.locked:
        return "locked"
    return "writing" if attempt.state == "active" else "paused"


def state_payload(attempt: Attempt, now: datetime | None = None, session: Session | None = None,
                  **extra: Any) -> dict[str, Any]:
    now = now or utcnow()
    remaining = remaining_seconds(attempt, now)
    return {
        "attempt": attempt.id,
        "phase": phase(attempt),
        "deadline": epoch_ms(attempt.deadline(now)) if attempt.state == "active" else None,
        "remaining": None if remaining is None else round(remaining),
        "server_time": epoch_ms(now),
        "forced": attempt.state == "submitted" and attempt.submitted_by != "candidate",
        **_screen_details(attempt, session if session is not None else db),
        **_paper_key(attempt, session if session is not None else db),
        **extra,
    }


def _paper_key(attempt: Attempt, session: Session) -> dict[str, Any]:
    """The key of the candidate's own paper code, from the start on (the page holds the paper
    sealed since it logged in): the start push carries it, and so does every later state."""
    try:
        key = paper_crypto.key_for_attempt(attempt, session)
    except DBAPIError:
        raise  # the caller's outage handling: a retryable refusal, or the push's own log
    except Exception:  # a missing key must not hold back the whole start push: that page fetches
        log.exception("no paper key for attempt %s; its page fetches the paper instead", attempt.id)
        return {}
    return {"paper_key": key} if key else {}


def pause_reason(attempt: Attempt, session: Session) -> str:
    """The reason the invigilator gave for the pause now running (shown on the overlay)."""
    return session.scalar(
        select(Event.reason).where(Event.attempt_id == attempt.id, Event.action == "attempt.paused")
        .order_by(Event.seq.desc()).limit(1)
    ) or ""


def _screen_details(attempt: Attempt, session: Session) -> dict[str, Any]:
    """What the paused screen and the receipt screen show besides the phase."""
    if attempt.state == "paused" and not attempt.locked:
        return {"pause_reason": pause_reason(attempt, session)}
    if attempt.state == "submitted":
        receipt = receipt_for(session, attempt)
        return {"receipt": receipt.to_dict()} if receipt else {}
    return {}


def answers(attempt_id: int) -> tuple[dict[int, dict[str, Any]], int]:
    """Stored responses by question number, and the highest sequence number the attempt used."""
    rows = db.execute(
        select(Response.question_no, Response.value, Response.seq).where(Response.attempt_id == attempt_id)
    ).all()
    return {r.question_no: {"value": r.value, "seq": r.seq} for r in rows}, max((r.seq for r in rows), default=0)


def public_paper(attempt: Attempt) -> list[dict[str, Any]] | None:
    """The questions as the candidate may see them; none before the start (nothing leaks early)
    nor after the submission."""
    if attempt.state in ("pending", "submitted"):
        return None
    return [q.public_dict() for q in paper_questions(db, attempt.paper_id)]

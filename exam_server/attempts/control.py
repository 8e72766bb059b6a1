"""Invigilator actions on one candidate's attempt: pause/resume, extra time, lock/unlock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from exam_server.attempts import timing
from exam_server.attempts.models import Attempt
from exam_server.attempts.time_bounds import check_extra_time
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import Actor, append_event


def get_attempt(attempt_id: int) -> Attempt:
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("attempts.not_found")
    return attempt


def attempt_for_registration(registration_id: int) -> Attempt | None:
    return db.scalar(select(Attempt).where(Attempt.registration_id == registration_id))


def _log(attempt: Attempt, action: str, actor: Actor, reason: str, **data: object) -> None:
    reg = attempt.registration
    append_event(db, action, actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                 attempt_id=attempt.id, reason=reason, data=dict(data))


def _illegal(attempt: Attempt, action: str) -> Conflict:
    return Conflict("attempts.illegal_transition", action=action, state=attempt.state)


def pause_attempt(attempt_id: int, actor: Actor, reason: str) -> Attempt:
    """Stop one candidate's clock (an incident at their workstation)."""
    attempt = get_attempt(attempt_id)
    if not reason.strip():
        raise Conflict("exams.reason_required")
    now = utcnow()
    if attempt.state == "paused" and attempt.paused_by == "room":
        attempt.paused_by = "attempt"  # keeps it paused when the room resumes
    elif attempt.state == "active":
        timing.stop_clock(attempt, now, by="attempt")
    else:
        raise _illegal(attempt, "pause")
    _log(attempt, "attempt.paused", actor, reason, by="attempt")
    db.commit()
    return attempt


def resume_attempt(attempt_id: int, actor: Actor, reason: str = "") -> Attempt:
    attempt = get_attempt(attempt_id)
    if attempt.state != "paused":
        raise _illegal(attempt, "resume")
    if attempt.registration.room and attempt.registration.room.state == "paused":
        raise Conflict("attempts.room_paused")
    credited = timing.restart_clock(attempt, utcnow())
    _log(attempt, "attempt.resumed", actor, reason, credited_s=credited, deadline=timing.deadline_iso(attempt))
    db.commit()
    return attempt


def add_extra_time(attempt_id: int, seconds: int, actor: Actor, reason: str) -> Attempt:
    """Give (or, with a negative number, take back) extra time; never below zero in total."""
    attempt = get_attempt(attempt_id)
    if attempt.state == "submitted":
        raise _illegal(attempt, "extra_time")
    if not reason.strip():
        raise Conflict("exams.reason_required")
    check_extension(attempt, seconds)
    extend(attempt, seconds, actor, reason, utcnow())
    db.commit()
    return attempt


def check_extension(attempt: Attempt, seconds: int) -> int:
    """`seconds` if this attempt may get them: 1 s–8 h per action, 8 h in total, never below zero."""
    seconds = check_extra_time(seconds, attempt.extra_s)
    if attempt.extra_s + seconds < 0:
        raise Conflict("attempts.extra_time_negative")
    return seconds


def extend(attempt: Attempt, seconds: int, actor: Actor, reason: str, now: datetime, **data: object) -> None:
    """Add checked extra time and log it; the `attempt.extra_time` entry is what the candidate's
    page is pushed (`realtime.pushes`), in the caller's transaction."""
    attempt.extra_s += seconds
    timing.refresh_deadline(attempt, now)
    _log(attempt, "attempt.extra_time", actor, reason, seconds=seconds, extra_s=attempt.extra_s,
         deadline=attempt.deadline_at.isoformat() if attempt.deadline_at else None, **data)


def set_locked(attempt_id: int, locked: bool, actor: Actor, reason: str) -> Attempt:
    """Hold an attempt (no saves) e.g. while a candidate moves workstation; the clock keeps running."""
    attempt = get_attempt(attempt_id)
    if attempt.state == "submitted":
        raise _illegal(attempt, "lock" if locked else "unlock")
    if locked and not reason.strip():
        raise Conflict("exams.reason_required")
    attempt.locked = locked
    _log(attempt, "attempt.locked" if locked else "attempt.unlocked", actor, reason)
    db.commit()
    return attempt

"""What attempts add to editing or removing a candidate before the exam (see
`exams.dependents`, which exams calls without importing this domain)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exam_server.attempts.models import Attempt
from exam_server.exams import dependents
from exam_server.exams.models import Registration


@dependents.record_check
def logged_in(db: Session, registration_id: int) -> bool:
    """A candidate who entered (or whose attempt left "pending") is part of the exam record."""
    attempt = db.scalar(select(Attempt).where(Attempt.registration_id == registration_id))
    return attempt is not None and (attempt.entered_at is not None or attempt.state != "pending")


@dependents.before_registration_delete
def drop_pending_attempt(db: Session, registration_id: int) -> None:
    db.execute(delete(Attempt).where(Attempt.registration_id == registration_id, Attempt.state == "pending"))


@dependents.on_registration_change
def follow_extra_time(db: Session, reg: Registration, changes: dict[str, Any]) -> None:
    """A pending attempt (created when check-in opened) takes the candidate's new extra time."""
    if "extra_time_s" not in changes:
        return
    attempt = db.scalar(select(Attempt).where(Attempt.registration_id == reg.id))
    if attempt is not None and attempt.state == "pending":
        attempt.extra_s = reg.extra_time_s

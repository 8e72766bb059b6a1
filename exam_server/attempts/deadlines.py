"""The server closes every attempt at its deadline, and starts sittings due on schedule.

`enforce_deadlines` runs in a background task of every server process (and lazily on any
access to an attempt). Each close is a conditional UPDATE, so several processes running the
job at once submit each attempt exactly once. The finish time recorded is the deadline itself,
not the moment the job noticed.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime

from flask import Flask
from sqlalchemy import select

from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.events.log import SERVER
from exam_server.exams import lifecycle
from exam_server.exams.models import Sitting

log = logging.getLogger(__name__)


def enforce_deadlines(now: datetime | None = None) -> int:
    """Submit every active attempt whose deadline + grace has passed; returns how many this process closed."""
    now = now or utcnow()
    due = db.scalars(
        select(Attempt.id).where(Attempt.state == "active", Attempt.closes_at <= now).order_by(Attempt.closes_at)
    ).all()
    db.rollback()
    closed = 0
    for attempt_id in due:
        attempt = db.get(Attempt, attempt_id)
        if attempt is None or attempt.deadline_at is None:
            continue
        if close_attempt(db, attempt, at=attempt.deadline_at, by="server", actor=SERVER,
                         reason="deadline", from_states=("active",), closes_before=now):
            closed += 1
            db.commit()
        else:
            db.rollback()
    return closed


def start_due_sittings(now: datetime | None = None) -> int:
    now = now or utcnow()
    due = db.scalars(
        select(Sitting.id).where(Sitting.state == "checkin_open", Sitting.auto_start.is_(True),
                                 Sitting.scheduled_start <= now)
    ).all()
    db.rollback()
    started = 0
    for sitting_id in due:
        try:
            lifecycle.start_sitting(sitting_id, SERVER, reason="scheduled start")
            started += 1
        except ServiceError:  # another process started it first
            db.rollback()
    return started


def run_forever(app: Flask, interval: float) -> None:
    """The background loop; `interval` seconds apart with jitter so processes spread out."""
    from exam_server.extensions import socketio

    while not app.extensions.get("exam_jobs_stopped"):
        try:
            with app.app_context():
                start_due_sittings()
                enforce_deadlines()
        except Exception:  # a database hiccup must not stop the clock for good
            log.exception("deadline job failed; retrying")
        socketio.sleep(interval * (0.75 + random.random() / 2))

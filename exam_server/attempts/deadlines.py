"""The server closes every attempt at its deadline, and starts sittings due on schedule.

`enforce_deadlines` runs in a background task of every server process (and lazily on any
access to an attempt). Each close is a conditional UPDATE, so several processes running the
job at once submit each attempt exactly once. The finish time recorded is the deadline itself,
not the moment the job noticed.

When a whole sitting runs out at once (the submit storm at the deadline), the attempts are
closed, graded and logged in batches per room, each batch one transaction (one commit for up
to `[exam] close_batch` attempts, instead of one each), and the worker yields between batches
so the pings and saves of rooms still writing keep flowing. On PostgreSQL a batch is claimed
with `FOR UPDATE SKIP LOCKED`, so several processes split the storm instead of queueing on the
same rows.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import Select, select

from exam_server.attempts import closing
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import Close
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.events import sequencer
from exam_server.events.log import SERVER
from exam_server.exams import lifecycle
from exam_server.exams.models import Registration, Sitting

log = logging.getLogger(__name__)


def _due_by_room(now: datetime) -> dict[int, list[int]]:
    rows = db.execute(
        select(Registration.room_id, Attempt.id)
        .join(Registration, Attempt.registration_id == Registration.id)
        .where(Attempt.state == "active", Attempt.closes_at <= now)
        .order_by(Registration.room_id, Attempt.id)
    ).all()
    db.rollback()
    rooms: dict[int, list[int]] = {}
    for room_id, attempt_id in rows:
        rooms.setdefault(room_id or 0, []).append(attempt_id)
    return rooms


def _deadline_closer(now: datetime) -> closing.Closer:
    """Claim what is still active and past its close time; close it at its deadline, by the server."""

    def claim(attempt_ids: list[int]) -> Select[Any]:
        return (select(Attempt).where(Attempt.id.in_(attempt_ids), Attempt.state == "active",
                                      Attempt.closes_at <= now).order_by(Attempt.id))

    def close(attempt: Attempt) -> Close | None:
        if attempt.deadline_at is None:
            return None
        return Close(attempt, at=attempt.deadline_at, by="server", actor=SERVER, reason="deadline")

    # rows another process is closing are its own; one that fails is retried next round
    return closing.Closer(claim, close, skip_locked=True, what="deadline")


def enforce_deadlines(now: datetime | None = None, batch: int | None = None) -> int:
    """Submit every active attempt whose deadline + grace has passed; returns how many this process closed."""
    now = now or utcnow()
    return closing.close_by_room(_due_by_room(now), _deadline_closer(now), batch)


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
        try:
            with app.app_context():
                sequencer.run_once(app, db)
        except Exception:  # nor a sequencer hiccup: entries wait, chained, for the next round
            log.exception("event sequencer failed; retrying")
        socketio.sleep(interval * (0.75 + random.random() / 2))

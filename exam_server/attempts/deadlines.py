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

from flask import Flask, current_app
from sqlalchemy import select

from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.events import sequencer
from exam_server.events.log import SERVER
from exam_server.exams import lifecycle
from exam_server.exams.models import Registration, Sitting

log = logging.getLogger(__name__)


CLOSE_BATCH = 100  # attempts per transaction; `[exam] close_batch` overrides


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


def _close_batch(attempt_ids: list[int], now: datetime) -> int:
    """Close, grade and log one batch of one room in one transaction; returns how many closed."""
    claim = (select(Attempt).where(Attempt.id.in_(attempt_ids), Attempt.state == "active", Attempt.closes_at <= now)
             .order_by(Attempt.id))
    if db.get_bind().dialect.name == "postgresql":
        claim = claim.with_for_update(skip_locked=True)  # rows another process is closing are its own
    closed = 0
    try:
        for attempt in db.scalars(claim).all():
            if attempt.deadline_at is None:
                continue
            if close_attempt(db, attempt, at=attempt.deadline_at, by="server", actor=SERVER,
                             reason="deadline", from_states=("active",), closes_before=now):
                closed += 1
        db.commit()
    except Exception:
        db.rollback()
        if len(attempt_ids) == 1:
            raise
        # one attempt that cannot be closed must not hold back its room: close them one by one
        closed = 0  # the batch's closes were rolled back
        for attempt_id in attempt_ids:
            try:
                closed_one = _close_batch([attempt_id], now)
            except Exception:
                log.exception("closing attempt %s at its deadline failed; retrying next round", attempt_id)
                continue
            closed += closed_one
        return closed
    return closed


def enforce_deadlines(now: datetime | None = None, batch: int | None = None) -> int:
    """Submit every active attempt whose deadline + grace has passed; returns how many this process closed."""
    from exam_server.extensions import socketio

    now = now or utcnow()
    size = batch or int(current_app.config.get("EXAM_CLOSE_BATCH", CLOSE_BATCH))
    closed = 0
    for attempt_ids in _due_by_room(now).values():
        for first in range(0, len(attempt_ids), size):
            closed += _close_batch(attempt_ids[first:first + size], now)
            socketio.sleep(0)  # let pings and saves of other rooms run between batches
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
        try:
            with app.app_context():
                sequencer.run_once(app, db)
        except Exception:  # nor a sequencer hiccup: entries wait, chained, for the next round
            log.exception("event sequencer failed; retrying")
        socketio.sleep(interval * (0.75 + random.random() / 2))

"""From the event log to the sockets: every committed event is pushed where it matters.

The event log is the contract for "something changed an attempt's state or time", so instead
of every service remembering to notify, we watch the database sessions: events added in a
transaction are collected at flush and delivered after COMMIT returns (never for a
rollback). Delivery runs in a background task: each affected attempt gets its fresh state on
`attempt:<id>`, and the dashboards are told through the coalescing broadcaster. The states of
one delivery go as one batch through the client manager (`socket_rooms.emit_each`), hence as
one message on the Redis queue when several processes serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from exam_server.attempts import receipt
from exam_server.attempts.attempt_state import state_payload
from exam_server.attempts.models import Attempt
from exam_server.db import among
from exam_server.events.batch import take_appended
from exam_server.events.models import Event
from exam_server.i18n import translate

_KEY = "realtime_events"
# Entries about an attempt that its sockets need not hear of: a login's page has no socket yet
# (its hello reads the state) and the login ended every other one; the dashboards are still told.
NO_STATE_PUSH = frozenset({"candidate.login"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Committed:
    action: str
    sitting_id: int | None
    room_id: int | None
    attempt_id: int | None
    reason: str
    data: dict[str, Any]


def install(app: Flask, realtime: Any) -> None:
    maker = app.extensions["exam_db"]["sessionmaker"]

    @event.listens_for(maker, "after_flush")
    def collect(session: Session, _ctx: Any) -> None:
        found = [committed(e) for e in session.new if isinstance(e, Event)]
        if found:
            session.info.setdefault(_KEY, []).extend(found)

    @event.listens_for(maker, "after_commit")
    def deliver_later(session: Session) -> None:
        # entries appended one at a time were flushed (collected above); a batch (`events.batch`,
        # a room's start) was inserted without the ORM and is taken here
        events = session.info.pop(_KEY, None) or []
        events += [committed(e) for e in take_appended(session)]
        graded = receipt.take_graded(session)  # a batch's closes: their receipts need no query
        if events:
            realtime.socketio.start_background_task(deliver, app, realtime, events, graded)

    @event.listens_for(maker, "after_soft_rollback")
    def forget(session: Session, _previous: Any) -> None:
        session.info.pop(_KEY, None)
        take_appended(session)
        receipt.take_graded(session)


def committed(e: Event) -> Committed:
    return Committed(e.action, e.sitting_id, e.room_id, e.attempt_id, e.reason or "", dict(e.data or {}))


def deliver(app: Flask, realtime: Any, events: list[Committed], graded: dict[int, dict[int, Any]]) -> None:
    from exam_server.db import db

    with app.app_context():
        session = db.new_session(app)
        try:
            _deliver(session, realtime, events, graded)
        except Exception:  # a push that fails must not take the worker down; pages resync on reconnect
            log.exception("pushing %d committed events failed", len(events))
        finally:
            session.close()


def _deliver(session: Session, realtime: Any, events: list[Committed], graded: dict[int, dict[int, Any]]) -> None:
    extras: dict[int, dict[str, Any]] = {}
    for e in events:
        if e.attempt_id is None:
            if e.sitting_id is not None:
                realtime.broadcaster.mark_entry(e.sitting_id, e.action, e.room_id, e.data)
            continue
        if e.sitting_id is not None:
            realtime.broadcaster.mark(e.sitting_id, e.attempt_id)
        if e.action in NO_STATE_PUSH:
            continue
        extra = extras.setdefault(e.attempt_id, {})
        if e.action == "attempt.extra_time":
            extra["extra_seconds_added"] = extra.get("extra_seconds_added", 0) + int(e.data.get("seconds", 0))
        if e.action == "attempt.locked" and e.reason.startswith("seb."):
            extra["message"] = translate(e.reason)
    if not extras:
        return
    attempts = session.scalars(select(Attempt).where(among(session, Attempt.id, extras))).all()
    receipt.prefetch_answers(session, [a.id for a in attempts if a.state == "submitted"], graded)
    # one message on the queue for all of them (a room's start is hundreds), not one each
    realtime.socketio.server.manager.emit_each(
        "state", [(f"attempt:{a.id}", state_payload(a, session=session, **extras[a.id])) for a in attempts], "/exam")

"""Extra time for a whole room (issue #13): every candidate still writing or paused, at once.

After a room-wide incident (a power cut, a late paper) the invigilator gives the same time to
everyone concerned in one transaction: either each of them gets it or, when one of them cannot
(the 8-hour cap, a take-back below zero), nobody does. The log gets one `room.extra_time` entry
(the room's stream: who decided it, why, for which attempts) and one `attempt.extra_time` per
attempt, the same entry a single extension writes, so each candidate's page is pushed its new
deadline and the dashboards re-read the room (`realtime.pushes`, `monitor.broadcaster`).

Who gets it: an attempt that is active or paused, that its candidate has entered (one never
logged in is shown absent or not arrived), and that is not locked (held by the invigilator,
who decides about it on its own). Submitted and disqualified papers are closed already.
"""

from __future__ import annotations

from sqlalchemy import select

from exam_server.attempts import control
from exam_server.attempts.models import OPEN_STATES, Attempt
from exam_server.attempts.time_bounds import extra_seconds
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Registration, Room


def eligible_attempts(room: Room, *, lock: bool = False) -> list[Attempt]:
    """The room's attempts a room-wide extension reaches, in id order (row-locked when `lock`,
    so a single extension or a submission running meanwhile is waited for, not overwritten)."""
    query = (select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
             .where(Registration.room_id == room.id, Attempt.state.in_(OPEN_STATES),
                    Attempt.entered_at.is_not(None), Attempt.locked.is_(False))
             .order_by(Attempt.id))
    return list(db.scalars(query.with_for_update(of=Attempt) if lock else query))


def add_room_extra_time(room: Room, seconds: object, actor: Actor, reason: str) -> list[Attempt]:
    """Give (negative: take back) `seconds` to every eligible attempt of `room`; commits once.

    Refused as a whole, nothing changed: no reason, no eligible candidate, or one candidate who
    cannot get the time (named by candidate number)."""
    count = extra_seconds(seconds)
    if not reason.strip():
        raise Conflict("exams.reason_required")
    attempts = eligible_attempts(room, lock=True)
    if not attempts:
        raise Conflict("attempts.room_extra_time_nobody", room=room.name)
    for attempt in attempts:
        try:
            control.check_extension(attempt, count)
        except ServiceError as exc:
            if exc.code == "attempts.extra_time_out_of_range":
                raise  # the same for everyone: the value itself is wrong
            raise Conflict("attempts.room_extra_time_refused", status=exc.status, sbd=attempt.registration.sbd,
                           detail=exc.message(), cause=exc.code) from exc
    now = utcnow()
    append_event(db, "room.extra_time", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason,
                 data={"seconds": count, "attempts": [a.id for a in attempts]})
    for attempt in attempts:
        control.extend(attempt, count, actor, reason, now, room_wide=True)
    db.commit()
    return attempts

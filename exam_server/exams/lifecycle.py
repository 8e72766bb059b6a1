"""Sitting and room lifecycle: scheduled -> checkin_open -> started <-> paused -> ended.

Every function checks the transition is legal (raising `Conflict("exams.illegal_transition")`
naming the current state), applies it to the affected attempts, logs an event per changed
attempt with who/why/when, and commits. Attempts exist from check-in opening on, so starting a
room is an UPDATE of rows already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from exam_server.attempts import timing
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.exams.papers import assign_papers


def _illegal(what: str, action: str, state: str) -> Conflict:
    return Conflict("exams.illegal_transition", what=what, action=action, state=state)


def get_sitting(sitting_id: int) -> Sitting:
    sitting = db.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    return sitting


def get_room(room_id: int) -> Room:
    room = db.get(Room, room_id)
    if room is None:
        raise NotFound("exams.room_not_found")
    return room


def room_attempts(room: Room, states: Iterable[str]) -> list[Attempt]:
    return list(
        db.scalars(
            select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
            .where(Registration.room_id == room.id, Attempt.state.in_(tuple(states)))
            .order_by(Attempt.id)
        )
    )


def prepare_attempts(sitting: Sitting) -> int:
    """Create the missing attempts (one per registration), assigning papers first. Idempotent."""
    assign_papers(db, sitting)
    db.flush()
    missing = db.scalars(
        select(Registration).outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting.id, Attempt.id.is_(None))
    ).all()
    for reg in missing:
        assert reg.paper_id is not None
        db.add(Attempt(registration_id=reg.id, paper_id=reg.paper_id, state="pending",
                       duration_s=sitting.duration_s, extra_s=reg.extra_time_s, grace_s=sitting.grace_s))
    return len(missing)


def open_checkin(sitting_id: int, actor: Actor, reason: str = "") -> Sitting:
    sitting = get_sitting(sitting_id)
    if sitting.state != "scheduled":
        raise _illegal(sitting.name, "open_checkin", sitting.state)
    sitting.state = "checkin_open"
    for room in sitting.rooms:
        room.state = "checkin_open"
    created = prepare_attempts(sitting)
    append_event(db, "sitting.checkin_opened", actor, sitting_id=sitting.id, reason=reason,
                 data={"attempts_created": created})
    db.commit()
    return sitting


def _apply_accommodation(attempt: Attempt, actor: Actor, room: Room) -> None:
    """The candidate's extra time as registered at the moment the room starts (the roster may
    have been edited after check-in opened), logged when there is any."""
    extra = attempt.registration.extra_time_s
    if extra and attempt.extra_s != extra:
        attempt.extra_s = extra
    if extra:
        append_event(db, "attempt.accommodation_applied", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, data={"extra_s": extra})


def _start_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.started_at = "started", now
    append_event(db, "room.started", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    for attempt in room_attempts(room, ("pending",)):
        _apply_accommodation(attempt, actor, room)
        timing.start_clock(attempt, now)
        append_event(db, "attempt.started", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, reason=reason,
                     data={"started_at": now.isoformat(), "deadline": attempt.deadline_at.isoformat()})


def start_room(room_id: int, actor: Actor, reason: str = "") -> Room:
    room = get_room(room_id)
    sitting = room.sitting
    if room.state != "checkin_open" or sitting.state not in ("checkin_open", "started"):
        raise _illegal(room.name, "start", room.state if room.state != "checkin_open" else sitting.state)
    now = utcnow()
    prepare_attempts(sitting)  # registrations added after check-in opened
    db.flush()
    _start_room(room, actor, reason, now)
    if sitting.state == "checkin_open":
        sitting.state, sitting.started_at = "started", now
    db.commit()
    return room


def start_sitting(sitting_id: int, actor: Actor, reason: str = "") -> Sitting:
    """Start every room still waiting (all of them, unless some were started on their own)."""
    sitting = get_sitting(sitting_id)
    waiting = [r for r in sitting.rooms if r.state == "checkin_open"]
    if sitting.state not in ("checkin_open", "started") or not waiting:
        raise _illegal(sitting.name, "start", sitting.state)
    now = utcnow()
    prepare_attempts(sitting)
    db.flush()
    for room in waiting:
        _start_room(room, actor, reason, now)
    if sitting.state == "checkin_open":
        sitting.state, sitting.started_at = "started", now
    append_event(db, "sitting.started", actor, sitting_id=sitting.id, reason=reason,
                 data={"rooms": [r.id for r in waiting]})
    db.commit()
    return sitting


def _pause_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.paused_since = "paused", now
    append_event(db, "room.paused", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    for attempt in room_attempts(room, ("active",)):
        timing.stop_clock(attempt, now, by="room")
        append_event(db, "attempt.paused", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, reason=reason, data={"by": "room"})


def _resume_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.paused_since = "started", None
    append_event(db, "room.resumed", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    for attempt in room_attempts(room, ("paused",)):
        if attempt.paused_by != "room":
            continue  # paused on its own: stays paused until resumed on its own
        credited = timing.restart_clock(attempt, now)
        append_event(db, "attempt.resumed", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, reason=reason,
                     data={"credited_s": credited, "deadline": attempt.deadline_at.isoformat()})


def pause_room(room_id: int, actor: Actor, reason: str) -> Room:
    room = get_room(room_id)
    if room.state != "started":
        raise _illegal(room.name, "pause", room.state)
    _require_reason(reason)
    _pause_room(room, actor, reason, utcnow())
    db.commit()
    return room


def resume_room(room_id: int, actor: Actor, reason: str = "") -> Room:
    room = get_room(room_id)
    if room.state != "paused":
        raise _illegal(room.name, "resume", room.state)
    _resume_room(room, actor, reason, utcnow())
    db.commit()
    return room


def pause_sitting(sitting_id: int, actor: Actor, reason: str) -> Sitting:
    sitting = get_sitting(sitting_id)
    rooms = [r for r in sitting.rooms if r.state == "started"]
    if sitting.state != "started" or not rooms:
        raise _illegal(sitting.name, "pause", sitting.state)
    _require_reason(reason)
    now = utcnow()
    for room in rooms:
        _pause_room(room, actor, reason, now)
    db.commit()
    return sitting


def resume_sitting(sitting_id: int, actor: Actor, reason: str = "") -> Sitting:
    sitting = get_sitting(sitting_id)
    rooms = [r for r in sitting.rooms if r.state == "paused"]
    if sitting.state != "started" or not rooms:
        raise _illegal(sitting.name, "resume", sitting.state)
    now = utcnow()
    for room in rooms:
        _resume_room(room, actor, reason, now)
    db.commit()
    return sitting


def _end_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.ended_at, room.paused_since = "ended", now, None
    append_event(db, "room.ended", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    for attempt in room_attempts(room, ("pending", "active", "paused")):
        if attempt.state == "pending":  # never started: closed without a finish time of its own
            close_attempt(db, attempt, at=now, by="staff", actor=actor, reason=reason, from_states=("pending",))
            continue
        deadline = attempt.deadline(now)
        finish = min(now, deadline) if deadline else now
        close_attempt(db, attempt, at=finish, by="staff", actor=actor, reason=reason)


def writing_candidates(rooms: Iterable[Room]) -> list[dict[str, object]]:
    """Candidates still writing (logged in, attempt open) in these rooms, in room and SBD order."""
    room_ids = [r.id for r in rooms]
    if not room_ids:
        return []
    found = db.execute(
        select(Registration, Attempt.state, Room.name)
        .join(Attempt, Attempt.registration_id == Registration.id)
        .join(Room, Room.id == Registration.room_id)
        .where(Registration.room_id.in_(room_ids), Attempt.state.in_(("active", "paused")),
               Attempt.entered_at.is_not(None))
        .order_by(Room.name, Registration.sbd)
    )
    return [{"registration_id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name, "room": room_name,
             "seat": reg.seat, "state": state} for reg, state, room_name in found]


def end_blockers(sitting: Sitting, rooms: Iterable[Room]) -> dict[str, list[dict[str, object]]]:
    """Why ending now needs a confirmation: who is still writing, which rooms never started."""
    rooms = list(rooms)
    open_rooms = [r for r in rooms if r.state in ("started", "paused")]
    not_started = [{"id": r.id, "name": r.name, "state": r.state}
                   for r in rooms if r.state in ("scheduled", "checkin_open")]
    return {"writing": writing_candidates(open_rooms), "rooms_not_started": not_started}


def _require_confirmation(sitting: Sitting, rooms: Iterable[Room], what: str) -> None:
    blockers = end_blockers(sitting, rooms)
    if blockers["writing"] or blockers["rooms_not_started"]:
        raise Conflict("exams.end_needs_confirm", what=what, writing_count=len(blockers["writing"]),
                       rooms_count=len(blockers["rooms_not_started"]), **blockers)


def end_room_check(room: Room) -> None:
    """Raise the 409 of an unconfirmed end of `room` if anyone is still writing."""
    _require_confirmation(room.sitting, [room], room.name)


def end_sitting_check(sitting: Sitting) -> None:
    """Raise the 409 of an unconfirmed end of `sitting` if anyone is writing or a room waits."""
    _require_confirmation(sitting, sitting.rooms, sitting.name)


def end_room(room_id: int, actor: Actor, reason: str = "", *, confirm: bool = True) -> Room:
    """End the room. With `confirm=False` a room with candidates still writing is refused (409
    naming them), so one unconfirmed click cannot close the attempts of a whole room."""
    room = get_room(room_id)
    if room.state not in ("started", "paused"):
        raise _illegal(room.name, "end", room.state)
    if not confirm:
        _require_confirmation(room.sitting, [room], room.name)
    _end_room(room, actor, reason, utcnow())
    sitting = room.sitting
    if all(r.state == "ended" for r in sitting.rooms):
        sitting.state, sitting.ended_at = "ended", utcnow()
        append_event(db, "sitting.ended", actor, sitting_id=sitting.id, reason=reason)
    db.commit()
    return room


def end_sitting(sitting_id: int, actor: Actor, reason: str = "", *, confirm: bool = True) -> Sitting:
    """End every room. With `confirm=False` the sitting is refused (409) while candidates are
    still writing or rooms have not started, naming them."""
    sitting = get_sitting(sitting_id)
    # Check-in open but nobody started: ending (confirmed) closes the sitting, everyone absent.
    if sitting.state not in ("checkin_open", "started"):
        raise _illegal(sitting.name, "end", sitting.state)
    if not confirm:
        _require_confirmation(sitting, sitting.rooms, sitting.name)
    now = utcnow()
    for room in sitting.rooms:
        if room.state in ("started", "paused"):
            _end_room(room, actor, reason, now)
        elif room.state != "ended":  # never started: nothing to submit, closed all the same
            room.state, room.ended_at = "ended", now
            for attempt in room_attempts(room, ("pending",)):
                close_attempt(db, attempt, at=now, by="staff", actor=actor, reason=reason, from_states=("pending",))
    sitting.state, sitting.ended_at = "ended", now
    append_event(db, "sitting.ended", actor, sitting_id=sitting.id, reason=reason)
    db.commit()
    return sitting


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise Conflict("exams.reason_required")

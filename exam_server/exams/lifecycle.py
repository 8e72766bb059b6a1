"""Sitting and room lifecycle: scheduled -> checkin_open -> started <-> paused -> ended.

Every function checks the transition is legal (raising `Conflict("exams.illegal_transition")`
naming the current state), applies it to the affected attempts, logs an event per changed
attempt with who/why/when, and commits. Attempts exist from check-in opening on, so starting a
room is an UPDATE of rows already there.

What happens to the attempts is the attempts domain's (`attempts.room_clock`), reached through
the `exams.room_clock` port so that exams does not import the layer above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound
from exam_server.events.batch import Entry, append_events
from exam_server.events.log import Actor, append_event
from exam_server.exams import paper_crypto, room_clock
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


def prepare_attempts(sitting: Sitting) -> int:
    """Create the missing attempts (one per registration), assigning papers first. Idempotent."""
    assign_papers(db, sitting)
    db.flush()
    return room_clock.current().create_attempts(sitting)


def open_checkin(sitting_id: int, actor: Actor, reason: str = "") -> Sitting:
    sitting = get_sitting(sitting_id)
    if sitting.state != "scheduled":
        raise _illegal(sitting.name, "open_checkin", sitting.state)
    sitting.state = "checkin_open"
    for room in sitting.rooms:
        room.state = "checkin_open"
    created = prepare_attempts(sitting)
    paper_crypto.ensure_keys(db, sitting.id)  # papers are fixed from now on: their keys exist
    append_event(db, "sitting.checkin_opened", actor, sitting_id=sitting.id, reason=reason,
                 data={"attempts_created": created})
    db.commit()
    return sitting


START_BATCH = 500  # attempts per start transaction of a sitting (whole rooms); `[exam] start_batch` overrides


def _start_rooms(rooms: Sequence[Room], actor: Actor, reason: str, now: datetime) -> None:
    """Start the rooms and their pending attempts in the caller's transaction, every entry
    appended as one batch in the order one-at-a-time appends had: per room `room.started`,
    then its attempts' entries."""
    for room in rooms:
        room.state, room.started_at = "started", now
    logged = room_clock.current().start(rooms, actor, reason, now)
    entries: list[Entry] = []
    for room in rooms:
        entries.append(Entry("room.started", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason))
        entries += logged.get(room.id, [])
    append_events(db, entries)


def start_room(room_id: int, actor: Actor, reason: str = "") -> Room:
    """Start one room: its attempts all or none, in one transaction."""
    room = get_room(room_id)
    sitting = room.sitting
    if room.state != "checkin_open" or sitting.state not in ("checkin_open", "started"):
        raise _illegal(room.name, "start", room.state if room.state != "checkin_open" else sitting.state)
    now = utcnow()
    prepare_attempts(sitting)  # registrations added after check-in opened
    db.flush()
    _start_rooms([room], actor, reason, now)
    if sitting.state == "checkin_open":
        sitting.state, sitting.started_at = "started", now
    db.commit()
    return room


def _start_batches(rooms: list[Room], size: int) -> list[list[Room]]:
    """Whole rooms, in order, grouped until a group holds `size` registrations or more (a room
    larger than that is a group of its own: a room is never split across transactions)."""
    counts: dict[int | None, int] = {room_id: n for room_id, n in db.execute(
        select(Registration.room_id, func.count()).where(Registration.room_id.in_([r.id for r in rooms]))
        .group_by(Registration.room_id))}
    batches: list[list[Room]] = [[]]
    held = 0
    for room in rooms:
        if batches[-1] and held >= size:
            batches.append([])
            held = 0
        batches[-1].append(room)
        held += counts.get(room.id, 0)
    return batches


def start_sitting(sitting_id: int, actor: Actor, reason: str = "") -> Sitting:
    """Start every room still waiting (all of them, unless some were started on their own).

    Whole rooms in transactions of about `[exam] start_batch` candidates, the worker yielding
    between them: a sitting of 400 rooms in one transaction held every attempt row and the worker
    for seconds while no candidate had a key (the key push of a transaction's rooms goes out at
    its COMMIT), and a transaction per room paid its fixed statements and COMMIT 400 times. Each
    transaction's clocks start at its own moment, so a later room loses no time to those before.
    A failure part way leaves the rooms after it waiting, each room all or nothing; starting
    again starts them. `sitting.started` names the rooms this call started, after them."""
    from exam_server.extensions import socketio

    sitting = get_sitting(sitting_id)
    waiting = [r for r in sitting.rooms if r.state == "checkin_open"]
    if sitting.state not in ("checkin_open", "started") or not waiting:
        raise _illegal(sitting.name, "start", sitting.state)
    size = int(current_app.config.get("EXAM_START_BATCH", START_BATCH))
    if size < 1:
        raise ValueError(f"[exam] start_batch must be at least 1, not {size}")
    prepare_attempts(sitting)
    db.flush()
    started: list[Room] = []
    for batch in _start_batches(waiting, size):
        # another start (a second job process) may have taken some: lock the rooms, read them again
        locked = db.scalars(select(Room).where(Room.id.in_([r.id for r in batch])).order_by(Room.id)
                            .with_for_update().execution_options(populate_existing=True)).all()
        rooms = [r for r in locked if r.state == "checkin_open"]
        if rooms:
            now = utcnow()
            _start_rooms(rooms, actor, reason, now)
            if sitting.state == "checkin_open":
                sitting.state, sitting.started_at = "started", now
        db.commit()
        started += rooms
        socketio.sleep(0)  # let pings, saves and these rooms' key pushes run before the next rooms
    if not started:
        raise _illegal(sitting.name, "start", sitting.state)
    append_event(db, "sitting.started", actor, sitting_id=sitting.id, reason=reason,
                 data={"rooms": [r.id for r in started]})
    db.commit()
    return sitting


def _pause_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.paused_since = "paused", now
    append_event(db, "room.paused", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    room_clock.current().pause(room, actor, reason, now)


def _resume_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    room.state, room.paused_since = "started", None
    append_event(db, "room.resumed", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)
    room_clock.current().resume(room, actor, reason, now)


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
    """Mark a room ended (its attempts are closed before, by `_close_open_attempts`)."""
    room.state, room.ended_at, room.paused_since = "ended", now, None
    append_event(db, "room.ended", actor, sitting_id=room.sitting_id, room_id=room.id, reason=reason)


def _close_open_attempts(rooms: Iterable[Room], actor: Actor, reason: str, now: datetime) -> None:
    """Submit the open attempts of `rooms` in batches, committing (`attempts.room_clock`);
    the rooms are marked ended afterwards by the caller, so a failure part way leaves them open."""
    room_clock.current().close_open(rooms, actor, reason, now)


def writing_candidates(rooms: Iterable[Room]) -> list[dict[str, object]]:
    """Candidates still writing (logged in, attempt open) in these rooms, in room and SBD order."""
    return room_clock.current().writing(rooms)


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
                       rooms_count=len(blockers["rooms_not_started"]), writing=blockers["writing"],
                       rooms_not_started=blockers["rooms_not_started"])


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
    now = utcnow()
    _close_open_attempts([room], actor, reason, now)
    db.refresh(room)
    if room.state not in ("started", "paused"):  # another examiner ended it meanwhile
        return room
    _end_room(room, actor, reason, now)
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
    _close_open_attempts([r for r in sitting.rooms if r.state != "ended"], actor, reason, now)
    db.refresh(sitting)
    if sitting.state not in ("checkin_open", "started"):  # another examiner ended it meanwhile
        return sitting
    for room in sitting.rooms:
        db.refresh(room)
        if room.state in ("started", "paused"):
            _end_room(room, actor, reason, now)
        elif room.state != "ended":  # never started: nothing to submit, closed all the same
            room.state, room.ended_at = "ended", now
    sitting.state, sitting.ended_at = "ended", now
    append_event(db, "sitting.ended", actor, sitting_id=sitting.id, reason=reason)
    db.commit()
    return sitting


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise Conflict("exams.reason_required")

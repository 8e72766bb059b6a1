"""What a room's lifecycle does to its attempts (the `exams.room_clock` port, registered at import).

`exams.lifecycle` owns the room and sitting states; the attempts in a room are this domain's:
their clocks (`attempts.timing`), their submission (`attempts.submission`, in batches by
`attempts.closing`) and the events logged per attempt. Moved here from `exams.lifecycle`
unchanged, so exams no longer imports the layer above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, Select, func, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from exam_server.attempts import closing, timing
from exam_server.attempts.entry import counted_state, has_entered
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import Close
from exam_server.db import session as db
from exam_server.events.batch import Entry, unnest
from exam_server.events.log import Actor, append_event
from exam_server.exams import room_clock
from exam_server.exams.models import Registration, Room, Sitting


def room_attempts(room: Room, states: Iterable[str]) -> list[Attempt]:
    return list(
        db.scalars(
            select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
            .where(Registration.room_id == room.id, Attempt.state.in_(tuple(states)))
            .options(contains_eager(Attempt.registration))  # read with the join, not one query per attempt
            .order_by(Attempt.id)
        )
    )


def create_attempts(sitting: Sitting) -> int:
    """Create the missing attempts (one per registration, papers already assigned). Idempotent."""
    missing = db.scalars(
        select(Registration).outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting.id, Attempt.id.is_(None))
    ).all()
    for reg in missing:
        assert reg.paper_id is not None
        db.add(Attempt(registration_id=reg.id, paper_id=reg.paper_id, state="pending",
                       duration_s=sitting.duration_s, extra_s=reg.extra_time_s, grace_s=sitting.grace_s))
    return len(missing)


@dataclass(frozen=True)
class _Started:
    """What the start writes to one attempt (and logs about it)."""

    id: int
    room_id: int
    extra_s: int
    deadline_at: datetime
    closes_at: datetime
    accommodation: int  # the registered extra time applied at the start; 0: none


def _pending_clocks(room_ids: list[int], now: datetime) -> list[_Started]:
    """The rooms' pending attempts as their start sets them, in attempt order, read as columns
    (no ORM objects), locked on PostgreSQL so nothing changes them between this read and the UPDATE.

    The extra time is the candidate's as registered at the moment the room starts (the roster
    may have been edited after check-in opened); without any registered, the attempt keeps its own."""
    query = (select(Attempt.id, Registration.room_id, Attempt.extra_s, Attempt.duration_s, Attempt.paused_credit_s,
                    Attempt.paused_since, Attempt.grace_s, Registration.extra_time_s)
             .join(Registration, Attempt.registration_id == Registration.id)
             .where(Registration.room_id.in_(room_ids), Attempt.state == "pending").order_by(Attempt.id))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Attempt)
    started: list[_Started] = []
    for row in db.execute(query):
        extra = row.extra_time_s or row.extra_s
        deadline = timing.started_deadline(now, row.duration_s, extra, row.paused_credit_s, row.paused_since)
        started.append(_Started(row.id, row.room_id, extra, deadline, deadline + timedelta(seconds=row.grace_s),
                                row.extra_time_s or 0))
    return started


def _write_clocks(started: list[_Started], now: datetime) -> None:
    """Every clock in one statement: on PostgreSQL an UPDATE ... FROM unnest (four array
    parameters however many attempts), elsewhere the ORM's bulk UPDATE by primary key. Attempts
    this session holds already get the new values too (a Core UPDATE would leave them stale)."""
    values = {"state": "active", "started_at": now}
    if db.get_bind().dialect.name == "postgresql":
        rows = unnest(("id", [s.id for s in started], Integer), ("extra_s", [s.extra_s for s in started], Integer),
                      ("deadline_at", [s.deadline_at for s in started], DateTime(timezone=True)),
                      ("closes_at", [s.closes_at for s in started], DateTime(timezone=True)))
        db.execute(update(Attempt).where(Attempt.id == rows.c.id)
                   .values(**values, extra_s=rows.c.extra_s, deadline_at=rows.c.deadline_at, closes_at=rows.c.closes_at)
                   .execution_options(synchronize_session=False))
    else:
        db.execute(update(Attempt), [{"id": s.id, **values, "extra_s": s.extra_s, "deadline_at": s.deadline_at,
                                      "closes_at": s.closes_at} for s in started])
    for s in started:
        held = db.identity_map.get(identity_key(Attempt, s.id))
        if held is not None:
            for name, value in (*values.items(), ("extra_s", s.extra_s), ("deadline_at", s.deadline_at),
                                ("closes_at", s.closes_at)):
                set_committed_value(held, name, value)


def start_rooms(rooms: Sequence[Room], actor: Actor, reason: str, now: datetime) -> dict[int, list[Entry]]:
    """Open every pending attempt of the rooms in the caller's transaction, all clocks in one
    UPDATE, and say what to log (the caller appends it as one batch with the rooms' own entries,
    `events.batch`: a few statements for the rooms, not a few per candidate), so the start
    COMMIT, and with it every candidate's key push, comes early.

    Per attempt, in attempt order: `attempt.accommodation_applied` when the candidate has extra
    time registered, then `attempt.started` with the clock's start and deadline."""
    by_room: dict[int, list[Entry]] = {room.id: [] for room in rooms}
    started = _pending_clocks(list(by_room), now)
    if not started:
        return by_room
    _write_clocks(started, now)
    sitting_of = {room.id: room.sitting_id for room in rooms}
    at = now.isoformat()
    for s in started:
        entries, sitting_id = by_room[s.room_id], sitting_of[s.room_id]
        if s.accommodation:
            entries.append(Entry("attempt.accommodation_applied", actor, sitting_id=sitting_id, room_id=s.room_id,
                                 attempt_id=s.id, data={"extra_s": s.accommodation}))
        entries.append(Entry("attempt.started", actor, sitting_id=sitting_id, room_id=s.room_id, attempt_id=s.id,
                             reason=reason, data={"started_at": at, "deadline": s.deadline_at.isoformat()}))
    return by_room


def pause_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    for attempt in room_attempts(room, ("active",)):
        timing.stop_clock(attempt, now, by="room")
        append_event(db, "attempt.paused", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, reason=reason, data={"by": "room"})


def resume_room(room: Room, actor: Actor, reason: str, now: datetime) -> None:
    for attempt in room_attempts(room, ("paused",)):
        if attempt.paused_by != "room":
            continue  # paused on its own: stays paused until resumed on its own
        credited = timing.restart_clock(attempt, now)
        append_event(db, "attempt.resumed", actor, sitting_id=room.sitting_id, room_id=room.id,
                     attempt_id=attempt.id, reason=reason,
                     data={"credited_s": credited, "deadline": timing.deadline_iso(attempt)})


def close_open_attempts(rooms: Iterable[Room], actor: Actor, reason: str, now: datetime) -> None:
    """Close, grade and log the open attempts of `rooms` in batches per room, one transaction
    per batch, yielding between batches (`attempts.closing`, as the deadline job does), so
    ending a sitting of thousands does not stall every other candidate of the worker.

    A room that started closes its pending, active and paused attempts; one that never did,
    its pending ones. Rooms are marked ended afterwards by the caller, so a failure (or a
    crash) part way leaves them open, and ending again closes the rest. Raises the error of
    an attempt that could not be closed, after the others were."""
    by_room: dict[int, list[int]] = {}
    for room in rooms:
        states = ("pending", "active", "paused") if room.state in ("started", "paused") else ("pending",)
        by_room[room.id] = list(db.scalars(
            select(Attempt.id).join(Registration, Attempt.registration_id == Registration.id)
            .where(Registration.room_id == room.id, Attempt.state.in_(states)).order_by(Attempt.id)))
    db.commit()  # what the caller checked is not held across the batches

    def claim(attempt_ids: list[int]) -> Select[Any]:
        return (select(Attempt).where(Attempt.id.in_(attempt_ids), Attempt.state.in_(("pending", "active", "paused")))
                .order_by(Attempt.id))

    def close(attempt: Attempt) -> Close:
        if attempt.state == "pending":  # never started: closed without a finish time of its own
            return Close(attempt, at=now, by="staff", actor=actor, reason=reason)
        deadline = attempt.deadline(now)
        finish = min(now, deadline) if deadline else now
        return Close(attempt, at=finish, by="staff", actor=actor, reason=reason)

    # a staff end waits for rows in use (a save, a submission) instead of skipping them
    closer = closing.Closer(claim, close, skip_locked=False, what="staff end")
    closing.close_by_room(by_room, closer)
    if closer.error is not None:
        raise closer.error


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


def attempts_in_room(room: Room) -> dict[int, Attempt]:
    """registration id -> attempt, for every registration of `room` that has one."""
    return {a.registration_id: a for a in db.scalars(
        select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
        .where(Registration.room_id == room.id))}


def state_counts(sitting_id: int) -> list[tuple[int | None, str, int]]:
    """(room id, attempt state, count) of a sitting, in one aggregate query (the sitting page
    polls it, so never one query per candidate). A candidate who never entered a started
    attempt is in no state's count (`entry.counted_state`, the dashboards' rule too)."""
    counts: dict[tuple[int | None, str], int] = {}
    for room_id, state, entered_at_set, submitted_by, n in db.execute(
        select(Registration.room_id, Attempt.state, Attempt.entered_at.is_not(None), Attempt.submitted_by,
               func.count())
        .join(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id)
        .group_by(Registration.room_id, Attempt.state, Attempt.entered_at.is_not(None), Attempt.submitted_by)):
        shown = counted_state(state, has_entered(entered_at_set, submitted_by))
        if shown is not None:
            counts[(room_id, shown)] = counts.get((room_id, shown), 0) + n
    return [(room_id, state, n) for (room_id, state), n in counts.items()]


room_clock.register(room_clock.RoomClock(
    create_attempts=create_attempts, start=start_rooms, pause=pause_room, resume=resume_room,
    close_open=close_open_attempts, writing=writing_candidates,
    attempts_in_room=attempts_in_room, state_counts=state_counts,
))

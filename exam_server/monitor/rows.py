"""One row per candidate for the dashboards, built in a handful of grouped queries; only the
rows that changed are read for a push, and the sitting overview is aggregated per room."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_server.accounts.models import LoginCode
from exam_server.attempts.attempt_state import epoch_ms
from exam_server.attempts.disqualification import DISQUALIFIED
from exam_server.attempts.entry import has_entered
from exam_server.attempts.models import Attempt, Response
from exam_server.attempts.timing import remaining_seconds
from exam_server.checkin.models import CheckIn
from exam_server.events.models import Event
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.exams.papers import paper_questions
from exam_server.realtime.presence import Presence

INCIDENT = "incident.logged"


def candidate_state(attempt: Attempt | None, room: Room | None, checked_in: bool, online: bool) -> str:
    """expected | checked_in | waiting | writing | paused | submitted | absent.

    Starting a room starts every pending attempt's clock, logged in or not; a candidate who never
    logged in (`entered_at` unset, and not a paper they handed in) is therefore shown by their
    arrival (checked in, absent, expected), never as writing, paused or submitted.
    `room_overview` applies the same rules to its grouped columns.
    """
    entered = attempt is not None and has_entered(getattr(attempt, "entered_at", None) is not None,
                                                  getattr(attempt, "submitted_by", ""))
    if attempt is not None:
        if entered and attempt.state in _ATTEMPT_STATES:
            return _ATTEMPT_STATES[attempt.state]
        if attempt.state == "pending" and (entered or online):
            return "waiting"
    if checked_in and not (attempt is not None and attempt.state == "submitted"):
        return "checked_in"
    if room is not None and room.state in ("started", "paused", "ended"):
        return "absent"
    if attempt is not None and attempt.state == "submitted":
        return "absent"  # closed without ever logging in
    return "expected"


_ATTEMPT_STATES = {"submitted": "submitted", "active": "writing", "paused": "paused"}


def rooms_of(session: Session, sitting_id: int, room_id: int | None = None) -> list[dict[str, Any]]:
    """The sitting's rooms, or with `room_id` only that room (a room dashboard needs no other
    room's seat list)."""
    stmt = select(Room.id, Room.name, Room.state, Room.seats).where(Room.sitting_id == sitting_id)
    if room_id is not None:
        stmt = stmt.where(Room.id == room_id)
    return [{"id": r.id, "name": r.name, "state": r.state, "seats": list(r.seats or [])}
            for r in session.execute(stmt.order_by(Room.id))]


@dataclass(slots=True)
class _AttemptColumns:
    """The attempt columns a dashboard row needs, selected as columns: building ORM objects
    (each with its grading JSON) was most of a 10,000-row snapshot's time."""

    id: int
    paper_id: int
    state: str
    locked: bool
    started_at: datetime | None
    duration_s: int
    extra_s: int
    paused_credit_s: float
    paused_since: datetime | None
    entered_at: datetime | None
    deadline_at: datetime | None
    submitted_by: str

    def deadline(self, now: datetime) -> datetime | None:
        return Attempt.deadline(cast(Attempt, self), now)  # the model's rule, on the same columns


@dataclass(slots=True)
class _RoomColumns:
    state: str
    started_at: datetime | None


_ATTEMPT_COLUMNS = tuple(getattr(Attempt, f.name) for f in fields(_AttemptColumns))


def candidate_rows(
    session: Session,
    sitting_id: int,
    presence: dict[int, Presence],
    *,
    room_id: int | None = None,
    attempt_ids: Collection[int] | None = None,
    registration_ids: Collection[int] | None = None,
    now: datetime,
) -> list[dict[str, Any]]:
    stmt = (
        select(Registration.id.label("reg_id"), Registration.sbd, Registration.full_name, Registration.room_id,
               Registration.seat, Room.name.label("room_name"), Room.state.label("room_state"),
               Room.started_at.label("room_started_at"), *_ATTEMPT_COLUMNS)
        .outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .outerjoin(Room, Room.id == Registration.room_id)
        .where(Registration.sitting_id == sitting_id)
        .order_by(Registration.room_id, Registration.sbd)
    )
    if room_id is not None:
        stmt = stmt.where(Registration.room_id == room_id)
    if attempt_ids is not None:
        stmt = stmt.where(Attempt.id.in_(list(attempt_ids)))
    if registration_ids is not None:
        stmt = stmt.where(Registration.id.in_(list(registration_ids)))
    rooms: dict[int, _RoomColumns] = {}
    found: list[tuple[Any, _AttemptColumns | None, _RoomColumns | None]] = []
    for row in session.execute(stmt):
        room = rooms.get(row.room_id)
        if room is None and row.room_id is not None:
            room = rooms[row.room_id] = _RoomColumns(row.room_state, row.room_started_at)
        attempt_cols = row[8:]  # in _ATTEMPT_COLUMNS order; an id of None: no attempt
        found.append((row, _AttemptColumns(*attempt_cols) if attempt_cols[0] is not None else None, room))
    ids = [a.id for _r, a, _room in found if a is not None]
    reg_ids = [r.reg_id for r, _a, _room in found]
    # The grouped reads below select by the same filter as a subquery: a literal IN list of a
    # whole sitting's ids (10,000) cost more to build and send than the reads themselves.
    ids_q = stmt.with_only_columns(Attempt.id).order_by(None)
    reg_ids_q = stmt.with_only_columns(Registration.id).order_by(None)

    saves = {
        row.attempt_id: (row.answered, row.last_save)
        for row in session.execute(
            select(Response.attempt_id, func.count(Response.value).label("answered"),
                   func.max(Response.saved_at).label("last_save"))
            .where(Response.attempt_id.in_(ids_q)).group_by(Response.attempt_id)
        )
    } if ids else {}
    # Checked in: accepted at the door by a check-in station. A login code handed out (a slip
    # printed for the whole room) is not arrival: the seat says "code issued, not in yet".
    checked_in = set(session.scalars(
        select(CheckIn.registration_id).where(CheckIn.registration_id.in_(reg_ids_q), CheckIn.status == "accepted")
    )) if reg_ids else set()
    code_issued = set(session.scalars(
        select(LoginCode.registration_id).where(LoginCode.registration_id.in_(reg_ids_q))
    )) if reg_ids else set()
    incidents = {
        row.attempt_id: row.n for row in session.execute(
            select(Event.attempt_id, func.count().label("n"))
            .where(Event.chain == sitting_id, Event.action == INCIDENT, Event.attempt_id.in_(ids_q))
            .group_by(Event.attempt_id)
        )
    } if ids else {}

    sitting = session.get(Sitting, sitting_id)
    late_entry = timedelta(seconds=sitting.late_entry_s if sitting is not None else 0)
    questions_of: dict[int, int] = {}  # paper -> questions to answer (not descriptions)
    rows = []
    for reg, attempt, room in found:
        p = presence.get(attempt.id) if attempt is not None else None
        online = bool(p and p.online)
        answered, last_save = saves.get(attempt.id, (0, None)) if attempt is not None else (0, None)
        if attempt is not None and attempt.paper_id not in questions_of:
            questions_of[attempt.paper_id] = sum(
                1 for q in paper_questions(session, attempt.paper_id) if q.type != "description")
        remaining = remaining_seconds(cast(Attempt, attempt), now) if attempt is not None else None
        state = candidate_state(cast(Attempt, attempt), cast(Room, room), reg.reg_id in checked_in, online)
        rows.append({
            "registration": reg.reg_id,
            "attempt": attempt.id if attempt is not None else None,
            "sbd": reg.sbd,
            "name": reg.full_name,
            "room": reg.room_id,
            "room_name": reg.room_name if room is not None else "",
            "seat": reg.seat,
            "state": state,
            "code_issued": reg.reg_id in code_issued,  # shown on a not-arrived seat only
            "locked": bool(attempt is not None and attempt.locked),
            "online": online,
            "since": int(p.since * 1000) if p and p.since else None,
            "last_save": epoch_ms(last_save),
            "answered": answered,
            "questions": questions_of[attempt.paper_id] if attempt is not None else 0,
            "deadline": epoch_ms(attempt.deadline_at) if attempt is not None and attempt.state == "active" else None,
            "remaining": None if remaining is None else round(remaining),
            "extra_s": attempt.extra_s if attempt is not None else 0,
            "seb": p.seb if p else "",
            "incidents": incidents.get(attempt.id, 0) if attempt is not None else 0,
            # a paper voided by disqualification (counted so in room_overview too)
            "disqualified": state == "submitted" and attempt is not None and attempt.submitted_by == DISQUALIFIED,
            # an absentee of a started room may still come in until then (the seat map says "not arrived")
            "late_until": epoch_ms(room.started_at + late_entry)
            if state == "absent" and room is not None and room.state in ("started", "paused") and room.started_at
            else None,
        })
    return rows


def sitting_info(session: Session, sitting_id: int) -> dict[str, Any] | None:
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        return None
    return {"id": sitting.id, "name": sitting.name, "state": sitting.state, "require_seb": sitting.require_seb}


def changed_rows(
    session: Session,
    sitting_id: int,
    presence: dict[int, Presence],
    *,
    attempt_ids: Collection[int],
    room_ids: Collection[int | None],
    registration_ids: Collection[int],
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows a push carries: whole rooms (None: the whole sitting) whose state changed, then
    only the marked attempts and registrations not already among them."""
    if None in room_ids:
        return candidate_rows(session, sitting_id, presence, now=now)
    found: list[dict[str, Any]] = []
    for room_id in room_ids:
        found += candidate_rows(session, sitting_id, presence, room_id=room_id, now=now)
    seen_attempts = {r["attempt"] for r in found}
    seen_regs = {r["registration"] for r in found}
    rest = set(attempt_ids) - seen_attempts
    if rest:
        found += candidate_rows(session, sitting_id, presence, attempt_ids=rest, now=now)
        seen_regs |= {r["registration"] for r in found}
    regs = set(registration_ids) - seen_regs
    if regs:
        found += candidate_rows(session, sitting_id, presence, registration_ids=regs, now=now)
    return found


OVERVIEW_STATES = ("expected", "checked_in", "waiting", "writing", "paused", "submitted", "absent")


def room_overview(session: Session, sitting_id: int, presence: dict[int, Presence]) -> list[dict[str, Any]]:
    """Per room: candidates by state, online, locked — from grouped queries, no row per candidate.

    A pending attempt counts as `waiting` once its candidate has entered; a candidate online but
    not yet entered counts as `checked_in`/`expected` here (the room view shows them exactly).
    """
    checked = (
        # as candidate_rows: a check-in at the door, not a login code handed out
        select(CheckIn.registration_id.label("rid")).where(CheckIn.status == "accepted").distinct()
    ).subquery()
    grouped = session.execute(
        select(Registration.room_id, Room.state, Attempt.state, Attempt.entered_at.is_not(None),
               checked.c.rid.is_not(None), Attempt.locked, Attempt.submitted_by, func.count())
        .outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .outerjoin(Room, Room.id == Registration.room_id)
        .outerjoin(checked, checked.c.rid == Registration.id)
        .where(Registration.sitting_id == sitting_id)
        .group_by(Registration.room_id, Room.state, Attempt.state, Attempt.entered_at.is_not(None),
                  checked.c.rid.is_not(None), Attempt.locked, Attempt.submitted_by)
    ).all()
    rooms: dict[int | None, dict[str, Any]] = {}
    for room_id, room_state, attempt_state, entered, checked_in, locked, submitted_by, n in grouped:
        entered = has_entered(entered, submitted_by)
        entry = rooms.setdefault(room_id, {"room": room_id, "total": 0, "online": 0, "locked": 0,
                                           "disqualified": 0, "states": dict.fromkeys(OVERVIEW_STATES, 0)})
        # the rules of candidate_state, on the grouped columns (online is not one: see above)
        if entered and attempt_state in _ATTEMPT_STATES:
            state = _ATTEMPT_STATES[attempt_state]
        elif attempt_state == "pending" and entered:
            state = "waiting"
        elif checked_in and attempt_state != "submitted":
            state = "checked_in"
        elif room_state in ("started", "paused", "ended") or attempt_state == "submitted":
            state = "absent"
        else:
            state = "expected"
        entry["states"][state] += n
        entry["total"] += n
        entry["locked"] += n if locked else 0
        entry["disqualified"] += n if submitted_by == DISQUALIFIED and state == "submitted" else 0
    online = [attempt_id for attempt_id, p in presence.items() if p.online]
    if online:
        for room_id, n in session.execute(
            select(Registration.room_id, func.count())
            .join(Attempt, Attempt.registration_id == Registration.id)
            .where(Registration.sitting_id == sitting_id, Attempt.id.in_(online))
            .group_by(Registration.room_id)
        ):
            if room_id in rooms:
                rooms[room_id]["online"] = n
    return [rooms[k] for k in sorted(rooms, key=lambda r: (r is None, r or 0))]

"""One row per candidate for the dashboards, built in a handful of grouped queries; only the
rows that changed are read for a push, and the sitting overview is aggregated per room.

A sitting of 10,000 candidates is 400 room tiles, not 10,000 rows: `room_overview` counts each
room's candidates by state and by seat-map state with GROUP BY, corrected by presence (who is
connected is known per attempt, outside the database), so an examiner's snapshot and pushes
carry a few hundred bytes per room; the rows of a room are read only when one is opened.
Its counts follow the same rules as the rows (`state_of`, and `seat_state`, the seat map's
`seatState` of `static/monitor/seat_map.js`), so a tile never disagrees with the room it opens.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import BigInteger, case, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from exam_server.accounts.models import LoginCode
from exam_server.attempts.attempt_state import epoch_ms
from exam_server.attempts.disqualification import DISQUALIFIED
from exam_server.attempts.entry import counted_state, has_entered
from exam_server.attempts.models import Attempt, Response
from exam_server.attempts.timing import remaining_seconds
from exam_server.checkin.models import CheckIn
from exam_server.db import among
from exam_server.events.models import Event
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.exams.papers import paper_questions
from exam_server.realtime.presence import Presence

INCIDENT = "incident.logged"


def candidate_state(attempt: Attempt | None, room: Room | None, checked_in: bool, online: bool) -> str:
    """expected | checked_in | waiting | writing | paused | submitted | absent (see `state_of`)."""
    entered = attempt is not None and has_entered(getattr(attempt, "entered_at", None) is not None,
                                                  getattr(attempt, "submitted_by", ""))
    return state_of(attempt.state if attempt is not None else None, entered,
                    room.state if room is not None else None, checked_in, online)


def state_of(attempt_state: str | None, entered: bool, room_state: str | None, checked_in: bool, online: bool) -> str:
    """A candidate's state from the columns a row and a grouped count both have.

    Starting a room starts every pending attempt's clock, logged in or not; a candidate who never
    logged in (`entered` false: `entered_at` unset, and not a paper they handed in) is therefore
    shown by their arrival (checked in, absent, expected), never as writing, paused or submitted.
    """
    if attempt_state is not None:
        counted = counted_state(attempt_state, entered)  # None: a started attempt never entered
        if counted in _ATTEMPT_STATES:
            return _ATTEMPT_STATES[counted]
        if counted == "pending" and (entered or online):
            return "waiting"
    if checked_in and attempt_state != "submitted":
        return "checked_in"
    if room_state in ("started", "paused", "ended"):
        return "absent"
    if attempt_state == "submitted":
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
        stmt = stmt.where(among(session, Attempt.id, attempt_ids))
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

# The seat map's tile states and staleness (`SEAT_STATES`, `STALE_SAVE_S` of static/monitor/seat_map.js).
SEAT_STATES = ("expected", "code_issued", "checked_in", "waiting", "writing", "stale", "offline", "paused", "locked",
               "submitted", "disqualified", "absent")
STALE_SAVE_S = 300
_OPEN = ("waiting", "writing", "paused")


STALE_AFTER_MS = STALE_SAVE_S * 1000 + 500


def stale_at(last_save_ms: int | None) -> int | None:
    """When (epoch ms) a writing seat saved last at `last_save_ms` turns stale: seat_map.js rounds
    the seconds since the save and warns above STALE_SAVE_S, i.e. from 300.5 s on."""
    return None if last_save_ms is None else last_save_ms + STALE_AFTER_MS


def seat_state(row: Mapping[str, Any], now_ms: int) -> str:
    """The one state a seat tile shows at `now_ms`: seat_map.js `seatState`, on a row's keys
    (state, disqualified, code_issued, late_until, locked, online, last_save)."""
    state = row["state"]
    if state == "submitted":
        return "disqualified" if row["disqualified"] else "submitted"
    if state in ("absent", "expected", "checked_in"):
        late = row.get("late_until")
        shown = "expected" if state == "absent" and late and now_ms < late else state
        return "code_issued" if shown == "expected" and row["code_issued"] else shown
    if row["locked"]:
        return "locked"
    if state in _OPEN and not row["online"]:
        return "offline"
    if state == "writing":
        due = stale_at(row["last_save"])
        return "stale" if due is None or now_ms >= due else "writing"
    return str(state)  # waiting, paused


def _empty_overview(room_id: int | None) -> dict[str, Any]:
    return {"room": room_id, "total": 0, "online": 0, "locked": 0, "disqualified": 0, "extendable": 0,
            "states": dict.fromkeys(OVERVIEW_STATES, 0), "seats": dict.fromkeys(SEAT_STATES, 0),
            "alerts": {"offline": 0, "seb": 0, "incidents": 0},
            "late_until": None, "late": {"expected": 0, "code_issued": 0}, "stale_at": []}


def _count(entry: dict[str, Any], cols: Any, n: int, *, online: bool, last_save: int | None, late_entry: timedelta,
           now_ms: int, stale_ats: Sequence[int | None] = ()) -> None:
    """Add `n` (negative: take back) candidates of the grouped columns `cols` to a room's
    aggregate; `last_save` decides their seat (all of them alike), `stale_ats` (one per
    candidate) when each writing seat turns stale (a seat is writing only when online)."""
    entered = has_entered(cols.entered, cols.submitted_by)
    state = state_of(cols.attempt_state, entered, cols.room_state, cols.checked_in, online)
    late_until = (epoch_ms(cols.room_started_at + late_entry)
                  if cols.room_state in ("started", "paused") and cols.room_started_at else None)
    disqualified = state == "submitted" and cols.submitted_by == DISQUALIFIED
    seat = seat_state({"state": state, "disqualified": disqualified, "code_issued": cols.code_issued,
                       "late_until": late_until if state == "absent" else None, "locked": bool(cols.locked),
                       "online": online, "last_save": last_save}, now_ms)
    entry["total"] += n
    entry["states"][state] += n
    entry["seats"][seat] += n
    entry["locked"] += n if cols.locked else 0
    entry["disqualified"] += n if disqualified else 0
    # as attempts.room_extra_time: writing or paused (so entered), not locked
    entry["extendable"] += n if state in ("writing", "paused") and not cols.locked else 0
    if late_until is not None:
        entry["late_until"] = late_until
    if state == "absent" and seat != "absent":  # not arrived only while late entry stays open
        entry["late"][seat] += n
    if seat == "writing" and n > 0:
        entry["stale_at"].extend(stale_ats)


# An online group: the room and the candidate's columns of `room_overview` (`own`), a last save
# that gives the group's seat, and when each of its writing seats turns stale.
_Group = tuple[tuple[Any, ...], int | None, list[int | None]]


def _online_groups(session: Session, of_sitting: Callable[[Any], Any], own: Sequence[Any], online: list[int],
                   now_ms: int) -> list[_Group]:
    """The online candidates in groups of the same columns and the same seat (at 10,000
    candidates, moving them one by one was most of the overview's CPU: py-spy, a fifth of a
    worker), from their rows and their last saves. `_online_groups_in_sql` is this, grouped by
    PostgreSQL."""
    # Core, not the ORM: thousands of plain rows (the ORM's row machinery was half this query)
    found = session.connection().execute(of_sitting(select(Attempt.id, Registration.room_id, *own))
                                         .where(among(session, Attempt.id, online))).all()
    writing = [c.id for c in found if c.attempt_state == "active"]
    last_saves = _last_saves_ms(session, writing) if writing else {}
    groups: dict[tuple[Any, ...], _Group] = {}
    for row in found:
        last = last_saves.get(row.id)
        due = stale_at(last)
        cols = tuple(row)[1:]
        groups.setdefault((cols, due is None or now_ms >= due), (cols, last, []))[2].append(due)
    return list(groups.values())


def _online_groups_in_sql(session: Session, of_sitting: Callable[[Any], Any], own: Sequence[Any],
                          online: list[int], now_ms: int) -> list[_Group]:
    """`_online_groups`, grouped by PostgreSQL: a few hundred groups instead of 10,000 rows and
    10,000 last saves fetched and grouped every second (together a seventh of both workers'
    CPU in the writing phase of 10,000, py-spy). A seat's stale time is `stale_at` of its last
    save as `epoch_ms` gives it (`floor` truncates as `int()` does)."""
    last = (select(Response.attempt_id, func.max(Response.saved_at).label("saved_at"))
            .where(among(session, Response.attempt_id, online)).group_by(Response.attempt_id).subquery())
    saved_ms = sql_cast(func.floor(func.extract("epoch", last.c.saved_at) * 1000), BigInteger)
    due = case((Attempt.state == "active", saved_ms + STALE_AFTER_MS), else_=None)
    stale = or_(due.is_(None), due <= now_ms)
    stmt = (of_sitting(select(Registration.room_id, *own, stale.label("stale"), func.array_agg(due).label("dues")))
            .outerjoin(last, last.c.attempt_id == Attempt.id)
            .where(among(session, Attempt.id, online))
            .group_by(Registration.room_id, *own, stale))
    groups: list[_Group] = []
    for row in session.connection().execute(stmt):
        *cols, is_stale, dues = row
        # a seat's due is its last save + STALE_AFTER_MS: any member's gives the group's seat
        groups.append((tuple(cols), None if is_stale else max(dues) - STALE_AFTER_MS, list(dues)))
    return groups


def _last_saves_ms(session: Session, attempt_ids: list[int]) -> dict[int, int | None]:
    """Each attempt's last save, as `epoch_ms` gives it."""
    rows = session.connection().execute(select(Response.attempt_id, func.max(Response.saved_at))
                                        .where(among(session, Response.attempt_id, attempt_ids))
                                        .group_by(Response.attempt_id))
    return {attempt_id: epoch_ms(value) for attempt_id, value in rows}


class _Columns(NamedTuple):
    """One group of `room_overview`'s columns (the grouped query's, without the count)."""

    room_id: int | None
    room_state: str | None
    room_started_at: datetime | None
    attempt_state: str | None
    entered: bool
    checked_in: bool
    code_issued: bool
    locked: bool | None
    submitted_by: str | None


def room_overview(session: Session, sitting_id: int, presence: dict[int, Presence], *, now: datetime,
                  room_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Per room (or only `room_ids`): candidates by state and by seat-map state, online, locked,
    disqualified, how many a room-wide extension reaches, and alerts (offline, SEB problems,
    incidents) — exactly what counting the room's rows (`candidate_rows`, `seat_state`) gives.

    One GROUP BY counts everyone as offline; the attempts presence knows of (connected, or with
    an SEB status) are then read and moved to their true bucket, in groups of the same columns
    and the same seat (at 10,000 candidates, moving them one by one was most of the overview's
    CPU: py-spy, a fifth of a worker). Two facts change with
    time alone, so the client keeps them current between pushes: `late` (absentees shown as not
    arrived until `late_until`) and `stale_at` (when each writing seat turns stale).
    """
    checked = (
        # as candidate_rows: a check-in at the door, not a login code handed out
        select(CheckIn.registration_id.label("rid")).where(CheckIn.status == "accepted").distinct()
    ).subquery()
    coded = select(LoginCode.registration_id.label("rid")).distinct().subquery()
    own = (Attempt.state.label("attempt_state"), Attempt.entered_at.is_not(None).label("entered"),
           checked.c.rid.is_not(None).label("checked_in"), coded.c.rid.is_not(None).label("code_issued"),
           Attempt.locked, Attempt.submitted_by)  # the candidate's; the room's come per room
    columns = (Registration.room_id, Room.state.label("room_state"), Room.started_at.label("room_started_at"), *own)

    def of_sitting(stmt: Any) -> Any:
        stmt = (stmt.outerjoin(Attempt, Attempt.registration_id == Registration.id)
                .outerjoin(Room, Room.id == Registration.room_id)
                .outerjoin(checked, checked.c.rid == Registration.id)
                .outerjoin(coded, coded.c.rid == Registration.id)
                .where(Registration.sitting_id == sitting_id))
        return stmt if room_ids is None else stmt.where(Registration.room_id.in_(list(room_ids)))

    if room_ids is not None and not room_ids:
        return []
    sitting = session.get(Sitting, sitting_id)
    late_entry = timedelta(seconds=sitting.late_entry_s if sitting is not None else 0)
    now_ms = epoch_ms(now) or 0
    rooms: dict[int | None, dict[str, Any]] = {}

    def entry(room_id: int | None) -> dict[str, Any]:
        return rooms.setdefault(room_id, _empty_overview(room_id))

    room_columns: dict[int | None, tuple[Any, Any]] = {}
    for cols in session.execute(of_sitting(select(*columns, func.count().label("n"))).group_by(*columns)):
        room_columns[cols.room_id] = (cols.room_state, cols.room_started_at)
        _count(entry(cols.room_id), cols, cols.n, online=False, last_save=None, late_entry=late_entry, now_ms=now_ms)

    with_bad_seb = [a for a, p in presence.items() if p.seb and p.seb != "ok"]
    if with_bad_seb:
        for (room_id,) in session.connection().execute(of_sitting(select(Registration.room_id))
                                                       .where(among(session, Attempt.id, with_bad_seb))):
            entry(room_id)["alerts"]["seb"] += 1
    online = [a for a, p in presence.items() if p.online]
    grouped = _online_groups_in_sql if session.get_bind().dialect.name == "postgresql" else _online_groups
    for seat_cols, last, dues in grouped(session, of_sitting, own, online, now_ms) if online else []:
        # a room the grouped query did not see (a seat move between the two statements): counted
        # as not started until the next overview, a second later
        room_id = seat_cols[0]
        group_cols = _Columns(room_id, *room_columns.get(room_id, (None, None)), *seat_cols[1:])
        mine, n = entry(room_id), len(dues)
        mine["online"] += n
        _count(mine, group_cols, -n, online=False, last_save=None, late_entry=late_entry, now_ms=now_ms)
        _count(mine, group_cols, n, online=True, last_save=last, late_entry=late_entry, now_ms=now_ms, stale_ats=dues)

    incidents = (select(Registration.room_id, func.count())
                 .join(Attempt, Attempt.registration_id == Registration.id)
                 .join(Event, Event.attempt_id == Attempt.id)
                 .where(Registration.sitting_id == sitting_id, Event.chain == sitting_id, Event.action == INCIDENT)
                 .group_by(Registration.room_id))
    if room_ids is not None:
        incidents = incidents.where(Registration.room_id.in_(list(room_ids)))
    for room_id, n in session.execute(incidents):
        if room_id in rooms:
            rooms[room_id]["alerts"]["incidents"] = n
    for mine in rooms.values():
        mine["alerts"]["offline"] = mine["seats"]["offline"]
        mine["stale_at"].sort()
    return [rooms[k] for k in sorted(rooms, key=lambda r: (r is None, r or 0))]

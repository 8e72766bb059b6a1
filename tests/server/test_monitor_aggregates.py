"""The sitting overview is per-room aggregates that count exactly what the rows show.

A sitting is built with candidates in every state a seat tile can show (not arrived, code issued,
checked in, waiting, writing, stale, offline, paused, locked, submitted, disqualified, absent —
and an absentee still allowed in late); each room's aggregate (`rows.room_overview`: GROUP BY
plus presence) must equal counting that room's rows one by one (`candidate_rows`, the seat map's
`seat_state`). The `watch` snapshot of a sitting then carries these aggregates and no rows, and
the rows of one room only when it is opened; a push to the sitting's dashboards carries the
touched rooms' aggregates, never rows."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from exam_server.attempts import control, disqualification
from exam_server.attempts.candidate import submit
from exam_server.attempts.models import Attempt, Response
from exam_server.checkin.models import CheckIn, Station
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor, append_event
from exam_server.exams import candidate_login, lifecycle
from exam_server.exams.models import Room
from exam_server.monitor import rows as row_builder
from exam_server.monitor.broadcaster import Broadcaster
from exam_server.realtime.presence import Presence
from tests.realtime.test_dashboard_payloads import Presences, Recorder
from tests.server.conftest import login_staff, make_app
from tests.support.seed import STAFF_PASSWORD, Seeded, seed_sitting, username

EXAMINER = Actor("examiner:test")
SHARED = json.loads((Path(__file__).parents[1] / "js" / "seat_states.json").read_text(encoding="utf-8"))
ONLINE, OFFLINE = Presence(online=True, since=1.0), Presence(online=False, since=2.0)


def _enter(attempt_id: int) -> None:
    attempt = db.get(Attempt, attempt_id)
    assert attempt is not None
    attempt.entered_at = utcnow()
    db.commit()


def _check_in(seeded: Seeded, index: int, room: int) -> None:
    inv = seeded.users[f"inv{room + 1}"]
    station = Station(token_hash=uuid.uuid4().hex * 2, room_id=seeded.room_ids[room], name=f"Bàn {index}",
                      issued_by_id=inv)
    db.add(station)
    db.flush()
    db.add(CheckIn(client_id=uuid.uuid4().hex, sitting_id=seeded.sitting_id, room_id=seeded.room_ids[room],
                   station_id=station.id, invigilator_id=inv, registration_id=seeded.registration_ids[index],
                   status="accepted"))
    db.commit()


@pytest.mark.parametrize("case", SHARED["cases"], ids=lambda c: json.dumps(c["row"]))
def test_seat_state_is_the_seat_maps_rule(case: dict[str, Any]) -> None:
    """The table seat_map.test.mjs checks `seatState` with: the server counts tiles by the same rule."""
    assert row_builder.seat_state({**SHARED["row"], **case["row"]}, SHARED["now"]) == case["expected"]


def _every_state() -> tuple[Seeded, dict[int, Presence]]:
    """Room P01 started two hours ago (late entry over), P02 just now (late entry open), P03 not
    started; the comment beside each candidate is the seat state it should show."""
    s = seed_sitting(rooms=3, per_room=6, start=False, late_entry_s=900)
    a, regs = s.attempt_ids, s.registration_ids
    presence: dict[int, Presence] = {}
    for i in (0, 1, 2, 3, 4, 7, 10):
        _enter(a[i])  # logged in before the start
    _enter(a[16])
    lifecycle.start_room(s.room_ids[0], EXAMINER)
    lifecycle.start_room(s.room_ids[1], EXAMINER)
    room = db.get(Room, s.room_ids[0])
    assert room is not None and room.started_at is not None
    room.started_at -= timedelta(hours=2)
    db.commit()
    # P01
    db.add(Response(attempt_id=a[0], question_no=1, value="A", seq=1, saved_at=utcnow()))
    db.commit()
    presence[a[0]] = ONLINE  # writing, saved just now
    presence[a[1]] = ONLINE  # writing, nothing saved: stale
    presence[a[2]] = Presence(online=False, since=3.0, seb="seb.missing")  # offline, an SEB problem
    control.pause_attempt(a[3], EXAMINER, "Máy treo")
    presence[a[3]] = ONLINE  # paused
    control.set_locked(a[4], True, EXAMINER, "Đổi máy")
    presence[a[4]] = ONLINE  # locked
    append_event(db, "incident.logged", EXAMINER, sitting_id=s.sitting_id, room_id=s.room_ids[0],
                 attempt_id=a[4], reason="Máy treo")
    db.commit()
    # a[5]: never logged in, late entry over: absent
    # P02
    submit(a[6], regs[6], Actor("candidate:t", registration_id=regs[6]))  # submitted
    voided = db.get(Attempt, a[7])
    assert voided is not None
    disqualification.disqualify(db, voided, EXAMINER, "Mang điện thoại vào phòng")  # disqualified
    db.commit()
    candidate_login.issue_login_code(regs[8], EXAMINER)  # absent, code issued, late entry open: code issued
    db.commit()
    # a[9]: absent, late entry open: not arrived
    db.add(Response(attempt_id=a[10], question_no=2, value="B", seq=1, saved_at=utcnow()))
    for _ in range(2):
        append_event(db, "incident.logged", EXAMINER, sitting_id=s.sitting_id, room_id=s.room_ids[1],
                     attempt_id=a[10], reason="Ồn")
    db.commit()
    presence[a[10]] = Presence(online=True, since=4.0, seb="ok")  # writing
    _check_in(s, 11, 1)  # checked in, not logged in
    # P03 (not started): a[12] not arrived
    candidate_login.issue_login_code(regs[13], EXAMINER)  # code issued
    db.commit()
    _check_in(s, 14, 2)  # checked in
    presence[a[15]] = ONLINE  # logged in, waiting for the start
    presence[a[16]] = OFFLINE  # entered, connection lost while waiting: offline
    _check_in(s, 17, 2)
    candidate_login.issue_login_code(regs[17], EXAMINER)  # checked in (and a code)
    db.commit()
    return s, presence


def _counted(rows: list[dict[str, Any]], now_ms: int) -> dict[str, Any]:
    """What the seat map and the table show for these rows, counted one by one."""
    return {
        "total": len(rows),
        "states": dict(Counter(r["state"] for r in rows)),
        "seats": dict(Counter(row_builder.seat_state(r, now_ms) for r in rows)),
        "online": sum(r["online"] for r in rows),
        "locked": sum(r["locked"] for r in rows),
        "disqualified": sum(r["disqualified"] for r in rows),
        "extendable": sum(1 for r in rows if r["state"] in ("writing", "paused") and not r["locked"]),
        "alerts": {"offline": sum(1 for r in rows if row_builder.seat_state(r, now_ms) == "offline"),
                   "seb": sum(1 for r in rows if r["seb"] and r["seb"] != "ok"),
                   "incidents": sum(r["incidents"] for r in rows)},
    }


def _aggregated(entry: dict[str, Any]) -> dict[str, Any]:
    nonzero = lambda counts: {k: v for k, v in counts.items() if v}  # noqa: E731
    return {"total": entry["total"], "states": nonzero(entry["states"]), "seats": nonzero(entry["seats"]),
            **{k: entry[k] for k in ("online", "locked", "disqualified", "extendable", "alerts")}}


def _later(entry: dict[str, Any], now_ms: int) -> dict[str, int]:
    """The seat counts at a later `now_ms`, by the rule seat_map.js `overviewCounts` applies
    between pushes (late entry closing, writing seats turning stale)."""
    seats = dict(entry["seats"])
    if entry["late_until"] and now_ms >= entry["late_until"]:
        for state, n in entry["late"].items():
            seats[state] -= n
            seats["absent"] += n
    stale = sum(1 for at in entry["stale_at"] if now_ms >= at)
    seats["writing"] -= stale
    seats["stale"] += stale
    return {k: v for k, v in seats.items() if v}


def test_aggregates_count_exactly_what_the_rows_show_in_every_state(app: Flask) -> None:
    s, presence = _every_state()
    now = utcnow()
    now_ms = int(now.timestamp() * 1000)
    rows = row_builder.candidate_rows(db, s.sitting_id, presence, now=now)
    overview = {o["room"]: o for o in row_builder.room_overview(db, s.sitting_id, presence, now=now)}
    # the sitting really has every state (so the comparison below covers every rule)
    assert {row_builder.seat_state(r, now_ms) for r in rows} == set(row_builder.SEAT_STATES)
    assert {r["state"] for r in rows} == set(row_builder.OVERVIEW_STATES)
    assert set(overview) == set(s.room_ids)
    for room_id in s.room_ids:
        mine = [r for r in rows if r["room"] == room_id]
        assert _aggregated(overview[room_id]) == _counted(mine, now_ms), room_id

    p01, p02, p03 = (overview[r] for r in s.room_ids)
    assert p01["seats"]["stale"] == 1 and p01["alerts"] == {"offline": 1, "seb": 1, "incidents": 1}
    assert p02["late"] == {"expected": 1, "code_issued": 1}
    assert p02["late_until"] == next(r["late_until"] for r in rows if r["registration"] == s.registration_ids[9])
    assert p01["late"] == {"expected": 0, "code_issued": 0} and p03["late_until"] is None
    # with time alone: the late-entry window closes, the writing candidates stop saving
    later = max(p02["late_until"], *p01["stale_at"], *p02["stale_at"])
    for room_id in s.room_ids:
        mine = [r for r in rows if r["room"] == room_id]
        assert _later(overview[room_id], later) == dict(Counter(row_builder.seat_state(r, later) for r in mine))

    # only the rooms asked for, with the same figures
    [only] = row_builder.room_overview(db, s.sitting_id, presence, now=now, room_ids=[s.room_ids[1]])
    assert only == p02


def test_candidates_alike_but_for_their_last_save_are_counted_in_groups_exactly(app: Flask) -> None:
    """The online candidates are moved to their bucket in groups of equal columns: eight writing
    in one room, saved at eight different times (three over the stale limit, one never), one
    offline and one with an SEB problem, must count as their rows do, each writing seat with its
    own stale time, now and later."""
    s = seed_sitting(rooms=1, per_room=10, start=False)
    a = s.attempt_ids
    for attempt_id in a:
        _enter(attempt_id)
    lifecycle.start_room(s.room_ids[0], EXAMINER)
    now = utcnow()
    ages = [5, 60, 200, 299, 301, 400, 1000, None]  # seconds since the last save; None: nothing saved
    for attempt_id, age in zip(a, ages, strict=False):
        if age is not None:
            db.add(Response(attempt_id=attempt_id, question_no=1, value="A", seq=1,
                            saved_at=now - timedelta(seconds=age)))
    db.commit()
    presence = {attempt_id: ONLINE for attempt_id in a[:8]}
    presence[a[8]] = OFFLINE
    presence[a[9]] = Presence(online=True, since=1.0, seb="seb.missing")
    now_ms = int(now.timestamp() * 1000)
    rows = row_builder.candidate_rows(db, s.sitting_id, presence, now=now)
    [overview] = row_builder.room_overview(db, s.sitting_id, presence, now=now)
    assert _aggregated(overview) == _counted(rows, now_ms)
    # saved under 300.5 s ago: writing; the rest, a[9] (nothing saved) too: stale
    assert overview["seats"]["writing"] == 4 and overview["seats"]["stale"] == 5
    assert overview["stale_at"] == sorted(row_builder.stale_at(r["last_save"]) for r in rows
                                          if row_builder.seat_state(r, now_ms) == "writing")
    for later in (now_ms + 150_000, now_ms + 300_000):
        assert _later(overview, later) == dict(Counter(row_builder.seat_state(r, later) for r in rows))


def test_postgresql_groups_the_online_candidates_as_the_python_grouping_does(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the online candidates are grouped by the database (`_online_groups_in_sql`);
    every room's aggregate, now and at the moments seats turn stale, must be the one the
    Python grouping (`_online_groups`, SQLite's) gives on the same rows and presence."""
    app = make_app(postgres_url, tmp_path / "instance")
    with app.app_context():
        s, presence = _every_state()
        now = utcnow()
        for k, attempt_id in enumerate(s.attempt_ids[:3]):  # last saves on both sides of the limit
            db.add(Response(attempt_id=attempt_id, question_no=3, value="C", seq=2,
                            saved_at=now - timedelta(seconds=(299, 300.5, 301)[k], microseconds=k * 333)))
        db.commit()
        in_sql = row_builder.room_overview(db, s.sitting_id, presence, now=now)
        monkeypatch.setattr(row_builder, "_online_groups_in_sql", row_builder._online_groups)
        in_python = row_builder.room_overview(db, s.sitting_id, presence, now=now)
        assert in_sql == in_python
        assert sum(o["online"] for o in in_sql) == sum(1 for p in presence.values() if p.online)
        assert any(o["stale_at"] for o in in_sql) and any(o["seats"]["stale"] for o in in_sql)
    database.engine(app).dispose()


def test_sitting_watch_sends_aggregates_and_the_rows_of_an_opened_room_only(app: Flask) -> None:
    from exam_server.extensions import socketio

    s, _ = _every_state()
    other = seed_sitting(rooms=1, per_room=1)
    client = app.test_client()
    login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    monitor = socketio.test_client(app, namespace="/monitor", flask_test_client=client)

    def watch(target: dict[str, Any]) -> dict[str, Any]:
        reply = monitor.emit("watch", target, namespace="/monitor", callback=True)
        assert isinstance(reply, dict)
        return reply

    try:
        snap = watch({"sitting": s.sitting_id})
        assert snap["ok"] and snap["rows"] == []  # no candidate rows for the overview
        assert [o["room"] for o in snap["overview"]] == s.room_ids
        assert [o["total"] for o in snap["overview"]] == [6, 6, 6]
        assert [r["id"] for r in snap["rooms"]] == s.room_ids  # every room's tile

        opened = watch({"sitting": s.sitting_id, "room": s.room_ids[1]})
        assert opened["ok"] and {r["room"] for r in opened["rows"]} == {s.room_ids[1]} and len(opened["rows"]) == 6
        assert [o["room"] for o in opened["overview"]] == s.room_ids  # the tiles and totals go on
        # a room of another sitting is not opened on this one
        assert watch({"sitting": s.sitting_id, "room": other.room_ids[0]})["ok"] is False
        assert watch({"sitting": s.sitting_id, "room": True})["ok"] is False
    finally:
        monitor.disconnect(namespace="/monitor")

    inv = app.test_client()
    login_staff(inv, username(s, "inv2"), STAFF_PASSWORD)
    theirs = socketio.test_client(app, namespace="/monitor", flask_test_client=inv)
    try:
        # an invigilator sees their room, not the sitting's overview (nor a room opened on it)
        assert theirs.emit("watch", {"sitting": s.sitting_id, "room": s.room_ids[1]}, namespace="/monitor",
                           callback=True)["ok"] is False
        mine = theirs.emit("watch", {"room": s.room_ids[1]}, namespace="/monitor", callback=True)
        assert mine["ok"] and len(mine["rows"]) == 6 and mine["overview"] is None
    finally:
        theirs.disconnect(namespace="/monitor")


def test_sitting_pushes_carry_the_touched_rooms_aggregates_not_rows(app: Flask) -> None:
    s, presence = _every_state()
    recorder = Recorder()
    broadcaster = Broadcaster(app, recorder, Presences(presence))
    a10 = s.attempt_ids[10]  # P02

    broadcaster.flush(s.sitting_id, {a10}, set(), set())
    sitting = recorder.to(f"mon:sitting:{s.sitting_id}")
    assert sitting["rows"] == []  # no candidate rows to the overview
    [tile] = sitting["overview"]
    assert tile["room"] == s.room_ids[1]  # the touched room's tile only
    assert tile == row_builder.room_overview(db, s.sitting_id, presence, now=utcnow(), room_ids=[s.room_ids[1]])[0]
    db.rollback()  # hand the (SQLite: only) connection back to the broadcaster's own session
    assert [r["attempt"] for r in recorder.to(f"mon:room:{s.room_ids[1]}")["rows"]] == [a10]
    recorder.sent.clear()

    broadcaster.flush(s.sitting_id, set(), {s.room_ids[2]}, {s.registration_ids[0]})
    sitting = recorder.to(f"mon:sitting:{s.sitting_id}")
    assert sitting["rows"] == [] and sorted(o["room"] for o in sitting["overview"]) == [s.room_ids[0], s.room_ids[2]]
    recorder.sent.clear()

    broadcaster.flush(s.sitting_id, set(), set(), set(), info=True)  # the sitting's own state: every tile
    assert [o["room"] for o in recorder.to(f"mon:sitting:{s.sitting_id}")["overview"]] == s.room_ids



def test_one_process_computes_the_sitting_overview_per_period(app: Flask, redis_url: str) -> None:
    """Two processes' broadcasters sharing a Redis claim: in one period only one of them computes
    the aggregates, and then every room's (it cannot know the rooms the other one touched)."""
    from exam_server.monitor.broadcaster import redis_claim

    s = seed_sitting(rooms=3, per_room=2, start=True)
    prefix = f"test-claim-{uuid.uuid4().hex[:8]}"
    sockets = [Recorder(), Recorder()]
    workers = [Broadcaster(app, sock, Presences({}), claim=redis_claim(redis_url, prefix, 60.0)) for sock in sockets]
    for n, worker in enumerate(workers):  # each touched one room of its own, then takes its turn
        worker._touched[s.sitting_id] = {s.room_ids[n]}
        if worker._overview_turn(s.sitting_id):
            worker._emit_overview(s.sitting_id, {})
    overviews = [[p["overview"] for to, p in sock.sent if to == f"mon:sitting:{s.sitting_id}"] for sock in sockets]
    assert overviews[1] == []  # the second process left the period's overview to the first
    assert len(overviews[0]) == 1 and {o["room"] for o in overviews[0][0]} == set(s.room_ids)

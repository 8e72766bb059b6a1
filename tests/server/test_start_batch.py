"""Starting a room appends its entries as one batch (`events.batch`): the log it leaves must be
the one the one-at-a-time appends would have left, verifiable, in order, per attempt. The clocks
are written in one UPDATE; a sitting starts whole rooms per transaction (`[exam] start_batch`)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.batch import Entry, append_events
from exam_server.events.log import SERVER, append_event, verify_chain
from exam_server.events.models import Event
from exam_server.exams import lifecycle, room_clock
from exam_server.exams.models import Registration, Room
from tests.support.seed import EXAMINER, seed_sitting


def test_batch_continues_the_chains_it_finds_and_keeps_the_order_within_a_stream(app: Flask) -> None:
    s = seed_sitting()
    a, b = s.attempt_ids[:2]
    append_event(db, "attempt.note", SERVER, sitting_id=s.sitting_id, attempt_id=a, data={"n": 0})
    db.commit()
    made = append_events(db, [
        Entry("attempt.note", SERVER, sitting_id=s.sitting_id, attempt_id=a, data={"n": 1}),
        Entry("attempt.note", SERVER, sitting_id=s.sitting_id, attempt_id=b, data={"n": 2}),
        Entry("attempt.note", SERVER, sitting_id=s.sitting_id, attempt_id=a, data={"n": 3}),
    ])
    append_event(db, "attempt.note", SERVER, sitting_id=s.sitting_id, attempt_id=a, data={"n": 4})  # after it
    db.commit()
    assert [e.seq for e in made] == sorted(e.seq for e in made)
    rows = db.scalars(select(Event).where(Event.attempt_id == a).order_by(Event.stream_seq)).all()
    assert [(e.stream_seq, e.data["n"]) for e in rows] == [(1, 0), (2, 1), (3, 3), (4, 4)]
    assert [e.prev_hash for e in rows[1:]] == [e.hash for e in rows[:-1]]
    assert verify_chain(db, s.sitting_id) == []


def test_starting_a_sitting_logs_one_start_per_attempt_with_its_accommodation_first(app: Flask) -> None:
    s = seed_sitting(rooms=2, per_room=3)
    reg = db.get(Registration, s.registration_ids[0])
    assert reg is not None
    reg.extra_time_s = 300  # edited after check-in opened: applied at the start
    db.commit()
    lifecycle.start_sitting(s.sitting_id, EXAMINER, "bắt đầu")
    attempts = db.scalars(select(Attempt).where(Attempt.registration_id.in_(s.registration_ids))).all()
    assert {x.state for x in attempts} == {"active"}
    for attempt in attempts:
        actions = db.scalars(select(Event.action).where(Event.attempt_id == attempt.id).order_by(Event.stream_seq)).all()
        expected = ["attempt.accommodation_applied", "attempt.started"] if attempt.registration_id == reg.id \
            else ["attempt.started"]
        assert list(actions)[-len(expected):] == expected
        assert attempt.extra_s == (300 if attempt.registration_id == reg.id else 0)
    assert verify_chain(db, s.sitting_id) == []


def test_a_room_logs_its_start_then_its_attempts_in_attempt_order_with_the_clock_written(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=4)
    lifecycle.start_room(s.room_ids[0], EXAMINER, "bắt đầu")
    rows = db.scalars(select(Event).where(Event.room_id == s.room_ids[0]).order_by(Event.seq)).all()
    assert [e.action for e in rows] == ["room.started"] + ["attempt.started"] * 4
    assert [e.attempt_id for e in rows[1:]] == sorted(s.attempt_ids)
    db.expire_all()  # what the database holds, not what this session wrote
    for e in rows[1:]:
        attempt = db.get(Attempt, e.attempt_id)
        assert attempt is not None and attempt.started_at is not None and attempt.deadline_at is not None
        assert attempt.state == "active"
        assert e.data == {"started_at": attempt.started_at.isoformat(), "deadline": attempt.deadline_at.isoformat()}
        assert attempt.deadline_at == attempt.deadline(attempt.started_at)
        assert attempt.closes_at == attempt.deadline_at + timedelta(seconds=attempt.grace_s)
        assert e.reason == "bắt đầu" and e.stream == f"sitting:{s.sitting_id}/attempt:{attempt.id}"
    assert verify_chain(db, s.sitting_id) == []


def test_attempts_the_session_holds_see_their_started_clock(app: Flask) -> None:
    """The clocks are written in one UPDATE, not through the objects: those already loaded
    (the seeding loaded them all) must not stay "pending" for the rest of the request."""
    s = seed_sitting(rooms=1, per_room=3)
    held = [a for a in (control.attempt_for_registration(r) for r in s.registration_ids) if a is not None]
    assert [a.state for a in held] == ["pending"] * 3
    lifecycle.start_room(s.room_ids[0], EXAMINER)
    assert [a.state for a in held] == ["active"] * 3
    for a in held:
        assert a.started_at is not None and a.deadline_at is not None and a.deadline_at == a.deadline(a.started_at)


def test_a_sitting_starts_whole_rooms_per_transaction_and_pushes_every_attempt(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(rooms=3, per_room=2)
    app.config["EXAM_START_BATCH"] = 3  # rooms of 2: two rooms in the first transaction, one in the next
    realtime = app.extensions["exam_realtime"]
    delivered: list[list[Any]] = []
    monkeypatch.setattr(realtime, "socketio", SimpleNamespace(
        start_background_task=lambda _fn, _app, _rt, events, _graded: delivered.append(events), sleep=lambda _s: None))
    lifecycle.start_sitting(s.sitting_id, EXAMINER)
    started = [[e.attempt_id for e in events if e.action == "attempt.started"] for events in delivered]
    assert [len(ids) for ids in started] == [4, 2, 0]  # two rooms, one room, then `sitting.started`
    assert sorted(i for ids in started for i in ids) == sorted(s.attempt_ids)
    assert [e.action for e in delivered[-1]] == ["sitting.started"]
    assert delivered[-1][0].data == {"rooms": s.room_ids}
    assert verify_chain(db, s.sitting_id) == []


def test_a_room_that_fails_to_start_stays_waiting_whole_and_starting_again_starts_it(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(rooms=2, per_room=2)
    app.config["EXAM_START_BATCH"] = 1  # a transaction per room
    clock = room_clock.current()
    calls: list[int] = []

    def second_room_fails(rooms: Any, *args: Any) -> Any:
        calls.append(rooms[0].id)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return clock.start(rooms, *args)

    monkeypatch.setattr(room_clock, "_registered", [dataclasses.replace(clock, start=second_room_fails)])
    with pytest.raises(RuntimeError):
        lifecycle.start_sitting(s.sitting_id, EXAMINER)
    db.rollback()
    first, second = (db.get(Room, r) for r in s.room_ids)
    assert first is not None and second is not None
    assert (first.state, second.state) == ("started", "checkin_open")
    by_room = {room_id: {a.state for a in attempts_of(room_id)} for room_id in s.room_ids}
    assert by_room == {first.id: {"active"}, second.id: {"pending"}}  # all or nothing per room
    lifecycle.start_sitting(s.sitting_id, EXAMINER)  # the rest
    assert {a.state for a in attempts_of(second.id)} == {"active"}
    assert db.scalars(select(Event.data).where(Event.action == "sitting.started",
                                               Event.sitting_id == s.sitting_id)).all() == [{"rooms": [second.id]}]
    assert verify_chain(db, s.sitting_id) == []


def attempts_of(room_id: int) -> list[Attempt]:
    return list(db.scalars(select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
                           .where(Registration.room_id == room_id).execution_options(populate_existing=True)))

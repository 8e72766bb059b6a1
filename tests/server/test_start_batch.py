"""Starting a room appends its entries as one batch (`events.batch`): the log it leaves must be
the one the one-at-a-time appends would have left, verifiable, in order, per attempt."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.batch import Entry, append_events
from exam_server.events.log import SERVER, append_event, verify_chain
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from exam_server.exams.models import Registration
from tests.support.seed import EXAMINER, seed_sitting


def test_batch_continues_the_chains_it_finds_and_keeps_the_order_within_a_stream(app: Flask) -> None:
    s = seed_sitting()
    a, b = (control.attempt_for_registration(r).id for r in s.registration_ids[:2])
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

"""Sitting/room lifecycle, illegal transitions, deadline arithmetic with extra time and pauses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.errors import Conflict
from exam_server.events.log import verify_chain
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from exam_server.exams.models import Room, Sitting
from tests.support.seed import EXAMINER, seed_sitting


def test_full_lifecycle_and_illegal_transitions(app: Flask) -> None:
    s = seed_sitting(open_checkin=False)
    with pytest.raises(Conflict) as err:
        lifecycle.start_sitting(s.sitting_id, EXAMINER)
    assert err.value.code == "exams.illegal_transition" and err.value.details["state"] == "scheduled"
    with pytest.raises(Conflict):
        lifecycle.start_room(s.room_ids[0], EXAMINER)

    lifecycle.open_checkin(s.sitting_id, EXAMINER)
    attempts = db.query(Attempt).filter(Attempt.registration_id.in_(s.registration_ids)).all()
    assert len(attempts) == 6 and {a.state for a in attempts} == {"pending"}  # pre-created before start
    with pytest.raises(Conflict):
        lifecycle.open_checkin(s.sitting_id, EXAMINER)
    with pytest.raises(Conflict):
        lifecycle.pause_room(s.room_ids[0], EXAMINER, "mất điện")

    s.attempt_ids = [control.attempt_for_registration(r).id for r in s.registration_ids]
    lifecycle.start_room(s.room_ids[0], EXAMINER)
    assert db.get(Sitting, s.sitting_id).state == "started"
    assert {db.get(Attempt, a).state for a in s.attempt_ids[:3]} == {"active"}
    assert db.get(Attempt, s.attempt_ids[3]).state == "pending"
    with pytest.raises(Conflict):
        lifecycle.start_room(s.room_ids[0], EXAMINER)
    with pytest.raises(Conflict) as err:
        lifecycle.pause_room(s.room_ids[0], EXAMINER, "  ")
    assert err.value.code == "exams.reason_required"

    lifecycle.start_sitting(s.sitting_id, EXAMINER)  # starts the remaining room
    assert db.get(Room, s.room_ids[1]).state == "started"
    with pytest.raises(Conflict):
        lifecycle.start_sitting(s.sitting_id, EXAMINER)  # nothing left to start
    lifecycle.pause_sitting(s.sitting_id, EXAMINER, "sự cố mạng")
    assert {db.get(Attempt, a).state for a in s.attempt_ids} == {"paused"}
    with pytest.raises(Conflict):
        lifecycle.pause_room(s.room_ids[0], EXAMINER, "again")
    lifecycle.resume_sitting(s.sitting_id, EXAMINER)
    assert {db.get(Attempt, a).state for a in s.attempt_ids} == {"active"}
    lifecycle.end_sitting(s.sitting_id, EXAMINER, "hết giờ")
    assert {db.get(Attempt, a).state for a in s.attempt_ids} == {"submitted"}
    assert all(db.get(Attempt, a).score == 0 for a in s.attempt_ids)
    with pytest.raises(Conflict):
        lifecycle.resume_sitting(s.sitting_id, EXAMINER)
    with pytest.raises(Conflict):
        lifecycle.end_room(s.room_ids[0], EXAMINER)

    actions = [e.action for e in db.query(Event).filter(Event.chain == s.sitting_id).order_by(Event.seq)]
    assert actions.count("attempt.started") == 6 and actions.count("attempt.submitted") == 6
    assert verify_chain(db, s.sitting_id) == []


def test_deadline_is_start_plus_duration_extra_time_and_credited_pauses(app: Flask) -> None:
    s = seed_sitting(duration_s=3600, grace_s=10, start=True)
    a = db.get(Attempt, s.attempt_ids[0])
    start = a.started_at
    assert a.deadline_at == start + timedelta(seconds=3600)
    assert a.closes_at == a.deadline_at + timedelta(seconds=10)

    control.add_extra_time(a.id, 600, EXAMINER, "thí sinh khuyết tật (quyết định số 12)")
    assert a.deadline_at == start + timedelta(seconds=4200)
    with pytest.raises(Conflict):
        control.add_extra_time(a.id, -601, EXAMINER, "sai")
    with pytest.raises(Conflict):
        control.add_extra_time(a.id, 60, EXAMINER, "")

    # Room pause: the clock stops; resuming credits the paused time exactly.
    lifecycle.pause_room(s.room_ids[0], EXAMINER, "mất điện")
    db.refresh(a)
    paused_at = a.paused_since
    assert a.state == "paused" and a.deadline_at is None
    # The candidate is also paused on their own: resuming the room keeps them paused.
    control.pause_attempt(a.id, EXAMINER, "máy hỏng")
    lifecycle.resume_room(s.room_ids[0], EXAMINER)
    db.refresh(a)
    assert a.state == "paused"
    other = db.get(Attempt, s.attempt_ids[1])
    credit = other.paused_credit_s
    assert credit > 0 and other.deadline_at == start + timedelta(seconds=3600 + credit)

    control.resume_attempt(a.id, EXAMINER, "đổi máy xong")
    db.refresh(a)
    assert a.state == "active"
    credited = a.paused_credit_s
    assert credited >= (a.deadline_at - start).total_seconds() - 4200 - 1e-3
    assert a.deadline_at == start + timedelta(seconds=4200 + credited)
    assert abs(credited - (a.deadline_at - paused_at - timedelta(seconds=4200) + (paused_at - start)).total_seconds()) < 1e-3

    events = db.query(Event).filter(Event.attempt_id == a.id).order_by(Event.seq).all()
    kinds = [e.action for e in events]
    assert kinds == ["attempt.started", "attempt.extra_time", "attempt.paused", "attempt.paused", "attempt.resumed"]
    assert events[1].reason.startswith("thí sinh khuyết tật") and events[1].actor == "examiner:test"
    assert events[-1].data["credited_s"] == pytest.approx(credited)

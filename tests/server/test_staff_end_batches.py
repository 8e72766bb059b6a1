"""A staff "end" of a sitting or room closes, grades and logs its attempts in batches per room
(issue 14, item 4), one transaction per batch, the worker yielding between batches, as the
deadline job does (`attempts.closing`); a failure part way leaves the room open to end again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from exam_server.attempts import closing, submission
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.models import Attempt
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.events import sequencer
from exam_server.events.audit import audit_log
from exam_server.events.models import Event
from exam_server.events.signing import trusted_certificates
from exam_server.exams import lifecycle
from exam_server.exams.models import Registration, Room, Sitting
from tests.server.conftest import make_app
from tests.support.commits import watch_closing_commits
from tests.support.seed import EXAMINER, seed_sitting


@pytest.fixture
def batch3(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path / "instance", EXAM_CLOSE_BATCH=3)
    with app.app_context():
        yield app
    database.engine(app).dispose()


def test_ending_a_sitting_closes_each_room_in_batches(batch3: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed_sitting(rooms=2, per_room=5, start=True)
    for attempt_id, reg_id in zip(seeded.attempt_ids[::2], seeded.registration_ids[::2], strict=True):
        save_answer(attempt_id, 1, 1, "A", registration_id=reg_id)
    db.rollback()
    mine = set(seeded.attempt_ids)
    from exam_server.extensions import socketio

    yields: list[float] = []
    monkeypatch.setattr(socketio, "sleep", lambda seconds=0: yields.append(seconds))
    commits, stop = watch_closing_commits(batch3, mine)
    try:
        lifecycle.end_sitting(seeded.sitting_id, EXAMINER, "hết giờ thi")
    finally:
        stop()
    room_of = dict(db.execute(select(Registration.id, Registration.room_id)
                              .where(Registration.sitting_id == seeded.sitting_id)).all())
    attempts = db.scalars(select(Attempt).where(Attempt.id.in_(mine))).all()
    room_by_attempt = {a.id: room_of[a.registration_id] for a in attempts}
    assert sorted(len(c) for c in commits) == [2, 2, 3, 3]  # per room: a batch of 3, then of 2
    assert all(len({room_by_attempt[a] for a in c}) == 1 for c in commits)
    assert len(yields) >= 4
    for attempt in attempts:
        assert (attempt.state, attempt.submitted_by) == ("submitted", "staff")
        assert attempt.score is not None
    assert db.get(Sitting, seeded.sitting_id).state == "ended"
    assert all(db.get(Room, r).state == "ended" for r in seeded.room_ids)
    actions = [e.action for e in db.scalars(select(Event).where(Event.sitting_id == seeded.sitting_id,
                                                                Event.action.in_(("room.ended", "sitting.ended"))))]
    assert sorted(actions) == ["room.ended", "room.ended", "sitting.ended"]
    submitted = db.scalars(select(Event.attempt_id).where(Event.action == "attempt.submitted",
                                                          Event.attempt_id.in_(mine))).all()
    assert sorted(submitted) == sorted(mine)  # each exactly once
    sequencer.run_once(batch3, db, seeded.sitting_id)
    assert audit_log(db, seeded.sitting_id, trusted_certificates(batch3)) == []


def test_an_attempt_that_cannot_close_leaves_its_room_open_to_end_again(
        batch3: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed_sitting(rooms=1, per_room=5, start=True)
    room_id, broken = seeded.room_ids[0], seeded.attempt_ids[3]
    db.rollback()
    close_locked = closing.close_locked

    def failing_close(session: Any, closes: list[submission.Close]) -> None:
        if any(c.attempt.id == broken for c in closes):
            raise RuntimeError("injected: grading failed")
        close_locked(session, closes)

    monkeypatch.setattr(closing, "close_locked", failing_close)
    with pytest.raises(RuntimeError):
        lifecycle.end_room(room_id, EXAMINER, "kết thúc")
    db.rollback()
    db.expire_all()
    states = {a.id: a.state for a in db.scalars(select(Attempt).where(Attempt.id.in_(seeded.attempt_ids)))}
    assert states.pop(broken) == "active"
    assert set(states.values()) == {"submitted"}  # the others, in its batch and the next, are closed
    assert db.get(Room, room_id).state == "started"  # not ended: nothing claims it is over
    monkeypatch.setattr(closing, "close_locked", close_locked)
    lifecycle.end_room(room_id, EXAMINER, "kết thúc")
    db.expire_all()
    assert db.get(Attempt, broken).state == "submitted"
    assert db.get(Room, room_id).state == "ended"
    assert db.scalars(select(Event).where(Event.room_id == room_id, Event.action == "room.ended")).all()

"""The deadline job closes, grades and logs attempts in batches per room, one transaction per
batch, yielding between batches; several processes split the storm and close each attempt once."""

from __future__ import annotations

import multiprocessing as mp
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from exam_server.attempts import deadlines
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events import sequencer
from exam_server.events.audit import audit_log
from exam_server.events.models import Event
from exam_server.events.signing import trusted_certificates
from exam_server.exams.models import Registration
from tests.server.conftest import make_app
from tests.support.commits import watch_closing_commits
from tests.support.seed import seed_sitting


def _answer_some(attempt_ids: list[int], registration_ids: list[int]) -> None:
    for n, (attempt_id, reg_id) in enumerate(zip(attempt_ids, registration_ids, strict=True)):
        if n % 2 == 0:
            save_answer(attempt_id, 1, 1, "A", registration_id=reg_id)


def test_deadline_closes_each_room_in_batches_with_the_deadline_as_finish_time(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded = seed_sitting(rooms=2, per_room=5, start=True)
    _answer_some(seeded.attempt_ids, seeded.registration_ids)
    deadline = db.get(Attempt, seeded.attempt_ids[0]).closes_at
    db.rollback()
    mine = set(seeded.attempt_ids)

    commits, stop = watch_closing_commits(app, mine)
    yields: list[float] = []
    from exam_server.extensions import socketio

    monkeypatch.setattr(socketio, "sleep", lambda seconds=0: yields.append(seconds))
    try:
        closed = deadlines.enforce_deadlines(now=deadline + timedelta(seconds=1), batch=3)
    finally:
        stop()
    assert closed >= 10
    room_of = dict(db.execute(select(Registration.id, Registration.room_id)
                              .where(Registration.sitting_id == seeded.sitting_id)).all())
    attempts = db.scalars(select(Attempt).where(Attempt.id.in_(mine))).all()
    room_by_attempt = {a.id: room_of[a.registration_id] for a in attempts}
    # per room: batches of 3 and 2, each one transaction, never mixing rooms
    assert sorted(len(c) for c in commits) == [2, 2, 3, 3]
    assert all(len({room_by_attempt[a] for a in c}) == 1 for c in commits)
    assert len(yields) >= 4  # the worker yielded after every batch
    for attempt in attempts:
        assert attempt.state == "submitted" and attempt.submitted_by == "server"
        assert attempt.submitted_at == attempt.deadline_at  # the deadline, not when the job ran
        assert attempt.score is not None and attempt.grading
    submitted = db.scalars(select(Event).where(Event.action == "attempt.submitted", Event.attempt_id.in_(mine))).all()
    assert sorted(e.attempt_id for e in submitted) == sorted(mine)
    assert all(e.data["submitted_at"] == db.get(Attempt, e.attempt_id).deadline_at.isoformat() for e in submitted)
    sequencer.run_once(app, db, seeded.sitting_id)
    assert audit_log(db, seeded.sitting_id, trusted_certificates(app)) == []


def _closer(url: str, instance: str, sitting_id: int, when: str, ready: Any, out: Any) -> None:
    from datetime import datetime

    app = make_app(url, Path(instance))
    with app.app_context():
        ready.wait(timeout=600)  # spawning and importing is slow on a loaded machine
        mine = deadlines.enforce_deadlines(now=datetime.fromisoformat(when), batch=4)
        out.put(mine)
        db.get_bind().dispose()


@pytest.mark.postgres
def test_several_processes_split_the_storm_and_close_each_attempt_once(postgres_url: str, tmp_path: Path) -> None:
    app = make_app(postgres_url, tmp_path / "instance")
    with app.app_context():
        seeded = seed_sitting(rooms=3, per_room=8, start=True)
        _answer_some(seeded.attempt_ids, seeded.registration_ids)
        deadline = db.get(Attempt, seeded.attempt_ids[0]).closes_at
        sequencer.load_signer(app)
        db.rollback()
    # other tests' attempts due by then are closed too: the checks below look at this sitting's
    ctx = mp.get_context("spawn")
    ready, out = ctx.Barrier(3), ctx.Queue()
    when = (deadline + timedelta(seconds=1)).isoformat()
    procs = [ctx.Process(target=_closer, args=(postgres_url, str(tmp_path / "instance"), seeded.sitting_id, when,
                                               ready, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=900)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert sum(out.get(timeout=10) for _ in procs) >= len(seeded.attempt_ids)
    with app.app_context():
        mine = set(seeded.attempt_ids)
        states = db.execute(select(Attempt.state, func.count()).where(Attempt.id.in_(mine))
                            .group_by(Attempt.state)).all()
        assert dict(states) == {"submitted": len(mine)}
        per_attempt = db.execute(select(Event.attempt_id, func.count()).where(
            Event.action == "attempt.submitted", Event.attempt_id.in_(mine)).group_by(Event.attempt_id)).all()
        assert sorted(per_attempt) == [(a, 1) for a in sorted(mine)]  # exactly once each
        assert all(a.submitted_at == a.deadline_at for a in db.scalars(select(Attempt).where(Attempt.id.in_(mine))))
        sequencer.run_once(app, db, seeded.sitting_id)
        assert audit_log(db, seeded.sitting_id, trusted_certificates(app)) == []
        db.get_bind().dispose()

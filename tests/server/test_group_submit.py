"""Group commit for submits: the submits that arrive together are closed, graded and logged in one
transaction; every attempt is closed once with one `attempt.submitted` entry and intact chains;
each caller gets the answer the one-at-a-time path gives (repeat, conflict, deadline); a failing
submit does not fail the others; a failed COMMIT acknowledges nobody."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from exam_server.attempts import candidate, control, group_commit, group_submit, receipt
from exam_server.attempts.attempt_state import state_payload
from exam_server.attempts.autosave import SaveRefused, save_answer
from exam_server.attempts.grading import grade_attempt
from exam_server.attempts.models import Attempt
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict
from exam_server.events import sequencer
from exam_server.events.audit import audit_log
from exam_server.events.log import Actor
from exam_server.events.models import Event
from exam_server.events.signing import trusted_certificates
from tests.server.conftest import make_app
from tests.support.seed import EXAMINER, seed_sitting

ROOT = Path(__file__).resolve().parents[2]


def _app_with(database_url: str, instance: Path, **extra: object) -> Iterator[Flask]:
    app = make_app(database_url, instance, SUBMIT_GROUP_COMMIT_WINDOW_MS=30.0, **extra)
    with app.app_context():
        yield app
    database.engine(app).dispose()


@pytest.fixture
def gs_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Group submit on with one committer (every submit shares its queue)."""
    yield from _app_with(database_url, tmp_path / "instance", SUBMIT_GROUP_COMMIT_COMMITTERS=1)


@pytest.fixture
def committers_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Group submit with the default committers (two on PostgreSQL, one on SQLite)."""
    yield from _app_with(database_url, tmp_path / "instance2")


def _actor(reg_id: int) -> Actor:
    return Actor(f"candidate:{reg_id}", registration_id=reg_id)


def _submit(attempt_id: int, reg_id: int) -> dict[str, Any]:
    """The HTTP answer to a submit (`api.submit`) without its clock-dependent fields."""
    done = candidate.submit(attempt_id, reg_id, _actor(reg_id))
    return _answer(done)


def _call(attempt_id: int, reg_id: int) -> Callable[[], Any]:
    return lambda: _submit(attempt_id, reg_id)


def _answer(attempt: Attempt) -> dict[str, Any]:
    status = candidate.attempt_status(attempt, attempt.submitted_at or utcnow())
    return {**status, "score": attempt.score, "max_score": attempt.max_score, "grading": attempt.grading}


def _held(attempt_id: int) -> Attempt:
    attempt = db.get(Attempt, attempt_id)
    assert attempt is not None
    return attempt


def _fresh(attempt_id: int) -> dict[str, Any]:
    """The answer the one-at-a-time path builds: the attempt as the database holds it now."""
    db.expire_all()
    return _answer(_held(attempt_id))


def _in_batch(monkeypatch: pytest.MonkeyPatch, app: Flask, calls: list[Callable[[], Any]],
              queued: int | None = None) -> list[Any]:
    """Run `calls` on threads that reach the submit committer's queue in list order, all in one
    batch (it closes when the `queued`-th arrived); each result, or the exception it raised. A
    call that never queues (an attempt not active is answered without the committer) counts
    as arrived when it returns."""
    arrived = [threading.Event() for _ in calls]
    original = group_commit._Committer.submit

    def submit(self: Any, work: Any) -> None:
        original(self, work)
        arrived[int(threading.current_thread().name.rsplit("-", 1)[1])].set()

    monkeypatch.setattr(group_commit._Committer, "submit", submit)
    gc = group_submit.committer(app)
    for committer in gc.committers:
        committer.window_s, committer.max_batch = 5.0, queued or len(calls)
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = calls[index]()
            except Exception as exc:  # the caller's answer, checked by the test
                results[index] = exc
            finally:
                arrived[index].set()
                db.rollback()

    threads = [threading.Thread(target=run, args=(i,), name=f"submitter-{i}") for i in range(len(calls))]
    for i, thread in enumerate(threads):
        thread.start()
        assert arrived[i].wait(30), f"submit {i} never reached the committer"
    for thread in threads:
        thread.join(60)
    monkeypatch.setattr(group_commit._Committer, "submit", original)
    return results


def _chains_intact(app: Flask, sitting_id: int) -> None:
    sequencer.run_once(app, db, sitting_id)
    assert audit_log(db, sitting_id, trusted_certificates(app)) == []


def _events(attempt_id: int) -> list[tuple[str, str]]:
    return [(e.action, e.reason or "") for e in db.query(Event).filter(Event.attempt_id == attempt_id)
            .order_by(Event.stream_seq) if e.action in ("attempt.submitted", "save.refused")]


def test_concurrent_submits_close_grade_and_log_each_attempt_once(committers_app: Flask) -> None:
    app = committers_app
    s = seed_sitting(start=True, rooms=2, per_room=8)
    pairs = list(zip(s.attempt_ids, s.registration_ids, strict=True))
    for n, (aid, reg) in enumerate(pairs):
        save_answer(aid, 1, 1, "ABCD"[n % 4], registration_id=reg)
        save_answer(aid, 4, 2, "nguyen du", registration_id=reg)
    db.rollback()
    before = group_submit.committer(app).batches

    def one(pair: tuple[int, int]) -> dict[str, Any]:
        with app.app_context():
            try:
                return _submit(*pair)
            finally:
                db.rollback()

    # every candidate presses twice (two tabs, an impatient double click)
    with ThreadPoolExecutor(2 * len(pairs)) as pool:
        answers = list(pool.map(one, pairs + pairs))
    batches = group_submit.committer(app).batches - before
    assert 0 < batches < len(pairs)  # submits shared transactions
    for (aid, _reg), first, second in zip(pairs, answers[:len(pairs)], answers[len(pairs):], strict=True):
        held = _fresh(aid)
        assert held["state"] == "submitted" and held["submitted_by"] == "candidate"
        assert first == held and second == held  # each caller: the attempt as committed
        attempt = _held(aid)
        grading, score = attempt.grading, attempt.score
        grade_attempt(db, attempt)  # graded as one `grade_attempt` grades it
        assert (attempt.grading, attempt.score) == (grading, score)
        db.rollback()
        assert _events(aid) == [("attempt.submitted", "")]
    _chains_intact(app, s.sitting_id)


def _scenario(s: Any) -> list[Callable[[], Any]]:
    """Submits of every kind, their attempts prepared: a plain one and its repeat, one already
    submitted, a paused one, one found past its deadline, one with refused saves still counted."""
    plain, done, paused, late, refused, other = s.attempt_ids[:6]
    regs = dict(zip(s.attempt_ids, s.registration_ids, strict=True))
    save_answer(plain, 1, 1, "A", registration_id=regs[plain])
    save_answer(late, 1, 1, "B", registration_id=regs[late])
    candidate.submit(done, regs[done], _actor(regs[done]))
    control.pause_attempt(paused, EXAMINER, "mất điện")
    control.set_locked(refused, True, EXAMINER, "chuyển máy")
    for seq in (1, 2, 3):
        with pytest.raises(SaveRefused):
            save_answer(refused, 4, seq, "x", registration_id=regs[refused])
    control.set_locked(refused, False, EXAMINER, "")
    past = utcnow() - timedelta(seconds=5)
    db.execute(update(Attempt).where(Attempt.id == late).values(deadline_at=past, closes_at=past + timedelta(seconds=2)))
    db.commit()

    return [_call(a, regs[a]) for a in (plain, plain, done, paused, late, refused, other)]


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # the caller's answer, compared by the test
        return exc


def _normalised(results: list[Any], s: Any) -> list[Any]:
    """Answers with what differs between two sittings (ids, times) replaced by what it means."""
    out: list[Any] = []
    for r in results:
        if isinstance(r, Exception):
            out.append((type(r).__name__, getattr(r, "code", ""), getattr(r, "details", {}).get("state")))
            continue
        a = _held(r["id"])
        out.append({"state": r["state"], "by": r["submitted_by"], "score": r["score"], "grading": r["grading"],
                    "at_deadline": r["submitted_at"] == (a.deadline_at.isoformat() if a.deadline_at else None),
                    "as_held": r == _fresh(r["id"])})
    return out


def test_each_caller_gets_the_answer_of_the_one_at_a_time_path(
        gs_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    batched = seed_sitting(start=True, rooms=1, per_room=6)
    calls = _scenario(batched)
    db.rollback()
    before = group_submit.committer(gs_app).batches
    results = _in_batch(monkeypatch, gs_app, calls, queued=5)  # the submitted and the paused one never queue
    assert group_submit.committer(gs_app).batches - before == 1  # the open ones shared one transaction

    gs_app.config["SUBMIT_GROUP_COMMIT"] = False  # the reference: each submit its own transaction
    alone = seed_sitting(start=True, rooms=1, per_room=6)
    reference = [_outcome(call) for call in _scenario(alone)]
    db.rollback()

    got, want = _normalised(results, batched), _normalised(reference, alone)
    assert got == want
    plain, done, paused, late, refused, other = batched.attempt_ids[:6]
    assert got[0]["score"] > 0 and got[0] == got[1] and got[0]["as_held"]
    assert got[2]["state"] == "submitted"
    assert got[3] == ("Conflict", "attempts.illegal_transition", "paused")
    assert got[4]["by"] == "server" and got[4]["at_deadline"]
    assert got[5]["by"] == "candidate"
    for a_batched, a_alone in zip(batched.attempt_ids[:6], alone.attempt_ids[:6], strict=True):
        assert _events(a_batched) == _events(a_alone)
    assert _events(late) == [("attempt.submitted", "deadline")]
    assert _events(refused) == [("save.refused", "attempts.refused_locked"), ("attempt.submitted", ""),
                                ("save.refused", "attempts.refused_locked")]
    counts = [e.data["count"] for e in db.query(Event).filter(Event.attempt_id == refused,
                                                              Event.action == "save.refused")]
    assert sum(counts) == 3
    _chains_intact(gs_app, batched.sitting_id)


def test_a_batchs_receipts_come_from_its_grading_without_reading_the_answers_again(
        gs_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receipts of a batch's closes, in each caller's answer and in the push of their states
    to the candidates' other pages, are built from the answers the batch graded: the grading's
    read of the responses is the only one, and each receipt is the one built alone afterwards."""
    s = seed_sitting(start=True, rooms=1, per_room=3)
    regs = dict(zip(s.attempt_ids, s.registration_ids, strict=True))
    for aid, value in zip(s.attempt_ids[:2], "AB", strict=True):  # the third answers nothing
        save_answer(aid, 1, 1, value, registration_id=regs[aid])
    db.rollback()
    reads: list[str] = []  # the thread of every read of the responses

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM responses" in statement:
            reads.append(threading.current_thread().name)

    manager = gs_app.extensions["exam_realtime"].socketio.server.manager
    pushed: dict[int, Any] = {}
    emit_each = manager.emit_each

    def recording(event_name: str, items: list[tuple[str, Any]], namespace: str) -> None:
        if event_name == "state":
            pushed.update((payload["attempt"], payload.get("receipt")) for _room, payload in items)
        emit_each(event_name, items, namespace)

    monkeypatch.setattr(manager, "emit_each", recording)

    def submit_and_receipt(aid: int) -> Callable[[], Any]:
        return lambda: state_payload(candidate.submit(aid, regs[aid], _actor(regs[aid])))["receipt"]

    event.listen(database.engine(gs_app), "before_cursor_execute", listen)
    try:
        answered = _in_batch(monkeypatch, gs_app, [submit_and_receipt(aid) for aid in s.attempt_ids])
        for _ in range(100):  # the push runs in the background
            if len(pushed) == len(s.attempt_ids):
                break
            time.sleep(0.05)
    finally:
        event.remove(database.engine(gs_app), "before_cursor_execute", listen)
    assert reads == ["exam-group-commit"]  # the grading's, once for the batch
    db.expire_all()
    alone = [receipt.receipt_for(db, _held(aid)) for aid in s.attempt_ids]
    assert all(r is not None for r in alone)
    assert answered == [r.to_dict() for r in alone if r is not None]
    assert pushed == {aid: r.to_dict() for aid, r in zip(s.attempt_ids, alone, strict=True) if r is not None}
    assert [r.answered for r in alone if r is not None] == [1, 1, 0]


def test_a_failing_submit_does_not_fail_the_rest_of_its_batch(
        gs_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(start=True, rooms=1, per_room=4)
    a, b, c, d = s.attempt_ids
    regs = dict(zip(s.attempt_ids, s.registration_ids, strict=True))
    for aid in (a, b, c, d):
        save_answer(aid, 1, 1, "A", registration_id=regs[aid])
    db.rollback()
    close_locked = group_submit.close_locked

    def failing(session: Any, closes: list[Any]) -> dict[int, Any]:
        graded = close_locked(session, closes)  # its log entry is written, then the database refuses
        if any(x.attempt.id == c for x in closes):
            session.execute(text("SELECT no_such_column FROM attempts"))
        return graded

    monkeypatch.setattr(group_submit, "close_locked", failing)
    before = group_submit.committer(gs_app).batches
    results = _in_batch(monkeypatch, gs_app, [_call(aid, regs[aid]) for aid in (a, b, c, d)])
    assert group_submit.committer(gs_app).batches - before == 1
    assert isinstance(results[2], DBAPIError)  # not acknowledged: the socket handler answers "retry"
    for index, aid in ((0, a), (1, b), (3, d)):
        assert results[index] == _fresh(aid) and results[index]["state"] == "submitted"
    assert _held(c).state == "active"
    assert _events(c) == []
    monkeypatch.setattr(group_submit, "close_locked", close_locked)
    assert _submit(c, regs[c])["state"] == "submitted"  # the retry closes it
    db.rollback()
    for aid in (a, b, c, d):
        assert _events(aid) == [("attempt.submitted", "")]
    _chains_intact(gs_app, s.sitting_id)


def test_a_failed_commit_acknowledges_no_submit_of_its_batch(
        gs_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(start=True, rooms=1, per_room=3)
    regs = dict(zip(s.attempt_ids, s.registration_ids, strict=True))
    db.rollback()
    engine = database.engine(gs_app)

    def fail_commit(conn: Any) -> None:
        if threading.current_thread().name == "exam-group-commit":
            raise OperationalError("COMMIT", None, ConnectionError("injected: the connection dropped"))

    event.listen(engine, "commit", fail_commit)
    try:
        results = _in_batch(monkeypatch, gs_app, [_call(aid, regs[aid]) for aid in s.attempt_ids])
    finally:
        event.remove(engine, "commit", fail_commit)
    assert all(isinstance(r, OperationalError) for r in results), results
    db.expire_all()
    assert [_held(aid).state for aid in s.attempt_ids] == ["active"] * 3
    assert db.query(Event).filter(Event.attempt_id.in_(s.attempt_ids), Event.action == "attempt.submitted").count() == 0
    assert [_submit(aid, regs[aid])["state"] for aid in s.attempt_ids] == ["submitted"] * 3  # the page retries


def test_socket_and_http_answers_after_a_batched_submit(gs_app: Flask) -> None:
    """The socket's reply (with the receipt) and the HTTP answer, as `on_submit` and `api.submit`
    build them, for a submit that went through the committer."""
    from exam_server.attempts import attempt_state

    s = seed_sitting(start=True, rooms=1, per_room=2)
    (a, b), (ra, rb) = s.attempt_ids, s.registration_ids
    save_answer(a, 1, 1, "C", registration_id=ra)
    db.rollback()
    done = candidate.submit(a, ra, _actor(ra))
    payload = attempt_state.state_payload(done)
    db.rollback()
    assert payload["phase"] == "submitted" and payload["receipt"]["answered"] == 1
    db.expire_all()
    again = attempt_state.state_payload(_held(a))
    assert {k: v for k, v in payload.items() if k != "server_time"} == \
        {k: v for k, v in again.items() if k != "server_time"}
    with pytest.raises(Conflict):  # a paused attempt: as before, never queued
        control.pause_attempt(b, EXAMINER, "")
        candidate.submit(b, rb, _actor(rb))


def _gevent_run(database_url: str, instance: Path) -> dict[str, Any]:
    """Six candidates submitting (twice each) from greenlets through a gevent-native committer
    (run in a fresh interpreter by the test below)."""
    import gevent

    group_commit._under_gevent = lambda app: True  # a fresh process: nothing to restore
    for app in _app_with(database_url, instance, SUBMIT_GROUP_COMMIT_COMMITTERS=2):
        s = seed_sitting(start=True, rooms=1, per_room=6)
        db.rollback()
        native = group_submit.committer(app).prims.gevent_native

        def one(aid: int, reg: int, app: Flask = app) -> str:
            with app.app_context():
                try:
                    return str(_submit(aid, reg)["state"])
                finally:
                    db.rollback()

        pairs = list(zip(s.attempt_ids, s.registration_ids, strict=True)) * 2
        greenlets = [gevent.spawn(one, aid, reg) for aid, reg in pairs]
        gevent.joinall(greenlets, timeout=60, raise_error=True)
        db.expire_all()
        submitted = db.query(Event).filter(Event.attempt_id.in_(s.attempt_ids),
                                           Event.action == "attempt.submitted").count()
        return {"native": native, "states": [g.value for g in greenlets], "events": submitted,
                "batches": group_submit.committer(app).batches, "attempts": len(s.attempt_ids)}
    raise AssertionError("no app")


def test_greenlets_submit_through_a_gevent_native_committer(database_url: str, tmp_path: Path) -> None:
    script = ("import json, sys; from pathlib import Path; "
              "from tests.server.test_group_submit import _gevent_run; "
              "print(json.dumps(_gevent_run(sys.argv[1], Path(sys.argv[2]))))")
    out = subprocess.run([sys.executable, "-c", script, database_url, str(tmp_path / "gevent")],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["native"]
    assert result["states"] == ["submitted"] * 12
    assert result["events"] == result["attempts"] == 6
    assert result["batches"] >= 1


def test_a_submit_racing_a_pause_is_decided_as_the_one_at_a_time_path_decides_it() -> None:
    """The caller read the attempt active; its row, locked in the batch, is paused now. Alone,
    a submit found past its deadline re-reads the attempt and refuses the paused one; one before
    its deadline loses its conditional close and answers with the attempt as it is."""
    now = utcnow()
    paused = Attempt(id=1, state="paused", closes_at=now + timedelta(seconds=60), deadline_at=now)
    actor = _actor(1)
    past = group_submit._Seen(actor, closes_at=now - timedelta(seconds=1), deadline_at=now)
    before = group_submit._Seen(actor, closes_at=now + timedelta(seconds=60), deadline_at=now)
    assert group_submit._decide(paused, "paused", past, now) == group_submit.Illegal("paused")
    assert group_submit._decide(paused, "paused", before, now) is None
    assert group_submit._decide(paused, "submitted", past, now) is None
    extended = Attempt(id=2, state="active", closes_at=now + timedelta(seconds=60),
                       deadline_at=now + timedelta(seconds=50))
    close = group_submit._decide(extended, "active", past, now)  # extended meanwhile: the candidate's close
    assert close is not None and not isinstance(close, group_submit.Illegal)
    assert (close.by, close.at, close.reason) == ("candidate", now, "")

"""Group commit for saves (issue 14, item 3): the saves that arrive together share one
transaction, each is acknowledged only after that COMMIT, one attempt's saves keep their
order and their answers (saved, duplicate, superseded, conflict), one failing save does not
fail the others, and a failed COMMIT acknowledges nobody of its batch."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from exam_server.attempts import autosave, control, group_commit
from exam_server.attempts.autosave import SaveConflict, SaveRefused, save_answer
from exam_server.attempts.models import Response
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.events.models import Event
from tests.server.conftest import make_app
from tests.support.seed import EXAMINER, seed_sitting

ROOT = Path(__file__).resolve().parents[2]

TEXT_Q = (4, 8)  # short text and essay: any text is a valid answer


@pytest.fixture
def gc_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Group commit on with one committer (every save shares its queue) and a window wide enough
    that threads started together share batches."""
    yield from _app_with(database_url, tmp_path / "instance", committers=1)


def _app_with(database_url: str, instance: Path, committers: int) -> Iterator[Flask]:
    app = make_app(database_url, instance, AUTOSAVE_GROUP_COMMIT=True, AUTOSAVE_GROUP_COMMIT_WINDOW_MS=30.0,
                   AUTOSAVE_GROUP_COMMIT_COMMITTERS=committers)
    with app.app_context():
        yield app
    database.engine(app).dispose()


@pytest.fixture
def three_committers(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Three committers on PostgreSQL (SQLite always runs one): attempts split between them."""
    yield from _app_with(database_url, tmp_path / "instance3", committers=3)


def _committer(app: Flask) -> group_commit.GroupCommit:
    return group_commit.for_app(app, database.engine(app))


def _reader(app: Flask) -> Any:
    """A connection of its own (not the app's pool): what another process would see."""
    return create_engine(app.config["DATABASE_URL"], isolation_level="AUTOCOMMIT")


def _in_order(monkeypatch: pytest.MonkeyPatch, app: Flask, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` on threads that reach the committer's queue in list order, all in one batch
    (the batch closes when the last one arrived); each result, or the exception it raised."""
    queued = [threading.Event() for _ in calls]
    original = group_commit._Committer.submit
    order: list[int] = []

    def submit(self: Any, work: Any) -> None:
        original(self, work)
        index = int(threading.current_thread().name.rsplit("-", 1)[1])
        order.append(index)
        queued[index].set()

    monkeypatch.setattr(group_commit._Committer, "submit", submit)
    gc = _committer(app)
    for committer in gc.committers:
        committer.window_s, committer.max_batch = 5.0, len(calls)
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = calls[index]()
            except Exception as exc:  # the caller's answer, checked by the test
                results[index] = exc
            finally:
                db.rollback()

    threads = [threading.Thread(target=run, args=(i,), name=f"saver-{i}") for i in range(len(calls))]
    for i, thread in enumerate(threads):
        thread.start()
        assert queued[i].wait(30), f"save {i} never reached the committer"
    for thread in threads:
        thread.join(60)
    monkeypatch.setattr(group_commit._Committer, "submit", original)
    assert order == list(range(len(calls)))
    return results


def test_concurrent_saves_of_many_attempts_are_acknowledged_only_once_committed(three_committers: Flask) -> None:
    gc_app = three_committers
    s = seed_sitting(start=True, rooms=2, per_room=6)
    db.rollback()
    pairs = list(zip(s.attempt_ids, s.registration_ids, strict=True))
    reader = _reader(gc_app)
    before = _committer(gc_app).batches
    late: list[str] = []

    def candidate(pair: tuple[int, int]) -> list[tuple[int, int, int]]:
        attempt_id, reg_id = pair
        acked = []
        with gc_app.app_context():
            for seq in range(1, 9):
                q = TEXT_Q[seq % 2]
                ack = save_answer(attempt_id, q, seq, f"v{seq}", registration_id=reg_id)
                assert ack.status == "saved" and ack.stored_seq == seq
                # the moment it is acknowledged, another connection sees it committed
                with reader.connect() as conn:
                    got = conn.execute(text("SELECT seq FROM responses WHERE attempt_id = :a AND question_no = :q"),
                                       {"a": attempt_id, "q": q}).scalar()
                if got is None or got < seq:
                    late.append(f"attempt {attempt_id} q{q} seq {seq}: database holds {got}")
                acked.append((attempt_id, q, seq))
            db.rollback()
        return acked

    with ThreadPoolExecutor(len(pairs)) as pool:
        acked = [a for batch in pool.map(candidate, pairs) for a in batch]
    reader.dispose()
    assert late == []
    assert len(acked) == 8 * len(pairs)
    batches = _committer(gc_app).batches - before
    assert 0 < batches < len(acked)  # saves shared transactions
    db.expire_all()
    for attempt_id, _reg in pairs:
        held = {r.question_no: (r.seq, r.value) for r in db.query(Response).filter(Response.attempt_id == attempt_id)}
        assert held == {8: (7, "v7"), 4: (8, "v8")}


def test_one_attempts_saves_in_one_batch_keep_arrival_order_and_answers(
        gc_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(start=True)
    aid, reg = s.attempt_ids[0], s.registration_ids[0]
    other, other_reg = s.attempt_ids[1], s.registration_ids[1]
    db.rollback()
    before = _committer(gc_app).batches

    def save(attempt_id: int, reg_id: int, seq: int, value: str) -> Callable[[], Any]:
        return lambda: save_answer(attempt_id, 1, seq, value, registration_id=reg_id)

    results = _in_order(monkeypatch, gc_app, [
        save(aid, reg, 5, "B"),  # saved
        save(other, other_reg, 2, "C"),  # another attempt in the same batch
        save(aid, reg, 3, "C"),  # older than what the batch stored before it: superseded
        save(aid, reg, 5, "D"),  # the same seq with another value: conflict naming "B"
        save(aid, reg, 5, "B"),  # a replay: duplicate
        save(aid, reg, 7, "A"),  # newer: saved
    ])
    assert _committer(gc_app).batches - before == 1  # all six in one transaction
    first, foreign, older, rival, replay, newer = results
    assert (first.status, first.stored_seq) == ("saved", 5)
    assert foreign.status == "saved"
    assert (older.status, older.stored_seq, older.stored_value) == ("superseded", 5, "B")
    assert isinstance(rival, SaveConflict) and (rival.stored_seq, rival.stored_value) == (5, "B")
    assert (replay.status, replay.saved_at) == ("duplicate", first.saved_at)
    assert (newer.status, newer.stored_seq) == ("saved", 7)
    db.expire_all()
    assert (db.get(Response, (aid, 1)).seq, db.get(Response, (aid, 1)).value) == (7, "A")
    assert db.get(Response, (other, 1)).value == "C"
    refused = db.query(Event).filter(Event.attempt_id == aid, Event.action == "save.refused").all()
    assert [e.reason for e in refused] == ["attempts.conflict"]


def test_a_refused_and_a_failing_save_do_not_fail_the_rest_of_their_batch(
        gc_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(start=True, rooms=1, per_room=4)
    a, b, c, d = s.attempt_ids
    control.set_locked(b, True, EXAMINER, "chuyển máy")
    db.rollback()
    write = autosave._write

    def failing_write(conn: Any, check_seb: Any, attempt_id: int, *args: Any) -> Any:
        if attempt_id == c:  # a statement the database refuses: the transaction is aborted
            conn.exec_driver_sql("SELECT no_such_column FROM responses")
        return write(conn, check_seb, attempt_id, *args)

    monkeypatch.setattr(autosave, "_write", failing_write)
    before = _committer(gc_app).batches
    results = _in_order(monkeypatch, gc_app, [
        lambda: save_answer(a, 4, 1, "một"),
        lambda: save_answer(b, 4, 1, "hai"),  # locked: refused, logged
        lambda: save_answer(c, 4, 1, "ba"),  # its statement fails
        lambda: save_answer(d, 4, 1, "bốn"),
    ])
    assert _committer(gc_app).batches - before == 1
    assert results[0].status == "saved" and results[3].status == "saved"
    assert isinstance(results[1], SaveRefused) and results[1].code == "attempts.refused_locked"
    assert isinstance(results[2], DBAPIError)  # not acknowledged: the handlers answer "retry"
    db.expire_all()
    held = {r.attempt_id: r.value for r in db.query(Response).filter(Response.attempt_id.in_([a, b, c, d]))}
    assert held == {a: "một", d: "bốn"}
    assert db.query(Event).filter(Event.attempt_id == b, Event.action == "save.refused").count() == 1
    monkeypatch.setattr(autosave, "_write", write)
    assert save_answer(c, 4, 1, "ba").status == "saved"  # the retry is stored


def test_a_failed_commit_acknowledges_nobody_in_its_batch(gc_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    s = seed_sitting(start=True, rooms=1, per_room=3)
    ids = s.attempt_ids
    db.rollback()
    engine = database.engine(gc_app)
    failing = threading.Event()
    failing.set()

    def fail_commit(conn: Any) -> None:
        if failing.is_set() and threading.current_thread().name == "exam-group-commit":
            raise OperationalError("COMMIT", None, ConnectionError("injected: the connection dropped"))

    event.listen(engine, "commit", fail_commit)
    try:
        results = _in_order(monkeypatch, gc_app, [
            (lambda aid=aid: save_answer(aid, 8, 1, f"bài {aid}")) for aid in ids])
    finally:
        event.remove(engine, "commit", fail_commit)
    assert all(isinstance(r, OperationalError) for r in results), results
    db.expire_all()
    assert db.query(Response).filter(Response.attempt_id.in_(ids)).count() == 0
    # the page keeps the change in its journal and sends it again: now stored, as new
    assert [save_answer(aid, 8, 1, f"bài {aid}").status for aid in ids] == ["saved"] * 3


def test_a_failed_commit_is_a_retryable_not_saved_on_the_socket(
        gc_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket handler's answer when the batch's COMMIT failed: not saved, retry."""
    from exam_server.realtime.candidate_events import retry_on_database_outage

    s = seed_sitting(start=True, rooms=1, per_room=1)
    aid = s.attempt_ids[0]
    db.rollback()

    def broken_commit(self: Any, batch: list[Any]) -> None:
        raise OperationalError("COMMIT", None, ConnectionError("injected"))

    monkeypatch.setattr(group_commit._Committer, "_commit", broken_commit)

    @retry_on_database_outage
    def on_save(_self: Any, data: Any) -> dict[str, Any]:
        ack = save_answer(aid, data["q"], data["seq"], data["value"])
        return {"ok": True, "status": ack.status}

    reply = on_save(None, {"q": 4, "seq": 1, "value": "x"})
    assert reply["ok"] is False and reply["retry"] is True and reply["code"] == "live.error.unavailable"
    assert db.query(Response).filter(Response.attempt_id == aid).count() == 0


def test_group_commit_off_keeps_the_one_transaction_per_save_path(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path / "off", AUTOSAVE_GROUP_COMMIT=False)
    with app.app_context():
        s = seed_sitting(start=True, rooms=1, per_room=1)
        aid = s.attempt_ids[0]
        assert save_answer(aid, 1, 2, "A").status == "saved"
        assert save_answer(aid, 1, 1, "B").status == "superseded"
        with pytest.raises(SaveConflict):
            save_answer(aid, 1, 2, "C")
        assert "exam_group_commit" not in app.extensions
        db.rollback()
    database.engine(app).dispose()


def _gevent_run(database_url: str, instance: Path) -> dict[str, Any]:
    """Four candidates saving from greenlets through a gevent-native committer (run in a fresh
    interpreter by the test below)."""
    import gevent

    group_commit._under_gevent = lambda app: True  # a fresh process: nothing to restore
    for app in _app_with(database_url, instance, committers=2):
        s = seed_sitting(start=True, rooms=1, per_room=4)
        db.rollback()
        native = _committer(app).prims.gevent_native

        def candidate(attempt_id: int, app: Flask = app) -> list[str]:
            with app.app_context():
                out = [save_answer(attempt_id, 4, seq, f"v{seq}").status for seq in range(1, 4)]
                db.rollback()
                return out

        greenlets = [gevent.spawn(candidate, aid) for aid in s.attempt_ids]
        gevent.joinall(greenlets, timeout=60, raise_error=True)
        db.expire_all()
        stored = {r.attempt_id: r.value for r in db.query(Response).filter(Response.attempt_id.in_(s.attempt_ids))}
        return {"native": native, "statuses": [g.value for g in greenlets],
                "stored": {str(k): v for k, v in stored.items()}, "attempts": s.attempt_ids}
    raise AssertionError("no app")


def test_gevent_primitives_without_monkey_patching(database_url: str, tmp_path: Path) -> None:
    """Socket.IO's own server under gevent, threading not patched: the committer is a greenlet
    and callers wait on gevent events (a threading wait would block every greenlet). In a fresh
    interpreter: greenlets other tests left behind in this one's hub must not run in between."""
    script = ("import json, sys; from pathlib import Path; "
              "from tests.server.test_group_commit import _gevent_run; "
              "print(json.dumps(_gevent_run(sys.argv[1], Path(sys.argv[2]))))")
    out = subprocess.run([sys.executable, "-c", script, database_url, str(tmp_path / "gevent")],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["native"]
    assert result["statuses"] == [["saved"] * 3] * 4
    assert result["stored"] == {str(a): "v3" for a in result["attempts"]}

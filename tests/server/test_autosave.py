"""Autosave: ack after commit, highest seq wins, replays idempotent, refusals logged; grading; auto-submit."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.app import start_background_jobs, stop_background_jobs
from exam_server.attempts import control
from exam_server.attempts.autosave import SaveRefused, save_answer
from exam_server.attempts.models import Attempt, Response
from exam_server.db import session as db
from exam_server.errors import ServiceError
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from tests.server.conftest import login_candidate
from tests.support.seed import CANDIDATE_PASSWORD, EXAMINER, seed_sitting


def test_highest_seq_wins_and_replays_are_idempotent(app: Flask) -> None:
    s = seed_sitting(start=True)
    aid, reg = s.attempt_ids[0], s.registration_ids[0]
    first = save_answer(aid, 1, 5, "B", registration_id=reg)
    assert first.status == "saved" and first.stored_seq == 5
    replay = save_answer(aid, 1, 5, "B", registration_id=reg)
    assert replay == first.__class__(**{**first.to_dict(), "status": "duplicate"})
    assert replay.saved_at == first.saved_at
    older = save_answer(aid, 1, 3, "C", registration_id=reg)  # arrived late, out of order
    assert older.status == "superseded" and older.stored_seq == 5
    newer = save_answer(aid, 1, 9, "A", registration_id=reg)
    assert newer.status == "saved"
    stored = db.get(Response, (aid, 1))
    assert (stored.value, stored.seq) == ("A", 9)
    # Concurrent deliveries of many sequence numbers: the highest stays, whatever the order.
    seqs = list(range(10, 40))
    order = seqs[::2][::-1] + seqs[1::2]

    def deliver(seq: int) -> str:
        with app.app_context():
            return save_answer(aid, 2, seq, ["A"] if seq % 2 else ["A", "C"], registration_id=reg).status

    db.rollback()  # give the connection back: SQLite's pool holds one
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(deliver, order))
    assert "saved" in statuses
    db.rollback()
    db.expire_all()
    stored = db.get(Response, (aid, 2))
    assert stored.seq == 39 and stored.value == ["A"]


def test_bad_values_and_foreign_attempts_change_nothing(app: Flask) -> None:
    s = seed_sitting(start=True)
    aid = s.attempt_ids[0]
    for q, value in ((1, "Z"), (1, 3), (3, "yes"), (6, {"a": "đúng"}), (7, "12345"), (99, "A")):
        with pytest.raises(ServiceError) as err:
            save_answer(aid, q, 1, value)
        assert err.value.code in ("attempts.bad_value", "attempts.bad_question")
    with pytest.raises(ServiceError):
        save_answer(aid, 1, -1, "A")
    with pytest.raises(ServiceError) as err:
        save_answer(aid, 1, 1, "A", registration_id=s.registration_ids[1])
    assert err.value.status == 404
    assert db.query(Response).filter(Response.attempt_id == aid).count() == 0


def test_refusals_are_explained_and_logged(app: Flask) -> None:
    s = seed_sitting(open_checkin=True)
    aid = s.attempt_ids[0]
    with pytest.raises(SaveRefused) as err:
        save_answer(aid, 1, 1, "A")
    assert err.value.code == "attempts.refused_not_started"
    lifecycle.start_sitting(s.sitting_id, EXAMINER)
    save_answer(aid, 1, 2, "A")
    control.set_locked(aid, True, EXAMINER, "chuyển máy")
    with pytest.raises(SaveRefused) as err:
        save_answer(aid, 1, 3, "B")
    assert err.value.code == "attempts.refused_locked"
    control.set_locked(aid, False, EXAMINER, "")
    lifecycle.pause_room(s.room_ids[0], EXAMINER, "mất điện")
    with pytest.raises(SaveRefused) as err:
        save_answer(aid, 1, 4, "B")
    assert err.value.code == "attempts.refused_paused"
    lifecycle.resume_room(s.room_ids[0], EXAMINER)
    assert save_answer(aid, 1, 2, "A").status == "duplicate"
    lifecycle.end_room(s.room_ids[0], EXAMINER, "kết thúc")
    with pytest.raises(SaveRefused) as err:
        save_answer(aid, 1, 5, "C")
    assert err.value.code == "attempts.refused_submitted"
    assert save_answer(aid, 1, 2, "A").status == "duplicate"  # a retry of an acked save still gets its ack
    refused = db.query(Event).filter(Event.attempt_id == aid, Event.action == "save.refused").order_by(Event.seq).all()
    assert [e.reason for e in refused] == ["attempts.refused_not_started", "attempts.refused_locked",
                                          "attempts.refused_paused", "attempts.refused_submitted"]
    assert db.get(Attempt, aid).score == 0.25  # question 1 "A" is correct


def test_http_save_grade_and_late_refusal(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(start=True, duration_s=3, grace_s=1)
    aid, headers = login_candidate(client, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)
    view = client.get("/api/v1/attempt").get_json()
    assert view["attempt"]["id"] == aid and len(view["questions"]) == 8
    assert "options" in view["questions"][0] and "fraction" not in view["questions"][0]["options"][0]
    assert abs(view["server_time_ms"] / 1000 - time.time()) < 5
    answers = {1: "A", 2: ["A", "C"], 3: True, 4: "nguyen du", 5: "3,14", 6: {"a": True, "b": True, "c": False, "d": True},
               7: "-1,5"}
    for q, value in answers.items():
        r = client.put(f"/api/v1/attempts/{aid}/responses/{q}", json={"seq": q, "value": value}, headers=headers)
        assert r.status_code == 200 and r.get_json()["status"] == "saved", r.get_json()
    r = client.put(f"/api/v1/attempts/{aid}/responses/1", json={"seq": 1, "value": "A"})  # no CSRF header
    assert r.status_code == 400
    deadline = db.get(Attempt, aid).closes_at.timestamp()
    time.sleep(max(0.0, deadline - time.time()) + 0.1)
    r = client.put(f"/api/v1/attempts/{aid}/responses/8", json={"seq": 8, "value": "muộn"}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "attempts.refused_deadline"
    assert "hết giờ" in r.get_json()["error"]["message"]
    db.expire_all()
    a = db.get(Attempt, aid)
    assert a.state == "submitted" and a.submitted_by == "server" and a.submitted_at == a.deadline_at
    # 0.25 + 1 + 0.25 + 0.5 + 0.5 + 0.5 (3 of 4 statements: official table) + 0.5; the essay is manual.
    assert a.score == pytest.approx(3.5) and a.max_score == pytest.approx(6.0)


def test_server_submits_on_time_by_itself(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.server.conftest import make_app

    app = make_app(database_url, tmp_path / "inst", EXAM_DEADLINE_CHECK_SECONDS=0.2)
    with app.app_context():
        s = seed_sitting(start=True, duration_s=2, grace_s=0, rooms=1, per_room=2)
        save_answer(s.attempt_ids[0], 1, 1, "A")
        control.add_extra_time(s.attempt_ids[1], 1, EXAMINER, "bổ sung")
        db.commit()
        start_background_jobs(app)
        deadline = time.time() + 15
        while time.time() < deadline:
            db.expire_all()
            states = [db.get(Attempt, a).state for a in s.attempt_ids]
            db.rollback()  # SQLite pools one connection: the job needs it while we sleep
            if states == ["submitted", "submitted"]:
                break
            time.sleep(0.1)
        db.expire_all()
        for aid in s.attempt_ids:
            a = db.get(Attempt, aid)
            assert (a.state, a.submitted_by) == ("submitted", "server")
            assert a.submitted_at == a.deadline_at  # the deadline, not when the job noticed
        assert db.get(Attempt, s.attempt_ids[0]).score == 0.25
        db.rollback()
        stop_background_jobs(app)


def test_same_seq_with_another_value_is_a_conflict_naming_the_stored_answer(app: Flask) -> None:
    """Issue #12, item 1: a (question, seq) stored with another value was acknowledged as a
    duplicate, so the page showed "Đã lưu" for a value the server did not hold."""
    from exam_server.attempts.autosave import SaveConflict

    s = seed_sitting(start=True)
    aid, reg = s.attempt_ids[0], s.registration_ids[0]
    assert save_answer(aid, 1, 5, "B", registration_id=reg).status == "saved"
    with pytest.raises(SaveConflict) as err:
        save_answer(aid, 1, 5, "C", registration_id=reg)  # a second writer numbered its change alike
    assert err.value.code == "attempts.conflict" and err.value.status == 409
    assert (err.value.stored_seq, err.value.stored_value) == (5, "B")
    assert err.value.to_dict()["stored_value"] == "B" and "1" in err.value.message("vi")
    db.rollback()
    db.expire_all()
    assert (db.get(Response, (aid, 1)).seq, db.get(Response, (aid, 1)).value) == (5, "B")
    # the same change again is still an idempotent duplicate, key order of objects aside
    assert save_answer(aid, 1, 5, "B", registration_id=reg).status == "duplicate"
    assert save_answer(aid, 6, 7, {"a": True, "b": False}, registration_id=reg).status == "saved"
    assert save_answer(aid, 6, 7, {"b": False, "a": True}, registration_id=reg).status == "duplicate"
    with pytest.raises(SaveConflict):
        save_answer(aid, 6, 7, {"a": True, "b": True}, registration_id=reg)
    # an older seq: superseded, with what the server holds instead
    older = save_answer(aid, 1, 3, "D", registration_id=reg)
    assert (older.status, older.stored_seq, older.stored_value) == ("superseded", 5, "B")
    assert older.to_dict()["stored_value"] == "B"
    refused = db.query(Event).filter(Event.attempt_id == aid, Event.action == "save.refused").all()
    assert [e.reason for e in refused] == ["attempts.conflict", "attempts.conflict"]
    # a conflict after the attempt closed is still a conflict, not an acknowledgement
    lifecycle.end_room(s.room_ids[0], EXAMINER, "kết thúc")
    with pytest.raises(SaveConflict):
        save_answer(aid, 1, 5, "A", registration_id=reg)
    assert save_answer(aid, 1, 5, "B", registration_id=reg).status == "duplicate"


def test_http_save_conflict_and_superseded_follow_the_contract(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(start=True)
    aid, headers = login_candidate(client, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)
    url = f"/api/v1/attempts/{aid}/responses/1"
    r = client.put(url, json={"seq": 5, "value": "B"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["ok"] is True and r.get_json()["status"] == "saved"
    r = client.put(url, json={"seq": 5, "value": "C"}, headers=headers)
    body = r.get_json()
    assert r.status_code == 409, body
    assert {k: body[k] for k in ("ok", "code", "stored_seq", "stored_value")} == {
        "ok": False, "code": "attempts.conflict", "stored_seq": 5, "stored_value": "B"}
    assert body["error"]["code"] == "attempts.conflict"  # the API's usual error envelope as well
    r = client.put(url, json={"seq": 5, "value": "B"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "duplicate"
    r = client.put(url, json={"seq": 4, "value": "D"}, headers=headers)
    body = r.get_json()
    assert r.status_code == 200 and body["ok"] is True
    assert (body["status"], body["stored_seq"], body["stored_value"]) == ("superseded", 5, "B")
    view = client.get("/api/v1/attempt").get_json()
    assert view["responses"]["1"] == {"value": "B", "seq": 5}

"""Room-wide extra time (issue #13): the monitor action `room.extra_time` and its REST twin
`POST /api/v1/rooms/<id>/extra-time` give the time to every candidate of the room still writing
or paused, in one transaction, logged per attempt, and push the new deadline to each of them.

Room P01 holds one candidate of every kind: writing, paused, handed in, locked, never logged in,
disqualified; P02 one writing candidate, who must not be touched."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.attempts import control, disqualification
from exam_server.attempts.candidate import submit
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import close_attempt
from exam_server.attempts.time_bounds import MAX_EXTRA_S_TOTAL
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor
from exam_server.events.models import Event
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, Seeded, seed_sitting, username

STAFF = Actor("examiner:test")
KINDS = ("writing", "paused", "submitted", "locked", "absent", "disqualified")


@dataclass
class Room:
    seeded: Seeded
    attempts: dict[str, int]  # kind -> attempt id in P01; "other": the writer in P02
    clients: dict[str, FlaskClient]  # the candidates who logged in


def _attempt(attempt_id: int) -> Attempt:
    db.expire_all()
    found = db.get(Attempt, attempt_id)
    assert found is not None
    return found


@pytest.fixture
def room(app: Flask) -> Room:
    s = seed_sitting(rooms=2, per_room=len(KINDS), start=True)
    attempts = dict(zip(KINDS, s.attempt_ids[:len(KINDS)], strict=True))
    attempts["other"] = s.attempt_ids[len(KINDS)]
    clients = {}
    for kind, sbd in [*zip(KINDS, s.sbds, strict=False), ("other", s.sbds[len(KINDS)])]:
        if kind == "absent":
            continue
        clients[kind] = app.test_client()
        assert login_candidate(clients[kind], s.sitting_id, sbd, CANDIDATE_PASSWORD)[0] == attempts[kind]
    control.pause_attempt(attempts["paused"], STAFF, "thí sinh mệt")
    submitted = _attempt(attempts["submitted"])
    submit(submitted.id, submitted.registration_id, Actor("candidate:test"))
    control.set_locked(attempts["locked"], True, STAFF, "đổi máy")
    disqualification.disqualify(db, _attempt(attempts["disqualified"]), STAFF, "mang tài liệu")
    db.commit()
    return Room(s, attempts, clients)


def _monitor(app: Flask, user: str) -> Any:
    from exam_server.extensions import socketio

    staff = app.test_client()
    login_staff(staff, user, STAFF_PASSWORD)
    return socketio.test_client(app, namespace="/monitor", flask_test_client=staff)


def _extras(room: Room) -> dict[str, int]:
    return {kind: _attempt(a).extra_s for kind, a in room.attempts.items()}


def test_the_action_extends_only_writing_and_paused_candidates_and_logs_each(app: Flask, room: Room) -> None:
    from exam_server.extensions import socketio

    s = room.seeded
    writing = _attempt(room.attempts["writing"])
    before = writing.deadline_at
    assert before is not None
    candidate = socketio.test_client(app, namespace="/exam", flask_test_client=room.clients["writing"],
                                     auth={"attempt": writing.id})
    monitor = _monitor(app, username(s, "inv1"))
    try:
        reply = monitor.emit("action", {"kind": "room.extra_time", "room": s.room_ids[0], "seconds": 600,
                                        "reason": "Mất điện 10 phút"}, namespace="/monitor", callback=True)
        assert reply == {"ok": True, "extended": 2}
        # the candidate's page gets its new deadline, announced as extra time (the single action's push)
        pushed: list[dict[str, Any]] = []
        for _ in range(50):
            pushed = [m["args"][0] for m in candidate.get_received("/exam") if m["name"] == "state"]
            if pushed:
                break
            time.sleep(0.1)
        assert pushed and pushed[-1]["extra_seconds_added"] == 600
    finally:
        monitor.disconnect(namespace="/monitor")
        candidate.disconnect(namespace="/exam")

    assert _extras(room) == {"writing": 600, "paused": 600, "submitted": 0, "locked": 0, "absent": 0,
                             "disqualified": 0, "other": 0}
    after = _attempt(room.attempts["writing"]).deadline_at
    assert after is not None and (after - before).total_seconds() == 600
    # one room entry naming the attempts, and one entry per attempt, as a single extension writes
    [room_entry] = db.scalars(select(Event).where(Event.sitting_id == s.sitting_id,
                                                  Event.action == "room.extra_time")).all()
    assert room_entry.room_id == s.room_ids[0] and room_entry.attempt_id is None
    assert room_entry.reason == "Mất điện 10 phút" and room_entry.actor.startswith("invigilator:")
    assert room_entry.data == {"seconds": 600, "attempts": sorted([room.attempts["writing"], room.attempts["paused"]])}
    entries = db.scalars(select(Event).where(Event.sitting_id == s.sitting_id, Event.action == "attempt.extra_time")
                         .order_by(Event.attempt_id)).all()
    assert [e.attempt_id for e in entries] == sorted([room.attempts["writing"], room.attempts["paused"]])
    assert all(e.reason == "Mất điện 10 phút" and e.data["seconds"] == 600 and e.data["room_wide"] for e in entries)


def test_reason_required_wrong_room_refused_nothing_changed(app: Flask, room: Room) -> None:
    s = room.seeded
    monitor = _monitor(app, username(s, "inv1"))
    try:
        action = {"kind": "room.extra_time", "room": s.room_ids[0], "seconds": 600, "reason": "  "}
        refused = monitor.emit("action", action, namespace="/monitor", callback=True)
        assert refused["ok"] is False and refused["code"] == "exams.reason_required" and refused["message"]
        other_room = monitor.emit("action", {**action, "room": s.room_ids[1], "reason": "mất điện"},
                                  namespace="/monitor", callback=True)
        assert other_room["ok"] is False and other_room["code"] == "monitor.error.forbidden"
        bad = monitor.emit("action", {**action, "seconds": 10 ** 9, "reason": "mất điện"}, namespace="/monitor",
                           callback=True)
        assert bad["ok"] is False and bad["code"] == "attempts.extra_time_out_of_range"
    finally:
        monitor.disconnect(namespace="/monitor")
    assert set(_extras(room).values()) == {0}
    assert db.scalar(select(Event).where(Event.sitting_id == s.sitting_id, Event.action.in_(
        ("room.extra_time", "attempt.extra_time")))) is None


def test_one_candidate_over_the_cap_refuses_the_whole_room(app: Flask, room: Room) -> None:
    s = room.seeded
    paused = _attempt(room.attempts["paused"])
    paused.extra_s = MAX_EXTRA_S_TOTAL - 60
    db.commit()
    client = app.test_client()
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    r = client.post(f"/api/v1/rooms/{s.room_ids[0]}/extra-time", json={"minutes": 5, "reason": "mất điện"},
                    headers=headers)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "attempts.room_extra_time_refused" and error["sbd"] == paused.registration.sbd
    assert _attempt(room.attempts["writing"]).extra_s == 0  # all or nothing


def test_rest_endpoint_roles_body_and_reply(app: Flask, room: Room) -> None:
    s = room.seeded
    url = f"/api/v1/rooms/{s.room_ids[0]}/extra-time"
    other = app.test_client()
    headers = login_staff(other, username(s, "inv2"), STAFF_PASSWORD)  # P02's invigilator
    assert other.post(url, json={"minutes": 5, "reason": "mất điện"}, headers=headers).status_code == 403

    client = app.test_client()
    headers = login_staff(client, username(s, "inv1"), STAFF_PASSWORD)
    no_reason = client.post(url, json={"minutes": 5}, headers=headers)
    assert no_reason.status_code == 409 and no_reason.get_json()["error"]["code"] == "exams.reason_required"
    both = client.post(url, json={"minutes": 5, "seconds": 300, "reason": "x"}, headers=headers)
    assert both.status_code == 400 and both.get_json()["error"]["code"] == "attempts.bad_extra_time_body"
    assert set(_extras(room).values()) == {0}

    r = client.post(url, json={"minutes": 5, "reason": "mất điện"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["count"] == 2
    assert sorted(a["attempt_id"] for a in body["attempts"]) == sorted([room.attempts["writing"],
                                                                        room.attempts["paused"]])
    assert all(a["extra_s"] == 300 for a in body["attempts"])
    assert _extras(room)["other"] == 0
    # taking the time back works the same way; with nobody left writing the room is refused
    assert client.post(url, json={"seconds": -300, "reason": "nhầm"}, headers=headers).get_json()["count"] == 2
    assert _extras(room)["writing"] == 0
    for kind in ("writing", "paused"):
        assert close_attempt(db, _attempt(room.attempts[kind]), at=utcnow(), by="staff", actor=STAFF, reason="thu bài")
    db.commit()
    nobody = client.post(url, json={"seconds": 60, "reason": "mất điện"}, headers=headers)
    assert nobody.status_code == 409 and nobody.get_json()["error"]["code"] == "attempts.room_extra_time_nobody"

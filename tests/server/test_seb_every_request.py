"""Safe Exam Browser on every candidate request and event, by the sitting's CURRENT policy
(issue #12, item 6), and at most 3 sockets per attempt (item 7).

Reproduced before the fix: `GET /api/v1/attempt` gave the paper without SEB proof, the HTTP
submit was not checked, and a socket connected before SEB was required (or before its keys
changed) kept saving, because the policy was read once at the handshake.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.attempts.models import Attempt, Response
from exam_server.db import session as db
from exam_server.exams.models import Sitting
from exam_server.seb import CONFIG_KEY_HEADER, REQUEST_HASH_HEADER, key_hash
from tests.server.conftest import login_candidate
from tests.support.seed import CANDIDATE_PASSWORD, seed_sitting

CK, BEK = secrets.token_hex(32), secrets.token_hex(32)
PAGE = "http://localhost/exam"


def _require(sitting_id: int, config_keys: list[str], beks: list[str], required: bool = True) -> None:
    sitting = db.get(Sitting, sitting_id)
    assert sitting is not None
    sitting.require_seb, sitting.seb_config = required, {"config_keys": config_keys, "browser_exam_keys": beks}
    db.commit()


def _signed(url: str, ck: str = CK, bek: str = BEK) -> dict[str, str]:
    return {CONFIG_KEY_HEADER: key_hash(url, ck), REQUEST_HASH_HEADER: key_hash(url, bek)}


def _js(ck: str = CK, bek: str = BEK) -> dict[str, Any]:
    return {"url": PAGE, "keys": {"configKey": key_hash(PAGE, ck), "browserExamKey": key_hash(PAGE, bek)}}


def _attempt(attempt_id: int) -> Attempt:
    db.expire_all()
    attempt = db.get(Attempt, attempt_id)
    assert attempt is not None
    return attempt


def _candidate(app: Flask, sitting_id: int, sbd: str) -> tuple[FlaskClient, int, dict[str, str]]:
    client = app.test_client()
    attempt_id, headers = login_candidate(client, sitting_id, sbd, CANDIDATE_PASSWORD)
    return client, attempt_id, headers


def test_paper_get_needs_seb_proof(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=2, start=True)
    _require(s.sitting_id, [CK], [BEK])
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    bare = client.get("/api/v1/attempt")
    assert bare.status_code == 403 and bare.get_json()["error"]["code"] == "seb.missing"
    assert "questions" not in bare.get_json()
    assert client.get(f"/api/v1/attempts/{attempt_id}").status_code == 403
    wrong = client.get("/api/v1/attempt", headers=_signed("http://localhost/api/v1/attempt", bek="0" * 64))
    assert wrong.status_code == 403 and wrong.get_json()["error"]["code"] == "seb.browser_exam_key_mismatch"
    _require(s.sitting_id, [CK], [BEK])  # an invigilator would unlock; here the policy is re-set
    db.get(Attempt, attempt_id).locked = False
    db.commit()
    # SEB's request headers, hashed for this request's URL
    ok = client.get("/api/v1/attempt", headers=_signed("http://localhost/api/v1/attempt"))
    assert ok.status_code == 200 and ok.get_json()["questions"]
    # SEB's JavaScript API (no headers): the page's keys in X-SEB-Keys
    other, _, _ = _candidate(app, s.sitting_id, s.sbds[1])
    ok_js = other.get("/api/v1/attempt", headers={"X-SEB-Keys": json.dumps(_js())})
    assert ok_js.status_code == 200 and ok_js.get_json()["questions"]


def test_http_submit_needs_seb_proof(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1, start=True)
    _require(s.sitting_id, [CK], [BEK])
    client, attempt_id, headers = _candidate(app, s.sitting_id, s.sbds[0])
    r = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={}, headers=headers)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "seb.missing"
    assert _attempt(attempt_id).state == "active"
    _attempt(attempt_id).locked = False
    db.commit()
    r = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={"seb": _js()}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert _attempt(attempt_id).state == "submitted"


def _socket(app: Flask, client: FlaskClient, attempt_id: int, seb: Any = None,
            headers: dict[str, str] | None = None) -> Any:
    from exam_server.extensions import socketio

    return socketio.test_client(app, namespace="/exam", flask_test_client=client,
                                auth={"attempt": attempt_id, "seb": seb}, headers=headers)


def _save(sock: Any, attempt_id: int, seq: int, value: str, seb: Any = None) -> dict[str, Any]:
    return sock.emit("save", {"attempt": attempt_id, "q": 1, "seq": seq, "value": value, "seb": seb},
                     namespace="/exam", callback=True)


def test_socket_opened_before_seb_was_required_is_checked_on_its_next_event(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1, start=True)
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    sock = _socket(app, client, attempt_id)
    try:
        assert sock.is_connected("/exam")
        assert _save(sock, attempt_id, 1, "A")["ok"]
        _require(s.sitting_id, [CK], [BEK])  # the examiner switches SEB on mid-exam
        refused = _save(sock, attempt_id, 2, "B")
        assert refused["ok"] is False and refused["code"] == "seb.missing"
        assert _attempt(attempt_id).locked  # held for an invigilator, answers kept
        hello = sock.emit("hello", {"attempt": attempt_id}, namespace="/exam", callback=True)
        assert hello["ok"] is False and hello["code"] == "seb.missing"  # no paper either
    finally:
        sock.disconnect(namespace="/exam")
    stored = db.scalars(select(Response.value).where(Response.attempt_id == attempt_id)).all()
    assert len(stored) == 1


def test_handshake_header_proof_is_rechecked_when_the_keys_change(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1, start=True)
    _require(s.sitting_id, [CK], [BEK])
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    sock = _socket(app, client, attempt_id, headers=_signed("http://localhost/socket.io"))
    try:
        assert sock.is_connected("/exam")
        assert _save(sock, attempt_id, 1, "A")["ok"]
        _require(s.sitting_id, [CK], [secrets.token_hex(32)])  # a new SEB build is the only one allowed
        refused = _save(sock, attempt_id, 2, "B")
        assert refused["ok"] is False and refused["code"] == "seb.browser_exam_key_mismatch"
        _require(s.sitting_id, [], [], required=False)
        _attempt(attempt_id).locked = False
        db.commit()
        assert _save(sock, attempt_id, 3, "C")["ok"]  # SEB switched off again: the current policy rules
    finally:
        sock.disconnect(namespace="/exam")


def test_js_keys_are_checked_on_every_event_against_current_keys(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1, start=True)
    _require(s.sitting_id, [CK], [BEK])
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    sock = _socket(app, client, attempt_id, seb=_js())
    try:
        assert sock.is_connected("/exam")
        assert _save(sock, attempt_id, 1, "A", seb=_js())["ok"]
        assert _save(sock, attempt_id, 2, "B")["code"] == "seb.missing"  # an event without keys
        _attempt(attempt_id).locked = False
        db.commit()
        new_ck = secrets.token_hex(32)
        _require(s.sitting_id, [new_ck], [BEK])
        assert _save(sock, attempt_id, 3, "C", seb=_js())["code"] == "seb.config_key_mismatch"
    finally:
        sock.disconnect(namespace="/exam")


def test_page_load_proof_is_rechecked_for_the_socket(app: Flask) -> None:
    """SEB builds that send headers on page loads only: the page vouches for the handshake, but
    only as long as its hashes match the sitting's current keys."""
    s = seed_sitting(rooms=1, per_room=1, start=True)
    _require(s.sitting_id, [CK], [BEK])
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    assert client.get("/exam", headers=_signed(PAGE)).status_code == 200
    sock = _socket(app, client, attempt_id)
    try:
        assert sock.is_connected("/exam")
        assert _save(sock, attempt_id, 1, "A")["ok"]
        _require(s.sitting_id, [secrets.token_hex(32)], [BEK])
        assert _save(sock, attempt_id, 2, "B")["code"] == "seb.config_key_mismatch"
    finally:
        sock.disconnect(namespace="/exam")


def test_at_most_three_sockets_per_attempt(app: Flask) -> None:
    from exam_server.realtime.connection_limit import for_app

    s = seed_sitting(rooms=1, per_room=2, start=True)
    client, attempt_id, _ = _candidate(app, s.sitting_id, s.sbds[0])
    socks = [_socket(app, client, attempt_id) for _ in range(3)]
    try:
        assert all(x.is_connected("/exam") for x in socks)
        fourth = _socket(app, client, attempt_id)
        assert not fourth.is_connected("/exam")  # refused: live.error.too_many_connections
        assert for_app(app).limit == 3
        # another candidate is not affected by the first one's tabs
        other, other_attempt, _ = _candidate(app, s.sitting_id, s.sbds[1])
        neighbour = _socket(app, other, other_attempt)
        assert neighbour.is_connected("/exam")
        neighbour.disconnect(namespace="/exam")
        socks[0].disconnect(namespace="/exam")  # closing a tab frees its place
        again = _socket(app, client, attempt_id)
        assert again.is_connected("/exam")
        socks[0] = again
    finally:
        for x in socks:
            if x.is_connected("/exam"):
                x.disconnect(namespace="/exam")

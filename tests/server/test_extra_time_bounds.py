"""Extra time is bounded (issue #12, item 8): 1 s–8 h per action, 8 h in total per attempt.

Before: 10⁸ s was accepted, 10¹² s gave HTTP 500 over the API and no socket answer at all.
Now every out-of-bounds value is a 4xx with a code, and the socket always answers.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.attempts.models import Attempt
from exam_server.attempts.time_bounds import MAX_EXTRA_S_TOTAL
from exam_server.db import session as db
from tests.server.conftest import login_staff
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _api(client: FlaskClient, headers: dict[str, str], attempt_id: int, seconds: object) -> tuple[int, str]:
    r = client.post(f"/api/v1/attempts/{attempt_id}/extra-time", json={"seconds": seconds, "reason": "quyết định 12"},
                    headers=headers)
    body = r.get_json()
    return r.status_code, (body.get("error") or {}).get("code", "")


def _extra(attempt_id: int) -> int:
    db.expire_all()
    attempt = db.get(Attempt, attempt_id)
    assert attempt is not None
    return attempt.extra_s


@pytest.mark.parametrize(("seconds", "code"), [
    (10 ** 8, "attempts.extra_time_out_of_range"),
    (10 ** 12, "attempts.extra_time_out_of_range"),
    (-(10 ** 12), "attempts.extra_time_out_of_range"),
    (10 ** 30, "attempts.extra_time_out_of_range"),
    (0, "attempts.extra_time_out_of_range"),
    (8 * 3600 + 1, "attempts.extra_time_out_of_range"),
    (1.5, "attempts.bad_seconds"),
    ("600", "attempts.bad_seconds"),
    (True, "attempts.bad_seconds"),
])
def test_api_refuses_out_of_bounds_with_a_4xx_code(app: Flask, client: FlaskClient, seconds: object, code: str) -> None:
    s = seed_sitting(start=True)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    status, got = _api(client, headers, s.attempt_ids[0], seconds)
    assert 400 <= status < 500 and got == code
    assert _extra(s.attempt_ids[0]) == 0  # nothing changed


def test_api_accepts_the_bounds_and_caps_the_total(app: Flask, client: FlaskClient) -> None:
    s = seed_sitting(start=True)
    headers = login_staff(client, username(s, "examiner"), STAFF_PASSWORD)
    attempt = s.attempt_ids[0]
    assert _api(client, headers, attempt, 1)[0] == 200
    assert _api(client, headers, attempt, 8 * 3600 - 1)[0] == 200
    assert _extra(attempt) == MAX_EXTRA_S_TOTAL
    status, code = _api(client, headers, attempt, 1)  # one second over the total cap
    assert status == 409 and code == "attempts.extra_time_total_cap"
    assert _api(client, headers, attempt, -3600)[0] == 200  # taking time back is within the bounds
    assert _extra(attempt) == MAX_EXTRA_S_TOTAL - 3600


@pytest.mark.parametrize(("seconds", "code"), [
    (10 ** 8, "attempts.extra_time_out_of_range"),
    (10 ** 12, "attempts.extra_time_out_of_range"),
    (10 ** 60, "attempts.extra_time_out_of_range"),
    ("x", "attempts.bad_seconds"),
    (None, "attempts.bad_seconds"),
])
def test_socket_action_always_answers_with_a_code(app: Flask, seconds: object, code: str) -> None:
    from exam_server.extensions import socketio

    s = seed_sitting(start=True)
    staff = app.test_client()
    login_staff(staff, username(s, "inv1"), STAFF_PASSWORD)
    monitor = socketio.test_client(app, namespace="/monitor", flask_test_client=staff)
    try:
        assert monitor.is_connected("/monitor")
        action = {"kind": "attempt.extra_time", "attempt": s.attempt_ids[0], "seconds": seconds, "reason": "bù giờ"}
        reply = monitor.emit("action", action, namespace="/monitor", callback=True)
        assert reply is not None and reply["ok"] is False and reply["code"] == code and reply["message"]
        ok = monitor.emit("action", {**action, "seconds": 600}, namespace="/monitor", callback=True)
        assert ok == {"ok": True}
        over = monitor.emit("action", {**action, "seconds": MAX_EXTRA_S_TOTAL}, namespace="/monitor", callback=True)
        assert over["ok"] is False and over["code"] == "attempts.extra_time_total_cap"
    finally:
        monitor.disconnect(namespace="/monitor")
    assert _extra(s.attempt_ids[0]) == 600

"""Abuse and bounds (issue #12, item 7): login limits sized for a school NAT, a per-account
limit, a limit on HTTP saves per attempt, and refused saves logged per burst with a count.

Reproduced before the fix: 10 logins a minute per address locked a room behind one NAT
address out, an account could be guessed from many addresses, HTTP saves were unlimited and
every refused save wrote its own audit entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from exam_server.attempts import control
from exam_server.attempts.autosave import SaveRefused, save_answer
from exam_server.db import session as db
from exam_server.events.models import Event
from tests.server.conftest import csrf, make_app
from tests.support.seed import CANDIDATE_PASSWORD, EXAMINER, seed_sitting

DEFAULTS = {"SECURITY_LOGIN_RATE_LIMIT": "200 per minute", "SECURITY_LOGIN_ACCOUNT_RATE_LIMIT": "10 per minute"}


@pytest.fixture
def limited(database_url: str, tmp_path: Path) -> Flask:
    app = make_app(database_url, tmp_path / "inst", **DEFAULTS, SECURITY_SAVE_RATE_LIMIT="5 per minute")
    with app.app_context():
        yield app
    from exam_server.db import db as dbx

    dbx.engine(app).dispose()


def _login(app: Flask, body: dict[str, object], address: str = "203.0.113.7") -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/api/v1/auth/candidate-login", json=body, headers=csrf(client)).status_code


def test_forty_candidates_behind_one_address_log_in_within_a_minute(limited: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=40)
    codes = [_login(limited, {"sitting_id": s.sitting_id, "sbd": sbd, "password": CANDIDATE_PASSWORD})
             for sbd in s.sbds]
    assert codes == [200] * 40
    # and a retry each (a mistyped password) still fits
    typos = [_login(limited, {"sitting_id": s.sitting_id, "sbd": sbd, "password": "sai"}) for sbd in s.sbds]
    assert set(typos) == {403}


def test_one_account_is_limited_from_any_address(limited: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=2)
    target = {"sitting_id": s.sitting_id, "sbd": s.sbds[0], "password": "đoán"}
    codes = [_login(limited, target, address=f"198.51.100.{i}") for i in range(11)]
    assert codes[:10] == [403] * 10 and codes[10] == 429
    # the right password for the locked account waits too; a neighbour's login is not affected
    right = {**target, "password": CANDIDATE_PASSWORD}
    assert _login(limited, right, address="198.51.100.99") == 429
    assert _login(limited, {**right, "sbd": s.sbds[1]}, address="198.51.100.1") == 200


def test_successful_logins_do_not_use_up_the_account_limit(limited: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1)
    body = {"sitting_id": s.sitting_id, "sbd": s.sbds[0], "password": CANDIDATE_PASSWORD}
    assert [_login(limited, body) for _ in range(12)] == [200] * 12  # e.g. moving workstation


def test_http_saves_are_limited_per_attempt_and_retryable(limited: Flask) -> None:
    from tests.server.conftest import login_candidate

    s = seed_sitting(rooms=1, per_room=2, start=True)
    client = limited.test_client()
    attempt_id, headers = login_candidate(client, s.sitting_id, s.sbds[0], CANDIDATE_PASSWORD)
    url = f"/api/v1/attempts/{attempt_id}/responses/1"
    statuses = [client.put(url, json={"seq": i, "value": "A"}, headers=headers).status_code for i in range(1, 7)]
    assert statuses == [200] * 5 + [429]
    refused = client.put(url, json={"seq": 7, "value": "B"}, headers=headers)
    body = refused.get_json()
    assert body["code"] == "attempts.save_rate_limited" and body["retry"] is True and body["message"]
    other = limited.test_client()
    other_id, other_headers = login_candidate(other, s.sitting_id, s.sbds[1], CANDIDATE_PASSWORD)
    assert other.put(f"/api/v1/attempts/{other_id}/responses/1", json={"seq": 1, "value": "A"},
                     headers=other_headers).status_code == 200


def _refused_events(attempt_id: int) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.attempt_id == attempt_id, Event.action == "save.refused")
                           .order_by(Event.id)))


def test_refused_saves_are_logged_once_per_burst_with_a_count(app: Flask) -> None:
    s = seed_sitting(rooms=1, per_room=1, start=True)
    aid = s.attempt_ids[0]
    control.set_locked(aid, True, EXAMINER, "đổi máy")
    for seq in range(1, 251):
        with pytest.raises(SaveRefused):
            save_answer(aid, 1, seq, "A")
    events = _refused_events(aid)
    assert 1 < len(events) <= 4  # the first at once, then a count every 100, not 250 entries
    assert events[0].data["count"] == 1 and events[0].reason == "attempts.refused_locked"
    # the attempt closes: the open count reaches the log, and the counts add up
    control.set_locked(aid, False, EXAMINER, "")
    from exam_server.exams import lifecycle

    lifecycle.end_room(s.room_ids[0], EXAMINER, "kết thúc")
    events = _refused_events(aid)
    assert sum(e.data["count"] for e in events) == 250
    assert all(e.data.get("coalesced") for e in events[1:])

"""The HTTP fallback follows the socket's rules: no paper before the start, SEB on every save."""

from __future__ import annotations

import io
import secrets

from flask import Flask
from sqlalchemy import select

from exam_server.attempts.models import Attempt, Response
from exam_server.db import session as db
from exam_server.exams import lifecycle
from exam_server.exams.models import Sitting
from exam_server.seb import CONFIG_KEY_HEADER, key_hash
from tests.server.conftest import login_candidate
from tests.support.seed import CANDIDATE_PASSWORD, EXAMINER, seed_sitting


def test_paper_is_secret_until_the_start(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=1)
    client = app.test_client()
    login_candidate(client, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    waiting = client.get("/api/v1/attempt").get_json()
    assert waiting["attempt"]["state"] == "pending" and waiting["questions"] == []
    lifecycle.start_sitting(seeded.sitting_id, EXAMINER)
    assert len(client.get("/api/v1/attempt").get_json()["questions"]) > 0


def test_http_save_checks_seb_and_locks_on_mismatch(app: Flask) -> None:
    config_key = secrets.token_hex(32)
    seeded = seed_sitting(rooms=1, per_room=2, start=True)
    sitting = db.get(Sitting, seeded.sitting_id)
    sitting.require_seb, sitting.seb_config = True, {"config_keys": [config_key], "browser_exam_keys": []}
    db.commit()

    good = app.test_client()
    attempt_id, headers = login_candidate(good, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    url = f"/api/v1/attempts/{attempt_id}/responses/1"
    signed = {**headers, CONFIG_KEY_HEADER: key_hash(f"http://localhost{url}", config_key)}
    r = good.put(url, json={"seq": 1, "value": "A"}, headers=signed)
    assert r.status_code == 200, r.get_json()

    bad = app.test_client()
    other_id, other_headers = login_candidate(bad, seeded.sitting_id, seeded.sbds[1], CANDIDATE_PASSWORD)
    r = bad.put(f"/api/v1/attempts/{other_id}/responses/1", json={"seq": 1, "value": "A"}, headers=other_headers)
    assert r.status_code == 403 and r.get_json()["error"]["code"].startswith("seb.")
    db.expire_all()
    assert db.get(Attempt, other_id).locked  # held for an invigilator to release
    stored = db.scalars(select(Response.attempt_id).where(Response.attempt_id.in_([attempt_id, other_id]))).all()
    assert stored == [attempt_id]


def test_seb_switched_on_mid_exam_applies_from_the_next_save(app: Flask) -> None:
    """The save statement itself learns whether SEB is required: nothing cached goes stale."""
    seeded = seed_sitting(rooms=1, per_room=1, start=True)
    client = app.test_client()
    attempt_id, headers = login_candidate(client, seeded.sitting_id, seeded.sbds[0], CANDIDATE_PASSWORD)
    url = f"/api/v1/attempts/{attempt_id}/responses/1"
    assert client.put(url, json={"seq": 1, "value": "A"}, headers=headers).status_code == 200

    sitting = db.get(Sitting, seeded.sitting_id)
    sitting.require_seb, sitting.seb_config = True, {"config_keys": [secrets.token_hex(32)], "browser_exam_keys": []}
    db.commit()
    r = client.put(url, json={"seq": 2, "value": "B"}, headers=headers)
    assert r.status_code == 403 and r.get_json()["error"]["code"].startswith("seb.")
    # A replay of the stored answer is refused too: the browser check comes before any ack.
    assert client.put(url, json={"seq": 1, "value": "A"}, headers=headers).status_code == 403
    db.expire_all()
    assert db.get(Attempt, attempt_id).locked
    assert db.scalars(select(Response.seq).where(Response.attempt_id == attempt_id)).all() == [1]


def test_examiner_sets_seb_keys_validated_and_logged(app: Flask) -> None:
    from exam_server.accounts.models import User
    from exam_server.events.models import Event
    from tests.server.conftest import login_staff
    from tests.support.seed import STAFF_PASSWORD

    seeded = seed_sitting(rooms=1, per_room=1)
    client = app.test_client()
    headers = login_staff(client, db.get(User, seeded.users["examiner"]).username, STAFF_PASSWORD)
    url = f"/api/v1/sittings/{seeded.sitting_id}/seb"
    bad = client.put(url, json={"required": True, "config_keys": ["abc"]}, headers=headers)
    assert bad.status_code == 400 and "config_keys" in bad.get_json()["error"]["message"]
    assert client.put(url, json={"required": True}, headers=headers).status_code == 400
    key, bek = secrets.token_hex(32).upper(), secrets.token_hex(32)
    # A Config Key alone is computable by anyone with the .seb file: refused, naming the field
    weak = client.put(url, json={"required": True, "config_keys": [key]}, headers=headers)
    assert weak.status_code == 400 and weak.get_json()["error"]["code"] == "exams.seb_browser_exam_keys_required"
    assert weak.get_json()["error"]["field"] == "browser_exam_keys"
    ok = client.put(url, json={"required": True, "config_keys": [key], "browser_exam_keys": [bek]}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["config_keys"] == [key.lower()]
    db.expire_all()
    sitting = db.get(Sitting, seeded.sitting_id)
    assert sitting.require_seb and sitting.seb_config["config_keys"] == [key.lower()]
    logged = db.scalars(select(Event).where(Event.action == "sitting.seb_settings",
                                            Event.sitting_id == seeded.sitting_id)).one()
    assert logged.data["config_keys"] == 1
    inv = app.test_client()
    inv_headers = login_staff(inv, db.get(User, seeded.users["inv1"]).username, STAFF_PASSWORD)
    assert inv.put(url, json={"required": False}, headers=inv_headers).status_code == 403


def test_oversized_upload_is_refused_before_it_is_read(app: Flask) -> None:
    from exam_server.accounts.models import User
    from tests.server.conftest import login_staff
    from tests.support.seed import STAFF_PASSWORD

    seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
    client = app.test_client()
    headers = login_staff(client, db.get(User, seeded.users["examiner"]).username, STAFF_PASSWORD)
    big = b"SBD,Ho va ten\n" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = client.post(f"/api/v1/sittings/{seeded.sitting_id}/roster", headers=headers,
                    data={"file": (io.BytesIO(big), "roster.csv")}, content_type="multipart/form-data")
    assert r.status_code == 413

"""The server side of check-in: station tokens, roster, recording, idempotency, authorization."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from exam_server.checkin.models import CheckIn
from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.models import Registration
from tests.support.seed import STAFF_PASSWORD, Seeded, username

API = "/api/v1/checkin"


def _token(app: Flask, seeded: Seeded, user: str = "inv1", room_index: int = 0) -> str:
    with app.app_context():
        name = username(seeded, user)
    response = app.test_client().post(f"{API}/devices", json={
        "username": name, "password": STAFF_PASSWORD, "room": str(seeded.room_ids[room_index]), "station": "Cửa P01"})
    assert response.status_code == 201, response.json
    return response.json["token"]


def _citizen(app: Flask, seeded: Seeded, index: int) -> str:
    with app.app_context():
        return db.get(Registration, seeded.registration_ids[index]).citizen_id


def _payload(citizen_id: str, **changes: Any) -> dict[str, Any]:
    body = {
        "checkin_id": str(uuid.uuid4()), "citizen_id": citizen_id, "station": "Cửa P01",
        "captured_at": "2026-11-23T08:00:00+07:00", "decision": "accepted", "reasons": [], "override": None,
        "chip": {"passed": True, "error": None, "failures": [],
                 "report": {"dg13": {"full_name": "A", "religion": "Không", "ethnicity": "Kinh"}}},
        "face": {"distance": 0.31, "threshold": 0.6, "matched": True, "score": 0.69},
    }
    body.update(changes)
    return body


def _with_csrf(app: Flask) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    return client, {"X-CSRFToken": client.get("/api/v1/auth/csrf").json["csrf_token"]}


def _candidate_login(app: Flask, code: str, seat: str) -> int:
    """Log in with a station's code at the workstation of the seat it was issued for."""
    client, headers = _with_csrf(app)
    return client.post("/api/v1/auth/candidate-login", json={"code": code, "seat": seat},
                       headers=headers).status_code


def _staff(app: Flask, name: str) -> tuple[Any, dict[str, str]]:
    client, headers = _with_csrf(app)
    login = client.post("/api/v1/auth/login", json={"username": name, "password": STAFF_PASSWORD}, headers=headers)
    assert login.status_code == 200, login.json
    return client, {"X-CSRFToken": login.json["csrf_token"]}


def _count(seeded: Seeded) -> int:
    return db.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.sitting_id == seeded.sitting_id))


def _post(app: Flask, token: str, body: dict[str, Any]) -> Any:
    return app.test_client().post(f"{API}/checkins", json=body, headers={"Authorization": f"Bearer {token}"})


def test_valid_checkin_gives_seat_and_a_code_that_logs_in(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    thumbnail = "/9j/4AAQSkZJRgABAQ=="  # a JPEG's first bytes: the exam keeps no thumbnails, so it is dropped
    response = _post(server_app, token, _payload(_citizen(server_app, seeded, 0), thumbnail_jpeg_b64=thumbnail))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "accepted" and body["seat"] == "M01" and len(body["login_code"]) == 8
    assert _candidate_login(server_app, body["login_code"], body["seat"]) == 200
    with server_app.app_context():
        record = db.scalar(select(CheckIn).where(CheckIn.client_id == body["checkin_id"]))
        assert "religion" not in record.verification["report"]["dg13"]
        assert "ethnicity" not in record.verification["report"]["dg13"]
        assert record.face == {"matched": True}  # no thumbnails kept: the outcome only, never a score
        assert record.thumbnail is None
        assert db.scalar(select(Event).where(Event.action == "checkin.accepted", Event.sitting_id == seeded.sitting_id)) is not None
    roster = server_app.test_client().get(f"{API}/roster", headers={"Authorization": f"Bearer {token}"}).json
    statuses = {c["sbd"]: c["status"] for c in roster["candidates"]}
    assert statuses[seeded.sbds[0]] == "checked_in" and statuses[seeded.sbds[1]] == "expected"


def test_resend_is_not_recorded_twice(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    body = _payload(_citizen(server_app, seeded, 1))
    first = _post(server_app, token, body)
    second = _post(server_app, token, body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json["duplicate"] is True and second.json["status"] == "accepted"
    # The resend's fresh code works; the unseen first one no longer does.
    assert _candidate_login(server_app, first.json["login_code"], second.json["seat"]) == 403
    assert _candidate_login(server_app, second.json["login_code"], second.json["seat"]) == 200
    with server_app.app_context():
        assert _count(seeded) == 1


def test_candidate_of_another_room_is_refused_naming_it(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    response = _post(server_app, token, _payload(_citizen(server_app, seeded, 3)))  # registered in P02
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "refused" and body["login_code"] is None
    assert body["reasons"][0]["code"] == "checkin.other_room"
    assert body["reasons"][0]["params"]["room"] == "P02"
    assert "P02" in body["message"]


def test_unknown_candidate_is_refused(server_app: Flask, seeded: Seeded) -> None:
    body = _post(server_app, _token(server_app, seeded), _payload("099999999999")).json
    assert body["status"] == "refused" and body["reasons"][0]["code"] == "checkin.not_on_roster"


def test_override_needs_reason_and_is_audited(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    citizen = _citizen(server_app, seeded, 2)
    mismatch = {"distance": 0.8, "threshold": 0.6, "matched": False, "score": 0.2}
    reasons = [{"code": "client.decision.face_mismatch", "params": {"distance": 0.8}}]
    unverified = _post(server_app, token, _payload(citizen, face=mismatch))
    assert unverified.status_code == 422 and unverified.json["error"]["code"] == "checkin.unverified_acceptance"
    blank = _post(server_app, token, _payload(citizen, face=mismatch, reasons=reasons,
                                              override={"reason": " ", "by": "x"}))
    assert blank.status_code == 422 and blank.json["error"]["code"] == "checkin.override_without_reason"
    ok = _post(server_app, token, _payload(citizen, face=mismatch, reasons=reasons,
                                           override={"reason": "Tóc cắt ngắn, đã đối chiếu CCCD giấy", "by": "x"}))
    assert ok.status_code == 201 and ok.json["status"] == "accepted" and ok.json["override"]
    with server_app.app_context():
        event = db.scalar(select(Event).where(Event.action == "checkin.override", Event.sitting_id == seeded.sitting_id))
        assert event.reason.startswith("Tóc cắt ngắn")
        assert event.actor.startswith("invigilator:inv1") and event.actor_id == seeded.users["inv1"]
        assert event.data["overridden"] == ["client.decision.face_mismatch"]
        assert _count(seeded) == 1  # refused bad requests changed nothing


def test_station_refusal_is_recorded_without_code(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    body = _post(server_app, token, _payload(
        _citizen(server_app, seeded, 0), decision="refused", chip={"passed": False, "failures": ["passive"]},
        reasons=[{"code": "client.decision.chip_failed", "params": {"detail": "passive"}}])).json
    assert body["status"] == "refused" and body["login_code"] is None
    assert body["reasons"][0]["code"] == "client.decision.chip_failed"


def test_bad_input_names_the_field(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    for change, field in [({"checkin_id": "x"}, "checkin_id"), ({"citizen_id": "12ab"}, "citizen_id"),
                          ({"decision": "maybe"}, "decision"), ({"captured_at": "yesterday"}, "captured_at"),
                          ({"thumbnail_jpeg_b64": "!!"}, "thumbnail_jpeg_b64")]:
        response = _post(server_app, token, {**_payload(_citizen(server_app, seeded, 0)), **change})
        assert response.status_code == 422, change
        assert field in response.json["error"]["message"], response.json
    with server_app.app_context():
        assert _count(seeded) == 0


def test_tokens_are_checked(server_app: Flask, seeded: Seeded) -> None:
    client = server_app.test_client()
    assert client.get(f"{API}/roster").status_code == 403
    assert client.get(f"{API}/roster", headers={"Authorization": "Bearer nope"}).status_code == 403
    with server_app.app_context():
        inv2 = username(seeded, "inv2")
    # An invigilator of P02 gets no token for P01; a wrong password gets nothing.
    other = client.post(f"{API}/devices", json={"username": inv2, "password": STAFF_PASSWORD,
                                                "room": str(seeded.room_ids[0])})
    assert other.status_code == 403 and other.json["error"]["code"] == "checkin.forbidden_room"
    wrong = client.post(f"{API}/devices", json={"username": inv2, "password": "wrong-password",
                                                "room": str(seeded.room_ids[1])})
    assert wrong.status_code == 403
    # Examiners may issue for any room; a revoked token stops working.
    token = _token(server_app, seeded, user="examiner", room_index=1)
    with server_app.app_context():
        examiner = username(seeded, "examiner")
    staff, headers = _staff(server_app, examiner)
    station_id = client.get(f"{API}/device", headers={"Authorization": f"Bearer {token}"}).json["station"]["id"]
    no_csrf = staff.post(f"{API}/stations/{station_id}/revoke")
    assert no_csrf.status_code == 400
    revoked = staff.post(f"{API}/stations/{station_id}/revoke", headers=headers)
    assert revoked.status_code == 200
    assert client.get(f"{API}/roster", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_examiner_sees_room_checkins(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    _post(server_app, token, _payload(_citizen(server_app, seeded, 0)))
    with server_app.app_context():
        examiner, inv2 = username(seeded, "examiner"), username(seeded, "inv2")
    staff, _ = _staff(server_app, examiner)
    listed = staff.get(f"{API}/rooms/{seeded.room_ids[0]}/checkins").json["checkins"]
    assert [c["sbd"] for c in listed] == [seeded.sbds[0]] and listed[0]["invigilator"].startswith("inv1")
    other, _ = _staff(server_app, inv2)
    assert other.get(f"{API}/rooms/{seeded.room_ids[0]}/checkins").status_code == 403
    assert server_app.test_client().get(f"{API}/rooms/{seeded.room_ids[0]}/checkins").status_code == 401


def test_exam_policy_turns_on_liveness_and_thumbnails(server_app: Flask, seeded: Seeded) -> None:
    import base64

    import cv2
    import numpy as np

    with server_app.app_context():
        from exam_server.exams.models import Sitting

        exam_id = db.get(Sitting, seeded.sitting_id).exam_id
        examiner, inv1 = username(seeded, "examiner"), username(seeded, "inv1")
    token = _token(server_app, seeded)
    device = server_app.test_client().get(f"{API}/device", headers={"Authorization": f"Bearer {token}"}).json
    assert device["settings"]["liveness"] == "" and device["settings"]["keep_face_thumbnails"] is False
    invigilator, inv_headers = _staff(server_app, inv1)
    refused = invigilator.put(f"{API}/exams/{exam_id}/policy", json={"liveness": "blink"}, headers=inv_headers)
    assert refused.status_code == 403
    staff, headers = _staff(server_app, examiner)
    bad = staff.put(f"{API}/exams/{exam_id}/policy", json={"liveness": "dance"}, headers=headers)
    assert bad.status_code == 422 and "liveness" in bad.json["error"]["message"]
    ok = staff.put(f"{API}/exams/{exam_id}/policy", json={"liveness": "blink", "keep_face_thumbnails": True},
                   headers=headers)
    assert ok.status_code == 200 and ok.json["liveness"] == "blink"
    device = server_app.test_client().get(f"{API}/device", headers={"Authorization": f"Bearer {token}"}).json
    assert device["settings"] == {**device["settings"], "liveness": "blink", "keep_face_thumbnails": True}
    thumbnail = base64.b64encode(cv2.imencode(".jpg", np.zeros((96, 96, 3), np.uint8))[1].tobytes()).decode()
    body = _post(server_app, token, _payload(_citizen(server_app, seeded, 0), thumbnail_jpeg_b64=thumbnail)).json
    with server_app.app_context():
        record = db.scalar(select(CheckIn).where(CheckIn.client_id == body["checkin_id"]))
        assert record.thumbnail is not None and record.thumbnail.startswith(b"\xff\xd8")


def test_examiner_dashboard_hears_the_check_in_live(server_app: Flask, seeded: Seeded) -> None:
    from exam_server.extensions import socketio

    with server_app.app_context():
        examiner = username(seeded, "examiner")
    staff, _ = _staff(server_app, examiner)
    monitor = socketio.test_client(server_app, namespace="/monitor", flask_test_client=staff)
    assert monitor.is_connected("/monitor")
    assert monitor.emit("watch", {"sitting": seeded.sitting_id}, namespace="/monitor", callback=True)["ok"]
    monitor.get_received("/monitor")
    body = _post(server_app, _token(server_app, seeded), _payload(_citizen(server_app, seeded, 0))).json
    heard = [m for m in monitor.get_received("/monitor") if m["name"] == "checkin"]
    assert heard and heard[0]["args"][0]["checkin"]["checkin_id"] == body["checkin_id"]
    assert heard[0]["args"][0]["checkin"]["sbd"] == seeded.sbds[0]
    monitor.disconnect(namespace="/monitor")

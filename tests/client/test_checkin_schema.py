"""One check-in schema for both sides of the wire (issue #16, item 4): `exam_common.checkin`.

The station builds its request with the class the server validates with, and parses the answer
with the class the server answers with; a malformed payload is refused naming every wrong field
by its path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from flask import Flask
from pydantic import ValidationError
from sqlalchemy import select

from exam_client.checkin import CheckinRunner
from exam_client.chip import ChipResult
from exam_client.decision import ChipOutcome, Override, decide
from exam_client.faces import DetectedFace, FaceProblem, FaceQualityError, MatchResult
from exam_client.outbox import EntryState, Outbox, ServerRejected
from exam_client.server_api import ServerClient
from exam_common import checkin as wire
from exam_server.checkin.models import CheckIn
from exam_server.db import session as db
from exam_server.exams.models import Registration
from tests.client.test_checkin_api import API, _payload, _post, _token
from tests.support.seed import Seeded

ROOT = Path(__file__).resolve().parents[2]


class _FlaskResponse:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code, self._body = status_code, body

    def json(self) -> Any:
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class _FlaskHttp:
    """`requests.Session.request` over the Flask test client, so the station's real client talks to the app."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def request(self, method: str, url: str, headers: dict[str, str], timeout: Any, **kwargs: Any) -> _FlaskResponse:
        response = self.client.open(url.removeprefix("http://server"), method=method, headers=headers, **kwargs)
        return _FlaskResponse(response.status_code, response.get_json(silent=True))


def _station_client(app: Flask, token: str) -> ServerClient:
    client = ServerClient("http://server", token=token)
    client._http = cast(Any, _FlaskHttp(app))
    return client


def _runner(keep_thumbnails: bool = False, station: str = "Cửa P01") -> CheckinRunner:
    """A runner for building payloads: `_payload` uses only the station name and thumbnail choice."""
    none, matcher = cast(Any, None), cast(Any, SimpleNamespace(analyse=None))
    return CheckinRunner(room="P01", station=station, invigilator="inv1", matcher=matcher, chip_reader=none,
                         outbox=none, server=none, roster=none, keep_thumbnails=keep_thumbnails)


def _chip(citizen_id: str, passed: bool = True, failures: tuple[str, ...] = ()) -> ChipResult:
    report = {"id_number": citizen_id, "verified": passed,
              "checks": [{"name": "passive_authentication", "status": "passed" if passed else "failed"}],
              "personal_data": {"id_number": citizen_id, "full_name": "Nguyễn Văn A", "date_of_birth": "01/02/2008",
                                "place_of_residence": "Số 12 Hàng Bạc"}}
    return ChipResult(outcome=ChipOutcome(citizen_id, passed=passed, failures=failures), report=report, photo=None)


def _citizen(app: Flask, seeded: Seeded, index: int) -> str:
    with app.app_context():
        reg = db.get(Registration, seeded.registration_ids[index])
        assert reg is not None
        return reg.citizen_id


def test_both_sides_use_the_same_classes() -> None:
    import exam_client.checkin as station_checkin
    import exam_client.server_api as station_api
    from exam_server.checkin import service

    assert station_checkin.CheckinRequest is wire.CheckinRequest is service.CheckinRequest
    assert station_api.CheckinRequest is wire.CheckinRequest
    assert station_api.CheckinAnswer is wire.CheckinAnswer is service.CheckinAnswer


def test_the_schema_imports_no_upper_layer() -> None:
    code = ("import sys, exam_common.checkin; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'exam_server', 'exam_client', 'card_reader', "
            "'flask'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_station_request_round_trips_through_the_server(server_app: Flask, seeded: Seeded, tmp_path: Path) -> None:
    """station builds -> outbox (JSON) -> ServerClient -> server validates, records -> station parses."""
    import cv2

    citizen = _citizen(server_app, seeded, 0)
    mismatch = MatchResult(distance=0.71, threshold=0.6)
    decision = decide(citizen_id=citizen, on_roster=True, other_room=None, chip=_chip(citizen).outcome,
                      face=mismatch, override=Override("Đã đối chiếu CCCD giấy", "inv1"))
    frame = np.full((120, 120, 3), 128, np.uint8)
    live = DetectedFace(box=(20, 20, 100, 100), embedding=np.zeros(128), sharpness=100.0, brightness=128.0)
    request = _runner(keep_thumbnails=True)._payload(str(uuid.uuid4()), decision, _chip(citizen), mismatch, live,
                                                     frame)
    assert isinstance(request, wire.CheckinRequest)
    body = request.to_wire()
    assert body["thumbnail_jpeg_b64"] and body["captured_at"].endswith(("Z", "+00:00"))
    assert wire.CheckinRequest.model_validate(json.loads(json.dumps(body))) == request  # what the server reads

    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.add(request.checkin_id, "P01", body)
    done = outbox.flush(_station_client(server_app, _token(server_app, seeded)).send_checkin)
    assert [e.state for e in done] == [EntryState.SENT]
    answer = wire.CheckinAnswer.model_validate(done[0].response)
    assert answer.status == "accepted" and answer.checkin_id == request.checkin_id and answer.duplicate is False
    assert answer.candidate is not None and answer.candidate.citizen_id == citizen
    assert answer.seat == "M01" and answer.login_code and answer.override == "Đã đối chiếu CCCD giấy"
    assert [r.code for r in answer.reasons] == ["client.decision.face_mismatch"]
    with server_app.app_context():
        record = db.scalar(select(CheckIn).where(CheckIn.client_id == request.checkin_id))
        assert record is not None
        # the allow-list still decides what is kept: no address, and scores only if the exam keeps them
        assert "place_of_residence" not in json.dumps(record.verification)
        assert record.verification["report"]["dg13"]["full_name"] == "Nguyễn Văn A"
        assert record.face == {"matched": False}
        assert record.captured_at is not None
    assert cv2.imdecode(np.frombuffer(request.thumbnail or b"", np.uint8), cv2.IMREAD_COLOR) is not None


def test_refusal_with_a_face_problem_round_trips(server_app: Flask, seeded: Seeded) -> None:
    citizen = _citizen(server_app, seeded, 1)
    problem = FaceQualityError(FaceProblem.TOO_DARK, "mean 12")
    chip = _chip(citizen, passed=False, failures=("passive_authentication",))
    decision = decide(citizen_id=citizen, on_roster=True, other_room=None, chip=chip.outcome, face=problem)
    request = _runner()._payload(str(uuid.uuid4()), decision, chip, problem, None, None)
    assert request.face == wire.FaceEvidence(problem="too_dark", detail="mean 12")
    station = _station_client(server_app, _token(server_app, seeded))
    answer = wire.CheckinAnswer.model_validate(station.send_checkin(request))
    assert answer.status == "refused" and answer.login_code is None and answer.seat is None
    assert [r.code for r in answer.reasons] == ["client.decision.chip_failed", "client.decision.face_unusable"]
    again = wire.CheckinAnswer.model_validate(station.send_checkin(request.to_wire()))
    assert again.duplicate is True and again.checkin_id == request.checkin_id


def test_malformed_payload_names_every_field_and_where(server_app: Flask, seeded: Seeded) -> None:
    token = _token(server_app, seeded)
    body = {**_payload(_citizen(server_app, seeded, 0)), "checkin_id": "x", "decision": "maybe",
            "reasons": [{"params": {}}, {"code": "a", "params": {"nested": {"x": 1}}}],
            "chip": {"passed": "yes", "report": ["not", "an", "object"]},
            "face": {"distance": "0.3"}, "override": {"reason": 5},
            "captured_at": "2026-11-23T08:00:00"}
    response = _post(server_app, token, body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "checkin.bad_request"
    fields = [e["field"] for e in error["errors"]]
    assert fields == ["checkin_id", "captured_at", "decision", "reasons[0].code", "reasons[1].params.nested",
                      "override.reason", "chip.passed", "chip.report", "face.distance"]
    codes = {e["field"]: e["problem_code"] for e in error["errors"]}
    assert codes["captured_at"] == "checkin.problem.time_zone" and codes["reasons[0].code"] == "checkin.problem.missing"
    assert codes["chip.report"] == "checkin.problem.object" and codes["face.distance"] == "checkin.problem.number"
    assert error["field"] == "checkin_id"  # the first one, where older stations look
    for field in fields:  # the message (Vietnamese by default) names each one
        assert field in error["message"]
    assert error["message"].startswith("Dữ liệu điểm danh không hợp lệ: checkin_id phải gồm")
    english_answer = server_app.test_client().post(f"{API}/checkins?lang=en", json=body,
                                                   headers={"Authorization": f"Bearer {token}"})
    assert english_answer.status_code == 422 and english_answer.json is not None
    english = english_answer.json["error"]
    assert "chip.report must be an object" in english["message"]
    assert "face.distance must be a number" in english["message"]


def test_too_large_thumbnail_and_lengths_are_refused(server_app: Flask, seeded: Seeded) -> None:
    import base64

    token = _token(server_app, seeded)
    big = base64.b64encode(b"\xff\xd8" + bytes(wire.MAX_THUMBNAIL_BYTES)).decode()
    response = _post(server_app, token, _payload(_citizen(server_app, seeded, 0), thumbnail_jpeg_b64=big,
                                                 reasons=[{"code": "x" * 101}] * (wire.MAX_REASONS + 1)))
    assert response.status_code == 422
    problems = {e["field"]: e for e in response.json["error"]["errors"]}
    assert problems["thumbnail_jpeg_b64"]["params"] == {"max_bytes": wire.MAX_THUMBNAIL_BYTES}
    assert problems["reasons"]["problem_code"] == "checkin.problem.too_many"
    assert problems["reasons"]["params"] == {"max_length": wire.MAX_REASONS}
    long_code = _post(server_app, token, _payload(_citizen(server_app, seeded, 0), reasons=[{"code": "x" * 101}]))
    assert long_code.json["error"]["errors"] == [{
        "field": "reasons[0].code", "problem_code": "checkin.problem.too_long", "params": {"max_length": wire.MAX_CODE},
        "problem": f"dài tối đa {wire.MAX_CODE} ký tự"}]


def test_station_refuses_before_queueing_what_the_server_would_refuse(server_app: Flask, seeded: Seeded) -> None:
    station = _station_client(server_app, _token(server_app, seeded))
    with pytest.raises(ServerRejected, match=r"citizen_id must be 12 digits; decision must be"):
        station.send_checkin({"checkin_id": str(uuid.uuid4()), "citizen_id": "12ab", "decision": "later"})
    with pytest.raises(ValidationError):
        _runner()._payload(str(uuid.uuid4()), decide(citizen_id="12ab", on_roster=True, other_room=None,
                                                      chip=ChipOutcome("12ab", passed=True), face=None),
                           _chip("12ab"), None, None, None)


def test_schema_keeps_what_stations_always_sent() -> None:
    """Empty strings and nulls for the optional parts, unknown keys, a long station name."""
    request = wire.CheckinRequest.model_validate({
        "checkin_id": "abcdefgh", "decision": "refused", "citizen_id": None, "captured_at": "",
        "thumbnail_jpeg_b64": "", "reasons": None, "chip": None, "station": "x" * 150, "address": "kept out"})
    assert request.citizen_id == "" and request.captured_at is None and request.thumbnail is None
    assert request.chip == wire.ChipEvidence() and len(request.station) == wire.MAX_STATION_NAME
    assert "address" not in request.to_wire()
    with pytest.raises(ValidationError) as caught:
        wire.CheckinRequest.model_validate({"checkin_id": "abcdefgh", "decision": "accepted", "captured_at": 1700000000})
    assert [p.code for p in wire.field_problems(caught.value)] == ["checkin.problem.captured_at"]


"""Personal data by allow-list (issue #12, item 12).

A station may send more than the server keeps (address, place of origin, sex, old ID, unknown
DG13 fields, the MRZ, sensitive fields spelled `"Religion"` or `"ethnicity "`, scores in reason
parameters). Reproduced before the fix: all of it was stored (only exact lower-case sensitive
keys were dropped), face scores were stored when the exam keeps no thumbnails, and `purge` left
the copy in the event log.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.checkin import service as checkin_service
from exam_server.checkin.models import CheckIn
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import append_event
from exam_server.events.models import Event
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.results import service as results_service
from tests.support.seed import EXAMINER, Seeded, seed_sitting

HOSTILE_VALUES = ("Số 12 Hàng Bạc, Hoàn Kiếm", "Nam Định", "Nam", "012345678", "Phật giáo", "Kinh",
                  "IDVNM0123456789", "nốt ruồi", "Nguyễn Văn Cha", "unknown-16", "P<VNM")


def _hostile_report(reg: Registration) -> dict[str, Any]:
    dob = reg.dob.strftime("%d/%m/%Y")
    return {
        "id_number": reg.citizen_id, "verified": True, "reader": "ACS ACR1252",
        "checks": [{"name": "passive_authentication", "status": "passed", "reason": "Nguyễn Văn Cha"}],
        "address": HOSTILE_VALUES[0],
        "personal_data": {
            "id_number": reg.citizen_id, "full_name": reg.full_name, "date_of_birth": dob,
            "sex": "Nam", "place_of_origin": "Nam Định", "place_of_residence": HOSTILE_VALUES[0],
            "old_id_number": "012345678", "Religion": "Phật giáo", "ethnicity ": "Kinh",
            "identifying_marks": "nốt ruồi", "parents": {"father": "Nguyễn Văn Cha"}, "field_16": "unknown-16",
        },
        "dg13": {" Full_Name ": reg.full_name, "RELIGION": "Phật giáo"},
        "mrz": {"document_number": "IDVNM0123456789", "sex": "M", "primary_name": "P<VNM"},
    }


def _station(seeded: Seeded) -> Any:
    user = db.get(User, seeded.users["inv1"])
    room = db.get(Room, seeded.room_ids[0])
    _token, station = checkin_service.issue_station_token(user, room, "Cửa P01")
    return station


def _record(seeded: Seeded, index: int, **changes: Any) -> CheckIn:
    reg = db.get(Registration, seeded.registration_ids[index])
    body: dict[str, Any] = {
        "checkin_id": str(uuid.uuid4()), "citizen_id": reg.citizen_id, "station": "Cửa P01",
        "captured_at": "2026-11-23T08:00:00+07:00", "decision": "accepted", "reasons": [], "override": None,
        "chip": {"passed": True, "error": None, "failures": [], "report": _hostile_report(reg)},
        "face": {"distance": 0.31, "threshold": 0.6, "matched": True, "score": 0.69, "detail": "Nguyễn Văn Cha"},
        "address": HOSTILE_VALUES[0],
    }
    body.update(changes)
    answer = checkin_service.record_checkin(_station(seeded), checkin_service.parse_checkin(body))
    record = db.scalar(select(CheckIn).where(CheckIn.client_id == answer["checkin_id"]))
    assert record is not None
    return record


def _keep_thumbnails(seeded: Seeded, keep: bool) -> None:
    sitting = db.get(Sitting, seeded.sitting_id)
    checkin_service.set_exam_policy(sitting.exam_id, db.get(User, seeded.users["examiner"]), liveness="",
                                    keep_face_thumbnails=keep)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _checkin_events(seeded: Seeded) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.sitting_id == seeded.sitting_id,
                                               Event.action.like("checkin.%")).order_by(Event.id)))


def test_only_id_name_birth_date_and_outcome_are_stored(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=2)
    record = _record(seeded, 0)
    reg = db.get(Registration, seeded.registration_ids[0])
    stored = _text({"verification": record.verification, "face": record.face, "reasons": record.reasons})
    for value in HOSTILE_VALUES:
        assert value not in stored, value
    assert record.verification["report"]["dg13"] == {
        "id_number": reg.citizen_id, "full_name": reg.full_name, "date_of_birth": reg.dob.strftime("%d/%m/%Y")}
    assert record.verification["report"]["checks"] == [{"name": "passive_authentication", "status": "passed"}]
    assert record.verification["passed"] is True and record.citizen_id == reg.citizen_id
    # the exam keeps no thumbnails: no scores either, only the outcome
    assert record.face == {"matched": True}
    for event in _checkin_events(seeded):
        assert "0.31" not in _text(event.data) and "0.69" not in _text(event.data)
        for value in HOSTILE_VALUES:
            assert value not in _text(event.data)


def test_scores_and_reason_parameters_follow_the_exams_choice(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=2)
    mismatch = {"distance": 0.8, "threshold": 0.6, "matched": False, "score": 0.2}
    reasons = [{"code": "client.decision.face_mismatch",
                "params": {"distance": 0.8, "threshold": 0.6, "address": HOSTILE_VALUES[0], "Religion": "Kinh"}}]
    refused = _record(seeded, 0, decision="refused", face=mismatch, reasons=reasons)
    assert refused.face == {"matched": False}
    assert refused.reasons == [{"code": "client.decision.face_mismatch", "params": {}}]
    _keep_thumbnails(seeded, True)
    kept = _record(seeded, 1, decision="refused", face=mismatch, reasons=reasons)
    assert kept.face == mismatch
    assert kept.reasons == [{"code": "client.decision.face_mismatch", "params": {"distance": 0.8, "threshold": 0.6}}]
    for event in _checkin_events(seeded):  # the log never holds a score, kept or not
        assert "0.8" not in _text(event.data) and "0.2" not in _text(event.data)


@pytest.mark.parametrize("keep", [True, False])
def test_purge_removes_every_copy_and_leaves_a_record(app: Flask, keep: bool) -> None:
    seeded = seed_sitting(rooms=1, per_room=2)
    _keep_thumbnails(seeded, keep)
    mismatch = {"distance": 0.8, "threshold": 0.6, "matched": False, "score": 0.2}
    reasons = [{"code": "client.decision.face_mismatch", "params": {"distance": 0.8, "threshold": 0.6}}]
    record = _record(seeded, 0, decision="refused", face=mismatch, reasons=reasons,
                     thumbnail_jpeg_b64="/9j/4AAQSkZJRgABAQ==")
    # an entry written before the allow-list: the score is in the event payload
    legacy = append_event(db, "checkin.accepted", EXAMINER, sitting_id=seeded.sitting_id, room_id=seeded.room_ids[0],
                          data={"checkin_id": "legacy-0001", "sbd": seeded.sbds[1],
                                "face": {"distance": 0.33, "threshold": 0.6, "matched": True, "score": 0.67}})
    db.commit()
    summary = results_service.purge_biometrics(db, utcnow() + timedelta(seconds=1), EXAMINER)
    db.expire_all()
    record = db.get(CheckIn, record.id)
    assert record.thumbnail is None
    assert record.face in (None, {"matched": False})
    assert record.reasons == [{"code": "client.decision.face_mismatch", "params": {}}]
    assert db.get(Event, legacy.id).data["face"] == {"matched": True}
    for event in _checkin_events(seeded):
        assert not any(s in _text(event.data) for s in ("0.33", "0.67", "0.8", "distance", "score"))
    assert summary["events"] >= 1 and summary["checkins"] >= (1 if keep else 0)  # the database is shared
    purge = db.scalars(select(Event).where(Event.action == "data.purged").order_by(Event.id.desc())).first()
    assert purge is not None and purge.data["checkins"] == summary["checkins"]
    assert legacy.id in [e["id"] for e in purge.data["event_entries"]]

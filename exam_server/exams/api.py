"""JSON API for staff: sittings and rooms (lifecycle), login codes, roster import, scores."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.accounts.service import issue_login_code
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.errors import NotFound, ServiceError
from exam_server.events.log import append_event
from exam_server.exams import lifecycle, roster
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.i18n import register

bp = Blueprint("exams_api", __name__, url_prefix="/api/v1")
HEX64 = re.compile(r"[0-9a-f]{64}")

register({
    "vi": {
        "exams.seb_bad_keys": "{field}: mỗi khóa SEB là 64 ký tự hex.",
        "exams.seb_keys_required": "Bắt buộc SEB thì cần ít nhất một Config Key hoặc Browser Exam Key.",
    },
    "en": {
        "exams.seb_bad_keys": "{field}: each SEB key is 64 hex characters.",
        "exams.seb_keys_required": "Requiring SEB needs at least one Config Key or Browser Exam Key.",
    },
})


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def room_dict(room: Room) -> dict[str, Any]:
    return {"id": room.id, "name": room.name, "state": room.state, "capacity": room.capacity,
            "seats": room.seats, "started_at": _iso(room.started_at), "paused_since": _iso(room.paused_since),
            "invigilators": [u.username for u in room.invigilators]}


def sitting_dict(sitting: Sitting) -> dict[str, Any]:
    return {"id": sitting.id, "exam_id": sitting.exam_id, "name": sitting.name, "subject": sitting.subject,
            "state": sitting.state, "scheduled_start": _iso(sitting.scheduled_start),
            "duration_s": sitting.duration_s, "late_entry_s": sitting.late_entry_s, "grace_s": sitting.grace_s,
            "allow_password_login": sitting.allow_password_login, "started_at": _iso(sitting.started_at),
            "ended_at": _iso(sitting.ended_at), "rooms": [room_dict(r) for r in sitting.rooms]}


def _reason() -> str:
    data = request.get_json(silent=True) or {}
    return str(data.get("reason", "")) if isinstance(data, dict) else ""


@bp.get("/sittings")
@auth.staff_required
def sittings() -> Any:
    return jsonify(sittings=[sitting_dict(s) for s in db.scalars(select(Sitting).order_by(Sitting.id))])


@bp.get("/sittings/<int:sitting_id>")
@auth.staff_required
def sitting(sitting_id: int) -> Any:
    return jsonify(sitting_dict(lifecycle.get_sitting(sitting_id)))


SITTING_ACTIONS = {
    "open-checkin": lifecycle.open_checkin,
    "start": lifecycle.start_sitting,
    "pause": lifecycle.pause_sitting,
    "resume": lifecycle.resume_sitting,
    "end": lifecycle.end_sitting,
}


@bp.post("/sittings/<int:sitting_id>/<any(" + ",".join(f"'{a}'" for a in SITTING_ACTIONS) + "):action>")
@auth.examiner_required
def sitting_action(sitting_id: int, action: str) -> Any:
    result = SITTING_ACTIONS[action](sitting_id, auth.current_actor(), _reason())
    return jsonify(sitting_dict(result))


ROOM_ACTIONS = {
    "start": lifecycle.start_room,
    "pause": lifecycle.pause_room,
    "resume": lifecycle.resume_room,
    "end": lifecycle.end_room,
}


@bp.get("/rooms/<int:room_id>")
@auth.staff_required
def room(room_id: int) -> Any:
    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    attempts = {a.registration_id: a for a in db.scalars(
        select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
        .where(Registration.room_id == room.id))}
    candidates = []
    for reg in room.registrations:
        a = attempts.get(reg.id)
        candidates.append({"registration_id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name, "seat": reg.seat,
                           "attempt_id": a.id if a else None, "state": a.state if a else None,
                           "locked": a.locked if a else False, "deadline": _iso(a.deadline_at) if a else None})
    return jsonify(room=room_dict(room), candidates=candidates)


@bp.post("/rooms/<int:room_id>/<any(" + ",".join(ROOM_ACTIONS) + "):action>")
@auth.staff_required
def room_action(room_id: int, action: str) -> Any:
    auth.require_room_access(lifecycle.get_room(room_id))
    result = ROOM_ACTIONS[action](room_id, auth.current_actor(), _reason())
    return jsonify(room_dict(result))


@bp.post("/registrations/<int:registration_id>/login-code")
@auth.staff_required
def login_code(registration_id: int) -> Any:
    """Issue a one-time code for the candidate (optionally for another seat: {"seat": "M07"})."""
    reg = db.get(Registration, registration_id)
    if reg is None:
        raise NotFound("accounts.registration_not_found")
    if reg.room is None:
        raise ServiceError("exams.no_room")
    auth.require_room_access(reg.room)
    data = request.get_json(silent=True) or {}
    seat = data.get("seat") if isinstance(data, dict) else None
    code, issued = issue_login_code(reg.id, auth.current_actor(), seat=str(seat) if seat else None)
    return jsonify(code=code, seat=issued.seat, expires_at=_iso(issued.expires_at), registration_id=reg.id)


@bp.post("/sittings/<int:sitting_id>/roster")
@auth.examiner_required
def import_roster(sitting_id: int) -> Any:
    """multipart/form-data with `file` (.csv or .xlsx); all rows or none."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError("exams.roster_file_missing")
    result = roster.import_roster(sitting_id, upload.filename, upload.read(), auth.current_actor())
    return jsonify(imported=result.imported)


@bp.get("/sittings/<int:sitting_id>/scores")
@auth.examiner_required
def scores(sitting_id: int) -> Any:
    lifecycle.get_sitting(sitting_id)
    rows = db.execute(
        select(Registration, Attempt).outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id).order_by(Registration.sbd)
    )
    return jsonify(scores=[{
        "sbd": reg.sbd, "full_name": reg.full_name, "room": reg.room.name if reg.room else "",
        "attempt_id": a.id if a else None, "state": a.state if a else None,
        "score": a.score if a else None, "max_score": a.max_score if a else None,
        "submitted_at": _iso(a.submitted_at) if a else None, "submitted_by": a.submitted_by if a else "",
    } for reg, a in rows])


@bp.put("/sittings/<int:sitting_id>/seb")
@auth.examiner_required
def seb_settings(sitting_id: int) -> Any:
    """Require Safe Exam Browser: {"required": true, "config_keys": [hex], "browser_exam_keys": [hex]}.

    Keys are the raw 64-hex Config Keys / Browser Exam Keys (several: one per SEB build).
    """
    data = json_body()
    sitting = lifecycle.get_sitting(sitting_id)
    keys: dict[str, list[str]] = {}
    for field in ("config_keys", "browser_exam_keys"):
        values = data.get(field, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and HEX64.fullmatch(v.strip().lower())
                                                   for v in values):
            raise ServiceError("exams.seb_bad_keys", field=field)
        keys[field] = [v.strip().lower() for v in values]
    required = bool(data.get("required", False))
    if required and not (keys["config_keys"] or keys["browser_exam_keys"]):
        raise ServiceError("exams.seb_keys_required")
    sitting.require_seb, sitting.seb_config = required, keys
    append_event(db, "sitting.seb_settings", auth.current_actor(), sitting_id=sitting_id,
                 data={"required": required, **{k: len(v) for k, v in keys.items()}})
    db.commit()
    return jsonify({"sitting_id": sitting_id, "required": required, **keys})

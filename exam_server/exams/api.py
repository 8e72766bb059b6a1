"""JSON API for staff: sittings and rooms (lifecycle), login codes, roster import (the scores
are in `results.api`)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, make_response, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.db import session as db
from exam_server.errors import NotFound, ServiceError
from exam_server.events.log import append_event
from exam_server.exams import candidates, lifecycle, login_codes, room_clock, roster, setup_changes
from exam_server.exams.candidate_login import issue_login_code
from exam_server.exams.models import Registration, Room, Sitting
from exam_server.exams.setup_forms import read_sitting, room_form_values
from exam_server.i18n import CATALOGUE, coded, translate

bp = Blueprint("exams_api", __name__, url_prefix="/api/v1")
HEX64 = re.compile(r"[0-9a-f]{64}")

CATALOGUE.register(
    coded("exams.seb_bad_keys", "{field}: each SEB key is 64 hex characters."),
    coded("exams.seb_keys_required", "Requiring SEB needs at least one Config Key or Browser Exam Key."),
    coded("exams.seb_browser_exam_keys_required", "Requiring SEB needs at least one Browser Exam Key: a Config Key alone can be computed by anyone holding the .seb file, so it proves nothing about the browser."),
    coded("exams.end_needs_confirm", "{what}: {writing_count} candidates are still writing and {rooms_count} rooms have not started. Confirm to end."),
    coded("exams.end_reason_required", "A reason for ending is required ({what})."),
    coded("exams.login_codes_none", "No candidate of room {room} needs a login code."),
    coded("exams.login_codes_closed", "Codes are issued only while the room is checking in or writing."),
    coded("exams.end.reason", "Reason for ending"),
    coded("exams.end.title", "End now?"),
    coded("exams.end.writing", "Candidates still writing"),
    coded("exams.end.rooms", "Rooms that have not started"),
    coded("exams.end.nobody", "Nobody is still writing."),
    coded("exams.end.warning", "Open attempts are submitted at once; candidates who never started are recorded as absent. This cannot be undone."),
    coded("exams.end.confirm", "End"),
    coded("exams.end.cancel", "Go back"),
    coded("exams.end.room", "End the room"),
    coded("exams.codes.title", "Login codes for the whole room"),
    coded("exams.codes.help", "Print cut-out slips (name, candidate number, seat, code, login address) for every candidate who has not logged in. Candidates already holding a valid code get no new one unless you choose to re-issue."),
    coded("exams.codes.reissue", "Also re-issue codes already handed out (the old ones stop working)"),
    coded("exams.codes.print", "Print login code slips (PDF)"),
    coded("exams.slips.room", "Room"),
    coded("exams.slips.sitting_code", "Sitting code"),
    coded("exams.slips.sbd", "Cand. no."),
    coded("exams.slips.seat", "Seat"),
    coded("exams.slips.url", "Log in at"),
    coded("exams.slips.title", "Login codes of room {room}"),
    coded("exams.slips.already", "Already hold a valid code (not reprinted; choose re-issue if a candidate lost it):"),
)


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


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _reason() -> str:
    return str(_body().get("reason", ""))[:500]


def _end_request() -> tuple[str, bool, bool]:
    """(reason, confirm) of an end request. Who is still writing is checked first (409 names
    them, so the page can show its dialog), then the reason (required: the end is logged)."""
    if request.is_json:
        data: Any = _body()
        confirm = data.get("confirm") is True
        check = data.get("check") is True
    else:  # the page's form without JavaScript
        data = request.form
        confirm, check = data.get("confirm") in ("1", "true", "on"), False
    reason = str(data.get("reason", "") or "").strip()[:500]
    return reason, confirm, check


def _require_end_reason(reason: str, what: str) -> None:
    if not reason:
        raise ServiceError("exams.end_reason_required", field="reason", what=what)


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
}


@bp.post("/sittings/<int:sitting_id>/<any(" + ",".join(f"'{a}'" for a in SITTING_ACTIONS) + "):action>")
@auth.examiner_required
def sitting_action(sitting_id: int, action: str) -> Any:
    result = SITTING_ACTIONS[action](sitting_id, auth.current_actor(), _reason())
    return jsonify(sitting_dict(result))


@bp.post("/sittings/<int:sitting_id>/end")
@auth.examiner_required
def end_sitting(sitting_id: int) -> Any:
    """End the sitting: 409 naming who is still writing and which rooms never started, unless
    the body has "confirm": true; a "reason" is required (400 naming the field)."""
    sitting = lifecycle.get_sitting(sitting_id)
    reason, confirm, check = _end_request()
    if (check or not confirm) and sitting.state in ("checkin_open", "started"):
        lifecycle.end_sitting_check(sitting)
    if check:  # the page's dialog asks first, even when nobody is writing
        return jsonify(writing=[], rooms_not_started=[])
    _require_end_reason(reason, sitting.name)
    return jsonify(sitting_dict(lifecycle.end_sitting(sitting_id, auth.current_actor(), reason, confirm=confirm)))


ROOM_ACTIONS = {
    "start": lifecycle.start_room,
    "pause": lifecycle.pause_room,
    "resume": lifecycle.resume_room,
}


@bp.get("/rooms/<int:room_id>")
@auth.staff_required
def room(room_id: int) -> Any:
    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    attempts = room_clock.current().attempts_in_room(room)
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


@bp.post("/rooms/<int:room_id>/end")
@auth.staff_required
def end_room(room_id: int) -> Any:
    """End the room: 409 naming the candidates still writing unless "confirm": true; a
    "reason" is required (400 naming the field)."""
    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    reason, confirm, check = _end_request()
    if (check or not confirm) and room.state in ("started", "paused"):
        lifecycle.end_room_check(room)
    if check:
        return jsonify(writing=[], rooms_not_started=[])
    _require_end_reason(reason, room.name)
    return jsonify(room_dict(lifecycle.end_room(room_id, auth.current_actor(), reason, confirm=confirm)))


def _slip_labels(room: Room) -> dict[str, str]:
    sitting = room.sitting
    return {
        "heading": f"{sitting.exam.name} · {sitting.name} · {translate('exams.slips.room')} {room.name}"
                   f" · {translate('exams.slips.sitting_code')}: {sitting.id}",
        "sbd": translate("exams.slips.sbd"), "seat": translate("exams.slips.seat"),
        "url": translate("exams.slips.url"), "title": translate("exams.slips.title", room=room.name),
        "already": translate("exams.slips.already"), "none": translate("exams.login_codes_none", room=room.name),
    }


@bp.post("/rooms/<int:room_id>/login-codes")
@auth.staff_required
def room_login_codes(room_id: int) -> Any:
    """One-time codes for every candidate of the room who has not logged in.

    JSON: {"codes": [{registration_id, sbd, full_name, seat, code, expires_at}], "already_issued": [...]}.
    Candidates still holding a valid unused code are only listed under "already_issued" unless
    the request asks `"reissue": true` (which replaces their codes). `?format=pdf` (the room
    page's form) answers with the cut-out slips instead.
    """
    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    data = _body() if request.is_json else request.form
    reissue = data.get("reissue") in (True, "1", "true", "on")
    issued = login_codes.issue_room_codes(room, auth.current_actor(), reissue=reissue)
    if request.args.get("format") != "pdf":
        return jsonify(codes=issued.codes, already_issued=issued.already_issued)
    login_url = url_for("live.login", sitting=room.sitting_id, _external=True)
    pdf = login_codes.slips_pdf(issued.codes, issued.already_issued, login_url, _slip_labels(room))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="ma-dang-nhap-phong-{room.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


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


@bp.post("/sittings/<int:sitting_id>/roster/preview")
@auth.examiner_required
def preview_roster(sitting_id: int) -> Any:
    """The rows an import of this file would store and every error by row/column; stores nothing."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError("exams.roster_file_missing")
    records, errors = roster.check_roster(sitting_id, upload.filename, upload.read())
    return jsonify(ok=not errors, count=len(records), rows=[roster.preview_row(r) for r in records],
                   errors=[{"row": e.row, "column": e.column, "message": e.message} for e in errors])


@bp.get("/sittings/<int:sitting_id>/roster/template")
@auth.examiner_required
def roster_template(sitting_id: int) -> Any:
    """The XLSX template the importer reads (header and two example rows)."""
    lifecycle.get_sitting(sitting_id)
    response = make_response(candidates.template_xlsx())
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = 'attachment; filename="mau-danh-sach-thi-sinh.xlsx"'
    return response


@bp.get("/sittings/<int:sitting_id>/registrations")
@auth.examiner_required
def list_registrations(sitting_id: int) -> Any:
    """The sitting's candidates in SBD order; `q` searches SBD, name, CCCD, school, class."""
    lifecycle.get_sitting(sitting_id)
    found = candidates.search(sitting_id, request.args.get("q", ""))
    return jsonify(sitting_code=sitting_id, registrations=[candidates.as_json(r) for r in found])


@bp.patch("/registrations/<int:registration_id>")
@auth.examiner_required
def update_registration(registration_id: int) -> Any:
    """Fields: full_name, dob (dd/mm/yyyy), citizen_id, school, class_name, room_id, seat,
    extra_time ("15" minutes or "25%"), password. 409 once the candidate is checked in."""
    reg = candidates.update_registration(registration_id, json_body(), auth.current_actor())
    return jsonify(candidates.as_json(reg))


@bp.delete("/registrations/<int:registration_id>")
@auth.examiner_required
def remove_registration(registration_id: int) -> Any:
    """Remove a candidate not yet checked in; 409 naming the candidate after check-in."""
    data = request.get_json(silent=True) or {}
    candidates.remove_registration(registration_id, auth.current_actor(), str(data.get("reason", "")))
    return jsonify(removed=registration_id)


@bp.post("/sittings/<int:sitting_id>/duplicate")
@auth.examiner_required
def duplicate_sitting(sitting_id: int) -> Any:
    """A new scheduled sitting with the same settings and rooms (no candidates, no papers)."""
    copy = setup_changes.duplicate_sitting(sitting_id, auth.current_actor(), translate("exams.copy_suffix"))
    return jsonify(id=copy.id, name=copy.name, rooms=[r.id for r in copy.rooms]), 201


@bp.patch("/sittings/<int:sitting_id>")
@auth.examiner_required
def update_sitting(sitting_id: int) -> Any:
    """The new-sitting form's fields as JSON (name, subject, starts_at "dd/mm/yyyy hh:mm",
    duration_minutes, late_entry_minutes, grace_seconds, allow_password_login); only before
    check-in (409 after); every bad field named (400, `fields`), nothing changed."""
    data = json_body()
    form = MultiDict({k: ("on" if v is True else str(v)) for k, v in data.items() if v not in (None, False)})
    result = read_sitting(form, str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))
    if not result.ok:
        raise ServiceError("exams.sitting_form_invalid", fields=result.errors,
                           names=", ".join(sorted(result.errors)))
    sitting = setup_changes.update_sitting(sitting_id, result.values, auth.current_actor())
    return jsonify(id=sitting.id, name=sitting.name, subject=sitting.subject, duration_s=sitting.duration_s,
                   scheduled_start=sitting.scheduled_start.isoformat(), late_entry_s=sitting.late_entry_s,
                   grace_s=sitting.grace_s, allow_password_login=sitting.allow_password_login)


@bp.delete("/sittings/<int:sitting_id>")
@auth.examiner_required
def delete_sitting(sitting_id: int) -> Any:
    """Only before check-in (409 after)."""
    return jsonify(deleted=sitting_id, name=setup_changes.delete_sitting(sitting_id, auth.current_actor()))


@bp.patch("/rooms/<int:room_id>")
@auth.examiner_required
def update_room(room_id: int) -> Any:
    """The add-room form's fields as JSON: room_name, seats ("M01–M30, M35" or a list of labels),
    invigilators (user ids); a field left out keeps its value. Only before check-in (409
    `exams.setup_locked` after); seats candidates are seated at stay (409 naming them); every
    bad field named (400, `fields`), nothing changed."""
    room = lifecycle.get_room(room_id)
    data = json_body()
    form = room_form_values(room)
    if "room_name" in data:
        form["room_name"] = str(data["room_name"] or "")
    if "seats" in data:
        seats = data["seats"]
        form["seats"] = ", ".join(str(s) for s in seats) if isinstance(seats, list) else str(seats or "")
    if "invigilators" in data:
        chosen = data["invigilators"]
        form.setlist("invigilators", [str(i) for i in chosen] if isinstance(chosen, list) else [str(chosen)])
    result = setup_changes.edit_room(room.id, form, auth.current_actor())
    if not result.ok:
        raise ServiceError("exams.room_form_invalid", fields=result.errors, names=", ".join(sorted(result.errors)))
    return jsonify(room_dict(room))


@bp.delete("/rooms/<int:room_id>")
@auth.examiner_required
def delete_room(room_id: int) -> Any:
    """Only before check-in and without candidates (409 naming them otherwise)."""
    return jsonify(deleted=room_id, name=setup_changes.delete_room(room_id, auth.current_actor()))


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
    if required and not keys["browser_exam_keys"]:
        # The Config Key is a hash of the .seb file every candidate downloads: anyone can compute
        # the proof without SEB. The Browser Exam Key also covers the SEB build, so it is required.
        raise ServiceError("exams.seb_browser_exam_keys_required", field="browser_exam_keys")
    sitting.require_seb, sitting.seb_config = required, keys
    append_event(db, "sitting.seb_settings", auth.current_actor(), sitting_id=sitting_id,
                 data={"required": required, **{k: len(v) for k, v in keys.items()}})
    db.commit()
    return jsonify({"sitting_id": sitting_id, "required": required, **keys})

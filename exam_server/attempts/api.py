"""JSON API for attempts: the candidate's own attempt (view/save/submit) and invigilator controls.

Candidates authenticate with the session cookie and send the CSRF token as `X-CSRFToken`
(returned by login and by GET /api/v1/attempt).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, session
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.attempts import candidate, control, disqualification, receipt
from exam_server.attempts.autosave import SaveConflict, save_answer
from exam_server.attempts.models import Attempt
from exam_server.attempts.time_bounds import extra_seconds
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Forbidden, ServiceError
from exam_server.extensions import limit_saves_per_attempt
from exam_server.i18n import translate

bp = Blueprint("attempts_api", __name__, url_prefix="/api/v1")


@bp.get("/attempt")
@auth.candidate_required
def my_attempt() -> Any:
    _enforce_seb(session["attempt_id"])  # the paper only with SEB proof, by the sitting's current policy
    view = candidate.attempt_view(session["attempt_id"], session["registration_id"], request.args.get("sealed"))
    return jsonify({**view, "csrf_token": generate_csrf()})


@bp.get("/attempts/<int:attempt_id>")
@auth.candidate_required
def attempt(attempt_id: int) -> Any:
    _enforce_seb(attempt_id)
    return jsonify(candidate.attempt_view(attempt_id, session["registration_id"], request.args.get("sealed")))


def _enforce_seb(attempt_id: int, js_keys: Any = None) -> None:
    """Safe Exam Browser on a candidate's GET or submit: the request's SEB headers, or the
    JavaScript-API keys (body `seb` or the `X-SEB-Keys` header), against the current policy."""
    from exam_server.attempts import seb_guard

    seb_guard.enforce_http(candidate.owned_attempt(attempt_id, session["registration_id"]), js_keys)


def _check_seb(attempt_id: int, js_keys: Any) -> None:
    """The HTTP fallback is held to the same Safe Exam Browser rule as the socket.

    `save_answer` calls this only when the attempt's sitting requires SEB, learnt by the save
    statement itself, so a save in a sitting without SEB costs no query for it."""
    from exam_server.attempts import seb_guard

    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        return
    result = seb_guard.check_http(attempt, js_keys)
    if not result.ok:
        seb_guard.lock_for_mismatch(attempt, result)
        raise Forbidden(result.reason)
    db.rollback()  # hand the connection back before the save itself


@bp.put("/attempts/<int:attempt_id>/responses/<int:question_no>")
@limit_saves_per_attempt()  # per attempt; a 429 is retryable, the page keeps the change in its journal
@auth.candidate_required
def save(attempt_id: int, question_no: int) -> Any:
    """Body {"seq": 17, "value": <answer>}; 200 with the ack only after the commit.

    The same answer contract as the socket's `save`: `ok`, `status`, `stored_seq` (and
    `stored_value` when superseded); a (question, seq) stored with another value is 409
    `{"ok": false, "code": "attempts.conflict", "stored_seq", "stored_value"}`."""
    data = json_body()
    if "seq" not in data or "value" not in data:
        raise ServiceError("attempts.bad_save_body")
    try:
        ack = save_answer(attempt_id, question_no, data["seq"], data["value"],
                          registration_id=session["registration_id"], actor=auth.current_actor(),
                          check_seb=lambda: _check_seb(attempt_id, data.get("seb")))
    except SaveConflict as exc:
        body = {"ok": False, "code": exc.code, "message": exc.message(), "question": question_no,
                "seq": data["seq"], "stored_seq": exc.stored_seq, "stored_value": exc.stored_value}
        return jsonify({**body, "error": exc.to_dict()}), exc.status
    return jsonify({"ok": True, **ack.to_dict(), **candidate.server_time()})


@bp.post("/attempts/<int:attempt_id>/submit")
@auth.candidate_required
def submit(attempt_id: int) -> Any:
    body = request.get_json(silent=True)
    _enforce_seb(attempt_id, body.get("seb") if isinstance(body, dict) else None)
    done = candidate.submit(attempt_id, session["registration_id"], auth.current_actor())
    return jsonify(candidate.attempt_status(done, done.submitted_at or utcnow()))


@bp.get("/receipts/<string:code>")
@auth.examiner_required
def verify_receipt(code: str) -> Any:
    """The exam board checks a candidate's submission receipt: whether the code matches the
    attempt's finish time and answers as stored now, and whose attempt it is."""
    valid, attempt, found = receipt.verify(db, code)
    body: dict[str, Any] = {"code": code, "valid": valid}
    if valid and attempt is not None and found is not None:
        reg = attempt.registration
        body.update(found.to_dict(), sbd=reg.sbd, full_name=reg.full_name, sitting_id=reg.sitting_id,
                    message=translate("attempts.receipt_valid"))
    else:
        body["message"] = translate("attempts.receipt_invalid")
    db.rollback()
    return jsonify(body)


def _control_target(attempt_id: int) -> Any:
    attempt = control.get_attempt(attempt_id)
    room = attempt.registration.room
    if room is None:
        raise ServiceError("exams.no_room")
    auth.require_room_access(room)
    return attempt


def _reason(data: dict[str, Any]) -> str:
    return str(data.get("reason", ""))


@bp.post("/attempts/<int:attempt_id>/pause")
@auth.staff_required
def pause(attempt_id: int) -> Any:
    _control_target(attempt_id)
    a = control.pause_attempt(attempt_id, auth.current_actor(), _reason(json_body()))
    return jsonify(candidate.attempt_status(a, utcnow()))


@bp.post("/attempts/<int:attempt_id>/resume")
@auth.staff_required
def resume(attempt_id: int) -> Any:
    _control_target(attempt_id)
    a = control.resume_attempt(attempt_id, auth.current_actor(), _reason(json_body()))
    return jsonify(candidate.attempt_status(a, utcnow()))


@bp.post("/attempts/<int:attempt_id>/extra-time")
@auth.staff_required
def extra_time(attempt_id: int) -> Any:
    """Body {"seconds": 600, "reason": "..."}."""
    _control_target(attempt_id)
    data = json_body()
    seconds = data.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ServiceError("attempts.bad_seconds")
    a = control.add_extra_time(attempt_id, seconds, auth.current_actor(), _reason(data))
    return jsonify(candidate.attempt_status(a, utcnow()))


@bp.post("/rooms/<int:room_id>/extra-time")
@auth.staff_required
def room_extra_time(room_id: int) -> Any:
    """Body {"seconds": 600 | "minutes": 10, "reason": "..."}: the same time for every candidate
    of the room still writing or paused, in one transaction (`attempts.room_extra_time`).
    Returns the attempts extended with their new deadlines."""
    from exam_server.attempts.room_extra_time import add_room_extra_time
    from exam_server.exams import lifecycle

    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    data = json_body()
    extended = add_room_extra_time(room, _room_seconds(data), auth.current_actor(), _reason(data))
    return jsonify(room_id=room.id, count=len(extended), attempts=[
        {"attempt_id": a.id, "registration_id": a.registration_id, "sbd": a.registration.sbd, "extra_s": a.extra_s,
         "deadline": a.deadline_at.isoformat() if a.deadline_at else None} for a in extended])


def _room_seconds(data: dict[str, Any]) -> int:
    """Either "seconds" or whole "minutes" (the dashboard's unit), never both."""
    if ("seconds" in data) == ("minutes" in data):
        raise ServiceError("attempts.bad_extra_time_body")
    if "seconds" in data:
        return extra_seconds(data["seconds"])
    minutes = data["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise ServiceError("attempts.bad_extra_time_body")
    return minutes * 60


@bp.post("/attempts/<int:attempt_id>/disqualify")
@auth.staff_required
def disqualify(attempt_id: int) -> Any:
    """Body {"reason": "..."} (required): đình chỉ thi — the paper is closed and gets no score."""
    attempt = _control_target(attempt_id)
    disqualification.disqualify(db, attempt, auth.current_actor(), _reason(json_body()))
    db.commit()
    return jsonify(candidate.attempt_status(attempt, utcnow()))


@bp.post("/attempts/<int:attempt_id>/<any(lock,unlock):action>")
@auth.staff_required
def lock(attempt_id: int, action: str) -> Any:
    _control_target(attempt_id)
    a = control.set_locked(attempt_id, action == "lock", auth.current_actor(), _reason(json_body()))
    return jsonify(candidate.attempt_status(a, utcnow()))

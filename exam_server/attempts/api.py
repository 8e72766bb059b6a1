"""JSON API for attempts: the candidate's own attempt (view/save/submit) and invigilator controls.

Candidates authenticate with the session cookie and send the CSRF token as `X-CSRFToken`
(returned by login and by GET /api/v1/attempt).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, session
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.attempts import candidate, control
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Forbidden, ServiceError
from exam_server.extensions import limiter

bp = Blueprint("attempts_api", __name__, url_prefix="/api/v1")


@bp.get("/attempt")
@auth.candidate_required
def my_attempt() -> Any:
    view = candidate.attempt_view(session["attempt_id"], session["registration_id"])
    return jsonify({**view, "csrf_token": generate_csrf()})


@bp.get("/attempts/<int:attempt_id>")
@auth.candidate_required
def attempt(attempt_id: int) -> Any:
    return jsonify(candidate.attempt_view(attempt_id, session["registration_id"]))


def _check_seb(attempt_id: int, js_keys: Any) -> None:
    """The HTTP fallback is held to the same Safe Exam Browser rule as the socket.

    `save_answer` calls this only when the attempt's sitting requires SEB, learnt by the save
    statement itself, so a save in a sitting without SEB costs no query for it."""
    from exam_server.realtime import seb_guard

    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        return
    result = seb_guard.check_current_request(attempt.registration.sitting, js_keys)
    if not result.ok:
        seb_guard.lock_for_mismatch(attempt, result)
        raise Forbidden(result.reason)
    db.rollback()  # hand the connection back before the save itself


@bp.put("/attempts/<int:attempt_id>/responses/<int:question_no>")
@limiter.exempt  # authenticated and cheap; a rate limit here would only drop answers
@auth.candidate_required
def save(attempt_id: int, question_no: int) -> Any:
    """Body {"seq": 17, "value": <answer>}; 200 with the ack only after the commit."""
    data = json_body()
    if "seq" not in data or "value" not in data:
        raise ServiceError("attempts.bad_save_body")
    ack = save_answer(attempt_id, question_no, data["seq"], data["value"],
                      registration_id=session["registration_id"], actor=auth.current_actor(),
                      check_seb=lambda: _check_seb(attempt_id, data.get("seb")))
    return jsonify({**ack.to_dict(), **candidate.server_time()})


@bp.post("/attempts/<int:attempt_id>/submit")
@auth.candidate_required
def submit(attempt_id: int) -> Any:
    done = candidate.submit(attempt_id, session["registration_id"], auth.current_actor())
    return jsonify(candidate.attempt_status(done, done.submitted_at or utcnow()))


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


@bp.post("/attempts/<int:attempt_id>/<any(lock,unlock):action>")
@auth.staff_required
def lock(attempt_id: int, action: str) -> Any:
    _control_target(attempt_id)
    a = control.set_locked(attempt_id, action == "lock", auth.current_actor(), _reason(json_body()))
    return jsonify(candidate.attempt_status(a, utcnow()))

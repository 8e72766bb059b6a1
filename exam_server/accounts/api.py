"""JSON API: logging in and out (staff and candidates), CSRF token, server time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, session
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth, service
from exam_server.attempts.candidate import server_time
from exam_server.attempts.control import attempt_for_registration
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Forbidden, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.extensions import limiter, login_rate_limit

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("errors.json_object_expected")
    return data


@bp.get("/time")
@auth.public
def time() -> Any:
    return jsonify(server_time())


@bp.get("/auth/csrf")
@auth.public
def csrf_token() -> Any:
    """The token to send as the X-CSRFToken header with every POST/PUT/DELETE."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/auth/me")
@auth.public
def me() -> Any:
    user = auth.current_user()
    if user is not None:
        return jsonify(role=user.role, user_id=user.id, username=user.username, full_name=user.full_name)
    if auth.current_role() == "candidate":
        return jsonify(role="candidate", registration_id=session["registration_id"], attempt_id=session["attempt_id"])
    return jsonify(role=None)


@bp.post("/auth/login")
@auth.public
@limiter.limit(login_rate_limit)
def login() -> Any:
    data = json_body()
    user = service.authenticate(str(data.get("username", "")), str(data.get("password", "")))
    if user is None:
        raise Forbidden("accounts.bad_credentials")
    auth.login_staff(user)
    return jsonify(role=user.role, user_id=user.id, csrf_token=generate_csrf())


@bp.post("/auth/candidate-login")
@auth.public
@limiter.limit(login_rate_limit)
def candidate_login() -> Any:
    """{"code": "ABCD2345", "seat": "M01"?} or {"sitting_id": 1, "sbd": "010001", "password": "..."}."""
    data = json_body()
    if data.get("code"):
        reg = service.redeem_login_code(str(data["code"]), seat=str(data.get("seat") or "") or None)
        how = "code"
    else:
        try:
            sitting_id = int(data.get("sitting_id", 0))
        except (TypeError, ValueError):
            sitting_id = 0
        reg = service.authenticate_candidate(sitting_id, str(data.get("sbd", "")), str(data.get("password", "")))
        if reg is None:
            raise Forbidden("accounts.bad_credentials")
        how = "password"
    service.check_entry(reg, utcnow())
    attempt = attempt_for_registration(reg.id)
    assert attempt is not None
    append_event(db, "candidate.login", Actor(f"candidate:{reg.sbd}", registration_id=reg.id),
                 sitting_id=reg.sitting_id, room_id=reg.room_id, attempt_id=attempt.id,
                 data={"how": how, "seat": reg.seat, "ip": request.remote_addr})
    db.commit()
    auth.login_candidate(reg, attempt.id)
    return jsonify(role="candidate", registration_id=reg.id, attempt_id=attempt.id, csrf_token=generate_csrf())


@bp.post("/auth/logout")
@auth.public
def logout() -> Any:
    auth.logout()
    return jsonify(ok=True)

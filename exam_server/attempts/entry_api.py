"""JSON API for candidates entering their attempt: login with a one-time code (or SBD and
password where the sitting allows it) and the server clock the pages align to.

Here rather than in `accounts.api`: a candidate's login opens their attempt, and accounts sits
below attempts (pyproject `[tool.importlinter]`). The URLs are those of `/api/v1`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.attempts.candidate import server_time
from exam_server.attempts.control import attempt_for_registration
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Forbidden
from exam_server.events.log import Actor, append_event
from exam_server.exams.candidate_login import authenticate_candidate, redeem_login_code
from exam_server.exams.models import Registration
from exam_server.extensions import limit_login_per_account, limiter, login_rate_limit

bp = Blueprint("candidate_entry", __name__, url_prefix="/api/v1")


@bp.get("/time")
@auth.public
def time() -> Any:
    return jsonify(server_time())


@bp.post("/auth/candidate-login")
@auth.public
@limiter.limit(login_rate_limit)
@limit_login_per_account()
def candidate_login() -> Any:
    """{"code": "ABCD2345", "seat": "M01"?} or {"sitting_id": 1, "sbd": "010001", "password": "..."}."""
    data = json_body()
    if data.get("code"):
        reg = redeem_login_code(str(data["code"]), seat=str(data.get("seat") or "") or None)
        how = "code"
    else:
        try:
            sitting_id = int(data.get("sitting_id", 0))
        except (TypeError, ValueError):
            sitting_id = 0
        found = authenticate_candidate(sitting_id, str(data.get("sbd", "")), str(data.get("password", "")))
        if found is None:
            raise Forbidden("accounts.bad_credentials")
        reg = found
        how = "password"
    attempt_id = check_entry(reg, utcnow()).id
    append_event(db, "candidate.login", Actor(f"candidate:{reg.sbd}", registration_id=reg.id),
                 sitting_id=reg.sitting_id, room_id=reg.room_id, attempt_id=attempt_id,
                 data={"how": how, "seat": reg.seat, "ip": request.remote_addr})
    registration_id = reg.id
    login = auth.login_candidate(registration_id, reg.sbd, attempt_id)
    # One COMMIT: the code spent, the entry, its event, the older logins ended, the new record.
    # A failure before it leaves none of them (nor a cookie); nothing is answered before it.
    db.commit()
    login.committed()
    return jsonify(role="candidate", registration_id=registration_id, attempt_id=attempt_id,
                   csrf_token=generate_csrf())


def check_entry(reg: Registration, now: datetime) -> Attempt:
    """The candidate's attempt, if they may enter: while check-in is open or the room runs,
    within the late-entry window for a first entry (re-entry after a crash or a move is always
    allowed)."""
    attempt = attempt_for_registration(reg.id)
    sitting = reg.sitting  # loaded with the registration (redeem_login_code, authenticate_candidate)
    if attempt is None or sitting.state not in ("checkin_open", "started"):
        raise Forbidden("accounts.sitting_not_open")
    if attempt.state == "submitted":
        raise Forbidden("accounts.already_submitted")
    room = reg.room
    if (attempt.entered_at is None and room is not None and room.started_at is not None
            and now > room.started_at + timedelta(seconds=sitting.late_entry_s)):
        raise Forbidden("accounts.too_late")
    if attempt.entered_at is None:
        attempt.entered_at = now
    return attempt

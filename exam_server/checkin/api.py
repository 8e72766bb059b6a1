"""JSON API for check-in (`/api/v1/checkin`).

Stations authenticate with a device token (`Authorization: Bearer ...`), obtained once with an
examiner's or the room invigilator's credentials (`POST /devices`) or issued from a logged-in
staff session (`POST /rooms/<id>/stations`). Token calls carry no cookie, so they are exempt
from CSRF; the session calls are not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, g, jsonify, request

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.accounts.service import authenticate
from exam_server.checkin import service
from exam_server.checkin.models import Station
from exam_server.errors import Forbidden
from exam_server.exams.lifecycle import get_room
from exam_server.extensions import csrf, limit_login_per_account, limiter, login_rate_limit

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1/checkin")
F = TypeVar("F", bound=Callable[..., Any])
STATION_RATE_LIMIT = "600 per minute"  # a busy door: ~1 check-in every few seconds, plus polling


def station_required(view: F) -> F:
    """Only a caller holding a valid, unrevoked station token for its room."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Forbidden("checkin.token_invalid")
        g.station = service.station_for_token(token.strip())
        return view(*args, **kwargs)

    auth.declare_access(wrapper, frozenset({"station"}))
    return cast(F, wrapper)


def current_station() -> Station:
    return g.station


@bp.post("/devices")
@auth.public
@csrf.exempt
@limiter.limit(login_rate_limit)
@limit_login_per_account()
def register_device() -> Any:
    """{"username", "password", "room": id or name, "station": name} -> a device token."""
    data = json_body()
    user = authenticate(str(data.get("username", "")), str(data.get("password", "")))
    if user is None:
        raise Forbidden("checkin.bad_credentials")
    room = service.resolve_room(str(data.get("room", "")))
    token, station = service.issue_station_token(user, room, str(data.get("station", "")))
    return jsonify(token=token, **service.station_dict(station)), 201


@bp.post("/rooms/<int:room_id>/stations")
@auth.staff_required
def issue_for_room(room_id: int) -> Any:
    """A token issued from a staff session (for a kiosk started with --token)."""
    data = request.get_json(silent=True) or {}
    token, station = service.issue_station_token(auth.staff_user(), get_room(room_id), str(data.get("station", "")))
    return jsonify(token=token, **service.station_dict(station)), 201


@bp.post("/stations/<int:station_id>/revoke")
@auth.staff_required
def revoke(station_id: int) -> Any:
    station = service.revoke_station(station_id, auth.staff_user())
    return jsonify(id=station.id, revoked_at=station.revoked_at.isoformat() if station.revoked_at else None)


@bp.get("/rooms/<int:room_id>/checkins")
@auth.staff_required
def room_checkins(room_id: int) -> Any:
    room = get_room(room_id)
    auth.require_room_access(room)
    return jsonify(room={"id": room.id, "name": room.name}, checkins=service.room_checkins(room))


@bp.get("/exams/<int:exam_id>/policy")
@auth.staff_required
def policy(exam_id: int) -> Any:
    return jsonify(service.exam_policy(exam_id))


@bp.put("/exams/<int:exam_id>/policy")
@auth.examiner_required
def set_policy(exam_id: int) -> Any:
    """{"liveness": "" | "blink" | "turn_head", "keep_face_thumbnails": bool}"""
    data = json_body()
    return jsonify(service.set_exam_policy(exam_id, auth.staff_user(), liveness=data.get("liveness", ""),
                                           keep_face_thumbnails=data.get("keep_face_thumbnails", False)))


@bp.get("/device")
@csrf.exempt
@station_required
def device() -> Any:
    return jsonify(service.station_dict(current_station()))


@bp.get("/roster")
@csrf.exempt
@limiter.limit(STATION_RATE_LIMIT)
@station_required
def roster() -> Any:
    return jsonify(service.room_roster(current_station()))


@bp.post("/checkins")
@csrf.exempt
@limiter.limit(STATION_RATE_LIMIT)
@station_required
def checkins() -> Any:
    answer = service.record_checkin(current_station(), service.parse_checkin(json_body()))
    return jsonify(answer), 200 if answer["duplicate"] else 201

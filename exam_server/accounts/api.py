"""JSON API: logging in and out, CSRF token, staff accounts. Candidates log in through
`exam_server.attempts.entry_api` (their login opens their attempt, a layer above accounts)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, session
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth, service, staff_admin
from exam_server.accounts.sessions import server_session
from exam_server.errors import Forbidden, ServiceError
from exam_server.extensions import limit_login_per_account, limiter, login_rate_limit
from exam_server.i18n import translate

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("errors.json_object_expected")
    return data


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
@limit_login_per_account()
def login() -> Any:
    data = json_body()
    user = service.authenticate(str(data.get("username", "")), str(data.get("password", "")))
    if user is None:
        raise Forbidden("accounts.bad_credentials")
    auth.login_staff(user)
    return jsonify(role=user.role, user_id=user.id, csrf_token=generate_csrf())


@bp.post("/auth/logout")
@auth.public
def logout() -> Any:
    auth.logout()
    return jsonify(ok=True)


@bp.post("/auth/password")
@auth.staff_required
@limiter.limit(login_rate_limit)
def change_password() -> Any:
    """{"current_password": "...", "new_password": "..."}: the other logins of the account end;
    this one goes on under a new record."""
    data = json_body()
    user = auth.current_user()
    assert user is not None  # guaranteed by staff_required
    service.change_password(user, str(data.get("current_password", "")), str(data.get("new_password", "")))
    server_session().rotate = True
    return jsonify(ok=True, message=translate("accounts.password_changed"), csrf_token=generate_csrf())


admin_required = auth.roles_required("admin")


@bp.get("/staff")
@admin_required
def staff_list() -> Any:
    return jsonify(staff=[staff_admin.as_json(u) for u in staff_admin.list_staff()])


@bp.post("/staff")
@admin_required
def staff_create() -> Any:
    """{"username", "full_name", "role", "password"?}: the password is generated when absent and
    returned once."""
    data = json_body()
    user, password = staff_admin.create_staff(str(data.get("username", "")), str(data.get("full_name", "")),
                                              str(data.get("role", "")), auth.current_actor(),
                                              password=data.get("password") or None)
    return jsonify({**staff_admin.as_json(user), "password": password}), 201


@bp.patch("/staff/<int:user_id>")
@admin_required
def staff_update(user_id: int) -> Any:
    """{"role"?, "full_name"?, "room_ids"?: [int]}"""
    data = json_body()
    room_ids = data.get("room_ids")
    if room_ids is not None and not (isinstance(room_ids, list) and all(isinstance(i, int) for i in room_ids)):
        raise ServiceError("accounts.bad_rooms", field="room_ids")
    user = staff_admin.update_staff(user_id, auth.current_actor(), role=data.get("role"),
                                    full_name=data.get("full_name"), room_ids=room_ids)
    return jsonify(staff_admin.as_json(user))


@bp.post("/staff/<int:user_id>/reset-password")
@admin_required
def staff_reset_password(user_id: int) -> Any:
    """A new temporary password (returned once); the user's logins are revoked."""
    password = staff_admin.reset_password(user_id, auth.current_actor())
    return jsonify(id=user_id, password=password)


@bp.post("/staff/<int:user_id>/deactivate")
@admin_required
def staff_deactivate(user_id: int) -> Any:
    return jsonify(staff_admin.as_json(staff_admin.set_active(user_id, False, auth.current_actor())))


@bp.post("/staff/<int:user_id>/activate")
@admin_required
def staff_activate(user_id: int) -> Any:
    return jsonify(staff_admin.as_json(staff_admin.set_active(user_id, True, auth.current_actor())))

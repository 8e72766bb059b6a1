"""Who is calling, and the decorators that guard every endpoint.

Every view function carries its access rule as `view.access` (a frozenset of roles, or
"public"), set by these decorators; the authorization test walks the URL map and fails on
any endpoint without one.

Sessions: staff have `session["user_id"]`; a candidate has `session["registration_id"]` and
`session["attempt_id"]`. Both carry `session["role"]`. The session lives in a server-side login
record (`sessions`, `session_store`); the cookie only names it, and `revocation` ends it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, jsonify, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import Unauthorized
from werkzeug.routing import BuildError

from exam_server.accounts.models import User
from exam_server.accounts.sessions import NewLogin, server_session
from exam_server.db import session as db
from exam_server.errors import Forbidden
from exam_server.events.log import Actor
from exam_server.i18n import translate

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    """The logged-in staff user (cached for the request)."""
    if "current_user" not in g:
        uid = session.get("user_id")
        user = db.get(User, uid) if uid is not None else None
        g.current_user = user if user is not None and user.active and user.role == session.get("role") else None
    return g.current_user


def staff_user() -> User:
    """The logged-in staff user inside a view its role decorator already guards."""
    user = current_user()
    if user is None:  # only reachable if a view forgot its decorator: refuse rather than guess
        raise Unauthorized()
    return user


def current_role() -> str | None:
    if session.get("role") == "candidate" and session.get("registration_id") is not None:
        return "candidate"
    user = current_user()
    return user.role if user else None


def current_registration_id() -> int | None:
    return session.get("registration_id") if session.get("role") == "candidate" else None


def current_actor() -> Actor:
    user = current_user()
    if user is not None:
        return Actor(f"{user.role}:{user.username}", user_id=user.id)
    reg_id = current_registration_id()
    if reg_id is not None:
        return Actor(f"candidate:{session.get('sbd', reg_id)}", registration_id=reg_id)
    return Actor("anonymous")


def _start_login(**identity: Any) -> None:
    """A new login record replaces this browser's previous one when the session is saved."""
    session.clear()
    session.permanent = True
    session.update(identity)
    server_session().rotate = True


def login_staff(user: User) -> None:
    _start_login(user_id=user.id, role=user.role)


def login_candidate(registration_id: int, sbd: str, attempt_id: int) -> NewLogin:
    """One login per candidate: a login elsewhere (another PC, a copied cookie) ends the others.

    Part of the login's transaction: the candidate's other records (and this browser's previous
    one) are revoked and the new record added in it, so the caller's one COMMIT writes the whole
    login and a rollback leaves every record as it was. After that COMMIT the caller calls
    `.committed()` (cache, sockets of the ended logins); the cookie goes out with the response."""
    from exam_server.accounts.revocation import revoke_in_transaction

    session = server_session()
    session.login_in_transaction = True  # from here on the session writes only this login's cookie
    previous = session.id_hash
    ended = [("new_login", revoke_in_transaction("new_login", registration_id=registration_id))]
    if previous is not None and previous not in ended[0][1]:  # this browser was someone else
        ended.append(("replaced", revoke_in_transaction("replaced", id_hash=previous)))
    _start_login(registration_id=registration_id, attempt_id=attempt_id, sbd=sbd, role="candidate")
    generate_csrf()  # the new login's token, so the record holds it from its first write
    return session.add_record(ended)


def logout() -> None:
    """End the login on the server too: a copy of the cookie stops working at once."""
    from exam_server.accounts.revocation import revoke_current

    revoke_current("logout")
    session.clear()


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _deny(status: int) -> Any:
    code = "accounts.login_required" if status == 401 else "accounts.forbidden"
    if _wants_json():
        return jsonify(error={"code": code, "message": translate(code)}), status
    if status == 401:
        try:
            return redirect(url_for("account_pages.login", next=request.full_path))
        except BuildError:
            pass
    return render_template("errors/error.html", status=status, code=code, message=translate(code)), status


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only these roles: 401 (API) / redirect to login (pages) when anonymous, 403 otherwise."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            role = current_role()
            if role is None:
                return _deny(401)
            if role not in allowed:
                return _deny(403)
            return view(*args, **kwargs)

        declare_access(wrapper, allowed)
        return cast(F, wrapper)

    return decorator


candidate_required = roles_required("candidate")
staff_required = roles_required("admin", "examiner", "invigilator")
examiner_required = roles_required("admin", "examiner")


def declare_access(view: Callable[..., Any], access: str | frozenset[str]) -> None:
    """Record who may call `view` (the URL-map test reads it from every endpoint)."""
    view.__dict__["access"] = access


def public(view: F) -> F:
    """Mark a view as open to everyone (login pages, server time, health)."""
    declare_access(view, "public")
    return view


def require_room_access(room: Any) -> None:
    """Raise 403 unless the current staff user may manage `room`."""
    from exam_server.accounts.service import can_manage_room

    user = current_user()
    if user is None or not can_manage_room(user, room):
        raise Forbidden("accounts.forbidden")

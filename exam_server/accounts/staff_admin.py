"""Staff accounts managed by admins in the web: create, change role, assign rooms, reset the
password, deactivate / reactivate.

Every change is an audited event (who did it, to whom, what changed; never a password). A reset
or a deactivation also revokes the user's server-side login sessions at once (their sockets are
disconnected in every process), so a lost laptop or a departed invigilator is locked out now,
not when the cookie expires. An admin cannot deactivate or demote themselves (no lock-out).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from exam_server.accounts.models import STAFF_ROLES, User
from exam_server.accounts.revocation import revoke_sessions
from exam_server.accounts.service import create_user
from exam_server.accounts.staff_rooms import StaffableRoom
from exam_server.accounts.staff_rooms import current as staff_rooms
from exam_server.db import session as db
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event

# No 0/O, 1/I/l: a temporary password is read out over the phone.
_TEMP_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
TEMP_PASSWORD_LENGTH = 12


def temporary_password() -> str:
    return "".join(secrets.choice(_TEMP_CHARS) for _ in range(TEMP_PASSWORD_LENGTH))


def get_staff(user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound("accounts.staff_not_found")
    return user


def list_staff() -> list[User]:
    return list(db.scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.role, User.username)))


def rooms_of(user: User) -> Sequence[StaffableRoom]:
    """The rooms the user invigilates (one query, through `accounts.staff_rooms`)."""
    return staff_rooms().rooms_of(user)


def open_rooms() -> Sequence[StaffableRoom]:
    """Rooms that can still be staffed (not ended)."""
    return staff_rooms().open_rooms()


def as_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role,
            "active": user.active, "room_ids": [r.id for r in rooms_of(user)]}


def _check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise ServiceError("accounts.bad_role", field="role", role=role)


def create_staff(username: str, full_name: str, role: str, actor: Actor,
                 password: str | None = None) -> tuple[User, str]:
    """A new staff account; returns it and its password (generated when none is given)."""
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise ServiceError("accounts.bad_username", field="username")
    _check_role(role)
    password = password or temporary_password()
    user = create_user(username, password, role, full_name=full_name.strip()[:200])
    append_event(db, "staff.created", actor, data={"user_id": user.id, "username": user.username, "role": role})
    db.commit()
    return user, password


def update_staff(user_id: int, actor: Actor, *, role: str | None = None, full_name: str | None = None,
                 room_ids: list[int] | None = None) -> User:
    user = get_staff(user_id)
    changes: dict[str, Any] = {}
    if role is not None and role != user.role:
        _check_role(role)
        if actor.user_id == user.id:
            raise Conflict("accounts.not_yourself")
        changes["role"] = {"from": user.role, "to": role}
        user.role = role
    if full_name is not None and full_name.strip() != user.full_name:
        changes["full_name"] = {"from": user.full_name, "to": full_name.strip()[:200]}
        user.full_name = full_name.strip()[:200]
    if room_ids is not None:
        wanted = set(room_ids)
        rooms = staff_rooms().by_id(wanted)
        if set(rooms) != wanted:
            raise ServiceError("accounts.bad_rooms", field="room_ids")
        before = {r.id for r in rooms_of(user)}
        for room in open_rooms():
            if room.id in wanted and user not in room.invigilators:
                room.invigilators.append(user)
            elif room.id not in wanted and user in room.invigilators:
                room.invigilators.remove(user)
        after = {r.id for r in rooms_of(user)}
        if before != after:
            changes["room_ids"] = {"from": sorted(before), "to": sorted(after)}
    if changes:
        append_event(db, "staff.updated", actor, data={"user_id": user.id, "username": user.username,
                                                       "changes": changes})
        if "role" in changes:  # a session keeps the role it signed in with: end it
            revoke_sessions("role_changed", user_id=user.id)
    db.commit()
    return user


def reset_password(user_id: int, actor: Actor) -> str:
    """A new temporary password (shown once to the admin); every login of the user ends."""
    user = get_staff(user_id)
    password = temporary_password()
    user.set_password(password)
    append_event(db, "staff.password_reset", actor, data={"user_id": user.id, "username": user.username})
    db.commit()
    revoke_sessions("password_reset", user_id=user.id)
    return password


def set_active(user_id: int, active: bool, actor: Actor) -> User:
    user = get_staff(user_id)
    if not active and actor.user_id == user.id:
        raise Conflict("accounts.not_yourself")
    if user.active != active:
        user.active = active
        append_event(db, "staff.activated" if active else "staff.deactivated", actor,
                     data={"user_id": user.id, "username": user.username})
    db.commit()
    if not active:
        revoke_sessions("deactivated", user_id=user.id)
    return user

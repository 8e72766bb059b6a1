"""Staff users, their rooms, and the hashing of candidate login codes (issuing and
redeeming them is `exams.candidate_login`: they name registrations)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select

from exam_server.accounts.models import ROLES, Organisation, User, dummy_password_check
from exam_server.db import session as db
from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, append_event

# No 0/O, 1/I/L: codes are read aloud and typed by teenagers under stress.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def create_user(username: str, password: str, role: str, full_name: str = "",
                organisation_id: int | None = None) -> User:
    if role not in ROLES or role == "candidate":
        raise ServiceError("accounts.bad_role", role=role)
    if len(password) < 8:
        raise ServiceError("accounts.password_too_short")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("accounts.username_taken", username=username)
    user = User(username=username, role=role, full_name=full_name, organisation_id=organisation_id)
    user.set_password(password)
    db.add(user)
    db.commit()
    return user


def get_or_create_organisation(code: str, name: str) -> Organisation:
    org = db.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name)
        db.add(org)
        db.flush()
    return org


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost either way)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        dummy_password_check(password)
        return None
    return user if user.check_password(password) else None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").replace(" ", "").encode()).hexdigest()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every other login of the user ends."""
    from exam_server.accounts.revocation import revoke_sessions

    if not user.check_password(current):
        raise ServiceError("accounts.password_wrong")
    if len(new) < 8:
        raise ServiceError("accounts.password_too_short")
    user.set_password(new)
    append_event(db, "user.password_changed", Actor(f"{user.role}:{user.username}", user_id=user.id),
                 data={"user_id": user.id})
    db.commit()
    revoke_sessions("password_changed", user_id=user.id)


class StaffedRoom(Protocol):
    """What deciding who manages a room needs of it (an `exams.models.Room`): accounts sit
    below exams and name no room type."""

    @property
    def invigilators(self) -> Sequence[User]: ...


def can_manage_room(user: User, room: StaffedRoom) -> bool:
    """Examiners and admins manage every room; an invigilator only the rooms assigned to them."""
    if user.role in ("admin", "examiner"):
        return True
    return user.role == "invigilator" and any(u.id == user.id for u in room.invigilators)

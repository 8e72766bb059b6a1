"""Organisations (schools, the exam board) and staff users.

Candidates are `exams.models.Registration` rows; they log in with a one-time `LoginCode`
bound to their seat, or with candidate number (SBD) + password where the sitting allows.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from exam_server.db import Base, UTCDateTime, utcnow


def hash_password(password: str) -> str:
    """Werkzeug's hash; `SECURITY_PASSWORD_METHOD` may name a cheaper one (tests only)."""
    method = current_app.config.get("SECURITY_PASSWORD_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def dummy_password_check(password: str) -> None:
    """Spend the time a real check costs, so unknown usernames cannot be told apart by timing."""
    cache = current_app.extensions.setdefault("exam_dummy_hash", [])
    if not cache:
        cache.append(hash_password("not-a-password"))
    check_password_hash(cache[0], password)


ROLES = ("admin", "examiner", "invigilator", "candidate")
STAFF_ROLES = ("admin", "examiner", "invigilator")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(50), unique=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class LoginCode(Base):
    """A one-time candidate login code; only its SHA-256 is stored."""

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    seat: Mapped[str] = mapped_column(String(50), default="")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Issued by the check-in station for the seat it assigned: the workstation must name that seat.
    seat_bound: Mapped[bool] = mapped_column(default=False, server_default=false())


class LoginSession(Base):
    """One login: the session cookie carries only the (signed) id whose SHA-256 is `id_hash`.

    Always written; with Redis configured, `session_store.RedisStore` caches the same fields.
    A revoked record stays until it expires, so its cookie is answered "revoked", not "log in".
    """

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), nullable=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")

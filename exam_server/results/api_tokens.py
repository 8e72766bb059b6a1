"""Read-only tokens for school systems: they expire, can be listed and revoked, and every
creation and revocation is in the audit log.

Only a token's SHA-256 is stored, so a token is shown once, at creation. A token found in a
log or an old script stops working when it expires (`DEFAULT_DAYS` unless asked otherwise,
never more than `MAX_DAYS`) or at once when an admin revokes it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.db import utcnow
from exam_server.errors import NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.results.models import ApiToken

DEFAULT_DAYS = 90
MAX_DAYS = 365


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, name: str, school: str = "", by: User | None = None,
                     days: int = DEFAULT_DAYS, actor: Actor | None = None) -> str:
    """A new token valid for `days`; the token itself is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ServiceError("accounts.api_token_name_required")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ServiceError("accounts.api_token_bad_expiry", max=MAX_DAYS)
    token = secrets.token_urlsafe(32)
    row = ApiToken(name=name[:200], token_hash=_hash_token(token), school=school[:200],
                   created_by_id=by.id if by else None, expires_at=utcnow() + timedelta(days=days))
    session.add(row)
    session.flush()
    append_event(session, "api_token.created", actor or _actor(by),
                 data={"token_id": row.id, "name": row.name, "school": row.school,
                       "expires_at": row.expires_at.isoformat() if row.expires_at else None})
    session.commit()
    return token


def _actor(user: User | None) -> Actor:
    return Actor(f"{user.role}:{user.username}", user_id=user.id) if user else Actor("cli:api-token")


def token_json(row: ApiToken) -> dict[str, Any]:
    now = utcnow()
    state = "revoked" if row.revoked_at else ("expired" if row.expires_at is None or row.expires_at <= now
                                              else "active")
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {"id": row.id, "name": row.name, "school": row.school, "state": state,
            "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
            "revoked_at": iso(row.revoked_at), "last_used_at": iso(row.last_used_at)}


def list_api_tokens(session: Session) -> list[dict[str, Any]]:
    return [token_json(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.id.desc()))]


def revoke_api_token(session: Session, token_id: int, by: User, actor: Actor | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("accounts.api_token_not_found")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by_id = utcnow(), by.id
        append_event(session, "api_token.revoked", actor or _actor(by),
                     data={"token_id": row.id, "name": row.name, "school": row.school})
        session.commit()
    return row


def find_token(session: Session, token: str) -> ApiToken | None:
    """The stored row of a token (revoked and expired ones too)."""
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token.strip())))


def token_from_header(session: Session, header: str | None) -> ApiToken | None:
    """The valid token of an `Authorization: Bearer …` header (not revoked, not expired)."""
    if not header or not header.startswith("Bearer "):
        return None
    token = find_token(session, header[7:])
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at is None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now  # at most one write a minute however often the school polls
        session.commit()
    return token

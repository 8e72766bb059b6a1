"""Where login records live: always in the database; with REDIS_URL also in Redis, which then
answers the per-request reads.

A store writes either on its own (`create`, `revoke`: a COMMIT each) or inside the caller's
transaction (`add`, `revoke_in_transaction`: a candidate's login is one transaction, code spent
to record inserted), the cache then written by `cache_added` / `cache_revoked` once the caller
committed, so Redis never holds what the database does not.

Redis here keeps nothing on disk (config/production, the load harness): were it the only home
of the records, a Redis restart would log out every candidate in the middle of an exam. So the
database is the record of truth and Redis a cache of it: a miss, or Redis being away, is
answered from the database (and cached again).

A login record is what makes a session cookie worth anything: the cookie carries only the
record's id (signed), the record holds who logged in and the session data. Logging out,
changing the password, a new candidate login and a workstation move revoke records; a revoked
record is kept until it would have expired, so its cookie is answered "revoked" (the page can
say why) rather than "please log in". Only the SHA-256 of an id is stored: whoever reads the
store (a backup, a database administrator) cannot turn its rows into working cookies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from redis.exceptions import RedisError
from sqlalchemy import Table, bindparam, delete, or_, select, update

from exam_server.accounts.models import LoginSession
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.extensions import real_app

log = logging.getLogger(__name__)
_DATA = TaggedJSONSerializer()  # the session data's own format (tuples, bytes, dates survive)
TABLE = cast(Table, LoginSession.__table__)  # a mapped class's __table__ is typed as FromClause
SWEEP_EVERY_S = 60.0  # expired records go at most this often per process, not with every login
_BY_ID = select(TABLE).where(TABLE.c.id_hash == bindparam("h"))


def new_session_id() -> tuple[str, str]:
    """A fresh (id for the cookie, hash for the store)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_session_id(raw)


def hash_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class SessionRecord:
    id_hash: str
    role: str
    user_id: int | None
    registration_id: int | None
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    revoked_reason: str | None = None  # None while the login is valid

    @property
    def identity(self) -> tuple[str, int | None, int | None]:
        return (self.role, self.user_id, self.registration_id)


class SessionStore(Protocol):
    def create(self, record: SessionRecord) -> None:
        """The record written and committed on its own (a staff login)."""

    def add(self, record: SessionRecord) -> None:
        """The record added to the caller's transaction (a candidate login, one COMMIT for all
        of it); once the caller committed, `cache_added` caches it."""

    def cache_added(self, record: SessionRecord) -> None: ...

    def get(self, id_hash: str) -> SessionRecord | None:
        """The record (revoked ones included) until it expires; None when unknown or expired."""

    def update_data(self, id_hash: str, data: dict[str, Any]) -> None: ...

    def revoke(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
               registration_id: int | None = None, keep: str | None = None) -> list[str]:
        """Revoke the named record or every valid record of a user/registration (except `keep`);
        the hashes of the records revoked now."""

    def revoke_in_transaction(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
                              registration_id: int | None = None, keep: str | None = None) -> list[str]:
        """`revoke` inside the caller's transaction; once the caller committed, `cache_revoked`."""

    def cache_revoked(self, reason: str, hashes: list[str]) -> None: ...


class DatabaseStore:
    """Records in `login_sessions`, through the request's own database session (SQLite has a
    single pooled connection: a second session would wait for the request's)."""

    def __init__(self) -> None:
        self._swept_at = float("-inf")

    def create(self, record: SessionRecord) -> None:
        self.add(record)
        db.commit()

    def add(self, record: SessionRecord) -> None:
        now = utcnow()
        if time.monotonic() - self._swept_at >= SWEEP_EVERY_S:
            # Old logins go as new ones come, but not one DELETE per login of a login storm.
            self._swept_at = time.monotonic()
            db.execute(delete(TABLE).where(TABLE.c.expires_at < now))
        db.execute(TABLE.insert().values(
            id_hash=record.id_hash, role=record.role, user_id=record.user_id,
            registration_id=record.registration_id, data=_DATA.dumps(record.data), created_at=now,
            expires_at=record.expires_at, revoked_at=None, revoked_reason=""))

    def cache_added(self, record: SessionRecord) -> None:
        pass  # no cache: the row is the record

    def get(self, id_hash: str) -> SessionRecord | None:
        # Core on the session's connection: this runs for every request and socket event.
        row = db.connection().execute(_BY_ID, {"h": id_hash}).first()
        if row is None or row.expires_at <= utcnow():
            return None
        return SessionRecord(row.id_hash, row.role, row.user_id, row.registration_id, row.expires_at,
                             _DATA.loads(row.data or "{}"), row.revoked_reason if row.revoked_at else None)

    def update_data(self, id_hash: str, data: dict[str, Any]) -> None:
        db.execute(update(TABLE).where(TABLE.c.id_hash == id_hash, TABLE.c.revoked_at.is_(None))
                   .values(data=_DATA.dumps(data)))
        db.commit()

    def revoke(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
               registration_id: int | None = None, keep: str | None = None) -> list[str]:
        hashes = self.revoke_in_transaction(reason, id_hash=id_hash, user_id=user_id,
                                            registration_id=registration_id, keep=keep)
        if hashes:  # a first login revokes nothing: no commit
            db.commit()
        return hashes

    def revoke_in_transaction(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
                              registration_id: int | None = None, keep: str | None = None) -> list[str]:
        conditions = [c for c in (
            TABLE.c.id_hash == id_hash if id_hash else None,
            TABLE.c.user_id == user_id if user_id is not None else None,
            TABLE.c.registration_id == registration_id if registration_id is not None else None,
        ) if c is not None]
        if not conditions:
            return []
        now = utcnow()
        where = [or_(*conditions), TABLE.c.revoked_at.is_(None), TABLE.c.expires_at > now]
        if keep:
            where.append(TABLE.c.id_hash != keep)
        # One statement finds and ends them (a first login's finds none and changes nothing).
        return sorted(db.scalars(update(TABLE).where(*where).values(revoked_at=now, revoked_reason=reason[:40])
                                 .returning(TABLE.c.id_hash)))

    def cache_revoked(self, reason: str, hashes: list[str]) -> None:
        pass


class RedisStore:
    """Records as JSON under `<prefix>:session:<hash>` with the login's lifetime as TTL, and one
    set per user / registration naming their records (so they can be revoked together)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix

    def _key(self, id_hash: str) -> str:
        return f"{self.prefix}:session:{id_hash}"

    def _owner_keys(self, user_id: int | None, registration_id: int | None) -> list[str]:
        keys = []
        if user_id is not None:
            keys.append(f"{self.prefix}:sessions:user:{user_id}")
        if registration_id is not None:
            keys.append(f"{self.prefix}:sessions:reg:{registration_id}")
        return keys

    @staticmethod
    def _encode(record: SessionRecord) -> str:
        return json.dumps({"role": record.role, "user_id": record.user_id, "registration_id": record.registration_id,
                           "expires_at": record.expires_at.isoformat(), "data": _DATA.dumps(record.data),
                           "revoked": record.revoked_reason})

    def create(self, record: SessionRecord) -> None:
        ttl = max(1, int((record.expires_at - utcnow()).total_seconds()))
        pipe = self.redis.pipeline()
        pipe.set(self._key(record.id_hash), self._encode(record), ex=ttl)
        for key in self._owner_keys(record.user_id, record.registration_id):
            pipe.sadd(key, record.id_hash)
            pipe.expire(key, ttl)  # every login has the same lifetime: the newest outlives the rest
        pipe.execute()

    def get(self, id_hash: str) -> SessionRecord | None:
        raw = self.redis.get(self._key(id_hash))
        if raw is None:
            return None
        item = json.loads(raw)
        expires = datetime.fromisoformat(item["expires_at"])
        if expires <= utcnow():
            return None
        return SessionRecord(id_hash, item["role"], item["user_id"], item["registration_id"], expires,
                             _DATA.loads(item["data"]), item.get("revoked"))

    def update_data(self, id_hash: str, data: dict[str, Any]) -> None:
        record = self.get(id_hash)
        if record is None or record.revoked_reason:
            return
        record.data = data
        self.redis.set(self._key(id_hash), self._encode(record), keepttl=True)

    def revoke(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
               registration_id: int | None = None, keep: str | None = None) -> list[str]:
        hashes = {id_hash} if id_hash else set()
        for key in self._owner_keys(user_id, registration_id):
            hashes |= {h.decode() if isinstance(h, bytes) else h for h in self.redis.smembers(key)}
        revoked = []
        for h in sorted(hashes - {keep}):
            record = self.get(h)
            if record is None or record.revoked_reason:
                continue
            record.revoked_reason = reason[:40]
            self.redis.set(self._key(h), self._encode(record), keepttl=True)
            revoked.append(h)
        return revoked


class CachedStore:
    """The database keeps every record; Redis serves the reads (see the module docstring)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.durable = DatabaseStore()
        self.cache = RedisStore(url, prefix)

    def create(self, record: SessionRecord) -> None:
        self.durable.create(record)
        self.cache_added(record)

    def add(self, record: SessionRecord) -> None:
        self.durable.add(record)

    def cache_added(self, record: SessionRecord) -> None:
        _quietly(self.cache.create, record)

    def get(self, id_hash: str) -> SessionRecord | None:
        try:
            found = self.cache.get(id_hash)
        except RedisError:
            return self.durable.get(id_hash)
        if found is None:
            found = self.durable.get(id_hash)
            if found is not None:
                _quietly(self.cache.create, found)
        return found

    def update_data(self, id_hash: str, data: dict[str, Any]) -> None:
        self.durable.update_data(id_hash, data)
        _quietly(self.cache.update_data, id_hash, data)

    def revoke(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
               registration_id: int | None = None, keep: str | None = None) -> list[str]:
        hashes = self.durable.revoke(reason, id_hash=id_hash, user_id=user_id,
                                     registration_id=registration_id, keep=keep)
        self.cache_revoked(reason, hashes)
        return hashes

    def revoke_in_transaction(self, reason: str, *, id_hash: str | None = None, user_id: int | None = None,
                              registration_id: int | None = None, keep: str | None = None) -> list[str]:
        return self.durable.revoke_in_transaction(reason, id_hash=id_hash, user_id=user_id,
                                                  registration_id=registration_id, keep=keep)

    def cache_revoked(self, reason: str, hashes: list[str]) -> None:
        for revoked in hashes:
            _quietly(self.cache.revoke, reason, id_hash=revoked)


def _quietly(write: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """A cache write that may fail: the database already holds the record."""
    try:
        write(*args, **kwargs)
    except RedisError:
        log.warning("login record cache not updated (Redis unavailable)", exc_info=True)


def make_store(app: Flask) -> SessionStore:
    url = app.config.get("REDIS_URL") or ""
    if url:
        return CachedStore(url, f"{app.config.get('REDIS_PREFIX', 'exam')}")
    return DatabaseStore()


def store(app: Flask | None = None) -> SessionStore:
    app = app or real_app()
    found = app.extensions.get("exam_session_store")
    if found is None:
        found = app.extensions["exam_session_store"] = make_store(app)
    return found


def lifetime(app: Flask) -> timedelta:
    return app.permanent_session_lifetime

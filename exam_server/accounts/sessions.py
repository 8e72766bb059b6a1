"""Server-side sessions: the cookie carries only the signed id of a login record.

A signed cookie alone cannot be taken back: a copy of it kept working for the whole session
lifetime after logout, and anyone holding the signing key could mint an admin's cookie. Here
who is logged in lives only in the record (`session_store`); the cookie names it. Without a
record a cookie is anonymous: its data (the CSRF token before login) is kept, but any identity
in it is dropped, so a forged cookie is worth nothing.

`open_session` runs for every HTTP request and every Socket.IO event (Flask-SocketIO opens the
session of the handshake for each event), so a revoked record is seen at once. A login (any
code that puts an identity into the session) gets a fresh record when the session is saved.

The signing serializer is built once per app: Flask builds one (key derivation included) per
request, which was a tenth of a save's CPU on the autosave path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from exam_server.accounts.session_store import SessionRecord, hash_session_id, lifetime, new_session_id, store
from exam_server.db import utcnow

# What says who the caller is: only ever taken from a record, never from a cookie.
IDENTITY_KEYS = frozenset({"user_id", "registration_id", "attempt_id", "sbd", "role"})
RECORD_KEY = "_sid"


class ServerSession(SecureCookieSession):
    """The session data plus which record it belongs to."""

    def __init__(self, initial: Any = None, *, id_hash: str | None = None,
                 identity: tuple[str, int | None, int | None] | None = None,
                 revoked: str | None = None, revoked_role: str | None = None) -> None:
        super().__init__(initial)
        self.id_hash = id_hash          # the record behind this session (None: anonymous)
        self.identity = identity        # (role, user_id, registration_id) of that record
        self.revoked = revoked          # the cookie named a revoked record: why it was revoked
        self.revoked_role = revoked_role
        self.rotate = False             # a login: save under a new record even for the same identity

    def current_identity(self) -> tuple[str, int | None, int | None] | None:
        role = self.get("role")
        if not role:
            return None
        return (str(role), self.get("user_id"), self.get("registration_id"))


def server_session() -> ServerSession:
    """The request's session, as the server-side session interface always makes it."""
    return cast(ServerSession, session)


class ServerSideSessionInterface(SecureCookieSessionInterface):
    session_class = ServerSession

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = app.extensions.get("session_serializer")
        if cached is None:
            cached = super().get_signing_serializer(app)
            if cached is not None:
                app.extensions["session_serializer"] = cached
        return cached

    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return ServerSession()
        try:
            payload = signer.loads(value, max_age=int(lifetime(app).total_seconds()))
        except BadSignature:
            return ServerSession()
        if not isinstance(payload, dict):
            return ServerSession()
        raw = payload.get(RECORD_KEY)
        if not isinstance(raw, str):
            return ServerSession({k: v for k, v in payload.items() if k not in IDENTITY_KEYS})
        id_hash = hash_session_id(raw)
        record = store(app).get(id_hash)
        if record is None:
            return ServerSession()
        if record.revoked_reason:
            return ServerSession(revoked=record.revoked_reason, revoked_role=record.role)
        return ServerSession(record.data, id_hash=id_hash, identity=record.identity)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]  # narrows the session type our open_session returns
        identity = session.current_identity()
        if identity is not None:
            if session.id_hash is None or session.rotate or identity != session.identity:
                self._new_record(app, session, identity, response)
            elif session.modified:
                store(app).update_data(session.id_hash, dict(session))
            return
        if session.id_hash is not None:
            # The identity was taken out of the session (a logout): its record ends with it.
            from exam_server.accounts.revocation import revoke_sessions

            revoke_sessions("logout", id_hash=session.id_hash)
            session.id_hash = None
            session.modified = True
        if session.modified:
            self._write_cookie(app, response, dict(session) if session else None, None)

    def _new_record(self, app: Flask, session: ServerSession, identity: tuple[str, int | None, int | None],
                    response: Response) -> None:
        previous = session.id_hash
        raw, id_hash = new_session_id()
        role, user_id, registration_id = identity
        expires = utcnow() + lifetime(app)
        store(app).create(SessionRecord(id_hash, role, user_id, registration_id, expires, dict(session)))
        if previous is not None:  # this browser's earlier login ends (no session fixation)
            from exam_server.accounts.revocation import revoke_sessions

            revoke_sessions("replaced", id_hash=previous)
        session.id_hash, session.identity, session.rotate = id_hash, identity, False
        self._write_cookie(app, response, {RECORD_KEY: raw}, expires)

    def _write_cookie(self, app: Flask, response: Response, payload: dict[str, Any] | None,
                      expires: datetime | None) -> None:
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        secure, samesite, httponly = (self.get_cookie_secure(app), self.get_cookie_samesite(app),
                                      self.get_cookie_httponly(app))
        response.vary.add("Cookie")
        if not payload:
            response.delete_cookie(name, domain=domain, path=path, secure=secure, samesite=samesite,
                                   httponly=httponly)
            return
        signer = self.get_signing_serializer(app)
        assert signer is not None
        response.set_cookie(name, signer.dumps(payload), expires=expires, httponly=httponly, domain=domain,
                            path=path, secure=secure, samesite=samesite)

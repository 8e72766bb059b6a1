"""Server-side sessions: the cookie carries only the signed id of a login record.

A signed cookie alone cannot be taken back: a copy of it kept working for the whole session
lifetime after logout, and anyone holding the signing key could mint an admin's cookie. Here
who is logged in lives only in the record (`session_store`); the cookie names it. Without a
record a cookie is anonymous: its data (the CSRF token before login) is kept, but any identity
in it is dropped, so a forged cookie is worth nothing.

`open_session` runs for every HTTP request and every Socket.IO event (Flask-SocketIO opens the
session of the handshake for each event), so a revoked record is seen at once. A login (any
code that puts an identity into the session) gets a fresh record when the session is saved
(a staff login: its own COMMIT), or its view adds the record to its own transaction
(`ServerSession.add_record`, a candidate login: code spent, entry, event, older logins ended and
the record in one COMMIT) and the session only writes the cookie, once that COMMIT happened.

The signing serializer is built once per app: Flask builds one (key derivation included) per
request, which was a tenth of a save's CPU on the autosave path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from exam_server.accounts.session_store import SessionRecord, hash_session_id, lifetime, new_session_id, store
from exam_server.db import utcnow
from exam_server.extensions import real_app

# What says who the caller is: only ever taken from a record, never from a cookie.
IDENTITY_KEYS = frozenset({"user_id", "registration_id", "attempt_id", "sbd", "role"})
RECORD_KEY = "_sid"


@dataclass
class NewLogin:
    """A login record added to the request's transaction (`ServerSession.add_record`): the
    caller commits, then calls `committed()`; only then does the response carry the cookie."""

    raw: str  # the id the cookie carries
    record: SessionRecord
    revoked: list[tuple[str, list[str]]]  # (reason, hashes) of the records ended in the same transaction
    done: bool = False

    def committed(self) -> None:
        """After the COMMIT: the record cached, the records it ended told to the cache and to
        their sockets in every process (before it, a rollback would have logged nobody in or out)."""
        from exam_server.accounts.revocation import revoked_committed  # revocation imports this module

        self.done = True  # committed: the cookie goes out whatever the cache says
        store().cache_added(self.record)
        for reason, hashes in self.revoked:
            revoked_committed(reason, hashes)


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
        # a login whose view writes its record (`add_record`): from its start the session
        # itself writes nothing but that login's cookie, and that only once it is committed
        self.login_in_transaction = False
        self.new_login: NewLogin | None = None

    def current_identity(self) -> tuple[str, int | None, int | None] | None:
        role = self.get("role")
        if not role:
            return None
        return (str(role), self.get("user_id"), self.get("registration_id"))

    def add_record(self, revoked: list[tuple[str, list[str]]]) -> NewLogin:
        """The record of the identity just put into the session, added to the request's
        transaction with the data as it is now (the caller's one COMMIT writes it with the rest
        of the login); `revoked` names what that transaction ended (see `NewLogin`)."""
        identity = self.current_identity()
        if identity is None:
            raise ValueError("a login record needs an identity in the session")
        app = real_app()
        raw, id_hash = new_session_id()
        role, user_id, registration_id = identity
        record = SessionRecord(id_hash, role, user_id, registration_id, utcnow() + lifetime(app), dict(self))
        self.login_in_transaction = True
        self.new_login = NewLogin(raw, record, revoked)  # before the INSERT: should it fail, no cookie either
        store(app).add(record)
        return self.new_login


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
        if session.login_in_transaction:
            self._issue_cookie(app, session, session.new_login, response)
            return
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

    def _issue_cookie(self, app: Flask, session: ServerSession, login: NewLogin | None, response: Response) -> None:
        """The cookie of a login whose view wrote its record; none if that record was never
        committed (the view failed on the way): the browser keeps what it had, and nothing is
        written on its behalf (no record, no logout of its previous one)."""
        if login is None or not login.done:
            return
        if dict(session) != login.record.data:  # written to after the record was added
            store(app).update_data(login.record.id_hash, dict(session))
        session.id_hash, session.identity, session.rotate = login.record.id_hash, login.record.identity, False
        self._write_cookie(app, response, {RECORD_KEY: login.raw}, login.record.expires_at)

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

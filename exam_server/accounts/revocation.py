"""Ending logins: revoke records, refuse their requests, disconnect their sockets everywhere.

Contract with the candidate page: a revoked session's HTTP request to anything but a public
endpoint is answered 401 `{"ok": false, "code": "accounts.session_revoked", ...}` (pages
redirect to their login page with `?reason=session_revoked`); its sockets receive the event
`session_revoked` `{"code", "message"}` in the page's language and are disconnected.

Sockets are tied to their record by joining the Socket.IO room `session:<record hash>`. A
revocation is announced on the Redis channel `<prefix>-session-revoked` when Redis is
configured, so the process that holds the socket (any of them) disconnects it; with one
process it is handled at once. Every socket event also re-reads the record (the session is
opened per event), so a socket a lost announcement missed is refused on its next event.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, current_app, jsonify, redirect, request, session, url_for
from werkzeug.http import parse_cookie

from exam_server.accounts.session_store import store
from exam_server.accounts.sessions import server_session
from exam_server.extensions import real_app
from exam_server.i18n import LANGUAGES, translate

log = logging.getLogger(__name__)
CODE = "accounts.session_revoked"
EVENT = "session_revoked"
NAMESPACES = ("/exam", "/monitor")


def room_for(id_hash: str) -> str:
    return f"session:{id_hash}"


def _channel(app: Flask) -> str:
    return f"{app.config.get('REDIS_PREFIX', 'exam')}-session-revoked"


def revoke_sessions(reason: str, *, id_hash: str | None = None, user_id: int | None = None,
                    registration_id: int | None = None, keep: str | None = None) -> list[str]:
    """Revoke records (see `SessionStore.revoke`) and disconnect their sockets in every process."""
    app = real_app()
    hashes = store(app).revoke(reason, id_hash=id_hash, user_id=user_id, registration_id=registration_id, keep=keep)
    if hashes:
        announce(app, hashes)
    return hashes


def revoke_in_transaction(reason: str, *, id_hash: str | None = None, user_id: int | None = None,
                          registration_id: int | None = None) -> list[str]:
    """`revoke_sessions` inside the caller's transaction: nothing is told to the cache or the
    sockets until the caller committed and called `revoked_committed` (a rolled-back login
    ends nobody)."""
    return store(real_app()).revoke_in_transaction(reason, id_hash=id_hash, user_id=user_id,
                                                   registration_id=registration_id)


def revoked_committed(reason: str, hashes: list[str]) -> None:
    """After the COMMIT of `revoke_in_transaction`: the cache, then the sockets everywhere."""
    if hashes:
        app = real_app()
        store(app).cache_revoked(reason, hashes)
        announce(app, hashes)


def revoke_current(reason: str) -> None:
    """End the caller's own login."""
    id_hash = getattr(session, "id_hash", None)
    if id_hash:
        revoke_sessions(reason, id_hash=id_hash)
        server_session().id_hash = None


def announce(app: Flask, hashes: list[str]) -> None:
    url = app.config.get("REDIS_URL") or ""
    if url:
        try:
            _redis(app).publish(_channel(app), json.dumps(hashes))
            return
        except Exception:  # Redis away: this process at least; the others refuse the next event
            log.warning("could not announce revoked sessions; disconnecting locally", exc_info=True)
    disconnect_local(hashes)


def _redis(app: Flask) -> Any:
    client = app.extensions.get("exam_revocation_redis")
    if client is None:
        import redis

        client = app.extensions["exam_revocation_redis"] = redis.Redis.from_url(app.config["REDIS_URL"])
    return client


def _language(environ: dict[str, Any] | None) -> str:
    """The language of the page that opened the socket (its ?lang= or lang cookie)."""
    if environ:
        query = (parse_qs(environ.get("QUERY_STRING", "")).get("lang") or [None])[0]
        cookie = parse_cookie(environ).get("lang")
        for lang in (query, cookie):
            if lang in LANGUAGES:
                return lang
    return "vi"


def revoked_payload(lang: str | None = None) -> dict[str, Any]:
    return {"code": CODE, "message": translate(CODE, lang=lang)}


def disconnect_local(hashes: list[str]) -> int:
    """Tell this process's sockets of these records why, then disconnect them."""
    from exam_server.extensions import socketio

    server = getattr(socketio, "server", None)
    if server is None:
        return 0
    count = 0
    for namespace in NAMESPACES:
        for id_hash in hashes:
            for sid, eio_sid in list(server.manager.get_participants(namespace, room_for(id_hash))):
                try:
                    environ = server.environ.get(eio_sid)
                    server.emit(EVENT, revoked_payload(_language(environ)), to=sid, namespace=namespace,
                                ignore_queue=True)
                    server.disconnect(sid, namespace=namespace, ignore_queue=True)
                    count += 1
                except Exception:  # already gone
                    log.debug("socket %s of a revoked session already gone", sid, exc_info=True)
    return count


def _listen(app: Flask) -> None:
    """Disconnect this process's sockets of every revocation announced by any process."""
    from exam_server.extensions import socketio

    while True:
        try:
            pubsub = _redis(app).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_channel(app))
            for message in pubsub.listen():
                if message.get("type") == "message":
                    disconnect_local([str(h) for h in json.loads(message["data"])])
        except Exception:  # Redis restarted: subscribe again
            log.warning("revocation listener lost Redis; retrying", exc_info=True)
            socketio.sleep(1.0)


def start_listener(app: Flask) -> None:
    if app.config.get("REDIS_URL") and not app.extensions.get("exam_revocation_listener"):
        from exam_server.extensions import socketio

        app.extensions["exam_revocation_listener"] = True
        socketio.start_background_task(_listen, app)


# -- HTTP -------------------------------------------------------------------------------
def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def refuse_revoked_request() -> Any:
    """before_request (first of all, before the CSRF check): a revoked login's cookie may still
    reach public endpoints (log in again), nothing else."""
    reason = getattr(session, "revoked", None)
    if not reason:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if not isinstance(getattr(view, "access", None), frozenset):
        return None  # public endpoints and static files: as anonymous
    message = translate(CODE)
    if _wants_json():
        return jsonify(ok=False, code=CODE, message=message, error={"code": CODE, "message": message}), 401
    login = "live.login" if getattr(session, "revoked_role", None) == "candidate" else "account_pages.login"
    return redirect(url_for(login, reason="session_revoked"))


def install(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_revoked_request)


# -- Socket.IO --------------------------------------------------------------------------
def admit_socket() -> dict[str, Any] | None:
    """At connect: None to go on (the socket is tied to its record), or the refusal."""
    from flask_socketio import join_room

    if getattr(session, "revoked", None):
        return {"ok": False, **revoked_payload()}
    id_hash = getattr(session, "id_hash", None)
    if id_hash:
        join_room(room_for(id_hash))
    return None


def check_socket_event() -> dict[str, Any] | None:
    """At every event: None while the login record is valid; else the page is told, the socket
    disconnected, and the refusal returned as the event's answer."""
    if getattr(session, "id_hash", None) and not getattr(session, "revoked", None):
        return None
    from flask_socketio import disconnect, emit

    payload = revoked_payload()
    if getattr(session, "revoked", None):
        emit(EVENT, payload)
    else:
        payload = {"code": "accounts.login_required", "message": translate("accounts.login_required")}
    disconnect()
    return {"ok": False, **payload}

"""Flask extensions, created here unbound and attached by the app factory with init_app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from exam_server import socket_json, socket_rooms

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()


def real_app() -> Flask:
    """The app behind `current_app` (to hand to a thread, a child process or a store)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's own method
    return app


def current_sid() -> str:
    """The Socket.IO session id of the event being handled (flask-socketio sets it on the request)."""
    sid: str = request.sid  # type: ignore[attr-defined]  # added at run time; Flask's types do not know it
    return sid


def login_rate_limit() -> str:
    """Per client address, every login attempt. 200 a minute by default: a room of 40 behind one
    school NAT address logs in within a minute even with a retry each (10 a minute locked it out)."""
    return current_app.config["SECURITY_LOGIN_RATE_LIMIT"]


def login_account_rate_limit() -> str:
    """Per account, failed attempts only (10 a minute by default): guessing one account's password
    from many addresses is slowed, and a candidate who logs in again after a move is never blocked."""
    return str(current_app.config.get("SECURITY_LOGIN_ACCOUNT_RATE_LIMIT") or "10 per minute")


def login_account_key() -> str:
    """The account a login names: staff username, one-time code, or sitting + SBD (JSON or form)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    if data.get("code"):
        account = "code:" + str(data.get("code")).strip().upper()
    elif data.get("sbd"):
        account = f"sbd:{str(data.get('sitting_id', '')).strip()}:{str(data.get('sbd')).strip().upper()}"
    else:
        account = "user:" + str(data.get("username", "")).strip().lower()
    return "login-account:" + account[:120]


def login_failed(response: Response) -> bool:
    """Only refused logins count against an account."""
    return response.status_code >= 400


def limit_login_per_account() -> Callable[[Any], Any]:
    """The decorator every login endpoint carries beside the per-address limit."""
    return limiter.limit(login_account_rate_limit, key_func=login_account_key, deduct_when=login_failed)


def save_rate_limit() -> str:
    """HTTP saves per attempt (the socket has its own per-connection limit): a journal replay after
    minutes offline fits, a script hammering the database does not."""
    return str(current_app.config.get("SECURITY_SAVE_RATE_LIMIT") or "20 per second; 600 per minute")


def save_rate_key() -> str:
    return f"save-attempt:{(request.view_args or {}).get('attempt_id', '')}"


def save_rate_breached(limit: Any) -> Response:
    """A refused save in the save contract's shape: retryable, the page keeps it in its journal."""
    from exam_server.i18n import translate

    body = {"ok": False, "code": "attempts.save_rate_limited", "retry": True,
            "message": translate("attempts.save_rate_limited")}
    response = jsonify({**body, "error": {"code": body["code"], "message": body["message"]}})
    response.status_code = 429
    return response


def limit_saves_per_attempt() -> Callable[[Any], Any]:
    return limiter.limit(save_rate_limit, key_func=save_rate_key, on_breach=save_rate_breached)


def init_extensions(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL") or ""
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config.get("REDIS_PREFIX", "exam"))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    csrf.init_app(app)
    limiter.init_app(app)
    socketio.init_app(
        app,
        message_queue=redis_url or None,
        client_manager=socket_rooms.client_manager(redis_url, f"{app.config.get('REDIS_PREFIX', 'exam')}-socketio"),
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        # None = same origin only; an empty list would switch engine.io's Origin check off.
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS") or None,
        manage_session=False,
        ping_timeout=int(app.config.get("SOCKET_PING_TIMEOUT", 60)),
        json=socket_json,
        # One connection's events in arrival order (a save before a submit is handled first);
        # connections still run side by side.
        async_handlers=False,
    )

"""Flask extensions, created here unbound and attached by the app factory with init_app."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()


def login_rate_limit() -> str:
    return current_app.config["SECURITY_LOGIN_RATE_LIMIT"]


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
        channel=f"{app.config.get('REDIS_PREFIX', 'exam')}-socketio",
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        # None = same origin only; an empty list would switch engine.io's Origin check off.
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS") or None,
        manage_session=False,
    )

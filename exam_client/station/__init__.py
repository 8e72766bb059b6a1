"""The station's local web UI (127.0.0.1 only): app factory and server."""

from __future__ import annotations

import secrets

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.serving import BaseWSGIServer, make_server

import exam_client.messages  # noqa: F401  (registers the catalogue)
import exam_server.checkin.messages  # noqa: F401  (the server's check-in reasons, shown in the page's language)
from exam_client.station.service import Station

csrf = CSRFProtect()


def create_app(station: Station) -> Flask:
    app = Flask(__name__)
    # A fresh key per run: sessions die with the station process, nothing secret is stored.
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["station"] = station
    csrf.init_app(app)
    from exam_client.station.views import bp

    app.register_blueprint(bp)
    return app


def serve(station: Station, port: int, host: str = "127.0.0.1") -> BaseWSGIServer:
    """A threaded local server (werkzeug; runs the same on Windows)."""
    return make_server(host, port, create_app(station), threaded=True)

"""The station's local web UI (127.0.0.1 only): app factory and server.

Pages are translated through the station's own gettext catalogue (`exam_client.messages`):
Flask-Babel picks the language (?lang=, then the `lang` cookie, then Vietnamese) and the
templates' `_("English source text", name=value)` is looked up in that catalogue (brace
parameters, the convention of every package).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect
from werkzeug.serving import BaseWSGIServer, make_server

from exam_client.messages import CATALOGUE
from exam_client.station.service import Station
from exam_common.assets import common_static_blueprint
from exam_common.i18n import pick_language

csrf = CSRFProtect()
babel = Babel()


def select_language() -> str:
    """?lang=, then the `lang` cookie, then Vietnamese (Flask-Babel's locale selector)."""
    return pick_language([request.args.get("lang"), request.cookies.get("lang")])


def page_language() -> str:
    """The current request's language, as Flask-Babel selected it."""
    locale = get_locale()
    return pick_language([locale.language if locale is not None else None])


def page_text(message: str, **params: Any) -> str:
    """Jinja `_`: a page text (English msgid) in the request's language, brace parameters placed."""
    return CATALOGUE.gettext(message, page_language(), **params)


def page_ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    return CATALOGUE.ngettext(singular, plural, n, page_language(), **params)


def create_app(station: Station) -> Flask:
    app = Flask(__name__)
    # A fresh key per run: sessions die with the station process, nothing secret is stored.
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024,
        BABEL_DEFAULT_LOCALE="vi",
    )
    app.extensions["station"] = station
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_language)
    # Flask-Babel installs %-formatting gettext callables; the station's texts use braces.
    app.jinja_env.globals.update(_=page_text, gettext=page_text, ngettext=page_ngettext)
    from exam_client.station.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(common_static_blueprint())  # i18n.js and dom.js, shared with the server's pages
    return app


def serve(station: Station, port: int, host: str = "127.0.0.1") -> BaseWSGIServer:
    """A threaded local server (werkzeug; runs the same on Windows)."""
    return make_server(host, port, create_app(station), threaded=True)

"""The application factory."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from jinja2 import TemplateNotFound

from exam_server import caching, i18n, page_scripts, security_headers
from exam_server.accounts import revocation
from exam_server.accounts.sessions import ServerSideSessionInterface
from exam_server.config import (
    check_secret_key,
    instance_secret,
    is_embedded,
    load_config,
    resolve_database_url,
)
from exam_server.db import db
from exam_server.errors import ServiceError
from exam_server.extensions import init_extensions

# The domains are layered (lowest first: events, accounts, bank, exams, attempts, checkin,
# realtime, then monitor and results); `[tool.importlinter]` in pyproject.toml holds the order
# and `lint-imports` (scripts/test.sh) fails on an import against it.


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("EXAM_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.session_interface = ServerSideSessionInterface()
    app.config.update(load_config())
    app.config.update(overrides)
    _finish_config(app, overrides)

    db.init_app(app)
    caching.install(app)  # bounded per-process caches (attempt owners, papers)
    revocation.install(app)  # first before_request: a revoked login is answered before CSRF
    security_headers.install(app)
    page_scripts.install(app)  # the modules shared with the station, at /static/common/
    init_extensions(app)
    _import_catalogues()
    for bp in _blueprints():
        app.register_blueprint(bp)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _forget_request_caches(app)

    from exam_server import monitor, realtime

    realtime.init_app(app)
    monitor.init_app(app)  # the dashboards, above the live layer
    revocation.start_listener(app)
    return app


def _finish_config(app: Flask, overrides: dict[str, Any]) -> None:
    cfg = app.config
    check_secret_key(cfg, embedded=is_embedded(cfg))
    cfg["DATABASE_URL"] = resolve_database_url(cfg["DATABASE_URL"], app.instance_path)
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = instance_secret(app.instance_path)
    # Flask has defaults for most of these, so they are set unless the caller overrode them.
    ours = {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": bool(cfg.get("SECURITY_SESSION_COOKIE_SECURE", False)),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=cfg.get("SECURITY_SESSION_HOURS", 12)),
        # The cookie is signed at login only, not re-signed on every save (saves are the hot
        # path); sessions still end PERMANENT_SESSION_LIFETIME after login.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    }
    for key, value in ours.items():
        if key not in overrides:
            cfg[key] = value
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider's setting, not on the base type
    if int(cfg.get("PROXY_COUNT", 0)) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(cfg["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app


def _import_catalogues() -> None:
    """Importing a domain's catalogue registers its texts. Named one by one: a renamed or
    missing module is an ImportError when the server starts, never a silently missing text."""
    from exam_server.accounts import messages as _accounts  # noqa: F401
    from exam_server.attempts import messages as _attempts  # noqa: F401
    from exam_server.bank import messages as _bank  # noqa: F401
    from exam_server.checkin import messages as _checkin  # noqa: F401
    from exam_server.exams import messages as _exams  # noqa: F401
    from exam_server.monitor import messages as _monitor  # noqa: F401
    from exam_server.results import messages as _results  # noqa: F401


def _blueprints() -> list[Blueprint]:
    """Every blueprint of the app, in registration order (the JSON APIs, then the pages).

    Imported by name inside the factory (so `exam-server --help` stays quick): a renamed or
    missing module is an ImportError when the server starts, never a silently absent route.
    The live pages (`/exam`) are registered by `realtime.init_app` with the sockets.
    """
    from exam_server.accounts import api as accounts_api
    from exam_server.accounts import views as accounts_views
    from exam_server.attempts import api as attempts_api
    from exam_server.attempts import entry_api as candidate_entry_api
    from exam_server.attempts import views as attempts_views
    from exam_server.bank import api as bank_api
    from exam_server.bank import views as bank_views
    from exam_server.checkin import api as checkin_api
    from exam_server.exams import api as exams_api
    from exam_server.exams import edit_views as _exams_edit_views  # noqa: F401  (its routes join exam_pages)
    from exam_server.exams import paper_views as _exams_paper_views  # noqa: F401  (its routes join exam_pages)
    from exam_server.exams import views as exams_views
    from exam_server.monitor import views as monitor_views
    from exam_server.results import api as results_api
    from exam_server.results import views as results_views

    return [
        accounts_api.bp, exams_api.bp, attempts_api.bp, candidate_entry_api.bp, checkin_api.bp, results_api.bp,
        bank_api.bp,
        accounts_views.bp, exams_views.bp, attempts_views.bp, monitor_views.bp, results_views.bp,
        results_views.scores_bp, bank_views.bp,
    ]


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, code: str, message: str) -> Any:
    if _wants_json():
        return jsonify(error={"code": code, "message": message}), status
    try:
        return render_template("errors/error.html", status=status, code=code, message=message), status
    except TemplateNotFound:
        return message, status


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        from exam_server.db import session

        session.rollback()
        if _wants_json():
            return jsonify(error=exc.to_dict()), exc.status
        return _error_page(exc.status, exc.code, exc.message())

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return _error_page(400, "accounts.csrf_failed", i18n.translate("accounts.csrf_failed"))

    @app.errorhandler(429)
    def too_many(exc: Any) -> Any:
        if getattr(exc, "response", None) is not None:  # a limit with its own answer (HTTP saves)
            return exc.response
        return _error_page(429, "accounts.rate_limited", i18n.translate("accounts.rate_limited"))

    @app.errorhandler(404)
    def not_found(exc: Any) -> Any:
        return _error_page(404, "errors.not_found", i18n.translate("errors.not_found"))

    @app.errorhandler(405)
    def not_allowed(exc: Any) -> Any:
        return _error_page(405, "errors.method_not_allowed", i18n.translate("errors.method_not_allowed"))


def _forget_request_caches(app: Flask) -> None:
    """`g` outlives a request when an outer app context is pushed (the tests, scripts): drop
    what was cached about the previous request's caller."""

    @app.before_request
    def forget() -> None:
        g.pop("current_user", None)
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _register_template_helpers(app: Flask) -> None:
    i18n.init_app(app)  # Flask-Babel, the Jinja gettext globals, the date and number filters


def start_background_jobs(app: Flask) -> None:
    """The deadline/schedule loop (call once per serving process, never in CLI commands)."""
    if app.extensions.get("exam_jobs_started"):
        return
    app.extensions["exam_jobs_started"] = True
    from exam_server.attempts.deadlines import run_forever
    from exam_server.extensions import socketio

    socketio.start_background_task(run_forever, app, float(app.config.get("EXAM_DEADLINE_CHECK_SECONDS", 1.0)))


def stop_background_jobs(app: Flask) -> None:
    """Let the loop finish its current round and exit (tests, orderly shutdown)."""
    app.extensions["exam_jobs_stopped"] = True

"""The station's page and the small JSON API its script calls.

The page is one screen driven from the keyboard; the script polls `/api/state`. Every action
needs the browser session that logged the invigilator in (the station listens on 127.0.0.1
only, but other local users should still not drive it) and a CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, session

from exam_client.decision import OverrideError
from exam_client.outbox import ServerRejected, ServerUnreachable
from exam_client.station.service import Station
from exam_server.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog, translate

bp = Blueprint("station", __name__, template_folder="templates", static_folder="static")


def station() -> Station:
    return current_app.extensions["station"]


def _fingerprint(token: str | None) -> str | None:
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _lang() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang") or DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _error(code: str, status: int, **params: Any) -> tuple[Response, int]:
    return jsonify(code=code, message=translate(code, _lang(), **params)), status


def logged_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = station().token
        if token is None or session.get("device") != _fingerprint(token):
            return _error("client.login.required", 401)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
def index() -> str:
    lang = _lang()
    texts = {k: v for k, v in catalog(lang).items() if k.startswith(("client.", "card.", "checkin."))}
    return render_template("station.html", lang=lang, texts=texts, languages=LANGUAGES)


@bp.post("/api/login")
def login() -> Any:
    body = request.get_json(silent=True) or {}
    username, password = str(body.get("username", "")).strip(), str(body.get("password", ""))
    if not username or not password:
        return _error("client.login.failed", 400)
    try:
        device = station().login(username, password)
    except ServerUnreachable as exc:
        return _error("client.server.unreachable", 503, detail=str(exc))
    except ServerRejected:
        return _error("client.login.failed", 403)
    # Keep the session (it holds the page's CSRF secret); only bind it to the new token.
    session["device"] = _fingerprint(device.token)
    return jsonify(ok=True, invigilator=device.invigilator, room=device.room)


@bp.post("/api/logout")
@logged_in
def logout() -> Any:
    station().logout()
    session.pop("device", None)
    return jsonify(ok=True)


@bp.get("/api/state")
def state() -> Any:
    st = station()
    if st.token is None or session.get("device") != _fingerprint(st.token):
        return jsonify(logged_in=False, room={"name": st.config.room}, station=st.config.station_name)
    return jsonify(st.state())


@bp.post("/api/keys")
@logged_in
def keys() -> Any:
    text = str((request.get_json(silent=True) or {}).get("text", ""))
    try:
        typed = station().type_keys(text)
    except ValueError as exc:
        return _error(str(exc), 400)
    return jsonify(ok=True, keys=typed.to_dict())


@bp.post("/api/clear")
@logged_in
def clear() -> Any:
    station().clear()
    return jsonify(ok=True)


@bp.post("/api/override")
@logged_in
def override() -> Any:
    reason = str((request.get_json(silent=True) or {}).get("reason", ""))
    try:
        result = station().override(reason)
    except OverrideError as exc:
        return _error(exc.code, 400)
    return jsonify(ok=True, result=result.to_dict())


def _jpeg(data: bytes | None) -> Response:
    if data is None:
        return Response(status=204)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/camera.jpg")
@logged_in
def camera() -> Response:
    return _jpeg(station().frame_jpeg())


@bp.get("/chip.jpg")
@logged_in
def chip_photo() -> Response:
    return _jpeg(station().chip_photo_jpeg())


@bp.get("/live.jpg")
@logged_in
def live_photo() -> Response:
    return _jpeg(station().live_photo_jpeg())

"""The station's page and the small JSON API its script calls.

The page is one screen driven from the keyboard; the script polls `/api/state`. Every action
needs the browser session that logged the invigilator in (the station listens on 127.0.0.1
only, but other local users should still not drive it) and a CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, session

from exam_client.decision import OverrideError
from exam_client.messages import describe, reason_text, text
from exam_client.outbox import ServerRejected, ServerUnreachable
from exam_client.station import page_language
from exam_client.station.service import Station
from exam_common.assets import script_messages
from exam_common.i18n import LANGUAGES

bp = Blueprint("station", __name__, template_folder="templates", static_folder="static")
SCRIPT_TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"  # exam_client/translations


def station() -> Station:
    return current_app.extensions["station"]


def _fingerprint(token: str | None) -> str | None:
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def _lang() -> str:
    return page_language()


def _error(code: str, status: int, **params: Any) -> tuple[Response, int]:
    return jsonify(code=code, message=text(code, _lang(), **params)), status


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
    # The script's texts: the station's `js` gettext domain (English msgid -> the page's language).
    return render_template("station.html", lang=lang, texts=script_messages(SCRIPT_TRANSLATIONS, lang),
                           languages=LANGUAGES)


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
    return jsonify(with_texts(st.state(), _lang()))


def with_texts(state: dict[str, Any], lang: str) -> dict[str, Any]:
    """The station's state with texts in the page's language: the card message, and each reason
    the server gave (ours for a code we know, else the server's own `message`)."""
    state = dict(state)  # the stored answer is shared: texts go on copies
    card = dict(state.get("card") or {})
    message = card.get("message")
    if message and message.get("cause_code"):
        card["message"] = {**message, "text": describe(message["cause_code"], message.get("cause_params"), lang)}
    state["card"] = card
    result = state.get("result")
    if result and result.get("decision"):  # the station's own reasons (shown while the server has none)
        decision = dict(result["decision"])
        decision["reasons"] = [
            {**r, "text": reason_text({**r, "params": {"room": result.get("room") or "", **(r.get("params") or {})}}, lang)}
            for r in decision.get("reasons") or []]
        result = state["result"] = {**result, "decision": decision}
    if result and result.get("server"):
        server = dict(result["server"])
        server["reasons"] = [{**r, "text": reason_text(r, lang)} for r in server.get("reasons") or []]
        if server.get("code"):
            server["text"] = reason_text({"code": server["code"], "message": server.get("message"),
                                          "params": {"seat": server.get("seat") or ""}}, lang)
        state["result"] = {**result, "server": server}
    return state


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

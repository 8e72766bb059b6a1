"""Staff pages of the accounts domain: sign-in, sign-out, language switch, home redirect.

This blueprint also owns what every staff page shares: the signed-in user and language for the
layout, and the date filters that show server (UTC) times in the exam's local time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

import exam_server.accounts.page_messages  # noqa: F401  (registers the page texts)
from exam_server import i18n
from exam_server.accounts import auth, service, staff_admin
from exam_server.accounts.models import STAFF_ROLES
from exam_server.db import session as db
from exam_server.errors import ServiceError
from exam_server.extensions import limit_login_per_account, limiter, login_rate_limit
from exam_server.page_links import CANDIDATE_HOME, CANDIDATE_LOGIN, optional_url

bp = Blueprint("account_pages", __name__)

LANG_COOKIE_AGE = 365 * 24 * 3600


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_for(role: str | None) -> str:
    if role in ("admin", "examiner"):
        return url_for("exam_pages.exam_list")
    if role == "invigilator":
        return url_for("room_pages.my_rooms")
    if role == "candidate":
        return optional_url(CANDIDATE_HOME) or url_for("account_pages.login")
    return url_for("account_pages.login")


@bp.get("/")
@auth.public
def home() -> Response:
    return redirect(home_for(auth.current_role()))


@bp.route("/login", methods=["GET", "POST"])
@auth.public
@limiter.limit(login_rate_limit, methods=["POST"])
@limit_login_per_account()
def login() -> Any:
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET" and auth.current_user() is not None:
        return redirect(next_url or home_for(auth.current_role()))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error = i18n.translate("pages.login.missing")
        else:
            user = service.authenticate(username, password)
            if user is None:
                error = i18n.translate("pages.login.failed")
            else:
                auth.login_staff(user)
                return redirect(next_url or home_for(user.role))
    notice = i18n.translate("accounts.session_revoked") if request.args.get("reason") == "session_revoked" else ""
    return render_template(
        "accounts/login.html", error=error, username=username, next_url=next_url,
        candidate_login_url=optional_url(CANDIDATE_LOGIN), notice=notice,
    )


@bp.post("/logout")
@auth.public
def logout() -> Response:
    auth.logout()
    flash(i18n.translate("pages.login.logged_out"), "success")
    return redirect(url_for("account_pages.login"))


@bp.post("/language")
@auth.public
def set_language() -> Response:
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next")) or url_for("account_pages.home")
    response = redirect(target)
    if lang in i18n.LANGUAGES:
        _set_language_cookie(response, lang)
    return response


def _set_language_cookie(response: Response, lang: str) -> None:
    response.set_cookie("lang", lang, max_age=LANG_COOKIE_AGE, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """A link with ?lang=en (as the demo prints) keeps its language on the pages that follow."""
    lang = request.args.get("lang")
    if lang in i18n.LANGUAGES and request.cookies.get("lang") != lang:
        _set_language_cookie(response, lang)
    return response


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    user = auth.current_user()
    staff = {"display_name": user.full_name or user.username, "role": user.role} if user else None
    return {"staff_user": staff, "page_lang": i18n.current_language()}


def _local(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh")))


@bp.app_template_filter("datetime_vn")
def datetime_vn(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the exam's time zone."""
    return _local(value).strftime("%d/%m/%Y %H:%M") if value else ""


@bp.app_template_filter("time_vn")
def time_vn(value: datetime | None) -> str:
    return _local(value).strftime("%H:%M:%S") if value else ""


@bp.app_template_filter("date_vn")
def date_vn(value: date | None) -> str:
    return i18n.format_date(value)


@bp.app_template_filter("decimal_vn")
def decimal_vn(value: float | None, places: int = 2) -> str:
    """A number with the decimal comma in Vietnamese (8,25) and the point in English (Babel)."""
    return i18n.format_decimal(value, places)


# --- Staff accounts (admins only) ---------------------------------------------------------

admin_required = auth.roles_required("admin")


def _staff_rows() -> list[dict[str, Any]]:
    return [{"user": u, "rooms": staff_admin.rooms_of(u)} for u in staff_admin.list_staff()]


@bp.route("/staff", methods=["GET", "POST"])
@admin_required
def staff_list() -> Any:
    """Every staff account, and the form for a new one (its password generated, shown once)."""
    error, values = None, {"username": "", "full_name": "", "role": "invigilator"}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        try:
            user, password = staff_admin.create_staff(values["username"], values["full_name"], values["role"],
                                                      auth.current_actor())
        except ServiceError as exc:
            db.rollback()
            error = exc.message()
        else:
            flash(i18n.translate("pages.staff.created", username=user.username, password=password), "success")
            return redirect(url_for("account_pages.staff_list"))
    return render_template("accounts/staff_list.html", rows=_staff_rows(), roles=STAFF_ROLES, error=error,
                           values=values), 422 if error else 200


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@admin_required
def staff_edit(user_id: int) -> Any:
    user = staff_admin.get_staff(user_id)
    error = None
    if request.method == "POST":
        try:
            room_ids = [int(i) for i in request.form.getlist("room_ids")]
            staff_admin.update_staff(user.id, auth.current_actor(), role=request.form.get("role"),
                                     full_name=request.form.get("full_name"), room_ids=room_ids)
        except ValueError:
            error = i18n.translate("accounts.bad_rooms")
        except ServiceError as exc:
            db.rollback()
            error = exc.message()
        else:
            flash(i18n.translate("pages.staff.saved", username=user.username), "success")
            return redirect(url_for("account_pages.staff_list"))
    assigned = {r.id for r in staff_admin.rooms_of(user)}
    return render_template("accounts/staff_edit.html", user=user, roles=STAFF_ROLES, rooms=staff_admin.open_rooms(),
                           assigned=assigned, error=error), 422 if error else 200


def _staff_action(user_id: int, action: str) -> Response:
    try:
        if action == "reset":
            user = staff_admin.get_staff(user_id)
            password = staff_admin.reset_password(user_id, auth.current_actor())
            flash(i18n.translate("pages.staff.reset_done", username=user.username, password=password), "success")
        else:
            user = staff_admin.set_active(user_id, action == "activate", auth.current_actor())
            flash(i18n.translate(f"pages.staff.{action}d", username=user.username), "success")
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
    return redirect(url_for("account_pages.staff_list"))


@bp.post("/staff/<int:user_id>/reset-password")
@admin_required
def staff_reset(user_id: int) -> Response:
    return _staff_action(user_id, "reset")


@bp.post("/staff/<int:user_id>/deactivate")
@admin_required
def staff_deactivate(user_id: int) -> Response:
    return _staff_action(user_id, "deactivate")


@bp.post("/staff/<int:user_id>/activate")
@admin_required
def staff_activate(user_id: int) -> Response:
    return _staff_action(user_id, "activate")

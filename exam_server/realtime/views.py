"""The candidate's pages: login (one-time code or SBD + password) and the live exam page.

Login posts to the core's JSON API (`/api/v1/auth/candidate-login`) from a small script, so
there is one login path; the exam page carries no questions itself (they come over the socket
once the room has started).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth
from exam_server.attempts import candidate as candidate_service
from exam_server.attempts import seb_guard
from exam_server.db import session as db
from exam_server.errors import Forbidden
from exam_server.i18n import current_language, translate
from exam_server.page_scripts import script_messages

bp = Blueprint("live", __name__, url_prefix="/exam")


@bp.get("/login")
@auth.public
def login() -> Any:
    if auth.current_registration_id() is not None:
        return redirect(url_for("live.exam_page"))  # already in: straight back to the paper
    config = {
        "api": url_for("candidate_entry.candidate_login"),
        "csrf_token": generate_csrf(),
        "next": url_for("live.exam_page"),
        "lang": current_language(),
        "messages": script_messages(),
    }
    notice = translate("accounts.session_revoked") if request.args.get("reason") == "session_revoked" else ""
    # The workstation names its seat (a launcher URL /exam/login?seat=M07, remembered by the page):
    # codes from the check-in station work only at the seat they were issued for.
    return render_template("candidate/login.html", lang=current_language(), page_config=config,
                           sitting_id=request.args.get("sitting", ""), seat=request.args.get("seat", "")[:50],
                           notice=notice)


@bp.get("")
def exam_page() -> Any:
    reg_id = auth.current_registration_id()
    if reg_id is None:
        return redirect(url_for("live.login"))
    attempt = candidate_service.owned_attempt(int(session["attempt_id"]), reg_id)
    reg = attempt.registration
    sitting = reg.sitting
    # Clients that send SEB headers are checked on the page load itself; SEB's JavaScript
    # API keys arrive with the socket connection.
    proof = seb_guard.request_proof()
    if sitting.require_seb and proof:
        result = seb_guard.check_current_request(sitting, None)
        if not result.ok and not seb_guard.lock_for_mismatch(attempt, result):
            db.rollback()
            raise Forbidden(result.reason)
        if result.ok:
            # vouches for this session's socket handshake, re-checked against the keys of each event
            seb_guard.remember_page_proof(attempt.id, proof)
    config = {
        "attempt": attempt.id,
        "lang": current_language(),
        "save_url": url_for("attempts_api.save", attempt_id=attempt.id, question_no=0)[:-1],
        "attempt_url": url_for("attempts_api.my_attempt"),
        "submit_url": url_for("attempts_api.submit", attempt_id=attempt.id),
        "csrf_token": generate_csrf(),
        "seb_required": sitting.require_seb,
        # a page without its sealed paper at the start asks for it within this window, at random
        "paper_jitter_ms": int(float(current_app.config.get("EXAM_PAPER_FETCH_JITTER_SECONDS", 2.0)) * 1000),
        "messages": script_messages(),
    }
    page = render_template(
        "candidate/live.html", lang=current_language(), page_config=config, sitting_name=sitting.name,
        candidate_name=reg.full_name, sbd=reg.sbd, login_url=url_for("live.login"),
    )
    db.rollback()
    return page


auth.declare_access(exam_page, frozenset({"candidate"}))

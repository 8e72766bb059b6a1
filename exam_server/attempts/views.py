"""Invigilator pages: my rooms, a room's roster with its candidates' attempts, starting, pausing
and resuming the room, issuing a candidate's one-time login code, extra time with a reason.

Admins and examiners may open every room; an invigilator only the rooms assigned to them
(`auth.require_room_access`, the same rule as the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

import exam_server.exams.page_messages  # noqa: F401  (registers the page texts)
from exam_server.accounts import auth
from exam_server.accounts.models import LoginCode
from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import NotFound, ServiceError
from exam_server.exams import lifecycle
from exam_server.exams.candidate_login import issue_login_code
from exam_server.exams.models import Registration, Room, Sitting, room_invigilators
from exam_server.i18n import translate
from exam_server.page_links import MONITOR_ROOM, optional_url

bp = Blueprint("room_pages", __name__, url_prefix="/rooms")

MAX_EXTRA_MINUTES = 240
# Room state -> the actions offered: (name, label key, button style, confirmation key or None).
ROOM_ACTIONS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "checkin_open": [("start", "pages.room.start", "", "pages.room.start_confirm_here")],
    "started": [("pause", "pages.room.pause", "secondary", "pages.room.pause_confirm")],
    "paused": [("resume", "pages.room.resume", "", None)],
}
LIFECYCLE = {"start": lifecycle.start_room, "pause": lifecycle.pause_room, "resume": lifecycle.resume_room}
CODE_STATES = ("checkin_open", "started", "paused")  # room states in which candidates may log in


@dataclass
class CandidateRow:
    registration_id: int
    candidate_number: str
    full_name: str
    date_of_birth: date | None
    seat: str
    state: str
    extra_minutes: int
    can_issue_code: bool


def _managed_room(room_id: int) -> Room:
    room = lifecycle.get_room(room_id)
    auth.require_room_access(room)
    return room


@bp.get("/")
@auth.staff_required
def my_rooms() -> str:
    user = auth.current_user()
    assert user is not None
    query = select(Room).join(Sitting, Room.sitting_id == Sitting.id).order_by(Sitting.scheduled_start, Room.name)
    if user.role == "invigilator":
        query = query.join(room_invigilators, room_invigilators.c.room_id == Room.id).where(
            room_invigilators.c.user_id == user.id)
    found = db.scalars(query.options(selectinload(Room.sitting).selectinload(Sitting.exam))).all()
    counts = dict(db.execute(
        select(Registration.room_id, func.count()).where(Registration.room_id.in_([r.id for r in found]))
        .group_by(Registration.room_id)
    ).all())
    rooms = [{
        "id": r.id, "name": r.name, "state": r.state, "sitting_name": r.sitting.name,
        "exam_name": r.sitting.exam.name, "starts_at": r.sitting.scheduled_start, "candidates": counts.get(r.id, 0),
    } for r in found]
    return render_template("rooms/list.html", rooms=rooms)


def _candidate_rows(room: Room) -> list[CandidateRow]:
    attempts = {a.registration_id: a for a in db.scalars(
        select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
        .where(Registration.room_id == room.id))}
    now = utcnow()
    with_code = set(db.scalars(
        select(LoginCode.registration_id).join(Registration, LoginCode.registration_id == Registration.id)
        .where(Registration.room_id == room.id, LoginCode.used_at.is_(None), LoginCode.expires_at > now)))
    rows = []
    for reg in room.registrations:
        attempt = attempts.get(reg.id)
        rows.append(CandidateRow(
            registration_id=reg.id, candidate_number=reg.sbd, full_name=reg.full_name,
            date_of_birth=reg.dob, seat=reg.seat, state=_display_state(attempt, reg.id in with_code),
            extra_minutes=(attempt.extra_s if attempt else reg.extra_time_s) // 60,
            can_issue_code=room.state in CODE_STATES and (attempt is None or attempt.state != "submitted"),
        ))
    return rows


def _display_state(attempt: Attempt | None, has_code: bool) -> str:
    """What the invigilator needs to know about one candidate, in one word."""
    if attempt is None:
        return "none"
    if attempt.locked and attempt.state != "submitted":
        return "locked"
    if attempt.state == "pending":
        if attempt.entered_at is not None:
            return "waiting"
        return "code_issued" if has_code else "pending"
    return attempt.state


def _room_context(room: Room) -> dict[str, Any]:
    return {"room": room, "sitting": room.sitting, "exam": room.sitting.exam,
            "candidates": _candidate_rows(room), "now": utcnow()}


@bp.get("/<int:room_id>")
@auth.staff_required
def room(room_id: int) -> str:
    room = _managed_room(room_id)
    actions = [{"name": name, "label": translate(label), "style": style,
                "confirm": translate(confirm) if confirm else None}
               for name, label, style, confirm in ROOM_ACTIONS.get(room.state, [])]
    return render_template("rooms/room.html", room_actions=actions,
                           monitor_url=optional_url(MONITOR_ROOM, room_id=room.id), **_room_context(room))


@bp.get("/<int:room_id>/roster")
@auth.staff_required
def room_roster(room_id: int) -> str:
    """The roster table alone, for the page's auto-refresh."""
    return render_template("rooms/_roster.html", **_room_context(_managed_room(room_id)))


@bp.post("/<int:room_id>/<any(" + ",".join(LIFECYCLE) + "):action>")
@auth.staff_required
def room_action(room_id: int, action: str) -> Response:
    _managed_room(room_id)
    try:
        LIFECYCLE[action](room_id, auth.current_actor(), request.form.get("reason", "").strip())
    except ServiceError as exc:
        db.rollback()
        flash(translate("pages.action_failed", reason=exc.message()), "error")
    else:
        flash(translate(f"pages.room.done.{action}"), "success")
    return redirect(url_for("room_pages.room", room_id=room_id))


def _room_registration(room: Room, registration_id: int) -> Registration:
    reg = db.get(Registration, registration_id)
    if reg is None or reg.room_id != room.id:
        raise NotFound("accounts.registration_not_found")
    return reg


@bp.post("/<int:room_id>/candidates/<int:registration_id>/login-code")
@auth.staff_required
def issue_code(room_id: int, registration_id: int) -> Any:
    """Issue the code and show it once; the page is never cached and the code never stored in clear."""
    room = _managed_room(room_id)
    reg = _room_registration(room, registration_id)
    if room.state not in CODE_STATES:
        flash(translate("pages.code.not_now"), "error")
        return redirect(url_for("room_pages.room", room_id=room_id))
    code, issued = issue_login_code(reg.id, auth.current_actor())
    response = make_response(render_template(
        "rooms/code.html", room=room, code=code, expires_at=issued.expires_at,
        candidate={"candidate_number": reg.sbd, "full_name": reg.full_name, "seat": issued.seat},
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


class FormProblem(Exception):
    """A form field the user must correct; `key` names the message shown."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _extra_time_input(room: Room) -> tuple[Attempt, int, str]:
    """The attempt, minutes and reason from the form; FormProblem names the first thing wrong."""
    try:
        reg = _room_registration(room, int(request.form.get("registration_id", "")))
    except (ValueError, NotFound):
        raise FormProblem("pages.extra.no_candidate") from None
    try:
        minutes = int(request.form.get("minutes", ""))
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_EXTRA_MINUTES:
        raise FormProblem("pages.extra.bad_minutes")
    reason = request.form.get("reason", "").strip()
    if not reason:
        raise FormProblem("pages.extra.no_reason")
    attempt = control.attempt_for_registration(reg.id)
    if attempt is None:
        raise FormProblem("pages.extra.no_attempt")
    return attempt, minutes, reason


@bp.post("/<int:room_id>/extra-time")
@auth.staff_required
def extra_time(room_id: int) -> Response:
    room = _managed_room(room_id)
    try:
        attempt, minutes, reason = _extra_time_input(room)
        control.add_extra_time(attempt.id, minutes * 60, auth.current_actor(), reason)
    except FormProblem as problem:
        flash(translate(problem.key), "error")
    except ServiceError as exc:
        db.rollback()
        flash(translate("pages.action_failed", reason=exc.message()), "error")
    else:
        flash(translate("pages.extra.done", n=minutes, sbd=attempt.registration.sbd), "success")
    return redirect(url_for("room_pages.room", room_id=room_id))

"""Examiner pages: exams and sittings, roster import, starting a sitting or a room, scores.

Pages call the same service functions as the JSON API (`exams.lifecycle`, `exams.roster`);
a refused action (illegal transition, bad file) is shown on the page in the user's language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

import exam_server.exams.page_messages  # noqa: F401  (registers the page texts)
from exam_server.accounts import auth
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import NotFound, ServiceError
from exam_server.exams import lifecycle, roster
from exam_server.exams.models import Exam, Paper, Registration, Room, Sitting
from exam_server.i18n import translate
from exam_server.page_links import MONITOR_ROOM, MONITOR_SITTING, optional_url
from exam_server.results.scores import round_score

bp = Blueprint("exam_pages", __name__, url_prefix="/exams")

# Attempt states counted per room on the sitting page, in lifecycle order.
STATUS_COLUMNS = ("pending", "active", "paused", "submitted")
SITTING_ACTIONS = {
    "open_checkin": lifecycle.open_checkin,
    "start": lifecycle.start_sitting,
    "end": lifecycle.end_sitting,
}
ROSTER_TYPES = (".csv", ".xlsx")


@dataclass
class SittingSummary:
    id: int
    name: str
    starts_at: datetime
    duration_minutes: int
    state: str
    room_count: int
    candidate_count: int


@dataclass
class ExamSummary:
    id: int
    name: str
    sittings: list[SittingSummary] = field(default_factory=list)


def _registrations_per_sitting(sitting_id: int | None = None) -> Counter[int]:
    query = select(Registration.sitting_id, func.count()).group_by(Registration.sitting_id)
    if sitting_id is not None:
        query = query.where(Registration.sitting_id == sitting_id)
    return Counter(dict(db.execute(query).all()))


@bp.get("/")
@auth.examiner_required
def exam_list() -> str:
    counts = _registrations_per_sitting()
    exams = []
    for exam in db.scalars(select(Exam).order_by(Exam.id)):
        summary = ExamSummary(exam.id, exam.name)
        for s in exam.sittings:
            summary.sittings.append(SittingSummary(
                s.id, s.name, s.scheduled_start, s.duration_s // 60, s.state, len(s.rooms), counts[s.id]))
        exams.append(summary)
    return render_template("exams/list.html", exams=exams)


def _room_rows(sitting: Sitting) -> list[dict[str, Any]]:
    """Per room: invigilators, candidates and how many attempts are in each state (a few
    aggregate queries however many candidates: this table is polled by every open page)."""
    per_state = db.execute(
        select(Registration.room_id, Attempt.state, func.count())
        .join(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting.id)
        .group_by(Registration.room_id, Attempt.state)
    ).all()
    counts: dict[int | None, Counter[str]] = {}
    for room_id, state, n in per_state:
        counts.setdefault(room_id, Counter())[state] = n
    candidates = dict(db.execute(
        select(Registration.room_id, func.count()).where(Registration.sitting_id == sitting.id)
        .group_by(Registration.room_id)
    ).all())
    rooms = db.scalars(select(Room).where(Room.sitting_id == sitting.id).order_by(Room.id)
                       .options(selectinload(Room.invigilators)))
    return [{
        "id": room.id,
        "name": room.name,
        "state": room.state,
        "capacity": room.capacity,
        "candidates": candidates.get(room.id, 0),
        "invigilators": [u.full_name or u.username for u in room.invigilators],
        "counts": counts.get(room.id, Counter()),
        "can_start": room.state == "checkin_open",
        "page_url": url_for("room_pages.room", room_id=room.id),
        "monitor_url": optional_url(MONITOR_ROOM, room_id=room.id),
    } for room in rooms]


def _sitting_context(sitting: Sitting) -> dict[str, Any]:
    return {
        "sitting": sitting,
        "exam": sitting.exam,
        "room_rows": _room_rows(sitting),
        "status_columns": STATUS_COLUMNS,
        "now": utcnow(),
    }


@bp.get("/sittings/<int:sitting_id>")
@auth.examiner_required
def sitting(sitting_id: int) -> str:
    sitting = lifecycle.get_sitting(sitting_id)
    return render_template(
        "exams/sitting.html",
        paper_codes=db.scalars(select(Paper.code).where(Paper.sitting_id == sitting.id).order_by(Paper.code)).all(),
        candidate_count=_registrations_per_sitting(sitting.id)[sitting.id],
        monitor_url=optional_url(MONITOR_SITTING, sitting_id=sitting.id),
        **_sitting_context(sitting),
    )


@bp.get("/sittings/<int:sitting_id>/status")
@auth.examiner_required
def sitting_status(sitting_id: int) -> str:
    """The room table alone, for the page's auto-refresh."""
    return render_template("exams/_room_status.html", **_sitting_context(lifecycle.get_sitting(sitting_id)))


def _run(action: Any, *args: Any, done: str) -> None:
    """Run a lifecycle action and flash its outcome (a refusal is shown, never raised)."""
    try:
        action(*args, auth.current_actor(), request.form.get("reason", ""))
    except ServiceError as exc:
        db.rollback()
        flash(translate("pages.action_failed", reason=exc.message()), "error")
    else:
        flash(translate(done), "success")


@bp.post("/sittings/<int:sitting_id>/<any(" + ",".join(SITTING_ACTIONS) + "):action>")
@auth.examiner_required
def sitting_action(sitting_id: int, action: str) -> Response:
    lifecycle.get_sitting(sitting_id)  # 404 for an unknown sitting
    _run(SITTING_ACTIONS[action], sitting_id, done=f"pages.sitting.done.{action}")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))


@bp.post("/sittings/<int:sitting_id>/rooms/<int:room_id>/start")
@auth.examiner_required
def room_start(sitting_id: int, room_id: int) -> Response:
    room = lifecycle.get_room(room_id)
    if room.sitting_id != sitting_id:
        raise NotFound("exams.room_not_found")
    _run(lifecycle.start_room, room_id, done="pages.room.done.start")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))


@bp.route("/sittings/<int:sitting_id>/roster", methods=["GET", "POST"])
@auth.examiner_required
def roster_import(sitting_id: int) -> Any:
    sitting = lifecycle.get_sitting(sitting_id)
    errors: list[Any] = []
    file_error = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("roster")
        if upload is None or not upload.filename:
            file_error = translate("pages.roster.no_file")
        elif not upload.filename.lower().endswith(ROSTER_TYPES):
            file_error = translate("pages.roster.bad_type", name=upload.filename)
        else:
            try:
                result = roster.import_roster(sitting_id, upload.filename, upload.read(), auth.current_actor())
            except roster.RosterError as exc:
                db.rollback()
                errors = exc.errors
            except ServiceError as exc:
                db.rollback()
                file_error = exc.message()
            else:
                flash(translate("pages.roster.imported", n=result.imported), "success")
                return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
        status = 422
    return render_template("exams/roster.html", sitting=sitting, exam=sitting.exam,
                           errors=errors, file_error=file_error), status


@bp.get("/sittings/<int:sitting_id>/scores")
@auth.examiner_required
def scores(sitting_id: int) -> str:
    sitting = lifecycle.get_sitting(sitting_id)
    found = db.execute(
        select(Registration.sbd, Registration.full_name, Room.name, Paper.code,
               Attempt.state, Attempt.score, Attempt.max_score)
        .outerjoin(Room, Registration.room_id == Room.id)
        .outerjoin(Paper, Registration.paper_id == Paper.id)
        .outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id).order_by(Registration.sbd)
    ).all()
    rows = []
    for sbd, full_name, room_name, paper_code, state, score, max_score in found:
        graded = score is not None and bool(max_score)
        rows.append({
            "candidate_number": sbd,
            "full_name": full_name,
            "room": room_name or "",
            "paper_code": paper_code or "",
            "state": state or "none",
            "raw": score if graded else None,
            "max_points": max_score if graded else None,
            "score10": round_score(score, max_score, "0.01") if graded else None,
        })
    return render_template("exams/scores.html", sitting=sitting, exam=sitting.exam, rows=rows)

"""Examiner pages: setting up exams, sittings, rooms and papers; roster import; starting,
pausing and ending a sitting or a room (the score table is `results.views.scores`).

Pages call the same service functions as the JSON API (`exams.service`, `exams.lifecycle`,
`exams.roster`, `exams.paper_import`); a refused action (illegal transition, bad file, bad
field) is shown on the page in the user's language and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

import exam_server.exams.page_messages  # noqa: F401  (registers the page texts)
from exam_server.accounts import auth
from exam_server.accounts.models import User
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams import (
    candidates,
    lifecycle,
    paper_import,
    room_clock,
    roster,
    roster_preview,
    service,
    setup_changes,
)
from exam_server.exams.models import Exam, Paper, Registration, Room, Sitting
from exam_server.exams.setup_forms import (
    FormResult,
    blueprint_data,
    read_exam,
    read_generation,
    read_room,
    read_sitting,
    section_field,
    section_rows,
)
from exam_server.i18n import current_language, translate
from exam_server.page_links import MONITOR_ROOM, MONITOR_SITTING, optional_url
from exam_server.page_scripts import script_messages
from question_bank.errors import ImportFailed
from question_bank.formats import read_bytes_any
from question_bank.model import QUESTION_TYPES
from question_bank.papers import Blueprint as PaperBlueprint
from question_bank.papers import BlueprintError, generate_papers

bp = Blueprint("exam_pages", __name__, url_prefix="/exams")

# Attempt states counted per room on the sitting page, in lifecycle order.
STATUS_COLUMNS = ("pending", "active", "paused", "submitted")
SITTING_ACTIONS = {
    "open_checkin": lifecycle.open_checkin,
    "start": lifecycle.start_sitting,
    "pause": lifecycle.pause_sitting,
    "resume": lifecycle.resume_sitting,
    "end": lifecycle.end_sitting,
}
ROSTER_TYPES = (".csv", ".xlsx")
# What a new sitting form shows before the examiner changes it.
SITTING_DEFAULTS = {"duration_minutes": "90", "late_entry_minutes": "15", "grace_seconds": "10"}
GENERATE_DEFAULTS = {"paper_count": "4", "start_code": "0101", "seed": "1", "draw": "",
                     "shuffle_questions": "on", "shuffle_options": "on"}
MAX_SHOWN_PROBLEMS = 30


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
    per_state = room_clock.current().state_counts(sitting.id)
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


def _render_sitting(sitting: Sitting, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The sitting page; `forms` carries a refused set-up form back with its values and errors
    (`room`, `room_values`, `papers_error`, `generate`, `generate_values`, `problems`)."""
    papers = db.execute(select(Paper.code, Paper.snapshot).where(Paper.sitting_id == sitting.id)
                        .order_by(Paper.code)).all()
    page = render_template(
        "exams/sitting.html",
        papers=[{"code": code, "questions": len(snapshot)} for code, snapshot in papers],
        candidate_count=_registrations_per_sitting(sitting.id)[sitting.id],
        monitor_url=optional_url(MONITOR_SITTING, sitting_id=sitting.id),
        invigilators=db.scalars(select(User).where(User.role == "invigilator", User.active)
                                .order_by(User.full_name, User.username)).all(),
        room=forms.get("room", FormResult()),
        room_values=forms.get("room_values", {}),
        papers_error=forms.get("papers_error"),
        generate=forms.get("generate", FormResult()),
        generate_values=forms.get("generate_values", GENERATE_DEFAULTS),
        generate_sections=section_rows(forms.get("generate_values", GENERATE_DEFAULTS)),
        paper_form_config={"messages": script_messages(), "lang": current_language()},
        question_types=QUESTION_TYPES,
        bank_facets=_bank_facets(),
        problems=forms.get("problems", []),
        **_sitting_context(sitting),
    )
    return page, status


@bp.get("/sittings/<int:sitting_id>")
@auth.examiner_required
def sitting(sitting_id: int) -> tuple[str, int]:
    return _render_sitting(lifecycle.get_sitting(sitting_id))


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


def _timezone() -> str:
    return str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))


def _add_sitting(exam_id: int, values: dict[str, Any], actor: Actor) -> Sitting:
    """Create a sitting from a read form and log it (flushes; the caller commits)."""
    sitting = service.create_sitting(
        exam_id, values["name"], values["scheduled_start"], values["duration_minutes"] * 60,
        subject=values["subject"], late_entry_s=values["late_entry_minutes"] * 60,
        grace_s=values["grace_seconds"], allow_password_login=values["allow_password_login"])
    append_event(db, "sitting.created", actor, sitting_id=sitting.id,
                 data={"exam_id": exam_id, "name": sitting.name,
                       "scheduled_start": sitting.scheduled_start.isoformat()})
    return sitting


def _exam_form_page(exam: Exam | None, errors: dict[str, str]) -> tuple[str, int]:
    """The new exam (exam None) or new sitting form, filled in again after refused input."""
    values = request.form if request.method == "POST" else SITTING_DEFAULTS
    return render_template("exams/exam_form.html", exam=exam, errors=errors, values=values), 422 if errors else 200


@bp.route("/new", methods=["GET", "POST"])
@auth.examiner_required
def exam_new() -> Any:
    """A new exam together with its first sitting: both are created, or neither."""
    exam_form, sitting_form = FormResult(), FormResult()
    if request.method == "POST":
        exam_form, sitting_form = read_exam(request.form), read_sitting(request.form, _timezone())
        if exam_form.ok and sitting_form.ok:
            actor = auth.current_actor()
            user = auth.current_user()
            try:
                exam = service.create_exam(exam_form.values["code"], exam_form.values["exam_name"],
                                           organisation_id=user.organisation_id if user else None)
            except Conflict as exc:
                db.rollback()
                exam_form.errors["code"] = exc.message()
            else:
                append_event(db, "exam.created", actor, data={"exam_id": exam.id, "code": exam.code})
                sitting = _add_sitting(exam.id, sitting_form.values, actor)
                db.commit()
                flash(translate("pages.setup.exam_created", name=exam.name), "success")
                return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))
    return _exam_form_page(None, {**exam_form.errors, **sitting_form.errors})


@bp.route("/<int:exam_id>/sittings/new", methods=["GET", "POST"])
@auth.examiner_required
def sitting_new(exam_id: int) -> Any:
    exam = db.get(Exam, exam_id)
    if exam is None:
        raise NotFound("pages.setup.exam_not_found")
    form = FormResult()
    if request.method == "POST":
        form = read_sitting(request.form, _timezone())
        if form.ok:
            sitting = _add_sitting(exam.id, form.values, auth.current_actor())
            db.commit()
            flash(translate("pages.setup.sitting_created", name=sitting.name), "success")
            return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))
    return _exam_form_page(exam, form.errors)


def _setup_sitting(sitting_id: int, refusal: str) -> Sitting | None:
    """The sitting if it is still being set up (scheduled); otherwise flash `refusal`."""
    sitting = lifecycle.get_sitting(sitting_id)
    if sitting.state == "scheduled":
        return sitting
    flash(translate(refusal), "error")
    return None


@bp.post("/sittings/<int:sitting_id>/rooms")
@auth.examiner_required
def room_add(sitting_id: int) -> Any:
    sitting = _setup_sitting(sitting_id, "pages.setup.rooms_closed")
    if sitting is None:
        return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
    invigilators = {u.id: u for u in db.scalars(select(User).where(User.role == "invigilator", User.active))}
    form = read_room(request.form, invigilators, [r.name for r in sitting.rooms])
    if not form.ok:
        return _render_sitting(sitting, 422, room=form, room_values=request.form)
    values = form.values
    room = service.create_room(sitting.id, values["room_name"], values["seat_list"],
                               invigilators=[invigilators[i] for i in values["invigilators"]])
    append_event(db, "room.created", auth.current_actor(), sitting_id=sitting.id, room_id=room.id,
                 data={"name": room.name, "seats": len(room.seats), "invigilators": values["invigilators"]})
    db.commit()
    flash(translate("pages.setup.room_created", name=room.name, n=len(room.seats)), "success")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))


def _store_papers(sitting: Sitting, generated: list[Any], warnings: list[str] | None = None,
                  **refused: Any) -> Any:
    """Load papers into the sitting, or show why not (`refused` names the form to show again)."""
    try:
        codes = paper_import.import_papers(sitting.id, generated, auth.current_actor())
    except ServiceError as exc:
        db.rollback()
        return _render_sitting(sitting, exc.status, papers_error=exc.message(), **refused)
    flash(translate("pages.setup.papers_loaded", n=len(codes), codes=", ".join(codes)), "success")
    for warning in warnings or []:
        flash(warning, "warning")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))


@bp.post("/sittings/<int:sitting_id>/papers")
@auth.examiner_required
def papers_upload(sitting_id: int) -> Any:
    """Papers made by `question-bank papers generate` (papers.json)."""
    sitting = _setup_sitting(sitting_id, "exams.papers_after_checkin")
    if sitting is None:
        return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
    upload = request.files.get("papers")
    if upload is None or not upload.filename:
        return _render_sitting(sitting, 422, papers_error=translate("pages.setup.no_papers_file"))
    try:
        generated = paper_import.parse_papers(upload.read(), upload.filename)
    except ServiceError as exc:
        return _render_sitting(sitting, 422, papers_error=exc.message())
    return _store_papers(sitting, generated)


BANK_FILTERS = ("topic", "type", "difficulty", "tag")


def _bank_questions(form: FormResult) -> list[Any] | None:
    """The bank questions the form's filters (bank_topic, bank_type, …) pick, or None with the
    reason set on the form: the bank is an alternative to uploading a question file."""
    from exam_server.bank import service as bank_service

    filters = bank_service.Filters(**{name: (request.form.get(f"bank_{name}") or "").strip()[:300]
                                      for name in BANK_FILTERS})
    try:
        return bank_service.selected_questions(db, None, filters)
    except ServiceError as exc:
        no_match = exc.code == "bank.export_empty"
        form.errors["bank"] = translate("pages.setup.bank_no_match") if no_match else exc.message()
        return None


def _bank_facets() -> dict[str, list[dict[str, Any]]]:
    from exam_server.bank import service as bank_service

    return bank_service.facets(db)


@bp.post("/sittings/<int:sitting_id>/papers/generate")
@auth.examiner_required
def papers_generate(sitting_id: int) -> Any:
    """K paper codes drawn with the form's blueprint (its section rows, or the older one-section
    fields) from an uploaded question file, or from the bank's questions matching the form's
    filters (`source=bank`)."""
    sitting = _setup_sitting(sitting_id, "exams.papers_after_checkin")
    if sitting is None:
        return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
    form = read_generation(request.form)
    from_bank = request.form.get("source") == "bank"
    upload = None if from_bank else request.files.get("questions")
    if not from_bank and (upload is None or not upload.filename):
        form.errors["questions"] = translate("pages.setup.no_questions_file")
        upload = None
    bank = _bank_questions(form) if from_bank and form.ok else None
    if (upload is None and bank is None) or not form.ok:
        return _render_sitting(sitting, 422, generate=form, generate_values=request.form)
    try:
        if upload is not None:
            bank = read_bytes_any(upload.read(), upload.filename or "").questions
        blueprint = PaperBlueprint.from_dict(blueprint_data(form.values, sitting.name))
        result = generate_papers(blueprint, bank or [])
    except ImportFailed as exc:
        form.errors["questions"] = translate("pages.setup.questions_unreadable", name=upload.filename if upload else "")
        problems = [e.message(current_language()) for e in exc.errors]
    except BlueprintError as exc:
        # A too-small pool names its section: the refusal goes beside that row's count.
        for p in exc.problems:
            form.errors.setdefault(section_field(form.values, p.params.get("section")),
                                   translate("pages.setup.blueprint_refused"))
        problems = [p.text(current_language()) for p in exc.problems]
    else:
        return _store_papers(sitting, result.papers, [w.text(current_language()) for w in result.warnings],
                             generate_values=request.form)
    return _render_sitting(sitting, 422, generate=form, generate_values=request.form,
                           problems=problems[:MAX_SHOWN_PROBLEMS])


@bp.post("/sittings/<int:sitting_id>/rooms/<int:room_id>/start")
@auth.examiner_required
def room_start(sitting_id: int, room_id: int) -> Response:
    room = lifecycle.get_room(room_id)
    if room.sitting_id != sitting_id:
        raise NotFound("exams.room_not_found")
    _run(lifecycle.start_room, room_id, done="pages.room.done.start")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))


def _import_kept(sitting_id: int, token: str) -> tuple[str, bytes] | None:
    user = auth.current_user()
    return roster_preview.take(token, user.id if user else 0, sitting_id)


@bp.route("/sittings/<int:sitting_id>/roster", methods=["GET", "POST"])
@auth.examiner_required
def roster_import(sitting_id: int) -> Any:
    """Upload → preview (every row and every error by row/column) → import of exactly the
    previewed bytes. A POST without `step=preview` imports at once (all or nothing)."""
    sitting = lifecycle.get_sitting(sitting_id)
    errors: list[Any] = []
    file_error = None
    preview: list[dict[str, Any]] | None = None
    token = ""
    status = 200
    if request.method == "POST":
        step = request.form.get("step", "")
        upload = request.files.get("roster")
        kept: tuple[str, bytes] | None = None
        if step == "import" and request.form.get("token"):
            kept = _import_kept(sitting_id, request.form["token"])
            if kept is None:
                file_error = translate("exams.roster_preview_expired")
        elif upload is None or not upload.filename:
            file_error = translate("pages.roster.no_file")
        elif not upload.filename.lower().endswith(ROSTER_TYPES):
            file_error = translate("pages.roster.bad_type", name=upload.filename)
        else:
            kept = (upload.filename, upload.read())
        if kept is not None and step == "preview":
            try:
                records, errors = roster.check_roster(sitting_id, kept[0], kept[1])
            except ServiceError as exc:
                file_error = exc.message()
            else:
                preview = [roster.preview_row(r) for r in records]
                if not errors:
                    user = auth.current_user()
                    token = roster_preview.keep(user.id if user else 0, sitting_id, kept[0], kept[1])
        elif kept is not None:
            try:
                result = roster.import_roster(sitting_id, kept[0], kept[1], auth.current_actor())
            except roster.RosterError as exc:
                db.rollback()
                errors = exc.errors
            except ServiceError as exc:
                db.rollback()
                file_error = exc.message()
            else:
                flash(translate("pages.roster.imported", n=result.imported), "success")
                return redirect(url_for("exam_pages.candidates", sitting_id=sitting_id))
        if errors or file_error:
            status = 422
    return render_template("exams/roster.html", sitting=sitting, exam=sitting.exam, errors=errors,
                           file_error=file_error, preview=preview, token=token), status


@bp.get("/sittings/<int:sitting_id>/roster/template.xlsx")
@auth.examiner_required
def roster_template(sitting_id: int) -> Response:
    lifecycle.get_sitting(sitting_id)
    response = Response(candidates.template_xlsx(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = 'attachment; filename="mau-danh-sach-thi-sinh.xlsx"'
    return response


@bp.get("/sittings/<int:sitting_id>/candidates", endpoint="candidates")
@auth.examiner_required
def candidates_page(sitting_id: int) -> str:
    """The roster: search, and per candidate edit / remove while not yet checked in."""
    sitting = lifecycle.get_sitting(sitting_id)
    query = request.args.get("q", "").strip()
    found = candidates.search(sitting_id, query)
    rows = [{"reg": reg, "locked": candidates.checked_in(reg)} for reg in found]
    return render_template("exams/candidates.html", sitting=sitting, exam=sitting.exam, rows=rows, query=query,
                           total=_registrations_per_sitting(sitting_id)[sitting_id],
                           limit=candidates.MAX_LISTED, minutes_text=roster.minutes_text)


def _candidate_of(sitting_id: int, registration_id: int) -> Any:
    reg = candidates.get_registration(registration_id)
    if reg.sitting_id != sitting_id:
        raise NotFound("exams.registration_not_found")
    return reg


@bp.route("/sittings/<int:sitting_id>/candidates/<int:registration_id>/edit", methods=["GET", "POST"])
@auth.examiner_required
def candidate_edit(sitting_id: int, registration_id: int) -> Any:
    reg = _candidate_of(sitting_id, registration_id)
    error = None
    values: dict[str, Any] = {
        "full_name": reg.full_name, "dob": reg.dob.strftime("%d/%m/%Y"), "citizen_id": reg.citizen_id,
        "school": reg.school, "class_name": reg.class_name, "room_id": reg.room_id, "seat": reg.seat,
        "extra_time": str(reg.extra_time_s // 60) if reg.extra_time_s else ""}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values} | {"password": request.form.get("password", "")}
        try:
            candidates.update_registration(reg.id, values, auth.current_actor())
        except ServiceError as exc:
            db.rollback()
            error = exc.message()
        else:
            flash(translate("pages.candidates.saved", sbd=reg.sbd), "success")
            return redirect(url_for("exam_pages.candidates", sitting_id=sitting_id))
    return render_template("exams/candidate_form.html", sitting=reg.sitting, exam=reg.sitting.exam, reg=reg,
                           values=values, error=error, rooms=reg.sitting.rooms,
                           locked=candidates.checked_in(reg)), 422 if error else 200


@bp.post("/sittings/<int:sitting_id>/candidates/<int:registration_id>/remove")
@auth.examiner_required
def candidate_remove(sitting_id: int, registration_id: int) -> Response:
    reg = _candidate_of(sitting_id, registration_id)
    sbd = reg.sbd
    try:
        candidates.remove_registration(reg.id, auth.current_actor(), request.form.get("reason", ""))
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
    else:
        flash(translate("pages.candidates.removed", sbd=sbd), "success")
    return redirect(url_for("exam_pages.candidates", sitting_id=sitting_id))


@bp.post("/sittings/<int:sitting_id>/duplicate")
@auth.examiner_required
def sitting_duplicate(sitting_id: int) -> Response:
    copy = setup_changes.duplicate_sitting(sitting_id, auth.current_actor(), translate("exams.copy_suffix"))
    flash(translate("pages.setup.duplicated", name=copy.name), "success")
    return redirect(url_for("exam_pages.sitting", sitting_id=copy.id))


@bp.post("/sittings/<int:sitting_id>/delete")
@auth.examiner_required
def sitting_delete(sitting_id: int) -> Response:
    try:
        name = setup_changes.delete_sitting(sitting_id, auth.current_actor())
    except Conflict as exc:
        db.rollback()
        flash(exc.message(), "error")
        return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
    flash(translate("pages.setup.sitting_deleted", name=name), "success")
    return redirect(url_for("exam_pages.exam_list"))


@bp.post("/sittings/<int:sitting_id>/rooms/<int:room_id>/delete")
@auth.examiner_required
def room_delete(sitting_id: int, room_id: int) -> Response:
    if lifecycle.get_room(room_id).sitting_id != sitting_id:
        raise NotFound("exams.room_not_found")
    try:
        name = setup_changes.delete_room(room_id, auth.current_actor())
    except Conflict as exc:
        db.rollback()
        flash(exc.message(), "error")
    else:
        flash(translate("pages.setup.room_deleted", name=name), "success")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))

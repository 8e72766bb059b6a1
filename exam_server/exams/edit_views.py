"""Examiner pages editing a sitting's settings and a room (name, seats, invigilators) before check-in.

The edit form is the creation form filled in with what is stored (`setup_forms.sitting_form_values`,
`room_form_values`) and read by the same reader; `setup_changes` applies and logs it. Once check-in
is open the papers are locked and the set-up is part of the exam record: the pages refuse, saying
so, and change nothing. The routes join the `exam_pages` blueprint (registered by the app factory).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from exam_server.accounts import auth
from exam_server.db import session as db
from exam_server.errors import Conflict, NotFound
from exam_server.exams import lifecycle, setup_changes
from exam_server.exams.models import Room, Sitting
from exam_server.exams.setup_forms import read_sitting, room_form_values, sitting_form_values
from exam_server.exams.views import _timezone, bp
from exam_server.i18n import translate


def _refused(sitting: Sitting) -> Response:
    """Back to the sitting page, saying why its set-up can no longer change."""
    flash(translate("exams.setup_locked", what=sitting.name), "error")
    return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))


@bp.route("/sittings/<int:sitting_id>/edit", methods=["GET", "POST"])
@auth.examiner_required
def sitting_edit(sitting_id: int) -> Any:
    sitting = lifecycle.get_sitting(sitting_id)
    if sitting.state != "scheduled":
        return _refused(sitting)
    values: MultiDict[str, str] = sitting_form_values(sitting, _timezone())
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form
        form = read_sitting(request.form, _timezone())
        errors = form.errors
        if form.ok:
            try:
                setup_changes.update_sitting(sitting.id, form.values, auth.current_actor())
            except Conflict:  # check-in opened while the form was being filled in
                db.rollback()
                return _refused(sitting)
            flash(translate("exams.sitting_saved", name=sitting.name), "success")
            return redirect(url_for("exam_pages.sitting", sitting_id=sitting.id))
    return render_template("exams/exam_form.html", exam=sitting.exam, edited=sitting, errors=errors,
                           values=values), 422 if errors else 200


def _room_of(sitting_id: int, room_id: int) -> Room:
    room = lifecycle.get_room(room_id)
    if room.sitting_id != sitting_id:
        raise NotFound("exams.room_not_found")
    return room


@bp.route("/sittings/<int:sitting_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@auth.examiner_required
def room_edit(sitting_id: int, room_id: int) -> Any:
    room = _room_of(sitting_id, room_id)
    if room.sitting.state != "scheduled":
        return _refused(room.sitting)
    values: MultiDict[str, str] = room_form_values(room)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = request.form
        try:
            form = setup_changes.edit_room(room.id, request.form, auth.current_actor())
        except Conflict as exc:
            db.rollback()
            if exc.code == "exams.setup_locked":
                return _refused(room.sitting)
            errors, status = {"seats": exc.message()}, exc.status  # seats that candidates sit at
        else:
            if form.ok:
                flash(translate("exams.room_saved", name=room.name, n=len(room.seats)), "success")
                return redirect(url_for("exam_pages.sitting", sitting_id=sitting_id))
            errors, status = form.errors, 422
    return render_template("exams/room_form.html", sitting=room.sitting, exam=room.sitting.exam, room=room,
                           values=values, errors=errors,
                           invigilators=setup_changes.invigilator_choices(room)), status

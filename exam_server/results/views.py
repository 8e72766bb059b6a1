"""The marking screen: examiners mark essays anonymously (by marking code), with rubric and
comment; second and third markers see only what their round needs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from exam_server.accounts import auth
from exam_server.db import session as db
from exam_server.errors import NotFound, ServiceError
from exam_server.exams.models import Sitting
from exam_server.i18n import translate
from exam_server.results import marking

bp = Blueprint("results_pages", __name__, url_prefix="/results")


def _float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise ServiceError("results.bad_number", value=text[:20]) from exc


@bp.get("/sittings/<int:sitting_id>/marking")
@auth.examiner_required
def marking_page(sitting_id: int) -> Any:
    sitting = db.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    user = auth.current_user()
    queue = marking.marking_queue(db, sitting_id, user)
    todo = [i for i in queue if i["needed_round"] is not None and not i["mine"]]
    return render_template("results/marking.html", sitting=sitting, todo=todo,
                           done=len(queue) - len([i for i in queue if i["needed_round"] is not None]),
                           total=len(queue), policy=marking.policy_for(db, sitting_id))


@bp.post("/sittings/<int:sitting_id>/marking")
@auth.examiner_required
def submit_mark(sitting_id: int) -> Response:
    form = request.form
    try:
        rubric = {key[7:]: value for key, raw in form.items()
                  if key.startswith("rubric:") and (value := _float(raw)) is not None}
        marking.record_mark(
            db, sitting_id, code=form.get("code", ""), question_no=int(form.get("question_no", "0")),
            round_no=int(form.get("round", "0")), marker=auth.current_user(), points=_float(form.get("points")),
            rubric=rubric or None, comment=form.get("comment", "")[:4000], actor=auth.current_actor(),
        )
        flash(translate("results.mark_saved", code=form.get("code", "")), "success")
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
    except ValueError:
        flash(translate("errors.json_object_expected"), "error")
    return redirect(url_for("results_pages.marking_page", sitting_id=sitting_id))

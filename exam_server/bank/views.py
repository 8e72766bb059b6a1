"""Bank pages for examiners and admins: browse and filter, import with a summary, preview as a
candidate, edit with history, export a selection.

Pages work without JavaScript (forms post here); `static/js/bank.js` adds the upload progress
bar and renders previews with the candidate page's own renderer.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

import exam_server.bank.page_messages  # noqa: F401  (registers the page texts)
from exam_server.accounts import auth
from exam_server.bank import service
from exam_server.bank.api import file_response
from exam_server.db import session as db
from exam_server.errors import ServiceError
from exam_server.i18n import current_language, format_decimal, translate
from exam_server.page_scripts import script_messages
from question_bank.formats import WRITERS
from question_bank.model import QUESTION_TYPES, Question

bp = Blueprint("bank_pages", __name__, url_prefix="/bank")
PER_PAGE = 50
EDITED_FIELDS = ("title", "topic", "difficulty", "stem", "general_feedback")
IMPORT_ACCEPT = ".xml,.gift,.txt,.aiken,.zip,.xlsx,.docx"


def decimal(value: float) -> str:
    """1.5 -> "1,5" in Vietnamese (decimal comma), "1.5" in English (Babel)."""
    return format_decimal(value, max_digits=4)


def parse_decimal(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def _common() -> dict[str, Any]:
    return {"decimal": decimal, "type_name": lambda t: translate(f"pages.bank.type.{t}"),
            "formats": sorted(WRITERS)}


@bp.get("/")
@auth.examiner_required
def browse() -> str:
    filters = service.Filters.from_args(request.args)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    found = service.search(db, filters, page, PER_PAGE)
    return render_template("bank/browse.html", filters=filters, found=found, facets=service.facets(db),
                           types=QUESTION_TYPES, **_common())


@bp.route("/import", methods=["GET", "POST"])
@auth.examiner_required
def import_page() -> Any:
    summary = refused = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ServiceError("bank.no_file", status=422, file="", errors=[], warnings=[])
            summary = service.import_file(db, upload.read(), upload.filename, auth.current_actor())
        except ServiceError as exc:
            db.rollback()
            refused = {"message": exc.message(), "errors": exc.details.get("errors", []),
                       "warnings": exc.details.get("warnings", []), "file": exc.details.get("file", "")}
            status = 422
    return render_template("bank/import.html", summary=summary, refused=refused, accept=IMPORT_ACCEPT,
                           **_common()), status


@bp.get("/questions/<int:question_id>")
@auth.examiner_required
def question(question_id: int) -> str:
    row = service.get_question(db, question_id)
    return render_template("bank/question.html", row=row, q=service.question_of(row),
                           history=service.versions(db, question_id), **_common())


@bp.get("/questions/<int:question_id>/preview")
@auth.examiner_required
def preview(question_id: int) -> str:
    """The question as a candidate sees it: the candidate page's styles and renderer."""
    row = service.get_question(db, question_id)
    number = request.args.get("version", type=int)
    q = service.question_of(service.version(db, question_id, number) if number else row)
    lang = current_language()
    config = {"question": q.public_dict(), "messages": script_messages(lang), "lang": lang}
    return render_template("bank/preview.html", row=row, version=number or row.version, page_config=config,
                           lang=lang, **_common())


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@auth.examiner_required
def edit(question_id: int) -> Any:
    row = service.get_question(db, question_id)
    current = service.question_of(row)
    problems: list[str] = []
    values = _form_values(current, row.version)
    status = 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        data, problems = _question_from_form(values)
        if not problems:
            try:
                base = int(values["base_version"])
                service.edit_question(db, question_id, data, base, values["note"], auth.current_actor())
            except ServiceError as exc:
                db.rollback()
                problems = [exc.message(), *exc.details.get("problems", [])]
            except ValueError:
                problems = [translate("pages.bank.edit.bad_base")]
            else:
                flash(translate("pages.bank.edit.saved"), "success")
                return redirect(url_for("bank_pages.question", question_id=question_id))
        status = 422
    return render_template("bank/edit.html", row=row, values=values, problems=problems, **_common()), status


def _form_values(q: Question, version: int) -> dict[str, str]:
    data = q.to_dict()
    rest = {k: v for k, v in data.items() if k not in (*EDITED_FIELDS, "tags", "points", "uid", "source", "type")}
    return {**{k: str(data.get(k) or "") for k in EDITED_FIELDS}, "type": q.type, "tags": ", ".join(q.tags),
            "points": decimal(q.points), "source": q.source,
            "details": json.dumps(rest, ensure_ascii=False, indent=2), "base_version": str(version), "note": ""}


def _question_from_form(values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The edited question dict, or what is wrong with the form (named by field)."""
    problems = []
    try:
        details = json.loads(values["details"] or "{}")
        if not isinstance(details, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        details = {}
        problems.append(translate("pages.bank.edit.bad_details", reason=str(exc)[:200]))
    points = parse_decimal(values["points"])
    if points is None or points < 0:
        problems.append(translate("pages.bank.edit.bad_points", value=values["points"][:20]))
    data = {**details, **{k: values[k] for k in EDITED_FIELDS}, "type": values["type"], "points": points or 0.0,
            "source": values["source"], "tags": [t.strip() for t in values["tags"].split(",") if t.strip()]}
    return data, problems


@bp.post("/export")
@auth.examiner_required
def export() -> Any:
    """The ticked questions (or every question matching the filters) in the chosen format."""
    fmt = request.form.get("format", "")
    filters = service.Filters.from_args(request.form)
    ids: list[int] | None = None
    if request.form.get("scope") != "filter":
        try:
            ids = [int(i) for i in request.form.getlist("ids")]
        except ValueError:
            ids = []
    try:
        service.export_name(fmt)
        name, data = service.export(service.selected_questions(db, ids, filters), fmt)
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
        for err in exc.details.get("errors", [])[:50]:
            flash(f"{err['location']}: {err['reason']}" if err.get("location") else err["reason"], "error")
        return redirect(url_for("bank_pages.browse", **filters.as_args()))
    return file_response(name, data)

"""JSON API of the question bank, for examiners and admins (/api/v1/bank/...).

Invigilators and candidates have no access: the bank holds every key. A candidate-facing
preview is `public` inside the question answer (the same `public_dict()` a paper serves).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.bank import service
from exam_server.bank.models import BankQuestion, BankVersion
from exam_server.db import session as db
from exam_server.errors import ServiceError
from exam_server.extensions import limiter

bp = Blueprint("bank_api", __name__, url_prefix="/api/v1/bank")
FILE_RATE_LIMIT = "60 per minute"  # imports and exports: heavy requests, a person's pace


def question_json(row: BankQuestion) -> dict[str, Any]:
    q = service.question_of(row)
    return {**service.row_dict(row), "question": q.to_dict(), "public": q.public_dict()}


def version_json(v: BankVersion) -> dict[str, Any]:
    return {"version": v.version, "at": v.at.isoformat(), "by_id": v.by_id, "note": v.note, "uid": v.data.get("uid", "")}


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise ServiceError("bank.bad_number", status=400, field=name) from None


@bp.get("/questions")
@auth.examiner_required
def list_questions() -> Any:
    """?topic= &type= &difficulty= &tag= &text= &page= &per_page= (max 200)."""
    filters = service.Filters.from_args(request.args)
    return jsonify(service.search(db, filters, _int_arg("page", 1), _int_arg("per_page", 50)))


@bp.get("/facets")
@auth.examiner_required
def list_facets() -> Any:
    return jsonify(service.facets(db))


@bp.get("/questions/<int:question_id>")
@auth.examiner_required
def get_question(question_id: int) -> Any:
    return jsonify(question_json(service.get_question(db, question_id)))


@bp.put("/questions/<int:question_id>")
@auth.examiner_required
def edit_question(question_id: int) -> Any:
    """{"question": {...Question.to_dict()}, "base_version": n, "note": "..."} -> the new version."""
    body = json_body()
    try:
        base = int(body.get("base_version", ""))
    except (TypeError, ValueError):
        raise ServiceError("bank.invalid_question", status=422, problems=["base_version missing"]) from None
    row = service.edit_question(db, question_id, body.get("question"), base, str(body.get("note") or ""),
                                auth.current_actor())
    return jsonify(question_json(row))


@bp.get("/questions/<int:question_id>/versions")
@auth.examiner_required
def list_versions(question_id: int) -> Any:
    return jsonify({"items": [version_json(v) for v in service.versions(db, question_id)]})


@bp.get("/questions/<int:question_id>/versions/<int:number>")
@auth.examiner_required
def get_version(question_id: int, number: int) -> Any:
    v = service.version(db, question_id, number)
    return jsonify({**version_json(v), "question": v.data})


@bp.post("/imports")
@auth.examiner_required
@limiter.limit(FILE_RATE_LIMIT)
def import_file() -> Any:
    """multipart `file`: 200 with the summary, or 422 with every error (nothing stored)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ServiceError("bank.no_file", status=422)
    summary = service.import_file(db, upload.read(), upload.filename, auth.current_actor())
    return jsonify(summary), 201


@bp.post("/exports")
@auth.examiner_required
@limiter.limit(FILE_RATE_LIMIT)
def export_questions() -> Any:
    """{"format": "moodle"|"qti"|"qti3"|"xlsx", "ids": [..]} or {"format", "filter": {...}}."""
    body = json_body()
    fmt = str(body.get("format") or "")
    service.export_name(fmt)
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
        raise ServiceError("bank.bad_ids", status=422)
    raw_filter = body.get("filter") if isinstance(body.get("filter"), dict) else {}
    filters = service.Filters.from_args(raw_filter) if ids is None else None
    questions = service.selected_questions(db, ids, filters)
    name, data = service.export(questions, fmt)
    return file_response(name, data)


def file_response(name: str, data: bytes) -> Response:
    mime = "application/xml" if name.endswith(".xml") else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if name.endswith(".xlsx") else "application/zip")
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

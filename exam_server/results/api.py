"""JSON API for results: marking, key corrections, publication (examiners) and the read-only,
token-authenticated, paginated feed for school systems."""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any

from flask import Blueprint, jsonify, request, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from exam_server.accounts import auth
from exam_server.accounts.api import json_body
from exam_server.attempts import disqualification
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.errors import Conflict, Forbidden, NotFound, ServiceError
from exam_server.events.log import append_event
from exam_server.exams.models import Registration, Sitting
from exam_server.i18n import current_language, translate
from exam_server.results import (
    api_tokens,
    export_jobs,
    marking,
    publishing,
    regrade,
    service,
)
from exam_server.results.absence import answered_attempts
from exam_server.results.exports import row_json, status_text
from exam_server.results.models import MarkingPolicy, Publication
from exam_server.results.scores import is_absent
from question_bank.model import Question

bp = Blueprint("results_api", __name__, url_prefix="/api/v1")
MAX_PAGE = 500


def _sitting(sitting_id: int) -> Sitting:
    sitting = db.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    return sitting


def _user() -> Any:
    return auth.staff_user()


@bp.get("/sittings/<int:sitting_id>/marking")
@auth.examiner_required
def marking_queue(sitting_id: int) -> Any:
    _sitting(sitting_id)
    return jsonify({"items": marking.marking_queue(db, sitting_id, _user())})


@bp.put("/sittings/<int:sitting_id>/marking-policy")
@auth.examiner_required
def set_policy(sitting_id: int) -> Any:
    _sitting(sitting_id)
    data = json_body()
    existing = db.get(MarkingPolicy, sitting_id)
    before = None if existing is None else {
        "anonymous": existing.anonymous, "double_marking": existing.double_marking,
        "tolerance": existing.tolerance, "rounding_step": existing.rounding_step}
    policy = existing or MarkingPolicy(sitting_id=sitting_id)
    try:
        policy.anonymous = bool(data.get("anonymous", True))
        policy.double_marking = bool(data.get("double_marking", False))
        policy.tolerance = float(data.get("tolerance", 0.5))
        policy.rounding_step = str(data.get("rounding_step", "0.25"))
        if policy.rounding_step not in ("0.01", "0.05", "0.1", "0.25", "0.5", "1"):
            raise ValueError(policy.rounding_step)
    except (TypeError, ValueError) as exc:
        raise ServiceError("errors.json_object_expected") from exc
    db.add(policy)
    # Marking rules decide scores: every change is in the audit log with the values before and after.
    after = {"anonymous": policy.anonymous, "double_marking": policy.double_marking,
             "tolerance": policy.tolerance, "rounding_step": policy.rounding_step}
    append_event(db, "results.marking_policy_changed", auth.current_actor(), sitting_id=sitting_id,
                 data={"before": before, "after": after})
    db.commit()
    return jsonify({"sitting_id": sitting_id, "anonymous": policy.anonymous, "double_marking": policy.double_marking,
                    "tolerance": policy.tolerance, "rounding_step": policy.rounding_step})


@bp.post("/sittings/<int:sitting_id>/marks")
@auth.examiner_required
def record_mark(sitting_id: int) -> Any:
    _sitting(sitting_id)
    data = json_body()
    try:
        points = None if data.get("points") is None else float(data["points"])
        rubric = {str(k): float(v) for k, v in (data.get("rubric") or {}).items()}
        question_no, round_no = int(data["question_no"]), int(data.get("round", 1))
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceError("errors.json_object_expected") from exc
    state = marking.record_mark(
        db, sitting_id, code=str(data.get("code", "")), question_no=question_no, round_no=round_no,
        marker=_user(), points=points, rubric=rubric, comment=str(data.get("comment", ""))[:4000],
        actor=auth.current_actor(),
    )
    return jsonify(state)


def _corrected(data: dict[str, Any]) -> tuple[str, Question | None]:
    uid = str(data.get("uid", ""))
    if data.get("action") == "void":
        return uid, None
    try:
        return uid, Question.from_dict(data["question"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ServiceError("errors.json_object_expected") from exc


@bp.post("/sittings/<int:sitting_id>/key-changes/preview")
@auth.examiner_required
def preview_key_change(sitting_id: int) -> Any:
    _sitting(sitting_id)
    uid, corrected = _corrected(json_body())
    changes = regrade.preview_key_change(db, sitting_id, uid, corrected)
    return jsonify({"changes": [asdict(c) for c in changes],
                    "changed": sum(1 for c in changes if (c.before, c.max_before) != (c.after, c.max_after))})


@bp.post("/sittings/<int:sitting_id>/key-changes")
@auth.examiner_required
def apply_key_change(sitting_id: int) -> Any:
    _sitting(sitting_id)
    data = json_body()
    uid, corrected = _corrected(data)
    change = regrade.apply_key_change(db, sitting_id, uid, corrected, reason=str(data.get("reason", "")),
                                      by=_user(), actor=auth.current_actor())
    return jsonify({"id": change.id, "action": change.action, "score_changes": change.score_changes})


@bp.post("/sittings/<int:sitting_id>/publish")
@auth.examiner_required
def publish(sitting_id: int) -> Any:
    _sitting(sitting_id)
    publication = service.publish(db, sitting_id, _user(), auth.current_actor())
    return jsonify({"sitting_id": sitting_id, "published_at": publication.published_at.isoformat()})


@bp.post("/sittings/<int:sitting_id>/unpublish")
@auth.examiner_required
def unpublish(sitting_id: int) -> Any:
    """Withdraw the publication (schools' feed closes again); logged with its reason."""
    _sitting(sitting_id)
    publishing.unpublish(db, sitting_id, str(json_body().get("reason", "")), auth.current_actor())
    return jsonify({"sitting_id": sitting_id, "published_at": None})


@bp.get("/sittings/<int:sitting_id>/scores")
@auth.examiner_required
def scores(sitting_id: int) -> Any:
    """Per candidate in SBD order. A candidate who never started is `"state": "absent"` with no
    score (never "submitted" with 0); `status_text` is what official documents print.

    Lives in results (not with the sittings in `exams.api`) because it reads attempts and the
    absence and disqualification rules: results is the layer above both."""
    sitting = _sitting(sitting_id)
    rows = db.execute(
        select(Registration, Attempt).outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id).order_by(Registration.sbd)
        .options(joinedload(Registration.room))  # one query, not one per room
    )
    answered = answered_attempts(db, sitting_id)
    voided = disqualification.reasons(db, sitting_id)
    out = []
    for reg, a in rows:
        absent = is_absent(a.state if a else None, a.entered_at if a else None, sitting.state,
                           a is not None and a.id in answered)
        disqualified = not absent and disqualification.is_disqualified(a)
        state = "absent" if absent else "disqualified" if disqualified else (a.state if a else None)
        printed = ""  # only absentees and disqualified candidates get a status on paper
        if absent or disqualified:
            printed = status_text("absent" if absent else "disqualified", voided.get(a.id, "") if a and disqualified else "")
        out.append({
            "registration_id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name,
            "room": reg.room.name if reg.room else "", "attempt_id": a.id if a else None,
            "state": state,
            "status_text": printed,
            "score": None if absent or disqualified or a is None else a.score,
            "max_score": a.max_score if a else None,
            "submitted_at": None if absent or a is None or a.submitted_at is None else a.submitted_at.isoformat(),
            "submitted_by": "" if absent or a is None else a.submitted_by,
        })
    return jsonify(scores=out, absent=sum(1 for r in out if r["state"] == "absent"),
                   disqualified=sum(1 for r in out if r["state"] == "disqualified"))


@bp.get("/sittings/<int:sitting_id>/attempts/<sbd>/review")
@auth.examiner_required
def attempt_review(sitting_id: int, sbd: str) -> Any:
    """An appeal: the attempt as the candidate saw it, answers, marks and markers, events."""
    from exam_server.results.review import attempt_review as build

    _sitting(sitting_id)
    review = asdict(build(db, sitting_id, sbd))

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value

    return jsonify(plain(review))


@bp.get("/sittings/<int:sitting_id>/results/export")
@auth.examiner_required
def export_results(sitting_id: int) -> Any:
    """?format=csv|xlsx|pdf|json&by=room|school|class|sitting: the signed result package as a zip
    (the exported files, manifest.json and manifest.json.p7s)."""
    sitting = _sitting(sitting_id)
    fmt, by = request.args.get("format", "xlsx"), request.args.get("by", "room")
    from exam_server.i18n import current_language
    from exam_server.results import bundle

    data = bundle.package_zip(db, sitting.id, fmt, by, auth.current_actor(), lang=current_language())
    name = f"ket-qua-ca-{sitting.id}-{by}-{fmt}.zip"
    return send_file(data, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)


@bp.post("/sittings/<int:sitting_id>/results/export-jobs")
@auth.examiner_required
def start_export_job(sitting_id: int) -> Any:
    """{"format": "pdf", "by": "room"}: the same signed package as /results/export, built in the
    background (large sittings); answers 202 with the job to poll."""
    data = json_body()
    job = export_jobs.start(db, _sitting(sitting_id).id, str(data.get("format", "xlsx")), str(data.get("by", "room")),
                            auth.current_actor(), current_language())
    return jsonify(_job_json(job)), 202


def _job_json(job: Any) -> dict[str, Any]:
    body = export_jobs.status(job)
    body["message"] = translate(body["error"]) if body["error"] else ""
    body["status_url"] = url_for("results_api.export_job", job_id=job.id)
    body["download_url"] = url_for("results_api.export_job_download", job_id=job.id) if body["state"] == "done" else ""
    return body


@bp.get("/export-jobs/<string:job_id>")
@auth.examiner_required
def export_job(job_id: str) -> Any:
    return jsonify(_job_json(export_jobs.get(db, job_id[:32])))


@bp.get("/export-jobs/<string:job_id>/download")
@auth.examiner_required
def export_job_download(job_id: str) -> Any:
    job = export_jobs.get(db, job_id[:32])
    body = export_jobs.status(job)
    if body["state"] != "done" or job.data is None:
        raise Conflict("results.export_not_ready", percent=body["percent"])
    return send_file(io.BytesIO(job.data), mimetype="application/zip", as_attachment=True,
                     download_name=job.filename, max_age=0)


@bp.post("/api-tokens")
@auth.roles_required("admin")
def create_token() -> Any:
    """{"name": "SMAS …", "school": "THPT …"?, "expires_days": 90?}: the token is shown only here."""
    data = json_body()
    name = str(data.get("name", "")).strip()
    days = data.get("expires_days", api_tokens.DEFAULT_DAYS)
    token = api_tokens.create_api_token(db, name, str(data.get("school", "")), _user(), days=days,
                                        actor=auth.current_actor())
    row = api_tokens.find_token(db, token)
    return jsonify({"name": name, "token": token, **(api_tokens.token_json(row) if row else {})}), 201


@bp.get("/api-tokens")
@auth.roles_required("admin")
def list_tokens() -> Any:
    return jsonify({"tokens": api_tokens.list_api_tokens(db)})


@bp.delete("/api-tokens/<int:token_id>")
@auth.roles_required("admin")
def revoke_token(token_id: int) -> Any:
    row = api_tokens.revoke_api_token(db, token_id, _user(), actor=auth.current_actor())
    return jsonify(api_tokens.token_json(row))


@bp.get("/school/sittings/<int:sitting_id>/results")
@auth.public  # authenticated by the bearer token below, not by a session
def school_results(sitting_id: int) -> Any:
    token = service.token_from_header(db, request.headers.get("Authorization"))
    if token is None:
        raise ServiceError("results.bad_token", status=401)
    _sitting(sitting_id)
    if db.get(Publication, sitting_id) is None:
        raise Forbidden("results.not_published")
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(MAX_PAGE, max(1, int(request.args.get("per_page", 100))))
    except ValueError as exc:
        raise ServiceError("errors.json_object_expected") from exc
    rows = service.result_rows(db, sitting_id, school=token.school)
    chunk = rows[(page - 1) * per_page: page * per_page]
    return jsonify({
        "sitting_id": sitting_id, "page": page, "per_page": per_page, "total": len(rows),
        "next_page": page + 1 if page * per_page < len(rows) else None,
        "items": [row_json(r) for r in chunk],
    })

"""The results pages: the sitting's results desk (exports, publication, item analysis, key
correction, marking progress: everything `exam-server` does for results) and the marking
screen (examiners mark essays anonymously, by marking code, with rubric and comment)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from exam_server.accounts import auth
from exam_server.attempts.disqualification import DISQUALIFIED
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.errors import NotFound, ServiceError
from exam_server.exams.lifecycle import get_sitting
from exam_server.exams.models import Paper, Registration, Room, Sitting
from exam_server.i18n import translate
from exam_server.results import marking
from exam_server.results.absence import answered_attempts
from exam_server.results.scores import is_absent, round_score

bp = Blueprint("results_pages", __name__, url_prefix="/results")
# The score table keeps its address beside the sitting's pages (/exams/sittings/<id>/scores)
# but is built here: it reads attempts, marking policy, absence and disqualification, which
# sit above the exams domain.
scores_bp = Blueprint("score_pages", __name__, url_prefix="/exams")


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
    sitting = get_sitting(sitting_id)
    user = auth.staff_user()
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
            round_no=int(form.get("round", "0")), marker=auth.staff_user(), points=_float(form.get("points")),
            rubric=rubric or None, comment=form.get("comment", "")[:4000], actor=auth.current_actor(),
        )
        flash(translate("results.mark_saved", code=form.get("code", "")), "success")
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
    except ValueError:
        flash(translate("errors.json_object_expected"), "error")
    return redirect(url_for("results_pages.marking_page", sitting_id=sitting_id))


def _first_words(text: str, count: int = 8) -> str:
    words = " ".join(str(text or "").split()).split(" ")
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def key_items(sitting: Sitting) -> list[dict[str, Any]]:
    """The items a key correction can target, named by paper code and question number and the
    stem's first words; each keeps its question as stored on that paper (options as shown)."""
    items = []
    seen: set[str] = set()
    for paper in sorted(sitting.papers, key=lambda p: p.code):
        for no, question in enumerate(paper.snapshot, start=1):
            uid = question.get("uid", "")
            if not uid or uid in seen:
                continue
            seen.add(uid)
            items.append({"uid": uid, "paper": paper.code, "no": no, "type": question.get("type", ""),
                          "label": translate("results.page.item_label", paper=paper.code, no=no,
                                             stem=_first_words(question.get("stem", ""))),
                          "question": question})
    return items


@bp.get("/sittings/<int:sitting_id>")
@auth.examiner_required
def results_page(sitting_id: int) -> Any:
    from collections import Counter

    from exam_server.results import FORMATS, GROUPINGS, service
    from exam_server.results.models import Publication

    sitting = get_sitting(sitting_id)
    rows = service.result_rows(db, sitting_id)
    counts = Counter(r.status for r in rows)
    queue = marking.marking_queue(db, sitting_id, auth.staff_user())
    open_items = len([i for i in queue if i["needed_round"] is not None])
    return render_template(
        "results/results.html", sitting=sitting, exam=sitting.exam, total=len(rows), counts=counts,
        marking_done=len(queue) - open_items, marking_total=len(queue), formats=FORMATS, groupings=GROUPINGS,
        publication=db.get(Publication, sitting_id), items=key_items(sitting),
        paper_codes=sorted(p.code for p in sitting.papers),
    )


@bp.post("/sittings/<int:sitting_id>/publish")
@auth.examiner_required
def publish_page(sitting_id: int) -> Response:
    from exam_server.results import publishing, service

    try:
        if request.form.get("action") == "unpublish":
            publishing.unpublish(db, sitting_id, request.form.get("reason", ""), auth.current_actor())
            flash(translate("results.unpublished"), "success")
        else:
            service.publish(db, sitting_id, auth.staff_user(), auth.current_actor())
            flash(translate("results.published"), "success")
    except ServiceError as exc:
        db.rollback()
        flash(exc.message(), "error")
    return redirect(url_for("results_pages.results_page", sitting_id=sitting_id))


def _analysis(sitting_id: int, code: str | None) -> tuple[Any, str, dict[str, str]]:
    """The report of every paper code pooled, or with `code` (the results page's `?code=`) of
    that code's candidates only, its options named by that code's letters."""
    from exam_server.results import item_report

    sitting = get_sitting(sitting_id)
    if code is not None and code not in {p.code for p in sitting.papers}:
        raise NotFound("results.page.unknown_code", code=code[:20])
    try:
        report = item_report.sitting_analysis(db, sitting_id, code=code)
    except ValueError as exc:
        raise ServiceError("results.page.no_analysis") from exc
    title = (translate("results.page.analysis_title", sitting=sitting.name) if code is None
             else translate("results.page.analysis_title_code", sitting=sitting.name, code=code))
    return report, title, item_report.item_labels(db, sitting_id, code=code)


def _analysis_code() -> str | None:
    """`?code=` of the report links; empty (the selector's "all") is every code pooled."""
    return request.args.get("code", "").strip() or None


@bp.get("/sittings/<int:sitting_id>/item-analysis")
@auth.examiner_required
def item_analysis_html(sitting_id: int) -> Any:
    import tempfile
    from pathlib import Path

    from exam_server.results import item_report

    code = _analysis_code()
    report, title, labels = _analysis(sitting_id, code)
    with tempfile.TemporaryDirectory() as work:
        path = item_report.write_html(report, Path(work) / "report.html", title, labels=labels, code=code)
        return path.read_text(encoding="utf-8")


@bp.get("/sittings/<int:sitting_id>/item-analysis.pdf")
@auth.examiner_required
def item_analysis_pdf(sitting_id: int) -> Any:
    import tempfile
    from pathlib import Path

    from flask import make_response

    from exam_server.results import item_report

    code = _analysis_code()
    report, title, labels = _analysis(sitting_id, code)
    with tempfile.TemporaryDirectory() as work:
        data = item_report.write_pdf(report, Path(work) / "report.pdf", title, labels=labels, code=code).read_bytes()
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    # the code is one of the sitting's own (checked above), so it is safe in the header
    name = f"phan-tich-cau-hoi-ca-{sitting_id}" + (f"-de-{code}" if code else "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@bp.get("/sittings/<int:sitting_id>/review")
@auth.examiner_required
def review_page(sitting_id: int) -> Any:
    """An appeal (phúc khảo): ?sbd= opens that candidate's attempt as they saw it; printable."""
    from exam_server.results.review import attempt_review

    sitting = get_sitting(sitting_id)
    sbd = request.args.get("sbd", "").strip()
    review = attempt_review(db, sitting_id, sbd) if sbd else None
    return render_template("results/review.html", sitting=sitting, exam=sitting.exam, review=review, sbd=sbd,
                           event_label=_event_label)


def _event_label(action: str) -> str:
    key = f"results.event.{action}"
    text = translate(key)
    return translate("results.event.other") if text == key else text


SCORES_PER_PAGE = 500  # a page a browser renders at once; a whole 10,000-candidate sitting is 3 MB


@scores_bp.get("/sittings/<int:sitting_id>/scores")
@auth.examiner_required
def scores(sitting_id: int) -> str:
    """Per candidate in SBD order, one room (`?room=`) or the whole sitting, a page at a time."""
    sitting = get_sitting(sitting_id)
    rooms = sorted(sitting.rooms, key=lambda r: r.name)
    room_id = request.args.get("room", type=int)
    where = [Registration.sitting_id == sitting_id]
    if room_id is not None:
        where.append(Registration.room_id == room_id)
    total = db.scalar(select(func.count()).select_from(Registration).where(*where)) or 0
    pages = max(1, -(-total // SCORES_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    found = db.execute(
        select(Registration.sbd, Registration.full_name, Room.name, Paper.code,
               Attempt.state, Attempt.score, Attempt.max_score, Attempt.grading, Attempt.entered_at, Attempt.id,
               Attempt.submitted_by)
        .outerjoin(Room, Registration.room_id == Room.id)
        .outerjoin(Paper, Registration.paper_id == Paper.id)
        .outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .where(*where).order_by(Registration.sbd)
        .limit(SCORES_PER_PAGE).offset((page - 1) * SCORES_PER_PAGE)
    ).all()
    step = marking.policy_for(db, sitting_id).rounding_step
    rows = []
    answered = answered_attempts(db, sitting_id)
    for (sbd, full_name, room_name, paper_code, state, score, max_score, grading, entered_at, attempt_id,
         submitted_by) in found:
        if is_absent(state, entered_at, sitting.state, attempt_id in answered):
            state, score = "absent", None  # never sat: "Vắng", never a 0
        elif submitted_by == DISQUALIFIED:
            state, score = "disqualified", None  # voided paper: "Đình chỉ", never a score
        graded = score is not None and bool(max_score)
        # An essay not yet marked makes the score incomplete: say so rather than show it.
        pending = any(item.get("status") == "manual" for item in grading or [])
        rows.append({
            "candidate_number": sbd,
            "full_name": full_name,
            "room": room_name or "",
            "paper_code": paper_code or "",
            "state": state or "none",
            "raw": score if graded else None,
            "max_points": max_score if graded else None,
            "score10": round_score(score, max_score, step) if graded and not pending else None,
            "pending_marking": pending,
        })
    return render_template("exams/scores.html", sitting=sitting, exam=sitting.exam, rows=rows, rooms=rooms,
                           room_id=room_id, total=total, page=page, pages=pages,
                           first=(page - 1) * SCORES_PER_PAGE + 1)

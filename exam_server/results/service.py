"""Result rows for a sitting, publication, school API tokens, and the purge of biometric data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.attempts.disqualification import is_disqualified, reasons
from exam_server.attempts.models import Attempt
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Paper, Registration, Sitting
from exam_server.results.absence import answered_attempts

# School API tokens live in api_tokens; re-exported for the callers of service.
from exam_server.results.api_tokens import create_api_token as create_api_token
from exam_server.results.api_tokens import token_from_header as token_from_header
from exam_server.results.exports import ResultRow
from exam_server.results.marking import policy_for
from exam_server.results.models import Publication
from exam_server.results.scores import is_absent, round_score


def _status(attempt: Attempt | None, sitting: Sitting, answered: set[int] | frozenset[int] = frozenset()) -> str:
    if is_absent(attempt.state if attempt else None, attempt.entered_at if attempt else None, sitting.state,
                 attempt is not None and attempt.id in answered):
        return "absent"
    if attempt is None or attempt.state != "submitted":
        return "not_submitted"
    if is_disqualified(attempt):
        return "disqualified"
    if any(row["status"] == "manual" for row in attempt.grading or []):
        return "pending_marking"
    return "submitted"


def result_rows(session: Session, sitting_id: int, school: str = "") -> list[ResultRow]:
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    step = policy_for(session, sitting_id).rounding_step
    query = (
        select(Registration, Attempt, Paper.code)
        .outerjoin(Attempt, Attempt.registration_id == Registration.id)
        .outerjoin(Paper, Paper.id == Registration.paper_id)
        .where(Registration.sitting_id == sitting_id)
        .order_by(Registration.sbd)
    )
    if school:
        query = query.where(Registration.school == school)
    answered = answered_attempts(session, sitting_id)
    voided = reasons(session, sitting_id)
    rows = []
    for reg, attempt, paper_code in session.execute(query):
        status = _status(attempt, sitting, answered)
        graded = status in ("submitted", "pending_marking") and attempt is not None and attempt.score is not None
        maximum = float(attempt.max_score) if graded and attempt.max_score else 0.0
        rows.append(ResultRow(
            sbd=reg.sbd, full_name=reg.full_name, date_of_birth=reg.dob, school=reg.school,
            class_name=reg.class_name, room=reg.room.name if reg.room else "", paper_code=paper_code or "",
            raw_points=attempt.score if graded else None, max_points=maximum if graded else None,
            score=round_score(attempt.score, maximum, step) if graded and attempt.score is not None and status == "submitted" else None,
            status=status, note=voided.get(attempt.id, "") if attempt is not None and status == "disqualified" else "",
        ))
    return rows


def publish(session: Session, sitting_id: int, by: User, actor: Actor) -> Publication:
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    if sitting.state != "ended":
        raise Conflict("results.sitting_not_ended")
    if any(r.status == "pending_marking" for r in result_rows(session, sitting_id)):
        raise Conflict("results.marking_unfinished")
    publication = session.get(Publication, sitting_id)
    if publication is None:
        publication = Publication(sitting_id=sitting_id, published_by_id=by.id)
        session.add(publication)
        append_event(session, "results.published", actor, sitting_id=sitting_id)
        session.commit()
    return publication


def purge_biometrics(session: Session, before: datetime, actor: Actor) -> dict[str, Any]:
    """Remove face thumbnails and match scores of check-ins received before `before`, every copy
    (check-in records, reason parameters, event payloads); log it. See `results.purge`."""
    from exam_server.results.purge import purge_biometrics as purge

    return purge(session, before, actor)

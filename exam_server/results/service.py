"""Result rows for a sitting, publication, school API tokens, and the purge of biometric data."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.attempts.models import Attempt
from exam_server.checkin.models import CheckIn
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Paper, Registration, Sitting
from exam_server.results.exports import ResultRow
from exam_server.results.marking import policy_for
from exam_server.results.models import ApiToken, Publication
from exam_server.results.scores import round_score


def _status(attempt: Attempt | None, sitting: Sitting) -> str:
    if attempt is None or attempt.state != "submitted":
        never_entered = attempt is None or attempt.entered_at is None
        return "absent" if sitting.state == "ended" and never_entered else "not_submitted"
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
    rows = []
    for reg, attempt, paper_code in session.execute(query):
        status = _status(attempt, sitting)
        graded = status in ("submitted", "pending_marking") and attempt is not None and attempt.score is not None
        maximum = float(attempt.max_score) if graded and attempt.max_score else 0.0
        rows.append(ResultRow(
            sbd=reg.sbd, full_name=reg.full_name, date_of_birth=reg.dob, school=reg.school,
            class_name=reg.class_name, room=reg.room.name if reg.room else "", paper_code=paper_code or "",
            raw_points=attempt.score if graded else None, max_points=maximum,
            score=round_score(attempt.score, maximum, step) if graded and status == "submitted" else None,
            status=status,
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


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, name: str, school: str = "", by: User | None = None) -> str:
    """A new read-only token for a school system; only its hash is stored, so show it once."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=_hash_token(token), school=school,
                         created_by_id=by.id if by else None))
    session.commit()
    return token


def token_from_header(session: Session, header: str | None) -> ApiToken | None:
    if not header or not header.startswith("Bearer "):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(header[7:].strip())))
    return token if token is not None and token.revoked_at is None else None


def purge_biometrics(session: Session, before: datetime, actor: Actor) -> dict[str, Any]:
    """Remove face thumbnails and match scores of check-ins received before `before`; log it."""
    # A JSON column may hold SQL NULL or JSON null, so decide on the loaded values.
    candidates = session.execute(
        select(CheckIn.id, CheckIn.face, CheckIn.thumbnail.is_not(None)).where(CheckIn.received_at < before)
    )
    ids = [cid for cid, face, has_thumbnail in candidates if face is not None or has_thumbnail]
    if ids:
        session.execute(
            update(CheckIn).where(CheckIn.id.in_(ids)).values(thumbnail=None, face=null())
            .execution_options(synchronize_session=False)
        )
    summary = {"before": before.isoformat(), "checkins": len(ids)}
    append_event(session, "data.purged", actor, data=summary)
    session.commit()
    return summary

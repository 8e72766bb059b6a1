"""Withdrawing a publication (publishing itself is `service.publish`): the schools' feed and the
published flag close again; the withdrawal is logged with its reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.results.models import Publication


def unpublish(session: Session, sitting_id: int, reason: str, actor: Actor) -> None:
    if not reason.strip():
        raise ServiceError("results.reason_required", field="reason")
    publication = session.get(Publication, sitting_id)
    if publication is None:
        raise Conflict("results.not_published_yet")
    session.delete(publication)
    append_event(session, "results.unpublished", actor, sitting_id=sitting_id, reason=reason.strip()[:500])
    session.commit()

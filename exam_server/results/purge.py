"""`exam-server purge`: face thumbnails and match scores older than the retention period, every copy.

Copies live in three places: the check-in record's `thumbnail` and `face`, the parameters of its
refusal reasons (a face mismatch carries the distance), and, in databases written before the
allow-list (`exam_server.checkin.personal_data`), the `face` of check-in entries in the event
log. The first two are cleared; an event entry is cleared too, keeping the outcome (`matched`).
The purge itself is logged as `data.purged`, naming how many of each were cleared and which
event entries were changed, with the hash each had: an audit of the log then finds those entries
changed by the purge and by nothing else. New entries never hold a score, so this last case is
for old data only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from exam_server.checkin import personal_data
from exam_server.checkin.models import CheckIn
from exam_server.events.log import Actor, append_event
from exam_server.events.models import Event

BIOMETRIC_EVENT_KEYS = ("face", "thumbnail", "thumbnail_jpeg_b64")


def _purge_checkins(session: Session, before: datetime) -> int:
    rows = session.execute(
        select(CheckIn.id, CheckIn.face, CheckIn.reasons, CheckIn.thumbnail.is_not(None))
        .where(CheckIn.received_at < before)
    ).all()
    cleared = 0
    for checkin_id, face, reasons, has_thumbnail in rows:
        if not (has_thumbnail or personal_data.has_scores(face, reasons)):
            continue
        outcome = personal_data.purged_face(face)
        session.execute(
            update(CheckIn).where(CheckIn.id == checkin_id)
            .values(thumbnail=None, face=outcome if outcome is not None else null(),
                    reasons=personal_data.purged_reasons(reasons))
            .execution_options(synchronize_session=False)
        )
        cleared += 1
    return cleared


def _event_copy(data: Any) -> dict[str, Any] | None:
    """The entry's data without biometric values, or None when it holds none."""
    if not isinstance(data, dict):
        return None
    face = data.get("face")
    scores = personal_data.has_scores(face, data.get("reasons"))
    pictures = any(k in data for k in BIOMETRIC_EVENT_KEYS[1:])
    if not scores and not pictures:
        return None
    cleaned = {k: v for k, v in data.items() if k not in BIOMETRIC_EVENT_KEYS[1:]}
    if "face" in cleaned:
        cleaned["face"] = personal_data.event_face(face)
    if isinstance(cleaned.get("reasons"), list) and all(isinstance(r, dict) for r in cleaned["reasons"]):
        cleaned["reasons"] = personal_data.purged_reasons(cleaned["reasons"])
    return cleaned


def _purge_events(session: Session, before: datetime) -> list[dict[str, Any]]:
    changed: list[dict[str, Any]] = []
    for event in session.scalars(select(Event).where(Event.action.like("checkin.%"), Event.at < before)):
        cleaned = _event_copy(event.data)
        if cleaned is None:
            continue
        changed.append({"id": event.id, "chain": event.chain, "stream": event.stream,
                        "stream_seq": event.stream_seq, "hash": event.hash})
        session.execute(update(Event).where(Event.id == event.id).values(data=cleaned)
                        .execution_options(synchronize_session=False))
    return changed


def purge_biometrics(session: Session, before: datetime, actor: Actor) -> dict[str, Any]:
    """Clear every copy of thumbnails and scores of check-ins received before `before`; log it."""
    checkins = _purge_checkins(session, before)
    events = _purge_events(session, before)
    summary = {"before": before.isoformat(), "checkins": checkins, "events": len(events)}
    append_event(session, "data.purged", actor, data={**summary, "event_entries": events})
    session.commit()
    return summary

"""What check-in adds to removing a candidate or deleting a room before the exam (see
`exams.dependents`, which exams calls without importing this domain)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exam_server.checkin.models import CheckIn, Station
from exam_server.exams import dependents


@dependents.record_check
def accepted_at_door(db: Session, registration_id: int) -> bool:
    """An accepted check-in makes the candidate part of the exam record."""
    return db.scalar(select(CheckIn.id).where(CheckIn.registration_id == registration_id,
                                              CheckIn.status == "accepted").limit(1)) is not None


@dependents.before_registration_delete
def drop_checkins(db: Session, registration_id: int) -> None:
    db.execute(delete(CheckIn).where(CheckIn.registration_id == registration_id))


@dependents.before_room_delete
def drop_stations(db: Session, room_id: int) -> None:
    db.execute(delete(Station).where(Station.room_id == room_id))

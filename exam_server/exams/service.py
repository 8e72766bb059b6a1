"""Setting up an exam: exams, sittings, rooms, registrations (used by pages, CLI, demo, tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select

from exam_server.accounts.models import User, hash_password
from exam_server.db import session as db
from exam_server.errors import Conflict, ServiceError
from exam_server.exams.models import Exam, Registration, Room, Sitting


def create_exam(code: str, name: str, organisation_id: int | None = None) -> Exam:
    if db.scalar(select(Exam.id).where(Exam.code == code)) is not None:
        raise Conflict("exams.exam_code_taken", code=code)
    exam = Exam(code=code, name=name, organisation_id=organisation_id)
    db.add(exam)
    db.flush()
    return exam


def create_sitting(exam_id: int, name: str, scheduled_start: datetime, duration_s: int, *,
                   subject: str = "", late_entry_s: int = 15 * 60, grace_s: int = 10,
                   allow_password_login: bool = False, auto_start: bool = False) -> Sitting:
    if duration_s <= 0:
        raise ServiceError("exams.bad_duration")
    sitting = Sitting(exam_id=exam_id, name=name, subject=subject, scheduled_start=scheduled_start,
                      duration_s=duration_s, late_entry_s=late_entry_s, grace_s=grace_s,
                      allow_password_login=allow_password_login, auto_start=auto_start)
    db.add(sitting)
    db.flush()
    return sitting


def create_room(sitting_id: int, name: str, seats: Sequence[str], invigilators: Sequence[User] = (),
                capacity: int | None = None) -> Room:
    room = Room(sitting_id=sitting_id, name=name, seats=list(seats),
                capacity=capacity if capacity is not None else len(seats), invigilators=list(invigilators))
    db.add(room)
    db.flush()
    return room


def add_registration(sitting_id: int, *, sbd: str, full_name: str, dob: date, citizen_id: str,
                     school: str = "", class_name: str = "", room_id: int | None = None, seat: str = "",
                     password: str | None = None, extra_time_s: int = 0) -> Registration:
    reg = Registration(sitting_id=sitting_id, sbd=sbd, full_name=full_name, dob=dob, citizen_id=citizen_id,
                       school=school, class_name=class_name, room_id=room_id, seat=seat,
                       password_hash=hash_password(password) if password else None,
                       extra_time_s=extra_time_s)
    db.add(reg)
    db.flush()
    return reg

"""Seed one sitting with rooms, invigilators, candidates and a paper (inside an app context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from exam_server.accounts.service import create_user
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor
from exam_server.exams import lifecycle, service
from exam_server.exams.papers import add_paper
from exam_server.sample_questions import sample_questions
from question_bank.model import Question

STAFF_PASSWORD = "staff-password-1"
CANDIDATE_PASSWORD = "candidate-pw-1"
EXAMINER = Actor("examiner:test")


@dataclass
class Seeded:
    sitting_id: int
    room_ids: list[int]
    registration_ids: list[int]  # in SBD order, rooms filled in turn
    users: dict[str, int] = field(default_factory=dict)  # username -> id: admin, examiner, inv1, inv2...
    attempt_ids: list[int] = field(default_factory=list)  # parallel to registration_ids (after check-in)
    sbds: list[str] = field(default_factory=list)


_counter = [0]


def seed_sitting(*, rooms: int = 2, per_room: int = 3, duration_s: int = 600, grace_s: int = 2,
                 questions: list[Question] | None = None, open_checkin: bool = True, start: bool = False,
                 allow_password_login: bool = True, late_entry_s: int = 900) -> Seeded:
    _counter[0] += 1
    tag = f"{_counter[0]}{utcnow().strftime('%H%M%S%f')}"
    users: dict[str, int] = {}
    for name, role in (("admin", "admin"), ("examiner", "examiner")):
        users[name] = create_user(f"{name}-{tag}", STAFF_PASSWORD, role, full_name=name).id
    exam = service.create_exam(f"KT-{tag}", "Kỳ thi thử tốt nghiệp THPT")
    sitting = service.create_sitting(exam.id, "Ca 1 — Toán", utcnow() + timedelta(minutes=5), duration_s,
                                     subject="Toán", grace_s=grace_s, allow_password_login=allow_password_login,
                                     late_entry_s=late_entry_s)
    add_paper(db, sitting.id, "101", questions or sample_questions())
    seeded = Seeded(sitting.id, [], [], users)
    n = 0
    for r in range(1, rooms + 1):
        inv = create_user(f"inv{r}-{tag}", STAFF_PASSWORD, "invigilator", full_name=f"Giám thị {r}")
        users[f"inv{r}"] = inv.id
        seats = [f"M{i:02d}" for i in range(1, per_room + 1)]
        room = service.create_room(sitting.id, f"P{r:02d}", seats, invigilators=[inv])
        seeded.room_ids.append(room.id)
        for seat in seats:
            n += 1
            sbd = f"01{n:04d}"
            reg = service.add_registration(
                sitting.id, sbd=sbd, full_name=f"Nguyễn Văn {n}", dob=date(2008, 1, 1 + n % 28),
                citizen_id=f"0012080{n:05d}", school="THPT Chu Văn An", class_name="12A1", room_id=room.id,
                seat=seat, password=CANDIDATE_PASSWORD)
            seeded.registration_ids.append(reg.id)
            seeded.sbds.append(sbd)
    db.commit()
    if open_checkin:
        lifecycle.open_checkin(sitting.id, EXAMINER)
        from exam_server.attempts.control import attempt_for_registration

        seeded.attempt_ids = [attempt_for_registration(rid).id for rid in seeded.registration_ids]
    if start:
        lifecycle.start_sitting(sitting.id, EXAMINER)
    db.commit()
    return seeded


def username(seeded: Seeded, key: str) -> str:
    from exam_server.accounts.models import User

    user = db.get(User, seeded.users[key])
    assert user is not None
    return user.username

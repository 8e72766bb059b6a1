"""Seed one sitting for a load run: rooms of `per_room` candidates, a THPT-style maths paper,
check-in open (attempts created), and a one-time login code per candidate.

Runs in-process through the core services against a fresh database; the plan (codes, attempt
ids, staff logins) is returned for the load generator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from question_bank.model import Answer, Option, Question, Statement

STAFF_PASSWORD = "load-staff-pw-1"


@dataclass
class Candidate:
    sbd: str
    registration: int
    attempt: int
    room: int
    code: str


@dataclass
class Plan:
    sitting_id: int
    duration_s: int
    examiner: str
    invigilators: dict[int, str]  # room id -> username
    candidates: list[Candidate] = field(default_factory=list)
    # question number -> kind of value the simulated candidate sends
    kinds: list[str] = field(default_factory=list)


def thpt_maths_paper() -> list[Question]:
    """The 2025 THPT maths format: 12 single choice, 4 Đúng/Sai clusters, 6 short answers."""
    paper: list[Question] = []
    for i in range(12):
        paper.append(Question("single_choice", f"Câu {i + 1}: tính $ {i} + 1 $.", 0.25,
                              options=[Option(k, str(i + j), 1.0 if j == 1 else 0.0)
                                       for j, k in enumerate("ABCD")]))
    for i in range(4):
        paper.append(Question("tf_cluster", f"Xét hàm số $y = x^{i + 2}$.", 1.0,
                              statements=[Statement(s, f"Mệnh đề {s}", j % 2 == 0) for j, s in enumerate("abcd")]))
    for i in range(6):
        paper.append(Question("short_answer4", f"Nghiệm của ${i + 2}x = {i + 1}$?", 0.5,
                              answers=[Answer(f"{(i + 1) / (i + 2):.2f}".replace(".", ","))]))
    return paper


def kinds_of(paper: list[Question]) -> list[str]:
    return [q.type for q in paper]


def seed(app: Any, candidates: int, *, per_room: int = 24, duration_s: int = 600, grace_s: int = 2) -> Plan:
    """Build the sitting inside `app` (tables must exist)."""
    from sqlalchemy import select

    from exam_server.accounts.models import LoginCode
    from exam_server.accounts.service import CODE_ALPHABET, CODE_LENGTH, create_user
    from exam_server.accounts.service import _hash_code as hash_code
    from exam_server.attempts.models import Attempt
    from exam_server.db import session as db
    from exam_server.db import utcnow
    from exam_server.events.log import Actor, append_event
    from exam_server.exams import lifecycle, service
    from exam_server.exams.papers import add_paper

    tag = secrets.token_hex(3)
    actor = Actor("load:seed")
    with app.app_context():
        examiner = create_user(f"hd-{tag}", STAFF_PASSWORD, "examiner", full_name="Hội đồng thi")
        exam = service.create_exam(f"LOAD-{tag}", "Kỳ thi tải thử")
        sitting = service.create_sitting(exam.id, "Ca 1 — Toán", utcnow() + timedelta(minutes=10), duration_s,
                                         subject="Toán", grace_s=grace_s, late_entry_s=3600)
        paper = thpt_maths_paper()
        add_paper(db, sitting.id, "101", paper)
        invigilators: dict[int, str] = {}
        regs: list[Any] = []
        rooms = (candidates + per_room - 1) // per_room
        n = 0
        for r in range(rooms):
            inv = create_user(f"gt{r + 1}-{tag}", STAFF_PASSWORD, "invigilator", full_name=f"Giám thị {r + 1}")
            seats = [f"M{i:02d}" for i in range(1, per_room + 1)]
            room = service.create_room(sitting.id, f"P{r + 1:03d}", seats, invigilators=[inv])
            invigilators[room.id] = inv.username
            for seat in seats:
                if n == candidates:
                    break
                n += 1
                regs.append(service.add_registration(
                    sitting.id, sbd=f"{n:06d}", full_name=f"Thí sinh {n}", dob=date(2008, 1, 1 + n % 28),
                    citizen_id=f"{n:012d}", room_id=room.id, seat=seat))
        sitting_id = sitting.id
        db.commit()
        lifecycle.open_checkin(sitting_id, actor)
        attempts = dict(db.execute(select(Attempt.registration_id, Attempt.id)).all())
        plan = Plan(sitting_id, duration_s, examiner.username, invigilators, kinds=kinds_of(paper))
        # what issue_login_code does per candidate (one commit and one event each), in bulk:
        # the seeding of 5,000 candidates is set-up, not the subject of the measurement
        now = utcnow()
        for reg in regs:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            db.add(LoginCode(code_hash=hash_code(code), registration_id=reg.id, seat=reg.seat, issued_at=now,
                             expires_at=now + timedelta(hours=6)))
            plan.candidates.append(Candidate(reg.sbd, reg.id, attempts[reg.id], reg.room_id, code))
        append_event(db, "load.login_codes_issued", actor, sitting_id=sitting_id, data={"count": len(regs)})
        db.commit()
    return plan

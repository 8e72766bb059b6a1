"""The demo exam: one sitting, two rooms, 30 candidates, a small bank in Vietnamese formats.

Idempotent: run it again and it finds the demo and prints the same logins. The passwords are
the demo's own (printed, not secret); never use them for a real exam: the demo refuses a
database that holds anything else unless forced.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.accounts.service import create_user
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.events.log import Actor
from exam_server.exams import lifecycle, service
from exam_server.exams.models import Exam, Registration
from exam_server.exams.papers import add_paper
from exam_server.sample_questions import sample_questions
from question_bank.model import Question

DEMO_EXAM_CODE = "DEMO-THPT"
STAFF = (
    ("admin", "admin", "Quản trị hệ thống", "demo-admin-123"),
    ("khaothi", "examiner", "Cán bộ khảo thí", "demo-khaothi-123"),
    ("giamthi1", "invigilator", "Giám thị phòng P01", "demo-giamthi-123"),
    ("giamthi2", "invigilator", "Giám thị phòng P02", "demo-giamthi-123"),
)
CANDIDATE_PASSWORD = "demo-thisinh-123"  # noqa: S105 (the demo's printed password, not a secret)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Gia", "Quang")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phương", "Quân", "Trang", "Tuấn", "Vy")


class DemoRefused(ServiceError):
    def __init__(self, what: str) -> None:
        super().__init__("accounts.demo_database_not_empty", status=409, what=what)


@dataclass
class DemoInfo:
    sitting_id: int
    candidates: list[tuple[str, str, str]] = field(default_factory=list)  # (sbd, name, room)
    card: str = ""  # identity file of the first candidate, for `exam-client virtual-card`

    def describe(self, base: str) -> str:
        lines = [
            "Demo exam ready / Kỳ thi mẫu đã sẵn sàng",
            f"  Staff: {base}/login  (Vietnamese; add ?lang=en for English)",
            "  Staff logins (username / password):",
            *[f"    {role:<12} {name:<10} / {pw}" for name, role, _full, pw in STAFF],
            f"  Sitting id {self.sitting_id}: check-in is open; the examiner starts it, an invigilator issues",
            "  a candidate's one-time login code from the room page; candidates may also log in with",
            f"  SBD + password '{CANDIDATE_PASSWORD}' (demo only). First candidates:",
            *[f"    SBD {sbd}  {name}  ({room})" for sbd, name, room in self.candidates[:4]],
            f"  Candidates: {base}/exam/login  · API: {base}/api/v1/time",
        ]
        if self.card:
            lines += [
                "  Check-in with no hardware (pcscd + vsmartcard-vpcd; give it your own photo):",
                f"    exam-client virtual-card --identity {self.card} --photo YOUR_FACE.jpg --pki-dir demo-pki",
                f"    exam-client station --server {base} --room P01 --trust demo-pki --image YOUR_FACE.jpg",
                "  (log in on the station page as giamthi1; the virtual card's CSCA is a TEST-ONLY anchor)",
            ]
        return "\n".join(lines)


def write_demo_card(reg: Registration, folder: Path) -> str:
    """The first candidate as a virtual-card identity, so the check-in can be tried without a card."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"demo-card-{reg.sbd}.json"
    path.write_text(json.dumps({
        "id_number": reg.citizen_id, "full_name": reg.full_name,
        "date_of_birth": reg.dob.strftime("%d/%m/%Y"), "issue_date": "10/05/2022",
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)


def _paper_variant(questions: list[Question], rng: random.Random) -> list[Question]:
    """Another paper code: the same questions, choice questions in another order."""
    variant = [Question.from_dict(q.to_dict()) for q in questions]
    choice, rest = variant[:3], variant[3:]
    rng.shuffle(choice)
    return choice + rest


def foreign_data() -> str | None:
    """What in the database is not the demo's (None when it is empty or holds only the demo).

    The demo adds accounts whose passwords are printed on screen and in the README: on a real
    exam's database that is a way in for anyone, so `exam-server demo` refuses unless forced.
    """
    demo_users = {name for name, *_ in STAFF}
    users = [u for u in db.scalars(select(User.username)) if u not in demo_users]
    exams = [code for code in db.scalars(select(Exam.code)) if code != DEMO_EXAM_CODE]
    found = []
    if users:
        found.append(f"{len(users)} user(s): {', '.join(sorted(users)[:3])}")
    if exams:
        found.append(f"{len(exams)} exam(s): {', '.join(sorted(exams)[:3])}")
    return "; ".join(found) or None


def seed_demo(card_folder: Path | None = None, force: bool = False) -> DemoInfo:
    """Seed (or find) the demo; with `card_folder`, also write the first candidate's card identity.

    Refuses (`DemoRefused`) a database holding anything but the demo unless `force`.
    """
    if not force:
        what = foreign_data()
        if what is not None:
            db.rollback()
            raise DemoRefused(what)
    info = _seed_demo()
    if card_folder is not None:
        first = db.scalar(select(Registration).where(Registration.sitting_id == info.sitting_id)
                          .order_by(Registration.sbd))
        if first is not None:
            info.card = write_demo_card(first, card_folder)
    return info


def _seed_demo() -> DemoInfo:
    existing = db.scalar(select(Exam).where(Exam.code == DEMO_EXAM_CODE))
    if existing is not None:
        sitting = existing.sittings[0]
        regs = db.scalars(select(Registration).where(Registration.sitting_id == sitting.id)
                          .order_by(Registration.sbd)).all()
        return DemoInfo(sitting.id, [(r.sbd, r.full_name, r.room.name if r.room else "") for r in regs])

    users: dict[str, User] = {}
    for name, role, full_name, password in STAFF:
        users[name] = db.scalar(select(User).where(User.username == name)) or create_user(
            name, password, role, full_name=full_name)
    exam = service.create_exam(DEMO_EXAM_CODE, "Kỳ thi thử tốt nghiệp THPT năm 2026")
    sitting = service.create_sitting(
        exam.id, "Ca 1 — Môn Toán", utcnow() + timedelta(minutes=30), 45 * 60, subject="Toán",
        late_entry_s=15 * 60, grace_s=10, allow_password_login=True)
    questions = sample_questions()
    rng = random.Random(2026)
    add_paper(db, sitting.id, "101", questions)
    add_paper(db, sitting.id, "102", _paper_variant(questions, rng))
    info = DemoInfo(sitting.id)
    n = 0
    for r, inv in ((1, "giamthi1"), (2, "giamthi2")):
        seats = [f"M{i:02d}" for i in range(1, 16)]
        room = service.create_room(sitting.id, f"P{r:02d}", seats, invigilators=[users[inv]])
        for seat in seats:
            n += 1
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            sbd = f"0100{n:04d}"
            service.add_registration(
                sitting.id, sbd=sbd, full_name=name, dob=date(2008, 1 + n % 12, 1 + n % 28),
                citizen_id=f"001208{n:06d}", school="THPT Chu Văn An", class_name=f"12A{1 + n % 4}",
                room_id=room.id, seat=seat, password=CANDIDATE_PASSWORD)
            info.candidates.append((sbd, name, room.name))
    db.commit()
    lifecycle.open_checkin(sitting.id, Actor("cli:demo"), reason="demo")
    return info

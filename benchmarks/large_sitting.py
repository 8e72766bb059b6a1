"""One large sitting for the benchmarks that need a real database behind them (result export,
staff pages): rooms of candidates, started, with most attempts handed in and graded.

Seeded with the service functions the pages use (rooms, registrations, check-in, start), then
the grading written in one UPDATE: the benchmarks measure reading results, not producing them.
Also a private PostgreSQL database on the local server, dropped afterwards, and the load
average the result files record (the machine is shared).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Văn Đức", "Thị Bích Ngọc", "Minh Khôi", "Ngọc Ánh", "Quang Huy", "Thu Hà")


@dataclass
class LargeSitting:
    sitting_id: int
    room_ids: list[int]
    examiner: str
    invigilator: str  # of the first room
    candidates: int


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine_line(begun: datetime, load_start: str, load_end: str) -> str:
    """The result file's "Machine:" paragraph: what ran where, when, and how busy the cores were."""
    import platform

    return (f"Machine: `python-svc` — {os.cpu_count()} cores / 24 GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, PostgreSQL 15 on the same machine. Measured "
            f"{begun:%d/%m/%Y %H:%M}–{datetime.now(UTC):%H:%M} UTC; load average (1/5/15 min) at the start "
            f"{load_start}, at the end {load_end} (above 2 the cores were shared with other work).")


@contextmanager
def private_postgres(prefix: str) -> Iterator[str]:
    """A new, empty database on the local PostgreSQL (SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(rooms: int, per_room: int, *, graded: bool = True) -> LargeSitting:
    """Inside an app context: a started sitting of rooms x per_room candidates over 26 schools
    and 9 classes; when `graded`, nine in ten attempts entered, handed in and scored."""
    from sqlalchemy import update

    from exam_server.accounts.service import create_user
    from exam_server.attempts.models import Attempt
    from exam_server.db import session as dbs
    from exam_server.events.log import Actor
    from exam_server.exams import lifecycle, service
    from exam_server.exams.models import Registration
    from exam_server.exams.papers import add_paper
    from exam_server.sample_questions import sample_questions

    actor = Actor("examiner:bench")
    tag = uuid.uuid4().hex[:8]
    examiner = create_user(f"gv-{tag}", PASSWORD, "examiner").username
    exam = service.create_exam(f"BENCH-{tag}", "Kỳ thi đo hiệu năng")
    sitting = service.create_sitting(exam.id, "Ca 1", datetime.now(UTC) + timedelta(minutes=5), 3600, subject="Toán")
    add_paper(dbs, sitting.id, "101", sample_questions())
    room_ids, first_invigilator, n = [], "", 0
    for r in range(rooms):
        inv = create_user(f"gt{r}-{tag}", PASSWORD, "invigilator")
        first_invigilator = first_invigilator or inv.username
        room = service.create_room(sitting.id, f"P{r + 1:03d}", [f"M{i:02d}" for i in range(1, per_room + 1)],
                                   invigilators=[inv])
        room_ids.append(room.id)
        for seat in range(1, per_room + 1):
            i, n = n, n + 1
            service.add_registration(
                sitting.id, sbd=f"01{n:06d}", full_name=f"{FAMILY[i % 8]} {GIVEN[i % 6]}",
                dob=date(2008, 1 + i % 12, 1 + i % 28), citizen_id=f"{n:012d}", school=f"THPT số {i % 26 + 1}",
                class_name=f"12A{i % 9 + 1}", room_id=room.id, seat=f"M{seat:02d}")
        dbs.commit()
    lifecycle.open_checkin(sitting.id, actor)
    lifecycle.start_sitting(sitting.id, actor)
    if graded:
        now = datetime.now(UTC)
        regs = dbs.query(Registration.id).filter(Registration.sitting_id == sitting.id).order_by(Registration.sbd)
        handed_in = [rid for k, (rid,) in enumerate(regs) if k % 10 != 7]  # every tenth never came
        for start in range(0, len(handed_in), 1000):
            dbs.execute(update(Attempt).where(Attempt.registration_id.in_(handed_in[start:start + 1000])).values(
                state="submitted", entered_at=now, submitted_at=now, submitted_by="candidate",
                score=(Attempt.id * 37 % 41) / 4.0, max_score=10.0))
        dbs.commit()
    return LargeSitting(sitting.id, room_ids, examiner, first_invigilator, n)


def login_staff(base: str, username: str) -> object:
    """A requests session signed in as staff over the JSON login, CSRF header set."""
    import requests

    s = requests.Session()
    token = s.get(base + "/api/v1/auth/csrf", timeout=10).json()["csrf_token"]
    r = s.post(base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD},
               headers={"X-CSRFToken": token}, timeout=30)
    assert r.ok, r.text
    s.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return s

"""Staff page benchmark: server time to render the pages that staff keep open and that poll.

The sitting page's room table and the room page's roster refresh every 5 seconds in every open
browser tab, so their cost bounds how many staff screens one worker carries. For each backend
(SQLite file; PostgreSQL when reachable) this seeds one started sitting of ROOMS rooms x PER_ROOM
candidates, then renders each page REPEAT times through the Flask test client (in process: the
figure is the server's own work, without network or gunicorn), and writes
benchmarks/results/staff_pages.md.

    .venv/bin/python benchmarks/staff_pages_bench.py [--rooms 24] [--per-room 24] [--repeat 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exam_server.accounts.service import create_user  # noqa: E402
from exam_server.db import db  # noqa: E402
from exam_server.db import session as dbs  # noqa: E402
from exam_server.events.log import Actor  # noqa: E402
from exam_server.exams import lifecycle, service  # noqa: E402
from exam_server.exams.papers import add_paper  # noqa: E402
from exam_server.sample_questions import sample_questions  # noqa: E402
from tests.pages.conftest import make_app  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"
ACTOR = Actor("examiner:bench")


def seed(rooms: int, per_room: int) -> tuple[int, int, str, str]:
    """A started sitting; returns (sitting id, first room id, examiner, first invigilator)."""
    tag = uuid.uuid4().hex[:8]
    examiner = create_user(f"gv-{tag}", PASSWORD, "examiner").username
    exam = service.create_exam(f"BENCH-{tag}", "Kỳ thi đo hiệu năng")
    sitting = service.create_sitting(exam.id, "Ca 1", datetime.now(UTC) + timedelta(minutes=5), 3600)
    add_paper(dbs, sitting.id, "101", sample_questions())
    invigilators, first_room = [], 0
    n = 0
    for r in range(rooms):
        inv = create_user(f"gt{r}-{tag}", PASSWORD, "invigilator")
        invigilators.append(inv.username)
        room = service.create_room(sitting.id, f"P{r + 1:02d}", [f"M{i:02d}" for i in range(1, per_room + 1)],
                                   invigilators=[inv])
        first_room = first_room or room.id
        for seat in range(1, per_room + 1):
            n += 1
            service.add_registration(sitting.id, sbd=f"{n:06d}", full_name=f"Nguyễn Thị {n}", dob=date(2008, 1, 1),
                                     citizen_id=f"{n:012d}", room_id=room.id, seat=f"M{seat:02d}")
    dbs.commit()
    lifecycle.open_checkin(sitting.id, ACTOR)
    lifecycle.start_sitting(sitting.id, ACTOR)
    return sitting.id, first_room, examiner, invigilators[0]


def signed_in(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return client


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    client.get(url)  # warm the template cache
    samples = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (url, r.status_code)
        size = len(r.data)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], size


def bench(backend: str, url: str, rooms: int, per_room: int, repeat: int) -> list[str]:
    app = make_app(url, Path(tempfile.mkdtemp()) / "instance")
    with app.app_context():
        sitting_id, room_id, examiner, invigilator = seed(rooms, per_room)
    pages = [
        ("examiner", examiner, "sitting page", f"/exams/sittings/{sitting_id}"),
        ("examiner", examiner, "room table (polled every 5 s)", f"/exams/sittings/{sitting_id}/status"),
        ("examiner", examiner, f"scores ({rooms * per_room} rows)", f"/exams/sittings/{sitting_id}/scores"),
        ("examiner", examiner, f"scores API ({rooms * per_room} rows)", f"/api/v1/sittings/{sitting_id}/scores"),
        ("invigilator", invigilator, "room page", f"/rooms/{room_id}"),
        ("invigilator", invigilator, "roster (polled every 5 s)", f"/rooms/{room_id}/roster"),
    ]
    rows = []
    for role, user, label, path in pages:
        p50, p95, size = timed(signed_in(app, user), path, repeat)
        rows.append(f"| {backend} | {role} | {label} | {p50:.1f} | {p95:.1f} | {size // 1024} |")
        print(rows[-1], flush=True)
    db.engine(app).dispose()
    return rows


def postgres_url() -> str | None:
    try:
        import psycopg

        name = f"bench_pages_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=24)
    parser.add_argument("--per-room", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    rows = bench("sqlite", f"sqlite:///{tempfile.mkdtemp()}/exam.db", args.rooms, args.per_room, args.repeat)
    pg = postgres_url()
    if pg:
        rows += bench("postgresql", pg, args.rooms, args.per_room, args.repeat)
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg.rsplit("/", 1)[1]}" WITH (FORCE)')
    candidates = args.rooms * args.per_room
    out = ROOT / "benchmarks" / "results" / f"staff_pages_{candidates}.md"
    out.write_text("\n".join([
        "# Staff pages benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/staff_pages_bench.py --rooms {args.rooms} --per-room {args.per_room} "
        f"--repeat {args.repeat}`",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
        "; shared with other work while measured.",
        f"Data: one started sitting, {args.rooms} rooms x {args.per_room} candidates = {candidates} candidates.",
        "Measured in process through the Flask test client (session, role check, queries, Jinja rendering;",
        "no network, no gunicorn). Limiting resource: CPU (Jinja rendering and ORM row loading).",
        "",
        "| backend | role | page | p50 ms | p95 ms | KiB |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""Start-storm benchmark: pressing "start" until every candidate's page has its key and clock.

The start is two parts: the start transaction (`exams.lifecycle.start_room` / `start_sitting`:
every attempt's clock, the `attempt.started` entries, COMMIT) and, after the commit, the push
that builds each candidate's `state` (with its paper key, `realtime.pushes`). Both are
measured here, in-process on a private PostgreSQL database (dropped afterwards):

  room     1 room x 1,000 candidates, started by the room's start
  rooms40  40 rooms x 25, started by the sitting's start
  sitting  400 rooms x 25 (10,000), started by the sitting's start

For each: the p50 over `--repeat` fresh sittings (ANALYZEd after the seeding) of the start call, of the push (`deliver` run
synchronously; the socket emit is replaced by the JSON encoding Socket.IO would do, so the
Redis queue is not counted), the statements sent, and the longest stretch between two commits
(what one transaction holds the worker for). `--profile` prints a cProfile of one start.

    .venv/bin/python benchmarks/start_bench.py [--repeat 3] [--only room,rooms40,sitting] [--profile room]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.large_sitting import load, private_postgres  # noqa: E402

SHAPES = {"room": (1, 1000), "rooms40": (40, 25), "sitting": (400, 25)}


@dataclass
class Stub:
    """Socket.IO and the dashboard broadcaster, without sockets: the push is run by the
    benchmark itself, and an emit costs what encoding its payload costs."""

    tasks: list[tuple[Any, tuple[Any, ...]]] = field(default_factory=list)
    emits: int = 0

    def start_background_task(self, fn: Any, *args: Any) -> None:
        self.tasks.append((fn, args))

    def emit(self, _event: str, payload: dict[str, Any], **_kw: Any) -> None:
        json.dumps(payload)
        self.emits += 1

    def sleep(self, _seconds: float) -> None:
        pass

    def mark(self, *_a: Any, **_kw: Any) -> None:
        pass

    def mark_entry(self, *_a: Any, **_kw: Any) -> None:
        pass


def seed(rooms: int, per_room: int) -> tuple[int, list[int]]:
    """A sitting with check-in open: rooms of candidates (one in twenty with extra time)."""
    from sqlalchemy import insert, text

    from exam_server.db import session as db
    from exam_server.events.log import Actor
    from exam_server.exams import lifecycle, service
    from exam_server.exams.models import Registration
    from exam_server.exams.papers import add_paper
    from exam_server.sample_questions import sample_questions

    tag = uuid.uuid4().hex[:8]
    exam = service.create_exam(f"START-{tag}", "Đo thời gian bắt đầu")
    sitting = service.create_sitting(exam.id, "Ca 1", datetime.now(UTC) + timedelta(minutes=5), 3600, subject="Toán")
    for code in ("101", "102", "103", "104"):
        add_paper(db, sitting.id, code, sample_questions())
    room_ids, rows, n = [], [], 0
    for r in range(rooms):
        room = service.create_room(sitting.id, f"P{r + 1:03d}", [f"M{i:02d}" for i in range(1, per_room + 1)])
        room_ids.append(room.id)
        for seat in range(1, per_room + 1):
            n += 1
            rows.append({"sitting_id": sitting.id, "sbd": f"01{n:06d}", "full_name": f"Nguyễn Văn {n}",
                         "dob": date(2008, 1, 1 + n % 28), "citizen_id": f"{n:012d}", "school": "THPT số 1",
                         "class_name": "12A1", "room_id": room.id, "seat": f"M{seat:02d}",
                         "extra_time_s": 300 if n % 20 == 0 else 0})
    db.execute(insert(Registration), rows)
    db.commit()
    lifecycle.open_checkin(sitting.id, Actor("examiner:bench"))
    # Planner statistics as autovacuum leaves them in the time between check-in and the start;
    # right after the seeding they still say "no attempts", and the plans are those of an empty table.
    db.execute(text("ANALYZE"))
    db.commit()
    return sitting.id, room_ids


def run_once(app: Any, shape: str, profile: bool) -> dict[str, float]:
    rooms, per_room = SHAPES[shape]
    with app.app_context():
        sitting_id, room_ids = seed(rooms, per_room)
    with app.app_context():  # a fresh session, as a request has: nothing of the seeding in it
        return _start(app, shape, sitting_id, room_ids, profile)


def _start(app: Any, shape: str, sitting_id: int, room_ids: list[int], profile: bool) -> dict[str, float]:
    from sqlalchemy import event

    from exam_server.db import db as database
    from exam_server.events.log import Actor
    from exam_server.exams import lifecycle
    from exam_server.realtime import pushes

    rooms, per_room = SHAPES[shape]
    stub = Stub()
    realtime = app.extensions["exam_realtime"]
    realtime.socketio, realtime.broadcaster = stub, stub
    statements: Counter[str] = Counter()
    commits: list[float] = []
    engine = database.engine(app)

    def count(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, executemany: bool) -> None:
        statements[sql.split(None, 1)[0].upper() + (" many" if executemany else "")] += 1

    def committed(_session: Any) -> None:
        commits.append(time.perf_counter())

    maker = app.extensions["exam_db"]["sessionmaker"]
    event.listen(engine, "before_cursor_execute", count)
    event.listen(maker, "after_commit", committed)
    profiler = cProfile.Profile() if profile else None
    actor = Actor("examiner:bench")
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    if shape == "room":
        lifecycle.start_room(room_ids[0], actor, "bắt đầu")
    else:
        lifecycle.start_sitting(sitting_id, actor, "bắt đầu")
    started = time.perf_counter()
    if profiler:
        profiler.disable()
    event.remove(engine, "before_cursor_execute", count)
    event.remove(maker, "after_commit", committed)
    sent = sum(statements.values())
    pushed = 0.0
    for fn, args in stub.tasks:
        assert fn is pushes.deliver
        t0 = time.perf_counter()
        fn(*args)
        pushed += time.perf_counter() - t0
    marks = [began, *commits]
    longest = max(b - a for a, b in zip(marks, marks[1:], strict=False)) if commits else started - began
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        print(dict(statements))
    assert stub.emits == rooms * per_room, (stub.emits, rooms * per_room)
    return {"start": started - began, "push": pushed, "total": started - began + pushed,
            "longest_tx": longest, "statements": sent, "commits": len(commits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(SHAPES))
    parser.add_argument("--profile", default="", help="shape to profile once (cProfile, cumulative)")
    args = parser.parse_args()
    from tests.server.conftest import make_app

    print(f"load average at the start: {load()}")
    with private_postgres("bench_start") as url, tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        if args.profile:
            run_once(app, args.profile, profile=True)
        for shape in args.only.split(","):
            runs = [run_once(app, shape, profile=False) for _ in range(args.repeat)]
            p50 = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rooms, per_room = SHAPES[shape]
            print(f"{shape:8s} {rooms:3d} x {per_room:4d}: start {p50['start'] * 1000:7.0f} ms  "
                  f"push {p50['push'] * 1000:6.0f} ms  total {p50['total'] * 1000:7.0f} ms  "
                  f"longest tx {p50['longest_tx'] * 1000:6.0f} ms  statements {p50['statements']:.0f}  "
                  f"commits {p50['commits']:.0f}  (p50 of {args.repeat})", flush=True)
        from exam_server.db import db as database

        database.engine(app).dispose()
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()

"""Entry-storm benchmark: what one candidate's login and first socket contact cost the server.

At the doors' opening every candidate of a sitting logs in with their one-time code
(POST /api/v1/auth/candidate-login, `attempts.entry_api`) and their page then opens its
socket on `/exam` and says `hello` (`realtime.candidate_events`). Measured here in-process on
a private PostgreSQL database (dropped afterwards), one sitting with check-in open and
`--candidates` candidates in rooms of 25, each logging in once from a fresh browser (the Flask
test client) and then connecting (the Flask-SocketIO test client) and saying hello:

  login    the POST itself, then the after-commit push it starts (`realtime.pushes.deliver`,
           run synchronously here)
  connect  the Socket.IO handshake of `/exam` (`on_connect`)
  hello    the first `hello` (state, answers, the sealed paper)

For each: statements sent (this thread's, counted with `before_cursor_execute`), COMMITs, and
the in-process time (mean / p95, ms). With `--redis` (the default, as in production) the login
records are cached in Redis and the presence store uses it too; the socket manager is the
in-process one (the Flask-SocketIO test client refuses a message queue), so, as in
start_bench, the Redis queue is not counted.

    .venv/bin/python benchmarks/entry_bench.py [--candidates 500] [--redis URL|""] [--profile login|socket] [--sql 3]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.large_sitting import load, private_postgres  # noqa: E402

PER_ROOM = 25


@dataclass
class Phase:
    """One measured step over all candidates."""

    ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def line(self, name: str) -> str:
        ms = sorted(self.ms)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        n = len(ms)
        kinds = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(self.kinds.items()))
        return (f"{name:8s} statements {statistics.mean(self.statements):5.1f}  commits "
                f"{statistics.mean(self.commits):4.2f}  ms mean {statistics.mean(ms):6.2f}  p95 {p95:6.2f}"
                f"   ({kinds})")


class Meter:
    """Counts this thread's statements and COMMITs while `measure` runs."""

    def __init__(self, app: Any) -> None:
        from sqlalchemy import event

        from exam_server.db import db as database

        self.engine = database.engine(app)
        self.maker = app.extensions["exam_db"]["sessionmaker"]
        self.thread = threading.get_ident()
        self.active = False
        self.echo = False  # print the statements (--sql)
        self.kinds: Counter[str] = Counter()
        self.commits = 0
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.maker, "after_commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, sql: str, _params: Any, _ctx: Any, many: bool) -> None:
        if self.active and threading.get_ident() == self.thread:
            self.kinds[sql.split(None, 1)[0].upper() + (" many" if many else "")] += 1
            if self.echo:
                print("    ", " ".join(sql.split())[:240])

    def _commit(self, _session: Any) -> None:
        if self.active and threading.get_ident() == self.thread:
            self.commits += 1

    @contextmanager
    def measure(self, phase: Phase, name: str = "") -> Iterator[None]:
        if self.echo:
            print(f"  {name}:")
        self.kinds, self.commits, self.active = Counter(), 0, True
        began = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - began
            self.active = False
            phase.ms.append(took * 1000)
            phase.statements.append(sum(self.kinds.values()))
            phase.commits.append(self.commits)
            phase.kinds.update(self.kinds)

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.maker, "after_commit", self._commit)


def seed(candidates: int) -> tuple[int, list[tuple[str, int]]]:
    """A sitting with check-in open, its candidates in rooms of 25, a login code each:
    (sitting id, [(code, attempt id)])."""
    from sqlalchemy import insert, select, text

    from exam_server.accounts.models import LoginCode
    from exam_server.accounts.service import _hash_code as hash_code
    from exam_server.attempts.models import Attempt
    from exam_server.db import session as db
    from exam_server.db import utcnow
    from exam_server.events.log import Actor
    from exam_server.exams import lifecycle, service
    from exam_server.exams.models import Registration
    from exam_server.exams.papers import add_paper
    from exam_server.sample_questions import sample_questions

    tag = uuid.uuid4().hex[:8]
    exam = service.create_exam(f"ENTRY-{tag}", "Đo thời gian vào thi")
    sitting = service.create_sitting(exam.id, "Ca 1", datetime.now(UTC) + timedelta(minutes=5), 3600, subject="Toán")
    for code in ("101", "102", "103", "104"):
        add_paper(db, sitting.id, code, sample_questions())
    rows = []
    for r in range((candidates + PER_ROOM - 1) // PER_ROOM):
        room = service.create_room(sitting.id, f"P{r + 1:03d}", [f"M{i:02d}" for i in range(1, PER_ROOM + 1)])
        for seat in range(1, PER_ROOM + 1):
            n = len(rows) + 1
            if n > candidates:
                break
            rows.append({"sitting_id": sitting.id, "sbd": f"01{n:06d}", "full_name": f"Nguyễn Văn {n}",
                         "dob": date(2008, 1, 1 + n % 28), "citizen_id": f"{n:012d}", "school": "THPT số 1",
                         "class_name": "12A1", "room_id": room.id, "seat": f"M{seat:02d}"})
    db.execute(insert(Registration), rows)
    db.commit()
    lifecycle.open_checkin(sitting.id, Actor("examiner:bench"))
    now = utcnow()
    regs = db.execute(select(Registration.id, Registration.seat, Attempt.id).join(Attempt, Attempt.registration_id
                      == Registration.id).where(Registration.sitting_id == sitting.id)
                      .order_by(Registration.id)).all()
    codes = [(f"B{reg_id:07d}", attempt_id) for reg_id, _seat, attempt_id in regs]
    db.execute(insert(LoginCode), [
        {"code_hash": hash_code(code), "registration_id": reg_id, "seat": seat, "issued_at": now,
         "expires_at": now + timedelta(hours=2), "seat_bound": False}
        for (code, _a), (reg_id, seat, _aid) in zip(codes, regs, strict=True)])
    db.commit()
    db.execute(text("ANALYZE"))  # the plans of a sitting whose tables autovacuum has seen
    db.commit()
    return sitting.id, codes


@contextmanager
def pushes_run_here(app: Any) -> Iterator[list[tuple[Callable[..., Any], tuple[Any, ...]]]]:
    """The after-commit pushes collected instead of started, so the benchmark runs (and counts)
    them itself; any other background task starts as usual."""
    from exam_server.realtime import pushes

    socketio = app.extensions["exam_realtime"].socketio
    tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
    original = socketio.start_background_task

    def start(fn: Callable[..., Any], *args: Any) -> Any:
        if fn is pushes.deliver:
            tasks.append((fn, args))
            return None
        return original(fn, *args)

    socketio.start_background_task = start
    try:
        yield tasks
    finally:
        socketio.start_background_task = original


def run(app: Any, candidates: int, profile: str, sql: int = -1) -> dict[str, Phase]:
    from exam_server.extensions import socketio

    with app.app_context():
        _sitting_id, codes = seed(candidates)
    phases = {name: Phase() for name in ("login", "push", "connect", "hello")}
    meter = Meter(app)
    profiler = cProfile.Profile() if profile else None
    sockets = []
    try:
        with pushes_run_here(app) as tasks:
            for i, (code, attempt_id) in enumerate(codes):
                meter.echo = i == sql
                client = app.test_client()
                token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
                watch = profiler is not None and profile == "login" and i >= len(codes) // 2
                if watch:
                    profiler.enable()  # type: ignore[union-attr]
                with meter.measure(phases["login"], "login"):
                    r = client.post("/api/v1/auth/candidate-login", json={"code": code},
                                    headers={"X-CSRFToken": token})
                if watch:
                    profiler.disable()  # type: ignore[union-attr]
                assert r.status_code == 200, r.get_json()
                assert r.get_json()["attempt_id"] == attempt_id
                with meter.measure(phases["push"], "push"):
                    while tasks:
                        fn, args = tasks.pop()
                        fn(*args)
                watch = profiler is not None and profile == "socket" and i >= len(codes) // 2
                if watch:
                    profiler.enable()  # type: ignore[union-attr]
                with meter.measure(phases["connect"], "connect"):
                    sock = socketio.test_client(app, namespace="/exam", flask_test_client=client,
                                                auth={"attempt": attempt_id})
                assert sock.is_connected("/exam"), sock.get_received("/exam")
                with meter.measure(phases["hello"], "hello"):
                    hello = sock.emit("hello", {"attempt": attempt_id}, namespace="/exam", callback=True)
                if watch:
                    profiler.disable()  # type: ignore[union-attr]
                assert hello["ok"] and hello["state"]["attempt"] == attempt_id and hello["sealed_paper"], hello
                sockets.append(sock)
    finally:
        meter.close()
        for sock in sockets:
            sock.disconnect(namespace="/exam")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help='Redis URL ("" for none)')
    parser.add_argument("--profile", default="", choices=["", "login", "socket"],
                        help="cProfile the second half's logins or socket connect+hello")
    parser.add_argument("--sql", type=int, default=-1, help="print the statements of this candidate (0-based)")
    args = parser.parse_args()
    from tests.server.conftest import make_app

    print(f"load average at the start: {load()}")
    with private_postgres("bench_entry") as url, tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp), REDIS_URL=args.redis, REDIS_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
                       WTF_CSRF_ENABLED=True)
        if args.redis:  # the socket queue is not measured (the test client refuses one); the rest uses Redis
            from exam_server.extensions import socketio
            from exam_server.socket_rooms import client_manager

            socketio.server.manager = client_manager("", "")
            socketio.server.manager.set_server(socketio.server)
        try:
            phases = run(app, args.candidates, args.profile, args.sql)
        finally:
            from exam_server.db import db as database

            database.engine(app).dispose()
    print(f"{args.candidates} candidates, Redis {'on' if args.redis else 'off'}; per candidate:")
    for name, phase in phases.items():
        print(phase.line(name))
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()

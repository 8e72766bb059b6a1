"""Staff page benchmark: response times of the pages staff keep open, on a real server process.

The sitting page's room table and the room page's roster refresh every 5 seconds in every open
browser tab; the scores page and its API read every candidate; the live dashboard (the seat map
and room tiles, `static/monitor/seat_map.js`) gets its rows from the `/monitor` socket's
`watch` snapshot (then pushed updates), so the snapshot is its data endpoint. This seeds one
started, graded sitting of ROOMS x PER_ROOM candidates in a private PostgreSQL database, serves
it with `exam-server run` (gunicorn, one gevent worker, as in production), requests each page
REPEAT times over loopback and writes benchmarks/results/staff_pages_<candidates>.md.

    .venv/bin/python benchmarks/staff_pages_bench.py --rooms 24 --per-room 24 --repeat 40
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.large_sitting import load, login_staff, machine_line, private_postgres, seed  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def timed(call: Callable[[], int], repeat: int) -> tuple[float, float, int]:
    """p50, p95 (ms) and the size of the last answer; one warm-up call first (template cache)."""
    call()
    samples, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = call()
        samples.append((time.perf_counter() - start) * 1000)
    p50, p95 = percentiles(samples)
    return p50, p95, size


def page(http: Any, url: str) -> Callable[[], int]:
    def call() -> int:
        r = http.get(url, timeout=120)
        assert r.status_code == 200, (url, r.status_code)
        return len(r.content)
    return call


def snapshot(http: Any, base: str, target: dict[str, int]) -> tuple[Callable[[], int], Any]:
    """The dashboard's `watch` round trip on the `/monitor` socket (the seat map's rows)."""
    import json

    import socketio

    client = socketio.Client(http_session=http, reconnection=False)
    client.connect(base, namespaces=["/monitor"], transports=["websocket"], wait_timeout=30)

    def call() -> int:
        reply = client.call("watch", target, namespace="/monitor", timeout=120)
        assert reply.get("ok"), reply
        return len(json.dumps(reply, ensure_ascii=False).encode())
    return call, client


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=24)
    parser.add_argument("--per-room", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--out", type=Path, help="default benchmarks/results/staff_pages_<candidates>.md")
    args = parser.parse_args()
    import psutil

    from tests.pages.conftest import make_app
    from tests.support.server import ServerProcess

    command = " ".join([".venv/bin/python benchmarks/staff_pages_bench.py", *sys.argv[1:]])
    load_start, begun = load(), datetime.now(UTC)
    rows: list[str] = []
    with private_postgres("bench_pages") as database, tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        app = make_app(database, instance)
        with app.app_context():
            t0 = time.perf_counter()
            s = seed(args.rooms, args.per_room)
            print(f"seeded {s.candidates} candidates in {time.perf_counter() - t0:.0f} s, load {load()}", flush=True)
        from exam_server.db import db

        db.engine(app).dispose()
        n, room = s.candidates, s.room_ids[0]
        with ServerProcess(database, instance) as server:
            base = server.url
            examiner, invigilator = login_staff(base, s.examiner), login_staff(base, s.invigilator)
            sitting_watch, c1 = snapshot(examiner, base, {"sitting": s.sitting_id})
            room_watch, c2 = snapshot(invigilator, base, {"room": room})
            pages: list[tuple[str, str, Callable[[], int]]] = [
                ("examiner", "sitting page", page(examiner, f"{base}/exams/sittings/{s.sitting_id}")),
                ("examiner", "room table (polled every 5 s)", page(examiner, f"{base}/exams/sittings/{s.sitting_id}/status")),
                ("examiner", f"scores page ({n} rows)", page(examiner, f"{base}/exams/sittings/{s.sitting_id}/scores")),
                ("examiner", f"scores API ({n} rows)", page(examiner, f"{base}/api/v1/sittings/{s.sitting_id}/scores")),
                ("examiner", "dashboard page (seat map shell)", page(examiner, f"{base}/monitor/sittings/{s.sitting_id}")),
                ("examiner", f"dashboard data: `watch` sitting snapshot (per-room aggregates of {n} candidates)", sitting_watch),
                ("invigilator", "room dashboard page (seat map shell)", page(invigilator, f"{base}/monitor/rooms/{room}")),
                ("invigilator", f"room dashboard data: `watch` room snapshot ({args.per_room} seats)", room_watch),
                ("invigilator", "room page", page(invigilator, f"{base}/rooms/{room}")),
                ("invigilator", "roster (polled every 5 s)", page(invigilator, f"{base}/rooms/{room}/roster")),
            ]
            for role, label, call in pages:
                p50, p95, size = timed(call, args.repeat)
                flag = " ✘" if p95 > 1000 else ""
                rows.append(f"| {role} | {label} | {p50:.1f} | {p95:.1f}{flag} | {size / 1024:.0f} |")
                print(rows[-1], f"load {load()}", flush=True)
            c1.disconnect()
            c2.disconnect()
            workers = psutil.Process(server.proc.pid).children(recursive=True) if server.proc else []
            worker_peak = max((peak_rss_mib(w.pid) for w in workers), default=0.0)
    load_end = load()
    out = args.out or ROOT / "benchmarks" / "results" / f"staff_pages_{n}.md"
    out.write_text("\n".join([
        f"# Staff pages at {n} candidates",
        "",
        f"Command: `{command}`",
        "",
        machine_line(begun, load_start, load_end),
        "",
        f"Data: one started sitting, {args.rooms} rooms × {args.per_room} candidates = {n}, nine in ten handed in "
        "and graded; private PostgreSQL database.",
        f"Server: `exam-server run` (gunicorn, one gevent worker), requests over loopback from this process, one at "
        f"a time, {args.repeat} per page after one warm-up; times are client-side (request to last byte). The "
        "`watch` rows are Socket.IO calls on the `/monitor` namespace, the dashboard's only data source "
        "(`static/monitor/dashboard.js`, drawn by `seat_map.js`). ✘: p95 over 1 s.",
        f"Server worker peak RSS (VmHWM) after the run: {worker_peak:.0f} MiB.",
        "",
        "| role | page | p50 ms | p95 ms | KiB |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Limiting resource: the server worker's CPU (one core: ORM row loading, Jinja rendering, JSON encoding); "
        "PostgreSQL's share is small.",
        "",
    ]))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

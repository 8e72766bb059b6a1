"""Live traffic benchmark: socket saves, lifecycle pushes and dashboard coalescing.

One gunicorn gevent worker (config/gunicorn.conf.py) serves N candidates over websockets:
  * saves: every candidate sends saves back to back (each waits for its ack) for D seconds;
    acked saves/s and ack latency p50/p95/p99;
  * dashboard: one examiner dashboard watches the sitting meanwhile; messages it received per
    second (coalescing: should stay at a few per second whatever the save rate);
  * pushes: the invigilator pauses/resumes the room R times over HTTP; time until the action
    is committed (HTTP response) and until every candidate got the new state, p50/max.

    .venv/bin/python benchmarks/realtime_bench.py --candidates 40 --seconds 10 [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.realtime.conftest import (  # noqa: E402
    Recorder,
    ServerProcess,
    login_candidate,
    login_staff,
    seed_sitting,
)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def run(db_url: str, n: int, seconds: float, rounds: int, tmp: Path) -> dict[str, float]:
    seeded = seed_sitting(db_url, tmp, extra_in_p01=max(0, n - 3))
    server = ServerProcess(db_url, tmp)
    try:
        p01 = [c for c in seeded.candidates.values() if c["room"] == seeded.rooms["P01"]][:n]
        inv = next(u for u, r in seeded.staff.items() if r == "invigilator_a")
        examiner = next(u for u, r in seeded.staff.items() if r == "examiner")
        staff = login_staff(server.url, inv)
        assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
        clients = []
        for cand in p01:
            rec = Recorder(login_candidate(server.url, cand["code"]))
            rec.connect(server.url, "/exam", {"attempt": cand["attempt"]})
            clients.append((rec, cand["attempt"]))
        dash = Recorder(login_staff(server.url, examiner))
        dash.connect(server.url, "/monitor")
        dash.call("watch", {"sitting": seeded.sitting_id}, "/monitor")
        time.sleep(1.0)
        dash.received.clear()

        latencies: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def writer(rec: Recorder, attempt: int) -> None:
            seq, mine = 0, []
            while time.monotonic() < stop:
                seq += 1
                t0 = time.perf_counter()
                ack = rec.call("save", {"attempt": attempt, "q": 1 + seq % 9, "seq": seq, "value": None}, "/exam")
                if ack.get("ok"):
                    mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=writer, args=c) for c in clients]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        dash_msgs = sum(1 for e, _ in dash.received if e == "rows")

        push: list[float] = []
        http: list[float] = []
        room = seeded.rooms["P01"]
        for i in range(rounds):
            for rec, _ in clients:
                rec.received.clear()
            action, phase = ("pause", "paused") if i % 2 == 0 else ("resume", "writing")
            t0 = time.perf_counter()
            assert staff.post(f"{server.url}/api/v1/rooms/{room}/{action}", json={"reason": "bench"}, timeout=10).ok
            http.append(time.perf_counter() - t0)  # committed (every attempt changed and logged)
            for rec, _ in clients:
                rec.wait_for(lambda e, d, ph=phase: e == "state" and d["phase"] == ph, timeout=10)
            push.append(time.perf_counter() - t0)
        for rec, _ in clients:
            rec.close()
        dash.close()
    finally:
        server.stop()
    return {
        "saves_per_s": len(latencies) / elapsed, "p50_ms": pct(latencies, 50) * 1000,
        "p95_ms": pct(latencies, 95) * 1000, "p99_ms": pct(latencies, 99) * 1000,
        "dashboard_msgs_per_s": dash_msgs / elapsed,
        "push_all_p50_ms": statistics.median(push) * 1000, "push_all_max_ms": max(push) * 1000,
        "commit_p50_ms": statistics.median(http) * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--postgres", default="", help="SQLAlchemy URL of an EMPTY PostgreSQL database")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for name, url in targets:
            r = run(url, args.candidates, args.seconds, args.rounds, Path(tmp))
            print(f"{name}: {args.candidates} candidates, {args.seconds:.0f} s: "
                  f"{r['saves_per_s']:.0f} acked saves/s, ack p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms; dashboard {r['dashboard_msgs_per_s']:.1f} msgs/s; "
                  f"room pause/resume committed p50 {r['commit_p50_ms']:.0f} ms, reached every candidate "
                  f"p50 {r['push_all_p50_ms']:.0f} ms, max {r['push_all_max_ms']:.0f} ms")


if __name__ == "__main__":
    main()

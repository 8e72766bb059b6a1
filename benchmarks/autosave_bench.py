"""Autosave benchmark: acknowledged saves/s and ack latency over HTTP, beside the raw driver rate.

For each backend (SQLite file; PostgreSQL when reachable) this
  1. seeds a started sitting with CANDIDATES candidates,
  2. serves it with `exam-server run` (gunicorn, ONE gevent worker),
  3. drives it with CANDIDATES concurrent aiohttp clients, each saving answers with rising
     sequence numbers as fast as acks come back, for SECONDS seconds (every request waits
     for its ack: no pipelining, as a candidate page does),
  4. measures the same durable upsert done directly with the driver (sqlite3 / psycopg),
     one transaction per save, at concurrency 1 and at the HTTP concurrency; the higher is
     "the limit",
and writes benchmarks/results/autosave.md.

    .venv/bin/python benchmarks/autosave_bench.py [--seconds 10] [--candidates 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
UPSERT = ("INSERT INTO responses (attempt_id, question_no, value, seq, saved_at) VALUES ({p}, {p}, {p}, {p}, {p}) "
          "ON CONFLICT (attempt_id, question_no) DO UPDATE SET value = excluded.value, seq = excluded.seq, "
          "saved_at = excluded.saved_at WHERE responses.seq < excluded.seq")


def seed(database_url: str, instance: Path, candidates: int) -> tuple[int, list[str], list[int]]:
    from exam_server.db import session as db
    from tests.server.conftest import make_app
    from tests.support.seed import seed_sitting

    app = make_app(database_url, instance)
    with app.app_context():
        s = seed_sitting(start=True, duration_s=3 * 3600, rooms=1, per_room=candidates)
        db.rollback()
    from exam_server.db import db as database

    database.engine(app).dispose()
    return s.sitting_id, s.sbds, s.attempt_ids


async def drive(base: str, sitting_id: int, sbds: list[str], seconds: float,
                on_start: Callable[[], None]) -> tuple[int, list[float], int]:
    from tests.support.seed import CANDIDATE_PASSWORD

    latencies: list[float] = []
    errors = 0

    async def candidate(sbd: str) -> None:
        nonlocal errors
        jar = aiohttp.CookieJar(unsafe=True)
        # One keep-alive connection per candidate (a page keeps its connection open too).
        connector = aiohttp.TCPConnector(limit=1, force_close=False, keepalive_timeout=60)
        async with aiohttp.ClientSession(base, cookie_jar=jar, connector=connector,
                                         skip_auto_headers=("User-Agent",)) as http:
            token = (await (await http.get("/api/v1/auth/csrf")).json())["csrf_token"]
            r = await http.post("/api/v1/auth/candidate-login", json={"sitting_id": sitting_id, "sbd": sbd,
                                "password": CANDIDATE_PASSWORD}, headers={"X-CSRFToken": token})
            body = await r.json()
            attempt, headers = body["attempt_id"], {"X-CSRFToken": body["csrf_token"]}
            logged_in.append(sbd)
            await start.wait()
            seq = 0
            while time.monotonic() < stop_at:
                seq += 1
                q = 4 if seq % 2 else 8
                t0 = time.perf_counter()
                async with http.put(f"/api/v1/attempts/{attempt}/responses/{q}",
                                    json={"seq": seq, "value": f"câu trả lời {seq}"}, headers=headers) as r:
                    ok = r.status == 200 and (await r.json())["status"] == "saved"
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1

    start = asyncio.Event()
    stop_at = float("inf")
    logged_in: list[str] = []
    tasks = [asyncio.create_task(candidate(sbd)) for sbd in sbds]
    while len(logged_in) < len(sbds):  # every candidate logged in before the clock starts
        if any(t.done() for t in tasks):
            await asyncio.gather(*tasks)  # a login failed: raise its error
        await asyncio.sleep(0.05)
    on_start()
    began = time.monotonic()
    stop_at = began + seconds
    start.set()
    await asyncio.gather(*tasks)
    return len(latencies), latencies, errors


def raw_sqlite(path: str, attempt_ids: list[int], seconds: float, _threads: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    sql = UPSERT.format(p="?")
    n, seq, end = 0, 10**9, time.monotonic() + seconds
    while time.monotonic() < end:
        seq += 1
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (attempt_ids[n % len(attempt_ids)], 5, '"raw"', seq, "2026-01-01 00:00:00.000000"))
        conn.execute("COMMIT")
        n += 1
    conn.close()
    return n / seconds


def raw_postgres(url: str, attempt_ids: list[int], seconds: float, threads: int) -> float:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    counts = [0] * threads
    end = time.monotonic() + seconds

    def worker(i: int) -> None:
        sql = UPSERT.format(p="%s")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            seq = 10**9
            while time.monotonic() < end:
                seq += 1
                conn.execute(sql, (attempt_ids[i % len(attempt_ids)], 6, '"raw"', seq, "2026-01-01 00:00:00+00"))
                counts[i] += 1

    with psycopg.connect(conninfo, autocommit=True) as conn:  # the raw rate must be a durable one
        settings = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in ("synchronous_commit", "fsync")}
    if settings != {"synchronous_commit": "on", "fsync": "on"}:
        raise SystemExit(f"PostgreSQL is not committing durably: {settings}")
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / seconds


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


def run_backend(name: str, url: str, raw, args: argparse.Namespace, workdir: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    instance = workdir / name
    sitting_id, sbds, attempt_ids = seed(url, instance, args.candidates)
    server = ServerProcess(url, instance, env={"EXAM_SECURITY_PASSWORD_METHOD": "pbkdf2:sha256:1000"}).start(timeout=120)
    try:
        procs = [psutil.Process(server.proc.pid), *psutil.Process(server.proc.pid).children(recursive=True)]
        before: dict[str, float] = {}
        spy: list[subprocess.Popen[bytes]] = []

        def on_start() -> None:  # after every candidate logged in: CPU counts the saves only
            before["server"] = sum(sum(p.cpu_times()[:2]) for p in procs)
            before["client"] = sum(psutil.Process().cpu_times()[:2])
            if args.py_spy:  # sample the worker while it serves (collapsed stacks for flame graphs)
                worker = max(procs[1:] or procs, key=lambda p: p.pid)
                spy.append(subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--nonblocking",
                     "-d", str(int(args.seconds)), "-p", str(worker.pid), "-o", str(Path(args.py_spy) / f"{name}.txt")],
                    stdout=subprocess.DEVNULL))

        saves, latencies, errors = asyncio.run(drive(server.url, sitting_id, sbds, args.seconds, on_start))
        cpu = sum(sum(p.cpu_times()[:2]) for p in procs) - before["server"]
        client_cpu = sum(psutil.Process().cpu_times()[:2]) - before["client"]
        for p in spy:
            p.wait(timeout=60)
    finally:
        server.stop()
    target = url.replace("sqlite:///", "") if name == "sqlite" else url
    raw1 = raw(target, attempt_ids, args.raw_seconds, 1)
    rawn = raw(target, attempt_ids, args.raw_seconds, args.candidates) if name == "postgresql" else raw1
    rate = saves / args.seconds
    return {"backend": name, "rate": rate, "per_cpu": saves / cpu if cpu else float("nan"),
            "server_cpu": cpu / args.seconds, "client_cpu": client_cpu / args.seconds,
            "load": os.getloadavg()[0], "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "errors": errors, "raw1": raw1, "rawn": rawn,
            "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--raw-seconds", type=float, default=5)
    parser.add_argument("--candidates", type=int, default=32)
    parser.add_argument("--py-spy", metavar="DIR", help="record the worker with py-spy into DIR/<backend>.txt")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "autosave.md"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="autosave-bench-") as tmp:
        work = Path(tmp)
        results.append(run_backend("sqlite", f"sqlite:///{work / 'bench.db'}", raw_sqlite, args, work))
        import psycopg

        name = f"exam_bench_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as c:
                c.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL not reachable, skipped: {exc}", file=sys.stderr)
        else:
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                results.append(run_backend("postgresql", url, raw_postgres, args, work))
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    write_report(results, args)


def write_report(results: list[dict[str, object]], args: argparse.Namespace) -> None:
    lines = [
        "# Autosave benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/autosave_bench.py --seconds {args.seconds:g} "
        f"--raw-seconds {args.raw_seconds:g} --candidates {args.candidates}`",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}; "
        "the load generator (aiohttp) runs on the same 2 cores as the server.",
        "Server: `exam-server run` = gunicorn, 1 gevent worker. Each HTTP save = session + CSRF check, value",
        "validation, ONE statement (attempt-open + SEB-not-required check + upsert) in its own durable",
        "transaction, then the JSON ack. Clients: one keep-alive connection each, a request waits for its ack.",
        "CPU (server = gunicorn master + worker, client = this process) is counted over the timed window only.",
        "Raw: the same upsert (`INSERT … ON CONFLICT DO UPDATE … WHERE seq < excluded.seq`) in its own",
        "durable transaction via the driver (sqlite3 WAL+synchronous=FULL / psycopg autocommit, checked to run",
        "with synchronous_commit=on and fsync=on); PostgreSQL raw is measured with 1 connection and with as",
        "many connections as HTTP clients, right after the HTTP run.",
        "",
        "| backend | HTTP acked saves/s | saves per server CPU-second | server CPU (cores) | client CPU (cores) "
        "| p50 ms | p95 ms | p99 ms | refused/errors | raw 1 conn/s | raw N conn/s | HTTP / raw 1 conn "
        "| HTTP / raw N conn | load avg (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['backend']} | {r['rate']:.0f} | {r['per_cpu']:.0f} | {r['server_cpu']:.2f} | "
                     f"{r['client_cpu']:.2f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                     f"{r['p99']:.1f} | {r['errors']} | {r['raw1']:.0f} | {r['rawn']:.0f} | "
                     f"{r['rate'] / r['raw1']:.0%} | {r['rate'] / r['rawn']:.0%} | {r['load']:.1f} |")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at the end "
              f"{load} (the machine is shared with other work, so figures vary run to run).", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

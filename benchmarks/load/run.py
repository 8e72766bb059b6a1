"""One load run: seed a sitting, serve it, drive N candidates and a few dashboards through the
start storm, the writing phase (optionally with a fault), the submit storm; then verify.

    .venv/bin/python -m benchmarks.load.run --candidates 500 --duration 120 --compress 4
    .venv/bin/python -m benchmarks.load.run --candidates 5000 --workers 2 --duration 240 \
        --scenario kill-worker --json /tmp/run.json

PostgreSQL and Redis are private instances started for the run (initdb + pg_ctl, redis-server
on free ports), so faults never touch a shared service. Everything stays on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text

from benchmarks.load.candidates import Dashboard, Metrics, Pace, SimCandidate, login
from benchmarks.load.nodes import Balanced
from benchmarks.load.seed import STAFF_PASSWORD, Plan, seed
from benchmarks.load.services import Cluster, PrivatePostgres, PrivateRedis, Sampler
from benchmarks.load.verify import verify

SCENARIOS = ("none", "kill-worker", "restart-pg", "restart-redis", "cut-third", "clock-skew")
SAVE_MARGIN_S = 6.0  # candidates stop changing answers this long before the deadline
SUBMIT_WINDOW = (1.0, 4.0)  # ... and submit in this window before it


@dataclass
class Options:
    candidates: int = 500
    workers: int = 2  # per node with --nodes
    nodes: int = 0  # 0: one gunicorn on 127.0.0.1; N: N nodes on 127.0.0.2… behind nginx
    per_room: int = 24
    duration: int = 180
    pace_low: float = 10.0
    pace_high: float = 40.0
    compress: float = 1.0
    dashboards: int = 4
    scenarios: tuple[str, ...] = ()
    reconnect_p: float = 0.01
    skewed: float = 0.01
    non_submitters: float = 0.1
    cut_seconds: float = 15.0
    fetch_paper_at_start: bool = False  # the clients of before issue 14: every page fetches at the start
    workdir: Path = Path("/tmp/exam-load")


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


async def gather_limited(coros: list[Any], limit: int) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


def prepare(opts: Options, pg: PrivatePostgres) -> tuple[str, Plan]:
    from exam_server.app import create_app
    from exam_server.migrations import upgrade

    db_url = pg.create_database()
    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(opts.workdir / "instance"), "REDIS_URL": "",
                      "SOCKETIO_ASYNC_MODE": "threading", "SECRET_KEY": "load-seed-secret-2f6b9d3a7e1c5f8a4b0d"})
    upgrade(app)
    plan = seed(app, opts.candidates, per_room=opts.per_room, duration_s=opts.duration)
    return db_url, plan


class Run:
    def __init__(self, opts: Options, pg: PrivatePostgres, redis: PrivateRedis, cluster: Cluster | Balanced, db_url: str,
                 plan: Plan) -> None:
        self.opts, self.pg, self.redis, self.cluster, self.db_url, self.plan = opts, pg, redis, cluster, db_url, plan
        self.m = Metrics()
        self.dm = Metrics()  # dashboards
        self.sampler = Sampler()  # every server process (with nginx in front of nodes)
        self.workers_sampler = Sampler()  # the gunicorn workers alone
        self.pg_sampler = Sampler()
        self.connected: list[tuple[float, int]] = []
        self.report: dict[str, Any] = {}
        self.engine = create_engine(db_url, pool_size=1, pool_pre_ping=True)

    def count_connected(self, cands: list[SimCandidate]) -> int:
        return sum(1 for c in cands if c.sock is not None and c.sock.connected)

    async def sample_forever(self, cands: list[SimCandidate]) -> None:
        while True:
            self.sampler.sample(self.cluster.pids())
            self.workers_sampler.sample(self.cluster.worker_pids())
            self.pg_sampler.sample(self.pg.pids())
            self.connected.append((time.monotonic(), self.count_connected(cands)))
            await asyncio.sleep(1.0)

    def db_counts(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT count(*) FILTER (WHERE a.state = 'submitted'), "
                "count(*) FILTER (WHERE a.state = 'submitted' AND a.score IS NOT NULL) "
                "FROM attempts a JOIN registrations r ON r.id = a.registration_id WHERE r.sitting_id = :s"),
                {"s": self.plan.sitting_id}).one()
        return int(row[0]), int(row[1])

    def db_last_close_time(self) -> float:
        """The latest `closes_at` (deadline + grace) of the sitting, as a wall-clock time."""
        with self.engine.connect() as conn:
            return float(conn.execute(text(
                "SELECT max(a.closes_at) FROM attempts a JOIN registrations r ON r.id = a.registration_id "
                "WHERE r.sitting_id = :s"), {"s": self.plan.sitting_id}).scalar_one().timestamp())

    def db_deadlines(self) -> dict[int, float]:
        with self.engine.connect() as conn:
            return {r[0]: r[1].timestamp() for r in conn.execute(text(
                "SELECT a.id, a.deadline_at FROM attempts a JOIN registrations r ON r.id = a.registration_id "
                "WHERE r.sitting_id = :s"), {"s": self.plan.sitting_id})}

    async def staff_post(self, http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> dict[str, Any]:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar, connector=http.connector, connector_owner=False) as s:
            async with s.get(self.cluster.url + "/api/v1/auth/csrf") as r:
                token = (await r.json())["csrf_token"]
            async with s.post(self.cluster.url + "/api/v1/auth/login",
                              json={"username": self.plan.examiner, "password": STAFF_PASSWORD},
                              headers={"X-CSRFToken": token}) as r:
                token = (await r.json()).get("csrf_token", token)
            async with s.post(self.cluster.url + path, json=body, headers={"X-CSRFToken": token}) as r:
                if r.status != 200:
                    raise RuntimeError(f"{path}: {r.status} {await r.text()}")
                return dict(await r.json())

    async def fault(self, scenario: str, cands: list[SimCandidate], dashboards: list[Dashboard]) -> dict[str, Any]:
        o = self.opts
        info: dict[str, Any] = {"scenario": scenario}
        t = time.monotonic()
        if scenario == "kill-worker":
            info["killed_pid"] = self.cluster.kill_worker()
        elif scenario == "restart-pg":
            await asyncio.to_thread(self.pg.restart)
        elif scenario == "restart-redis":
            await asyncio.to_thread(self.redis.restart)
        elif scenario == "cut-third":
            victims = [c for c in cands if not c.finished][: len(cands) // 3]
            await asyncio.gather(*(c.cut(o.cut_seconds) for c in victims))
            info["cut"] = len(victims)
        info["fault_s"] = round(time.monotonic() - t, 2)
        # recovery: every unfinished candidate holds a socket again, dashboards get rows again
        reconnects = self.m.reconnects
        await asyncio.sleep(1.0)  # let the clients notice what happened
        live = [c for c in cands if not c.finished]
        end = time.monotonic() + 120

        def disconnected() -> int:
            return sum(1 for c in live if not c.finished and not (c.sock is not None and c.sock.connected))

        while time.monotonic() < end and disconnected():
            await asyncio.sleep(0.2)
        info["all_reconnected_after_s"] = round(time.monotonic() - t, 2)
        info["still_disconnected"] = disconnected()
        while time.monotonic() < end and not all(d.messages_since and d.messages_since[-1] > t + 0.5
                                                 for d in dashboards):
            await asyncio.sleep(0.2)
        info["dashboards_updating_after_s"] = round(time.monotonic() - t, 2)
        # ... and the sitting's dashboard shows every connected candidate online again
        sitting = dashboards[0]
        end = time.monotonic() + 3 * o.pace_high / o.compress + 10

        def wrong() -> int:
            """Connected candidates the overview's room tiles do not count online (told since the fault)."""
            connected: dict[int, int] = {}
            for c in live:
                if not c.finished and c.sock is not None and c.sock.connected:
                    connected[c.plan.room] = connected.get(c.plan.room, 0) + 1
            shown = sitting.room_online
            return sum(max(0, n - (shown[room][0] if room in shown and shown[room][1] > t else 0))
                       for room, n in connected.items())

        while time.monotonic() < end and wrong():
            await asyncio.sleep(0.5)
        info["shown_offline_while_connected"] = wrong()
        info["candidate_reconnects"] = self.m.reconnects - reconnects
        return info

    async def go(self) -> dict[str, Any]:
        o, plan = self.opts, self.plan
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        http = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=60))
        base = self.cluster.url
        pace = Pace(o.pace_low, o.pace_high, o.compress)
        n_skew = len(plan.candidates) // 10 if "clock-skew" in o.scenarios else int(len(plan.candidates) * o.skewed)
        cands = [SimCandidate(c, plan.kinds, base, http, self.m, pace,
                              clock_skew_s=(3600 if i % 2 else -3600) if i < n_skew else 0.0,
                              submits=random.random() >= o.non_submitters, sealed=not o.fetch_paper_at_start)
                 for i, c in enumerate(plan.candidates)]
        t = time.monotonic()
        cookies = await gather_limited([login(http, base, code=c.plan.code) for c in cands], 32)
        for c, cookie in zip(cands, cookies, strict=True):
            c.cookie = cookie
        self.report["login_s"] = round(time.monotonic() - t, 1)
        log(f"{len(cands)} logged in ({self.report['login_s']}s)")
        sampler = asyncio.create_task(self.sample_forever(cands))
        t = time.monotonic()
        await gather_limited([c.connect() for c in cands], 100)
        self.report["connect_s"] = round(time.monotonic() - t, 1)
        supervisors = [asyncio.create_task(c.supervise()) for c in cands]
        dashboards: list[Dashboard] = []
        targets = [{"sitting": plan.sitting_id}] + [{"room": r} for r in list(plan.invigilators)[: o.dashboards - 1]]
        for target in targets[: o.dashboards]:
            user = plan.examiner if "sitting" in target else plan.invigilators[target["room"]]
            cookie = await login(http, base, staff=(user, STAFF_PASSWORD))
            dashboards.append(Dashboard(base, http, cookie, target, self.dm))
        dash_tasks = [asyncio.create_task(d.run()) for d in dashboards]
        await asyncio.sleep(2)
        self.report["connected_before_start"] = self.count_connected(cands)
        log(f"{self.report['connected_before_start']} sockets connected ({self.report['connect_s']}s), starting")

        # -- start storm -----------------------------------------------------------------
        runs = [asyncio.create_task(c.run(SAVE_MARGIN_S, SUBMIT_WINDOW, o.reconnect_p)) for c in cands]
        t0 = time.monotonic()
        await self.staff_post(http, f"/api/v1/sittings/{plan.sitting_id}/start", {"reason": "load test"})
        self.report["start_request_s"] = round(time.monotonic() - t0, 2)
        while time.monotonic() - t0 < 120 and any(c.paper_at is None for c in cands):
            await asyncio.sleep(0.1)
        have = [c.paper_at for c in cands if c.paper_at is not None]
        self.report["start_storm_s"] = round(max(have) - t0, 2) if have else None
        self.report["start_storm_missing"] = len(cands) - len(have)
        # after the start request returned: the pushes (and whatever the pages still fetch)
        self.report["start_storm_after_request_s"] = (
            round(max(have) - t0 - self.report["start_request_s"], 2) if have else None)
        self.report["start_papers_opened_sealed"] = sum(1 for c in cands if c.opened_sealed)
        log(f"start storm {self.report['start_storm_s']}s, missing {self.report['start_storm_missing']}")
        deadlines_at_start = self.db_deadlines()
        first_deadline = min(deadlines_at_start.values())

        # -- writing phase, with the faults spread over it ----------------------------------
        faults = [s for s in o.scenarios if s not in ("none", "clock-skew")]
        begin, end = time.time(), first_deadline - SAVE_MARGIN_S - 4
        self.report["faults"] = []
        for i, scenario in enumerate(faults):
            await asyncio.sleep(max(0.0, begin + (end - begin) * (i + 1) / (len(faults) + 1) - time.time()))
            log(f"fault: {scenario}")
            self.report["faults"].append(await self.fault(scenario, cands, dashboards))
            log(f"recovered: {self.report['faults'][-1]}")
        self.report["connected_writing"] = max(n for _t, n in self.connected)

        # -- submit storm ------------------------------------------------------------------
        await asyncio.sleep(max(0.0, first_deadline - time.time() - SUBMIT_WINDOW[1] - 0.5))
        storm_start = time.monotonic()
        log("submit storm")
        graded = 0
        while time.monotonic() - storm_start < 180:
            _submitted, graded = self.db_counts()
            if graded == len(cands):
                break
            await asyncio.sleep(0.25)
        all_graded_wall = time.time()
        sent = [c.submit_sent_at for c in cands if c.submit_sent_at]
        first = min(sent) if sent else storm_start
        self.report["submit_storm_s"] = round(time.monotonic() - min(first, storm_start), 2)
        # what the storm is made of: the candidates' own submits (acked), then the attempts nobody
        # submitted, which the server may close only once deadline + grace has passed
        acked = [c.submitted_at for c in cands if c.submitted_at]
        self.report["candidate_submits_acked_s"] = round(max(acked) - first, 2) if acked and sent else None
        # each candidate's submit, from its first try to its answer: queueing shows here
        waits = [(c.submitted_at - c.submit_sent_at) * 1000 for c in cands if c.submitted_at and c.submit_sent_at]
        self.report["submit_ack_ms"] = {"p50": pct(waits, 50), "p95": pct(waits, 95), "max": pct(waits, 100)}
        self.report["submits_sent_over_s"] = round(max(sent) - first, 2) if sent else None
        self.report["graded_after_last_close_time_s"] = round(all_graded_wall - self.db_last_close_time(), 2)
        self.report["graded"] = graded
        self.report["submitted_by_candidates"] = sum(1 for c in cands if c.submitted_at)
        log(f"graded {graded}/{len(cands)} after {self.report['submit_storm_s']}s")
        await asyncio.wait(runs, timeout=30)

        for d in dashboards:
            await d.close()
        for c in cands:
            await c.close()
        sampler.cancel()
        for task in [*supervisors, *dash_tasks, *runs, sampler]:
            task.cancel()
        await asyncio.gather(*supervisors, *dash_tasks, *runs, sampler, return_exceptions=True)
        await http.close()

        # -- results ----------------------------------------------------------------------
        checked = verify(self.db_url, cands)
        deadlines_end = checked.pop("deadlines")
        moved = [a for a, d in deadlines_at_start.items() if deadlines_end.get(a) != d]
        client_deadlines = [c for c in cands if len(c.deadlines_seen) > 1]
        acks = sorted(self.m.ack_times)
        window = (acks[-1] - acks[0]) if len(acks) > 1 else 0.0
        per_second: dict[int, int] = {}
        for a in acks:
            per_second[int(a)] = per_second.get(int(a), 0) + 1
        self.report.update({
            "candidates": len(cands),
            "workers": o.workers * max(o.nodes, 1),
            "nodes": o.nodes,
            "saves_acked": self.m.acks,
            "saves_per_s_mean": round(len(acks) / window, 1) if window else None,
            "saves_per_s_peak": max(per_second.values()) if per_second else None,
            "ack_ms": {"p50": pct(self.m.ack_ms, 50), "p95": pct(self.m.ack_ms, 95), "p99": pct(self.m.ack_ms, 99),
                       "max": round(max(self.m.ack_ms), 1) if self.m.ack_ms else None},
            "refused": self.m.refused,
            "reconnects": self.m.reconnects,
            "connect_failures": self.m.connect_failures,
            "connect_failure_kinds": self.m.connect_failure_kinds,
            "dashboards": len(dashboards),
            "dashboard_messages": self.dm.dashboard_messages,
            "dashboard_lag_ms": {"p50": pct(self.dm.dashboard_lag_ms, 50), "p95": pct(self.dm.dashboard_lag_ms, 95),
                                 "samples": len(self.dm.dashboard_lag_ms)},
            "server": self.sampler.summary(),
            "server_workers": self.workers_sampler.summary(),
            "postgres": self.pg_sampler.summary(),
            "ack_conflicts": self.m.ack_conflicts[:20],
            "deadlines_moved": len(moved),
            "clients_seeing_two_deadlines": len(client_deadlines),
            "skewed_clients": n_skew,
            **{k: (v[:20] if isinstance(v, list) else v) for k, v in checked.items()},
            "lost_count": len(checked["lost"]),
            "foreign_count": len(checked["foreign"]),
        })
        self.engine.dispose()
        return self.report


def execute(opts: Options) -> dict[str, Any]:
    """Private PostgreSQL and Redis, a seeded sitting, the server, the run; everything stopped after."""
    opts.workdir.mkdir(parents=True, exist_ok=True)
    pg = PrivatePostgres(max_connections=max(100, 40 * opts.workers * max(opts.nodes, 1) + 20)).init().start()
    redis = PrivateRedis(opts.workdir / f"redis-{time.time_ns()}").start()
    cluster: Cluster | Balanced | None = None
    try:
        t = time.monotonic()
        db_url, plan = prepare(opts, pg)
        log(f"seeded {len(plan.candidates)} candidates in {time.monotonic() - t:.1f}s")
        cluster = (Balanced(db_url, redis.url, opts.workdir, nodes=opts.nodes, workers=opts.workers) if opts.nodes
                   else Cluster(db_url, redis.url, opts.workdir, workers=opts.workers)).start()
        load = os.getloadavg()[0]
        report = asyncio.run(Run(opts, pg, redis, cluster, db_url, plan).go())
        report["loadavg_1min"] = {"before": round(load, 1), "after": round(os.getloadavg()[0], 1)}
        return report
    finally:
        if cluster is not None:
            cluster.stop()
        redis.stop()
        pg.destroy()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=int, default=500)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (per node with --nodes)")
    p.add_argument("--nodes", type=int, default=0,
                   help="N server nodes on 127.0.0.2… behind nginx (benchmarks/load/nodes.py); 0: one, no nginx")
    p.add_argument("--duration", type=int, default=180, help="exam length in seconds (real time)")
    p.add_argument("--pace", type=float, nargs=2, default=(10.0, 40.0), metavar=("LOW", "HIGH"),
                   help="seconds between two answer changes of one candidate")
    p.add_argument("--compress", type=float, default=1.0, help="divide the think times (quick runs)")
    p.add_argument("--dashboards", type=int, default=4)
    p.add_argument("--scenario", choices=SCENARIOS, action="append", default=[],
                   help="fault(s) injected during the writing phase, in order (repeatable)")
    p.add_argument("--reconnect-p", type=float, default=0.01, help="chance of a dropped socket after a save")
    p.add_argument("--cut-seconds", type=float, default=15.0, help="length of the cut-third network outage")
    p.add_argument("--fetch-paper-at-start", action="store_true",
                   help="clients ignore the sealed paper and fetch it with hello at the start (as before)")
    p.add_argument("--json", type=Path, help="write the report here too")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/exam-load"))
    args = p.parse_args(argv)
    opts = Options(candidates=args.candidates, workers=args.workers, nodes=args.nodes, duration=args.duration,
                   pace_low=args.pace[0], pace_high=args.pace[1], compress=args.compress,
                   dashboards=args.dashboards, scenarios=tuple(args.scenario), reconnect_p=args.reconnect_p,
                   cut_seconds=args.cut_seconds, fetch_paper_at_start=args.fetch_paper_at_start,
                   workdir=args.workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the servers on `timeout`
    report = execute(opts)
    report["command"] = " ".join(["python -m benchmarks.load.run", *(argv if argv is not None else sys.argv[1:])])
    text_report = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    print(text_report)
    if args.json:
        args.json.write_text(text_report)
    ok = not report["lost_count"] and not report["foreign_count"] and not report["ack_conflicts"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

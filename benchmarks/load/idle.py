"""Idle candidate connections: how many logged-in candidate sockets the server holds while
nobody does anything, and what each one costs it in memory and CPU.

    .venv/bin/python -m benchmarks.load.idle --connections 20000 --workers 2 --hold 120 --json /tmp/idle.json

Seeds N candidates (`seed.py`, check-in open), logs each in with its one-time code over HTTP
(the harness's `login`), opens one `/exam` socket per candidate and says `hello` (what a page
waiting for the start does: it then holds the sealed paper), and holds them all for `--hold`
seconds, answering the server's Engine.IO pings and sending nothing else. The report: sockets
established / held at the end / dropped, time to connect them all, the RSS (and PSS) of every
server process after the logins and before the first socket and again at the end of the hold,
per held connection, server CPU over the idle window apart from the generators' (and from
PostgreSQL's and Redis's), file descriptors and their limits.

Why it is built like this:

- The server is one gunicorn (`services.Cluster`) on 127.0.0.1 and nothing in front: an nginx
  would add its own memory, CPU and a second connection per client to what is measured.
- Several generator processes (`--generators`, default one per 10,000 sockets), each a plain
  asyncio loop (`wire.SocketIO`), started as `python -m benchmarks.load.idle --generator` and
  driven over stdin/stdout: one process can hold no more descriptors than its RLIMIT_NOFILE
  hard limit (20,000 on the development machine), and each binds its sockets to its own
  source address (127.0.0.101, .102, …) so no (source, destination) pair needs more than its
  share of the 28,232 ports of Linux's default ephemeral range.
- RLIMIT_NOFILE is raised here (as root, the hard limit too) before the server starts, so
  gunicorn's workers and the generators inherit it; the report shows what each got.
- `--worker-connections` defaults to a worker's share of N plus 10 %: a gevent worker stops
  accepting at it, so one worker cannot take nearly all sockets (and run out of descriptors)
  while the other has few — they share one listening socket and accept competitively.
- Memory from /proc of every server process (gunicorn master and workers). RSS counts a page
  the forked workers share with the master once per process; PSS splits it, so both are given.
  The logins come first and their HTTP connections are closed before the "before" figure, so
  the difference is what the sockets cost.
- CPU as utime + stime ticks from /proc/PID/stat over the idle window (100 % = one core),
  which starts `--settle` seconds after the last socket is up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.load.candidates import login
from benchmarks.load.run import gather_limited, log, pct
from benchmarks.load.wire import ConnectRefused, Disconnected, SocketIO

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PER_GENERATOR = 10_000  # sockets per generator process (descriptors, ephemeral ports)
SAMPLE_S = 5.0  # CPU sampling interval during the hold


# -- /proc ---------------------------------------------------------------------------------
def proc_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the name may contain spaces
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after the name


def proc_kib(pid: int, file: str, key: str) -> int:
    """A "Key:   123 kB" line of /proc/PID/status or /proc/PID/smaps_rollup."""
    try:
        with open(f"/proc/{pid}/{file}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def proc_nofile(pid: int) -> str:
    """The soft/hard "Max open files" of a process, as /proc/PID/limits says."""
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    soft, hard = line.split()[3:5]
                    return f"{soft}/{hard}"
    except OSError:
        pass
    return "?"


def memory(pids: list[int]) -> dict[str, Any]:
    each = [{"pid": pid, "rss_kib": proc_kib(pid, "status", "VmRSS"), "pss_kib": proc_kib(pid, "smaps_rollup", "Pss"),
             "fds": proc_fds(pid)} for pid in pids]
    return {"rss_kib": sum(p["rss_kib"] for p in each), "pss_kib": sum(p["pss_kib"] for p in each),
            "fds": sum(p["fds"] for p in each), "processes": each}


def established_to(port: int) -> dict[str, int]:
    """Established TCP connections whose local port is `port` (the server's side of them),
    by the client's address (which shows the generators' source addresses were used)."""
    peers: dict[str, int] = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split(None, 4)
            if parts[3] == "01" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                peer = ".".join(str(b) for b in reversed(bytes.fromhex(parts[2].split(":")[0])))
                peers[peer] = peers.get(peer, 0) + 1
    return peers


class CpuMeter:
    """CPU % (100 = one core) of named groups of processes, interval by interval."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.t = time.monotonic()
        self.last = {pid: proc_ticks(pid) for pids in groups.values() for pid in pids}
        self.intervals: dict[str, list[float]] = {g: [] for g in groups}
        self.ticks = dict.fromkeys(groups, 0)
        self.seconds = 0.0

    def sample(self) -> None:
        now = time.monotonic()
        wall = now - self.t
        for group, pids in self.groups.items():
            used = 0
            for pid in pids:
                ticks = proc_ticks(pid)
                used += max(0, ticks - self.last.get(pid, ticks))  # a vanished process adds nothing
                self.last[pid] = ticks
            self.ticks[group] += used
            self.intervals[group].append(100.0 * used / CLK_TCK / wall if wall > 0 else 0.0)
        self.seconds += wall
        self.t = now

    def summary(self) -> dict[str, dict[str, float]]:
        return {g: {"mean_pct": round(100.0 * self.ticks[g] / CLK_TCK / self.seconds, 2) if self.seconds else 0.0,
                    "max_interval_pct": round(max(self.intervals[g], default=0.0), 1)} for g in self.groups}


def raise_nofile(want: int) -> tuple[int, int]:
    """Raise this process's descriptor limit to `want` (the hard limit too when allowed: root),
    else as far as the hard limit goes. Children started later inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want, want
        except (ValueError, OSError):  # not privileged: the hard limit is the ceiling
            want = hard
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return soft, hard


# -- generator process ---------------------------------------------------------------------
def emit(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **data}) + "\n")
    sys.stdout.flush()


async def read_command() -> str:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:  # the orchestrator is gone
        raise SystemExit(1)
    return line.strip()


async def safe_login(http: aiohttp.ClientSession, base: str, code: str, tries: int = 3) -> str:
    """The session cookie, or "" when the login failed `tries` times."""
    for i in range(tries):
        try:
            return await login(http, base, code=code)
        except (RuntimeError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log(f"login failed ({exc!r:.120})")
            await asyncio.sleep(0.5 * 2**i)
    return ""


@dataclass
class Opened:
    sock: SocketIO | None
    ms: float = 0.0
    retries: int = 0
    error: str = ""


async def open_socket(http: aiohttp.ClientSession, base: str, cookie: str, attempt: int, tries: int = 4) -> Opened:
    """One candidate page: `/exam` socket, `hello`; a few retries with back-off, then give up
    (an idle run counts failures instead of retrying for ever as the page would)."""
    error = ""
    for i in range(tries):
        sock = SocketIO(http, base, "/exam", cookie)
        t = time.monotonic()
        try:
            await sock.connect({"attempt": attempt})
            reply = await sock.call("hello", {"attempt": attempt, "sealed": None})
            if not reply.get("ok"):
                raise ConnectRefused(f"hello refused: {reply}")
            return Opened(sock, (time.monotonic() - t) * 1000, i)
        except (TimeoutError, ConnectRefused, Disconnected, aiohttp.ClientError, OSError) as exc:
            error = f"{exc!r:.160}"
            await sock.close()
            await asyncio.sleep(0.5 * 2**i * random.uniform(0.5, 1.5))
    return Opened(None, 0.0, tries, error)


def session(source: str, **kwargs: Any) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=0, local_addr=(source, 0), **kwargs)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def generate(cfg: dict[str, Any]) -> None:
    """Log in, then on "connect" open every socket, on "stop" count and close them."""
    base, source = cfg["base"], cfg["source"]
    cands: list[tuple[str, int]] = [(c, a) for c, a in cfg["candidates"]]
    t = time.monotonic()
    async with session(source) as http:  # closed after: its keep-alive connections are not the sockets
        cookies = await gather_limited([safe_login(http, base, code) for code, _a in cands], cfg["login_concurrency"])
    emit("logged_in", s=round(time.monotonic() - t, 1), failed=sum(1 for c in cookies if not c),
         nofile=proc_nofile(os.getpid()))
    await read_command()
    http = session(source)
    t = time.monotonic()
    opened: list[Opened] = await gather_limited(
        [open_socket(http, base, cookie, attempt) for cookie, (_c, attempt) in zip(cookies, cands, strict=True)
         if cookie], cfg["concurrency"])
    socks = [o.sock for o in opened if o.sock is not None]
    ms = [o.ms for o in opened if o.sock is not None]
    emit("connected", s=round(time.monotonic() - t, 1), established=len(socks),
         failed=len(cands) - len(socks), retries=sum(o.retries for o in opened if o.sock is not None),
         connect_ms={"p50": pct(ms, 50), "p95": pct(ms, 95), "max": round(max(ms), 1) if ms else None},
         errors=sorted({o.error for o in opened if o.sock is None})[:5])
    await read_command()
    emit("held", held=sum(1 for s in socks if s.connected), pongs=sum(s.pongs for s in socks),
         rss_kib=proc_kib(os.getpid(), "status", "VmRSS"), fds=proc_fds(os.getpid()))
    await gather_limited([s.close() for s in socks], 500)
    await http.close()


def generator_main() -> int:
    cfg = json.loads(sys.stdin.readline())
    asyncio.run(generate(cfg))
    return 0


# -- orchestration -------------------------------------------------------------------------
@dataclass
class IdleOptions:
    connections: int = 1000
    workers: int = 2
    hold: float = 60.0
    settle: float = 5.0
    generators: int = 0  # 0: one per PER_GENERATOR sockets
    concurrency: int = 100  # sockets being opened at once, all generators together
    login_concurrency: int = 32
    worker_connections: int = 0  # 0: a worker's share plus 10 %
    per_room: int = 24
    workdir: Path = Path("/tmp/exam-load-idle")


class Generators:
    """The generator processes, driven one line at a time."""

    def __init__(self, procs: list[asyncio.subprocess.Process]) -> None:
        self.procs = procs

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def send(self, command: str) -> None:
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.write(command.encode() + b"\n")
            await p.stdin.drain()

    async def expect(self, event: str) -> list[dict[str, Any]]:
        async def one(p: asyncio.subprocess.Process) -> dict[str, Any]:
            assert p.stdout is not None
            line = await p.stdout.readline()
            if not line:
                raise RuntimeError(f"generator {p.pid} exited (status {await p.wait()}) before {event!r}")
            got = json.loads(line)
            if got.get("event") != event:
                raise RuntimeError(f"generator {p.pid}: expected {event!r}, got {got}")
            return dict(got)

        return list(await asyncio.gather(*(one(p) for p in self.procs)))

    async def finish(self) -> None:
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 60)
            except TimeoutError:
                p.kill()
                await p.wait()


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster and its children (backends, checkpointer, …) at this moment."""
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except (OSError, ValueError):
        return []
    return [master, *map(int, children)]


async def hold_idle(o: IdleOptions, cluster: Any, redis_url: str, redis_pid: int | None, pg_dir: Path,
                    candidates: list[tuple[str, int]]) -> dict[str, Any]:
    import redis

    n_gen = o.generators or max(1, math.ceil(len(candidates) / PER_GENERATOR))
    shares = [candidates[i::n_gen] for i in range(n_gen)]
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "benchmarks.load.idle", "--generator",
                                                  cwd=ROOT, stdin=asyncio.subprocess.PIPE,
                                                  stdout=asyncio.subprocess.PIPE, limit=2**20)
             for _ in shares]
    gens = Generators(procs)
    report: dict[str, Any] = {"generators": n_gen}
    rdb = redis.Redis.from_url(redis_url)
    try:
        for i, (p, share) in enumerate(zip(procs, shares, strict=True)):
            assert p.stdin is not None
            cfg = {"base": cluster.url, "source": f"127.0.0.{101 + i}", "candidates": share,
                   "concurrency": max(1, o.concurrency // n_gen), "login_concurrency": max(1, o.login_concurrency // n_gen)}
            p.stdin.write(json.dumps(cfg).encode() + b"\n")
            await p.stdin.drain()
        t = time.monotonic()
        logged = await gens.expect("logged_in")
        report["login_s"] = round(time.monotonic() - t, 1)
        report["login_failed"] = sum(g["failed"] for g in logged)
        report["generator_nofile"] = [g["nofile"] for g in logged]
        log(f"{len(candidates) - report['login_failed']} of {len(candidates)} logged in ({report['login_s']}s)")

        await asyncio.sleep(o.settle)  # the logins' connections closed, the workers back to rest
        server_pids = cluster.pids()
        before = memory(server_pids)
        redis_before = int(rdb.info("memory")["used_memory"])
        t = time.monotonic()
        await gens.send("connect")
        connected = await gens.expect("connected")
        report["connect_all_s"] = round(time.monotonic() - t, 1)
        established = sum(g["established"] for g in connected)
        report.update({"established": established, "connect_failed": sum(g["failed"] for g in connected),
                       "connect_retries": sum(g["retries"] for g in connected),
                       "connect_ms_per_generator": [g["connect_ms"] for g in connected],
                       "connect_errors": [e for g in connected for e in g["errors"]][:10]})
        log(f"{established} sockets up in {report['connect_all_s']}s; holding {o.hold:g}s")

        # -- the idle window ------------------------------------------------------------
        hold_end = time.monotonic() + o.hold
        await asyncio.sleep(min(o.settle, o.hold))
        server_pids = cluster.pids()
        at_start = memory(server_pids)  # against the end: does an idle socket keep growing?
        meter = CpuMeter({"server": server_pids, "generators": gens.pids, "orchestrator": [os.getpid()],
                          "postgres": postgres_pids(pg_dir), "redis": [redis_pid] if redis_pid else []})
        while (left := hold_end - time.monotonic()) > 0:
            await asyncio.sleep(min(SAMPLE_S, left))
            meter.sample()
        report["idle_window_s"] = round(meter.seconds, 1)
        report["cpu_while_idle"] = meter.summary()
        after = memory(server_pids)
        peers = established_to(cluster.port)
        report["server_established_at_end"] = sum(peers.values())
        report["server_established_by_client_address"] = peers
        redis_after = int(rdb.info("memory")["used_memory"])
        generator_mem = memory(gens.pids)
        await gens.send("stop")
        held = await gens.expect("held")
        held_total = sum(g["held"] for g in held)
        report.update({"held_at_end": held_total, "dropped": established - held_total,
                       "pongs_sent": sum(g["pongs"] for g in held)})
        per = max(held_total, 1)
        report["server_memory"] = {
            "rss_before_mib": round(before["rss_kib"] / 1024, 1), "rss_after_mib": round(after["rss_kib"] / 1024, 1),
            "rss_idle_start_mib": round(at_start["rss_kib"] / 1024, 1),
            "rss_per_connection_kib": round((after["rss_kib"] - before["rss_kib"]) / per, 1),
            "pss_before_mib": round(before["pss_kib"] / 1024, 1), "pss_after_mib": round(after["pss_kib"] / 1024, 1),
            "pss_per_connection_kib": round((after["pss_kib"] - before["pss_kib"]) / per, 1),
            "processes_before": before["processes"], "processes_after": after["processes"],
        }
        report["redis_used_memory_per_connection_bytes"] = round((redis_after - redis_before) / per)
        report["fds"] = {"server_before": before["fds"], "server_after": after["fds"],
                         "server_nofile": {str(pid): proc_nofile(pid) for pid in server_pids},
                         "generators": [g["fds"] for g in held]}
        report["generator_memory"] = {"rss_mib": round(generator_mem["rss_kib"] / 1024, 1),
                                      "rss_per_connection_kib": round(generator_mem["rss_kib"] / per, 1)}
        log(f"held {held_total}, dropped {report['dropped']}, server RSS "
            f"{report['server_memory']['rss_per_connection_kib']} KiB/connection, "
            f"CPU server {report['cpu_while_idle']['server']['mean_pct']} % / generators "
            f"{report['cpu_while_idle']['generators']['mean_pct']} %")
        await gens.finish()
        return report
    finally:
        rdb.close()
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()


def execute(o: IdleOptions) -> dict[str, Any]:
    from benchmarks.load.run import Options, prepare
    from benchmarks.load.services import Cluster, PrivatePostgres, PrivateRedis

    n_gen = o.generators or max(1, math.ceil(o.connections / PER_GENERATOR))
    worker_connections = o.worker_connections or math.ceil(o.connections / o.workers * 1.1) + 100
    # before anything starts: gunicorn, its workers and the generators inherit the limit
    nofile = raise_nofile(max(worker_connections, math.ceil(o.connections / n_gen)) + 1024)
    o.workdir.mkdir(parents=True, exist_ok=True)
    pg = PrivatePostgres(max_connections=max(100, 40 * o.workers + 20)).init().start()
    redis = PrivateRedis(o.workdir / f"redis-{time.time_ns()}").start()
    cluster: Cluster | None = None
    try:
        t = time.monotonic()
        db_url, plan = prepare(Options(candidates=o.connections, per_room=o.per_room, duration=3600,
                                       workdir=o.workdir), pg)
        seed_s = round(time.monotonic() - t, 1)
        log(f"seeded {len(plan.candidates)} candidates in {seed_s}s")
        cluster = Cluster(db_url, redis.url, o.workdir, workers=o.workers,
                          worker_connections=worker_connections).start()
        load = os.getloadavg()[0]
        report: dict[str, Any] = {"connections": o.connections, "workers": o.workers,
                                  "worker_connections": worker_connections, "hold_s": o.hold, "seed_s": seed_s,
                                  "orchestrator_nofile": list(nofile)}
        report.update(asyncio.run(hold_idle(o, cluster, redis.url, redis.proc.pid if redis.proc else None, pg.data,
                                            [(c.code, c.attempt) for c in plan.candidates])))
        report["loadavg_1min"] = {"before": round(load, 1), "after": round(os.getloadavg()[0], 1)}
        return report
    finally:
        if cluster is not None:
            cluster.stop()
        redis.stop()
        pg.destroy()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", type=int, default=1000, help="candidates, one socket each")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--hold", type=float, default=60.0, help="seconds to hold the sockets once all are up")
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds of rest after the logins and before the idle window's CPU count")
    p.add_argument("--generators", type=int, default=0,
                   help=f"generator processes (0: one per {PER_GENERATOR:,} sockets)")
    p.add_argument("--concurrency", type=int, default=100, help="sockets opened at once (all generators)")
    p.add_argument("--login-concurrency", type=int, default=32, help="logins at once (all generators)")
    p.add_argument("--worker-connections", type=int, default=0, help="gevent pool per worker (0: share + 10 %%)")
    p.add_argument("--per-room", type=int, default=24)
    p.add_argument("--json", type=Path, help="write the report here too")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/exam-load-idle"))
    p.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)  # a child of this script
    args = p.parse_args(argv)
    if args.generator:
        return generator_main()
    o = IdleOptions(connections=args.connections, workers=args.workers, hold=args.hold, settle=args.settle,
                    generators=args.generators, concurrency=args.concurrency,
                    login_concurrency=args.login_concurrency, worker_connections=args.worker_connections,
                    per_room=args.per_room, workdir=args.workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the servers on `timeout`
    report = execute(o)
    report["command"] = " ".join(["python -m benchmarks.load.idle", *(argv if argv is not None else sys.argv[1:])])
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if report["held_at_end"] == o.connections else 1


if __name__ == "__main__":
    sys.exit(main())

"""The processes a load run (or a fault test) owns: a private PostgreSQL cluster, a private
Redis, and gunicorn/gevent workers serving the app — each startable, restartable and killable
without touching anything another engineer or test is using.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], object], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(Exception):  # not up yet: refused, timed out, not ready
            if predicate():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {timeout}s")


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory, on a free port, trust auth on loopback."""

    def __init__(self, directory: Path | None = None, max_connections: int = 200) -> None:
        # its own directory under /tmp: when we are root the cluster runs as `postgres`, which
        # cannot enter pytest's private temporary directories
        self.dir = directory or Path(tempfile.mkdtemp(prefix="exam-pg-"))
        self.data = self.dir / "pgdata"
        self.port = free_port()
        self.max_connections = max_connections
        self.log = self.dir / "postgres.log"

    @staticmethod
    def available() -> bool:
        return bool(pg_bin("initdb") and pg_bin("pg_ctl")) and (os.geteuid() != 0 or _can_run_as_postgres())

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run(_as_postgres([*args]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> PrivatePostgres:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(str(pg_bin("initdb")), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-instructions")
        return self

    def start(self) -> PrivatePostgres:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c max_connections={self.max_connections} "
                f"-c unix_socket_directories={self.dir} -c shared_buffers=256MB")
        self._run(str(pg_bin("pg_ctl")), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(pg_bin("pg_ctl")), "-D", str(self.data), "-m", mode, "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster and its backends (none while stopped)."""
        try:
            main = psutil.Process(int((self.data / "postmaster.pid").read_text().split()[0]))
            return [main.pid] + [c.pid for c in main.children()]
        except (OSError, ValueError, IndexError, psutil.Error):
            return []

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self) -> None:
        self.stop("fast")
        self.start()

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _can_run_as_postgres() -> bool:
    return os.geteuid() == 0 and shutil.which("runuser") is not None


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PrivateRedis:
    """redis-server on a free port, no persistence; restart keeps nothing (like a crash)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> PrivateRedis:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--maxclients", "10000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        _wait(lambda: redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping(), 10, "redis")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


class Cluster:
    """gunicorn (config/gunicorn.conf.py: gevent workers) on one port; `workers` processes share
    the listening socket, so websocket-only clients need no sticky balancer."""

    def __init__(self, database_url: str, redis_url: str, directory: Path, *, workers: int = 2,
                 worker_connections: int = 10000, env: dict[str, str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.host = host  # another loopback address stands for another machine (benchmarks/load/nodes.py)
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.workers = workers
        self.log = directory / f"gunicorn-{self.port}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "EXAM_REDIS_PREFIX": f"load-{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": "load-harness-secret-7a3c9e1f5b2d8e4a6c0f",
            "EXAM_SECURITY_LOGIN_RATE_LIMIT": "1000000 per minute",
            "EXAM_BIND": f"{host}:{self.port}",
            "EXAM_WORKERS": str(workers),
            "EXAM_LOG_LEVEL": "warning",
            **(env or {}),
        }
        self.worker_connections = worker_connections
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Cluster:
        cmd = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"),
               "--worker-connections", str(self.worker_connections), "--graceful-timeout", "2"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        _wait(lambda: requests.get(self.url + "/api/v1/time", timeout=1).ok and len(self.worker_pids()) == self.workers,
              timeout, "server")
        return self

    def worker_pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [c.pid for c in psutil.Process(self.proc.pid).children()]

    def pids(self) -> list[int]:
        return ([self.proc.pid] if self.proc is not None else []) + self.worker_pids()

    def kill_worker(self) -> int:
        """SIGKILL the worker holding the most client connections (the master forks a new one,
        as in production)."""

        def clients(pid: int) -> int:
            return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
                       if c.laddr and c.laddr.port == self.port and c.status == psutil.CONN_ESTABLISHED)

        pid = max(self.worker_pids(), key=clients)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class Sampler:
    """CPU and memory of a changing set of processes (psutil), sampled by the caller."""

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self.samples: list[tuple[float, float, float]] = []  # (time, cpu %, rss MiB)

    def sample(self, pids: list[int]) -> None:
        cpu = rss = 0.0
        for pid in pids:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)
                    continue
                cpu += proc.cpu_percent(None)
                rss += proc.memory_info().rss / 2**20
            except psutil.Error:
                self._procs.pop(pid, None)
        self.samples.append((time.monotonic(), cpu, rss))

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {}
        cpus = [s[1] for s in self.samples[1:]] or [0.0]
        # CPU-seconds: each sample's percentage held over the interval before it
        cpu_s = sum(b[1] * (b[0] - a[0]) for a, b in itertools.pairwise(self.samples)) / 100
        return {"cpu_mean_pct": round(sum(cpus) / len(cpus), 1), "cpu_max_pct": round(max(cpus), 1),
                "cpu_s": round(cpu_s, 1), "rss_max_mib": round(max(s[2] for s in self.samples), 1)}

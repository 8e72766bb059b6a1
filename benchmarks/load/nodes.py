"""Several server nodes behind nginx, on one machine: what issue 14 calls "beyond one machine".

Each node is a gunicorn process group (`Cluster`) bound to its own loopback address
(127.0.0.2, 127.0.0.3, …), as a second machine would be; all share the run's PostgreSQL and
Redis, and nginx balances them with the proxy settings of `config/production/nginx.conf`
(websocket upgrade, forwarded headers, keepalive to the upstreams), over plain http.

One difference from the production file, and why: production pins clients with `ip_hash`
because long-polling needs every request of a Socket.IO session on the process that holds it.
The load generator speaks websocket only (one connection per session, so nothing to pin) and
every simulated candidate comes from 127.0.0.1, which `ip_hash` would send to a single node;
the benchmark balances with `least_conn` instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

from benchmarks.load.services import Cluster, _wait, free_port

NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 65536; }}
worker_rlimit_nofile 131072;
http {{
    access_log off;
    upstream exam_servers {{
        least_conn;
{servers}
        keepalive 64;
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 20m;
        location /socket.io/ {{
            proxy_pass http://exam_servers;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://exam_servers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def nginx_available() -> bool:
    return shutil.which("nginx") is not None


class Balanced:
    """`nodes` Clusters of `workers` workers each behind one nginx; the same interface as a
    Cluster (url, start, stop, pids, worker_pids, kill_worker), so a run takes either."""

    def __init__(self, database_url: str, redis_url: str, directory: Path, *, nodes: int = 2, workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.dir = directory
        # one Redis prefix for every node, as one deployment has: its channels carry the pushes
        # between nodes (each Cluster alone picks a fresh one)
        shared = {"EXAM_REDIS_PREFIX": f"load-{uuid.uuid4().hex[:8]}", **(env or {})}
        self.nodes = [Cluster(database_url, redis_url, directory, workers=workers, env=shared, host=f"127.0.0.{2 + i}")
                      for i in range(nodes)]
        self.workers = nodes * workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Balanced:
        for node in self.nodes:
            node.start(timeout)
        servers = "\n".join(f"        server {n.host}:{n.port} max_fails=0;" for n in self.nodes)
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.dir, servers=servers, port=self.port))
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        import requests

        _wait(lambda: requests.get(self.url + "/api/v1/time", timeout=1).ok, timeout, "nginx")
        return self

    def worker_pids(self) -> list[int]:
        return [pid for node in self.nodes for pid in node.worker_pids()]

    def pids(self) -> list[int]:
        """Every server-side process: each node's gunicorn master and workers, and nginx's."""
        import psutil

        own = [pid for node in self.nodes for pid in node.pids()]
        if self.proc is None or self.proc.poll() is not None:
            return own
        return own + [self.proc.pid] + [c.pid for c in psutil.Process(self.proc.pid).children()]

    def kill_worker(self) -> int:
        return max(self.nodes, key=lambda n: len(n.worker_pids())).kill_worker()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        for node in self.nodes:
            node.stop()

"""A real exam server in its own process, for the check-in end-to-end tests.

`python -m tests.client.live_server DATABASE_URL PORT INSTANCE_DIR` serves the app on
127.0.0.1:PORT (threaded werkzeug: the station only needs HTTP). `LiveServer` starts it, waits
until it answers, and can stop and restart it on the same port ("the server goes away").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    def __init__(self, database_url: str, port: int, instance: Path) -> None:
        self.database_url = database_url
        self.port = port
        self.instance = instance
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LiveServer:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (self.instance / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.client.live_server", self.database_url, str(self.port), str(self.instance)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.instance / 'server.log'}")
            try:
                if requests.get(f"{self.url}/api/v1/time", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def main() -> None:
    from werkzeug.serving import make_server

    from exam_server.app import create_app

    database_url, port, instance = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": instance, "SOCKETIO_ASYNC_MODE": "threading",
                      "REDIS_URL": "", "SECRET_KEY": "live-server-test-secret-3b7e1a9c5d2f8e4a", "SECURITY_LOGIN_RATE_LIMIT": "1000 per minute"})
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()  # SIGTERM ends the process


if __name__ == "__main__":
    main()

"""Real server processes (gunicorn + gevent worker, as in production) and a seeded sitting.

`seed_sitting(db_url)` builds one sitting with two rooms through the core services and opens
check-in; `ServerProcess` runs gunicorn with the production config (gevent worker) against that
database (and Redis when given) on a free port; `login_candidate` / `login_staff` return a
requests session carrying the signed session cookie, which socket clients reuse.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import ROOT, free_port

PASSWORD = "matkhau-123"
# A 1x1 PNG: the paper carries its images as Media, rendered from data: URLs.
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def questions() -> list[Any]:
    from question_bank.model import Answer, Media, Option, Pair, Question, Statement

    return [
        Question("single_choice", "Tính $\\sqrt{16}$. Xem hình: @@MEDIA/hinh1.png", 0.25,
                 options=[Option("A", "2"), Option("B", "4", 1.0), Option("C", "8"), Option("D", "16")],
                 media=[Media("hinh1.png", "image/png", PNG_1PX)]),
        Question("tf_cluster", "Xét hàm số $y = x^2$.", 1.0,
                 statements=[Statement("a", "Đồng biến trên $(0;+\\infty)$", True),
                             Statement("b", "Có cực đại", False), Statement("c", "Chẵn", True),
                             Statement("d", "Đi qua gốc toạ độ", True)]),
        Question("short_answer4", "Nghiệm của $2x + 3 = 0$?", 0.5, answers=[Answer("-1,5")]),
        Question("multiple_response", "Số nguyên tố?", 1.0,
                 options=[Option("A", "2", 0.5), Option("B", "3", 0.5), Option("C", "4", -1)]),
        Question("true_false", "Hà Nội là thủ đô.", 0.25, correct_bool=True),
        Question("matching", "Ghép thủ đô.", 1.0,
                 pairs=[Pair("l1", "Việt Nam", "Hà Nội"), Pair("l2", "Pháp", "Paris")]),
        Question("ordering", "Sắp xếp tăng dần.", 1.0,
                 options=[Option("o1", "3"), Option("o2", "1"), Option("o3", "2")]),
        Question("numeric", "Số pi (2 chữ số thập phân)?", 0.5, answers=[Answer("3,14", tolerance=0.01)]),
        Question("short_text", "Thủ đô của Việt Nam?", 0.5, answers=[Answer("Hà Nội")]),
        Question("essay", "Trình bày cảm nghĩ.", 2.0),
    ]


@dataclass
class Seeded:
    db_url: str
    sitting_id: int
    rooms: dict[str, int]
    # sbd -> {"registration", "attempt", "code", "room"}
    candidates: dict[str, dict[str, Any]]
    staff: dict[str, str] = field(default_factory=dict)  # username -> role


def make_app(db_url: str, instance: Path) -> Any:
    from exam_server.app import create_app

    return create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(instance), "SOCKETIO_ASYNC_MODE": "threading",
                       "SECRET_KEY": "test-secret-realtime-8c2e5a1f7b3d4e6f9a0b"})


def seed_sitting(db_url: str, instance: Path, *, duration_s: int = 1800, require_seb: bool = False,
                 seb_config: dict[str, Any] | None = None, grace_s: int = 2, extra_in_p01: int = 0,
                 paper: list[Any] | None = None, extra_codes: tuple[str, ...] = ()) -> Seeded:
    from exam_server.accounts.service import create_user
    from exam_server.attempts.control import attempt_for_registration
    from exam_server.db import session as dbs
    from exam_server.db import utcnow
    from exam_server.events.log import SERVER
    from exam_server.exams import lifecycle, service
    from exam_server.exams.candidate_login import issue_login_code
    from exam_server.exams.papers import add_paper
    from tests.support.schema import ensure_schema

    app = make_app(db_url, instance)
    with app.app_context():
        ensure_schema(app)
        tag = uuid.uuid4().hex[:6]
        examiner = create_user(f"hd_{tag}", PASSWORD, "examiner")
        inv_a = create_user(f"cbA_{tag}", PASSWORD, "invigilator")
        inv_b = create_user(f"cbB_{tag}", PASSWORD, "invigilator")
        exam = service.create_exam(f"K{tag}", "Kỳ thi thử")
        sitting = service.create_sitting(exam.id, "Ca 1 — Toán", utcnow(), duration_s, grace_s=grace_s,
                                         allow_password_login=True)
        sitting.require_seb = require_seb
        sitting.seb_config = seb_config or {}
        room_a = service.create_room(sitting.id, "P01", ["M01", "M02", "M03", "M04"], invigilators=[inv_a])
        room_b = service.create_room(sitting.id, "P02", ["M01", "M02"], invigilators=[inv_b])
        people = [("010001", "Nguyễn Văn An", room_a), ("010002", "Trần Thị Bình", room_a),
                  ("010003", "Lê Văn Cường", room_a), ("020001", "Phạm Thị Dung", room_b)]
        people += [(f"01{n + 100:04d}", f"Thí sinh {n}", room_a) for n in range(extra_in_p01)]
        regs = []
        for i, (sbd, name, room) in enumerate(people):
            regs.append(service.add_registration(
                sitting.id, sbd=sbd, full_name=name, dob=date(2008, 1, 1 + i % 28), citizen_id=f"0012080{i:05d}",
                room_id=room.id, seat=f"M0{i % 3 + 1}"))
        add_paper(dbs, sitting.id, "0101", paper or questions())
        for code in extra_codes:  # further codes: the same questions in reverse order
            add_paper(dbs, sitting.id, code, list(reversed(paper or questions())))
        dbs.commit()
        lifecycle.open_checkin(sitting.id, SERVER)
        candidates = {}
        for reg in regs:
            code, _ = issue_login_code(reg.id, SERVER)
            attempt = attempt_for_registration(reg.id)
            candidates[reg.sbd] = {"registration": reg.id, "attempt": attempt.id, "code": code, "room": reg.room_id}
        seeded = Seeded(db_url, sitting.id, {"P01": room_a.id, "P02": room_b.id}, candidates,
                        {examiner.username: "examiner", inv_a.username: "invigilator_a",
                         inv_b.username: "invigilator_b"})
        dbs.rollback()
    return seeded


class ServerProcess:
    """The server as `exam-server run` starts it (gunicorn, config/gunicorn.conf.py: gevent
    worker) with one worker on a free port."""

    def __init__(self, db_url: str, instance: Path, redis_url: str = "", redis_prefix: str = "",
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": db_url, "SECRET_KEY": "test-secret-realtime-8c2e5a1f7b3d4e6f9a0b", "REDIS_URL": redis_url,
            "EXAM_REDIS_PREFIX": redis_prefix or f"rt-{uuid.uuid4().hex[:8]}",
            "EXAM_SECURITY_LOGIN_RATE_LIMIT": "1000 per minute", "EXAM_MONITOR_UPDATE_SECONDS": "0.3",
        })
        env.update(extra_env or {})
        self.log = instance / f"server-{self.port}.log"
        self._log_file = self.log.open("wb")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env.update({"EXAM_BIND": f"127.0.0.1:{self.port}", "EXAM_WORKERS": "1"})
        # the production settings (gevent worker), only a shorter wait for open sockets at exit
        self.proc = subprocess.Popen(
            [str(gunicorn), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "--graceful-timeout", "1"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(self.url + "/api/v1/time", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready: {self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log_file.close()


def _session_with_csrf(base: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = s.get(base + "/api/v1/auth/csrf", timeout=5).json()["csrf_token"]
    return s, token


def login_candidate(base: str, code: str) -> requests.Session:
    s, token = _session_with_csrf(base)
    r = s.post(base + "/api/v1/auth/candidate-login", json={"code": code}, headers={"X-CSRFToken": token}, timeout=10)
    assert r.ok, r.text
    s.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return s


def login_staff(base: str, username: str) -> requests.Session:
    s, token = _session_with_csrf(base)
    r = s.post(base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD},
               headers={"X-CSRFToken": token}, timeout=10)
    assert r.ok, r.text
    s.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return s


class Recorder:
    """A socket client that records pushed events for polling assertions."""

    def __init__(self, http: requests.Session) -> None:
        self.client = socketio.Client(http_session=http, reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.client.on("*", self._any, namespace="*")

    def _any(self, event: str, namespace: str, data: Any = None) -> None:
        self.received.append((event, data))

    def connect(self, base: str, namespace: str, auth: dict[str, Any] | None = None) -> None:
        self.client.connect(base, namespaces=[namespace], transports=["websocket"], auth=auth,
                            wait_timeout=10)

    def call(self, event: str, data: Any, namespace: str) -> Any:
        return self.client.call(event, data, namespace=namespace, timeout=10)

    def wait_for(self, predicate: Callable[[str, Any], bool], timeout: float = 5.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for event, data in list(self.received):
                if predicate(event, data):
                    return data
            time.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout}s; got {[e for e, _ in self.received][-20:]}")

    def close(self) -> None:
        self.client.disconnect()


def staff_action(base: str, http: requests.Session, path: str, body: dict[str, Any]) -> requests.Response:
    return http.post(base + path, json=body, timeout=10)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'exam.db'}"


@pytest.fixture
def seeded(sqlite_url: str, tmp_path: Path) -> Seeded:
    return seed_sitting(sqlite_url, tmp_path)


@pytest.fixture
def server(seeded: Seeded, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(seeded.db_url, tmp_path)
    yield proc
    proc.stop()

"""A server process SIGKILLed mid-exam loses no acknowledged answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from exam_server.db import session as db
from tests.server.conftest import make_app
from tests.support.seed import CANDIDATE_PASSWORD, seed_sitting
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def _login(base: str, sitting_id: int, sbd: str) -> tuple[requests.Session, int, str]:
    s = requests.Session()
    token = s.get(base + "/api/v1/auth/csrf", timeout=5).json()["csrf_token"]
    r = s.post(base + "/api/v1/auth/candidate-login", json={"sitting_id": sitting_id, "sbd": sbd,
               "password": CANDIDATE_PASSWORD}, headers={"X-CSRFToken": token}, timeout=5)
    r.raise_for_status()
    return s, r.json()["attempt_id"], r.json()["csrf_token"]


# One save at a time per candidate, and a storm of 16 candidates whose saves share group-commit
# batches (a wider window, the save limit lifted): killed mid-way, neither loses an acknowledged save.
CASES = {
    "paced": {"rooms": 1, "per_room": 4, "acks": 80, "env": {}},
    "group-commit storm": {"rooms": 2, "per_room": 8, "acks": 400, "env": {
        "EXAM_AUTOSAVE_GROUP_COMMIT": "true", "EXAM_AUTOSAVE_GROUP_COMMIT_WINDOW_MS": "5",
        "EXAM_SECURITY_SAVE_RATE_LIMIT": "1000 per second"}},
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_sigkill_mid_exam_loses_no_acknowledged_answer(database_url: str, tmp_path: Path, case: str) -> None:
    spec = CASES[case]
    app = make_app(database_url, tmp_path / "inst")
    with app.app_context():
        seeded = seed_sitting(start=True, duration_s=3600, rooms=spec["rooms"], per_room=spec["per_room"])
        db.rollback()
    server = ServerProcess(database_url, tmp_path / "inst", env=spec["env"]).start()
    try:
        candidates = [_login(server.url, seeded.sitting_id, sbd) for sbd in seeded.sbds]
        acked: dict[tuple[int, int], int] = {}  # (attempt, question) -> highest acknowledged seq
        lock = threading.Lock()
        stop = threading.Event()

        def typing(session: requests.Session, attempt_id: int, token: str) -> None:
            seq = 0
            while not stop.is_set():
                seq += 1
                q = 4 if seq % 2 else 8  # short text and essay: the value names its seq
                try:
                    r = session.put(f"{server.url}/api/v1/attempts/{attempt_id}/responses/{q}",
                                    json={"seq": seq, "value": f"v{seq}"}, headers={"X-CSRFToken": token}, timeout=10)
                except requests.RequestException:
                    return  # the server died under us: this save was never acknowledged
                if r.status_code == 200 and r.json()["status"] == "saved":
                    with lock:
                        acked[(attempt_id, q)] = max(acked.get((attempt_id, q), 0), seq)

        threads = [threading.Thread(target=typing, args=c) for c in candidates]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 2 * len(candidates) or sum(acked.values()) < spec["acks"]:
            assert time.monotonic() < deadline, "saves are not being acknowledged"
            time.sleep(0.05)
        server.kill()  # mid-stream: requests are in flight
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert acked

        server.start()
        for session, attempt_id, _token in candidates:
            view = session.get(f"{server.url}/api/v1/attempt", timeout=5).json()
            for q in (4, 8):
                if (attempt_id, q) not in acked:
                    continue
                stored = view["responses"][str(q)]
                assert stored["seq"] >= acked[(attempt_id, q)]
                assert stored["value"] == f"v{stored['seq']}"
    finally:
        server.stop()

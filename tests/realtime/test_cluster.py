"""Two server processes sharing PostgreSQL and Redis: whichever process handles an action,
every socket sees it (Flask-SocketIO's Redis message queue, and the batches of states that
`socket_rooms.emit_each` puts on it as one message)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.realtime.conftest import Recorder, ServerProcess, login_candidate, login_staff, seed_sitting

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
EXAM, MONITOR = "/exam", "/monitor"


def test_action_on_one_process_reaches_client_on_the_other(postgres_url: str, redis_url: str,
                                                            tmp_path: Path) -> None:
    seeded = seed_sitting(postgres_url, tmp_path)
    prefix = f"rt-cluster-{uuid.uuid4().hex[:8]}"
    one = ServerProcess(postgres_url, tmp_path, redis_url, prefix)
    two = ServerProcess(postgres_url, tmp_path, redis_url, prefix)
    clients: list[Recorder] = []
    try:
        inv = next(n for n, r in seeded.staff.items() if r == "invigilator_a")
        cand = seeded.candidates["010001"]
        # the candidate and a dashboard live on process two ...
        candidate = Recorder(login_candidate(two.url, cand["code"]))
        candidate.connect(two.url, EXAM, {"attempt": cand["attempt"]})
        dashboard = Recorder(login_staff(two.url, inv))
        dashboard.connect(two.url, MONITOR)
        # ... and a neighbour on process one: the room's start reaches both in one batch
        neighbour_reg = next(c for sbd, c in seeded.candidates.items()
                             if sbd != "010001" and c["room"] == seeded.rooms["P01"])
        neighbour = Recorder(login_candidate(one.url, neighbour_reg["code"]))
        neighbour.connect(one.url, EXAM, {"attempt": neighbour_reg["attempt"]})
        clients += [candidate, dashboard, neighbour]
        assert dashboard.call("watch", {"room": seeded.rooms["P01"]}, MONITOR)["ok"]

        # ... while the invigilator acts through process one
        staff = login_staff(one.url, inv)
        room = seeded.rooms["P01"]
        assert staff.post(f"{one.url}/api/v1/rooms/{room}/start", json={}, timeout=10).ok
        for page, reg in ((candidate, cand), (neighbour, neighbour_reg)):
            # each page its own state, none of the other's
            page.wait_for(lambda e, d, a=reg["attempt"]: e == "state" and d["attempt"] == a
                          and d["phase"] == "writing", timeout=3)
            assert all(d["attempt"] == reg["attempt"] for e, d in page.received if e == "state")
        assert staff.post(f"{one.url}/api/v1/rooms/{room}/pause", json={"reason": "Kiểm tra"}, timeout=10).ok
        candidate.wait_for(lambda e, d: e == "state" and d["phase"] == "paused", timeout=3)
        dashboard.wait_for(lambda e, d: e == "rows" and any(
            r["attempt"] == cand["attempt"] and r["state"] == "paused" for r in d["rows"]), timeout=3)

        # a dashboard on process one sees the candidate (connected to two) online, and its saves
        other_dash = Recorder(staff)
        other_dash.connect(one.url, MONITOR)
        clients.append(other_dash)
        snap = other_dash.call("watch", {"room": room}, MONITOR)
        row = next(r for r in snap["rows"] if r["attempt"] == cand["attempt"])
        assert row["online"] is True and row["state"] == "paused"
        assert staff.post(f"{one.url}/api/v1/rooms/{room}/resume", json={}, timeout=10).ok
        candidate.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=3)
        ack = candidate.call("save", {"attempt": cand["attempt"], "q": 1, "seq": 1, "value": "B"}, EXAM)
        assert ack["ok"]
        other_dash.wait_for(lambda e, d: e == "rows" and any(
            r["attempt"] == cand["attempt"] and r["answered"] == 1 for r in d["rows"]), timeout=3)
    finally:
        for c in clients:
            c.close()
        one.stop()
        two.stop()

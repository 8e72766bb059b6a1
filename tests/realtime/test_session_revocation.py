"""Revoked logins lose their sockets (issue #12, item 4), over real gunicorn/gevent processes.

The attack: after a workstation move the old PC's socket kept saving, and a copied cookie kept
its socket after logout. Now the socket receives `session_revoked` (in the page's language) and
is disconnected, also when the revocation happens in another process (Redis pub/sub).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio

from tests.realtime.conftest import (
    Recorder,
    Seeded,
    ServerProcess,
    login_candidate,
    login_staff,
    seed_sitting,
)

EXAM, MONITOR = "/exam", "/monitor"


def _wait_disconnected(rec: Recorder, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and rec.client.connected:
        time.sleep(0.05)
    assert not rec.client.connected, "the revoked socket is still connected"


def _invigilator(seeded: Seeded) -> str:
    return next(n for n, r in seeded.staff.items() if r == "invigilator_a")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_move_on_one_process_disconnects_the_old_pc_on_the_other(postgres_url: str, redis_url: str,
                                                                 tmp_path: Path) -> None:
    seeded = seed_sitting(postgres_url, tmp_path)
    prefix = f"rt-revoke-{uuid.uuid4().hex[:8]}"
    one = ServerProcess(postgres_url, tmp_path, redis_url, prefix)
    two = ServerProcess(postgres_url, tmp_path, redis_url, prefix)
    clients: list[Recorder] = []
    try:
        cand = seeded.candidates["010001"]
        old_http = login_candidate(two.url, cand["code"])
        old_pc = Recorder(old_http)
        old_pc.connect(two.url, EXAM, {"attempt": cand["attempt"]})
        clients.append(old_pc)
        staff = login_staff(one.url, _invigilator(seeded))
        room = seeded.rooms["P01"]
        assert staff.post(f"{one.url}/api/v1/rooms/{room}/start", json={}, timeout=10).ok
        old_pc.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=5)
        assert old_pc.call("save", {"attempt": cand["attempt"], "q": 1, "seq": 1, "value": "B"}, EXAM)["ok"]

        # the invigilator moves the candidate from a dashboard on process one
        dash = Recorder(staff)
        dash.connect(one.url, MONITOR)
        clients.append(dash)
        moved = dash.call("action", {"kind": "attempt.move", "attempt": cand["attempt"], "seat": "M04",
                                     "reason": "Máy hỏng"}, MONITOR)
        assert moved["ok"], moved
        told = old_pc.wait_for(lambda e, d: e == "session_revoked", timeout=5)
        assert told["code"] == "accounts.session_revoked" and "đã kết thúc" in told["message"]
        _wait_disconnected(old_pc)

        # its cookie cannot open a new socket either: the journal cannot replay over newer answers
        again = socketio.Client(http_session=old_http, reconnection=False)
        refusals: list[object] = []
        again.on("connect_error", refusals.append, namespace=EXAM)
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(two.url, namespaces=[EXAM], transports=["websocket"], auth={"attempt": cand["attempt"]},
                          wait_timeout=10)
        assert refusals and refusals[0]["data"]["code"] == "accounts.session_revoked", refusals  # type: ignore[index]
        r = old_http.put(f"{two.url}/api/v1/attempts/{cand['attempt']}/responses/1",
                                       json={"seq": 9, "value": "D"}, timeout=10)
        assert r.status_code == 401 and r.json()["code"] == "accounts.session_revoked"

        # the new workstation carries on with the answer the server holds
        new_pc = Recorder(login_candidate(one.url, moved["code"]))
        new_pc.connect(one.url, EXAM, {"attempt": cand["attempt"]})
        clients.append(new_pc)
        hello = new_pc.call("hello", {"attempt": cand["attempt"]}, EXAM)
        assert hello["answers"]["1"]["value"] == "B"
    finally:
        for c in clients:
            c.close()
        one.stop()
        two.stop()


@pytest.mark.slow
def test_logout_disconnects_a_copied_cookies_socket(seeded: Seeded, server: ServerProcess) -> None:
    """One process, no Redis: handled at once in the process; the message follows ?lang=en."""
    cand = seeded.candidates["010002"]
    browser = login_candidate(server.url, cand["code"])
    thief_http = requests.Session()
    thief_http.cookies.update(browser.cookies)
    thief = Recorder(thief_http)
    thief.client.connect(server.url + "?lang=en", namespaces=[EXAM], transports=["websocket"],
                         auth={"attempt": cand["attempt"]}, wait_timeout=10)
    try:
        assert thief.call("hello", {"attempt": cand["attempt"]}, EXAM)["ok"]
        assert browser.post(f"{server.url}/api/v1/auth/logout", timeout=10).ok
        told = thief.wait_for(lambda e, d: e == "session_revoked", timeout=5)
        assert told["code"] == "accounts.session_revoked" and told["message"].startswith("This login has ended")
        _wait_disconnected(thief)
    finally:
        thief.close()

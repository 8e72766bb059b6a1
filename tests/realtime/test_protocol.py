"""The candidate and monitor socket protocol against a real gunicorn+gevent server process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

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

pytestmark = pytest.mark.slow
EXAM, MONITOR = "/exam", "/monitor"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded, Seeded]]:
    """One server; a normal sitting and a second one whose papers last three seconds."""
    tmp = tmp_path_factory.mktemp("protocol")
    url = f"sqlite:///{tmp / 'exam.db'}"
    main = seed_sitting(url, tmp)
    short = seed_sitting(url, tmp, duration_s=3, grace_s=1)
    server = ServerProcess(url, tmp)
    yield server, main, short
    server.stop()


def staff_named(seeded: Seeded, role: str) -> str:
    return next(name for name, r in seeded.staff.items() if r == role)


def candidate_client(server: ServerProcess, seeded: Seeded, sbd: str) -> tuple[Recorder, int]:
    """A new socket for the candidate, from the same browser session (codes are one-time)."""
    cand = seeded.candidates[sbd]
    if "http" not in cand:
        cand["http"] = login_candidate(server.url, cand["code"])
    http = cand["http"]
    rec = Recorder(http)
    rec.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    return rec, cand["attempt"]


def start_room(server: ServerProcess, seeded: Seeded, room: str) -> None:
    http = login_staff(server.url, staff_named(seeded, "invigilator_a" if room == "P01" else "invigilator_b"))
    r = http.post(f"{server.url}/api/v1/rooms/{seeded.rooms[room]}/start", json={"reason": ""}, timeout=10)
    assert r.status_code in (200, 409), r.text  # 409: started by an earlier test


def test_a_slow_answer_to_a_ping_does_not_count_as_a_dead_page(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    """The engine.io handshake gives pages `[server] socket_ping_timeout` (60 s), not the 20 s
    default under which a page whose event waited in a storm was dropped while alive."""
    server, _, _ = world
    r = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert r.ok and r.text.startswith("0")
    opened = json.loads(r.text[1:])
    assert (opened["pingInterval"], opened["pingTimeout"]) == (25000, 60000)


def test_waiting_then_start_pushes_paper(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    rec, attempt = candidate_client(server, seeded, "010001")
    try:
        hello = rec.call("hello", {"attempt": attempt}, EXAM)
        assert hello["ok"] and hello["state"]["phase"] == "waiting"
        assert hello["paper"] is None  # nothing of the paper before the start
        start_room(server, seeded, "P01")
        pushed = rec.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=3)
        assert pushed["deadline"] > pushed["server_time"]
        hello = rec.call("hello", {"attempt": attempt}, EXAM)
        assert len(hello["paper"]) == 10
        assert "answers" not in hello["paper"][2] and "options" in hello["paper"][0]
        # the public form carries no keys or credits
        assert all("fraction" not in o for o in hello["paper"][0]["options"])
    finally:
        rec.close()


def test_save_ack_duplicate_superseded_and_bad_value(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    start_room(server, seeded, "P01")
    rec, attempt = candidate_client(server, seeded, "010002")
    try:
        ack = rec.call("save", {"attempt": attempt, "q": 1, "seq": 5, "value": "B"}, EXAM)
        assert ack["ok"] and ack["status"] == "saved" and ack["stored_seq"] == 5
        again = rec.call("save", {"attempt": attempt, "q": 1, "seq": 5, "value": "B"}, EXAM)
        assert again["ok"] and again["status"] == "duplicate"
        older = rec.call("save", {"attempt": attempt, "q": 1, "seq": 4, "value": "A"}, EXAM)
        assert older["ok"] and older["status"] == "superseded" and older["stored_seq"] == 5
        bad = rec.call("save", {"attempt": attempt, "q": 3, "seq": 6, "value": "12345"}, EXAM)
        assert not bad["ok"] and bad["code"] == "attempts.bad_value" and bad["retry"] is False
        hello = rec.call("hello", {"attempt": attempt}, EXAM)
        assert hello["answers"]["1"] == {"value": "B", "seq": 5}
        assert "3" not in hello["answers"]
    finally:
        rec.close()


def test_replay_after_reconnect_is_idempotent(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    start_room(server, seeded, "P01")
    cand = seeded.candidates["010003"]
    http = cand.get("http") or login_candidate(server.url, cand["code"])
    cand["http"] = http
    journal = [
        {"attempt": cand["attempt"], "q": 2, "seq": 1, "value": {"a": True}},
        {"attempt": cand["attempt"], "q": 3, "seq": 2, "value": "-1,5"},
        {"attempt": cand["attempt"], "q": 2, "seq": 3, "value": {"a": True, "b": False}},
    ]
    first = Recorder(http)
    first.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    assert first.call("save", journal[0], EXAM)["ok"]
    first.close()  # the network drops before the rest is acknowledged

    second = Recorder(http)
    second.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    try:
        hello = second.call("hello", {"attempt": cand["attempt"]}, EXAM)
        assert hello["max_seq"] == 1
        # the page replays its whole journal, including the entry already acknowledged
        statuses = [second.call("save", entry, EXAM)["status"] for entry in journal]
        assert statuses == ["duplicate", "saved", "saved"]
        assert [second.call("save", entry, EXAM)["status"] for entry in journal] == [
            "superseded", "duplicate", "duplicate"]
        hello = second.call("hello", {"attempt": cand["attempt"]}, EXAM)
        assert hello["answers"]["2"] == {"value": {"a": True, "b": False}, "seq": 3}
        assert hello["answers"]["3"] == {"value": "-1,5", "seq": 2}
        assert hello["max_seq"] == 3
    finally:
        second.close()


def test_pause_resume_and_extra_time_are_pushed(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    start_room(server, seeded, "P01")
    rec, attempt = candidate_client(server, seeded, "010001")
    staff = login_staff(server.url, staff_named(seeded, "invigilator_a"))
    room = seeded.rooms["P01"]
    try:
        before = rec.call("hello", {"attempt": attempt}, EXAM)["state"]
        r = staff.post(f"{server.url}/api/v1/rooms/{room}/pause", json={"reason": "Mất điện"}, timeout=10)
        assert r.ok, r.text
        paused = rec.wait_for(lambda e, d: e == "state" and d["phase"] == "paused", timeout=3)
        assert paused["deadline"] is None and paused["remaining"] > 0
        r = staff.post(f"{server.url}/api/v1/rooms/{room}/resume", json={"reason": ""}, timeout=10)
        assert r.ok, r.text
        resumed = rec.wait_for(lambda e, d: e == "state" and d["phase"] == "writing" and d["server_time"] > paused["server_time"], timeout=3)
        assert resumed["deadline"] >= before["deadline"]  # the paused time is credited
        r = staff.post(f"{server.url}/api/v1/attempts/{attempt}/extra-time",
                       json={"seconds": 300, "reason": "Khuyết tật"}, timeout=10)
        assert r.ok, r.text
        extra = rec.wait_for(lambda e, d: e == "state" and d.get("extra_seconds_added") == 300, timeout=3)
        assert extra["deadline"] - resumed["deadline"] >= 300_000
    finally:
        rec.close()


def test_deadline_submits_and_late_saves_are_refused(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, _, short = world
    start_room(server, short, "P02")
    rec, attempt = candidate_client(server, short, "020001")
    try:
        assert rec.call("save", {"attempt": attempt, "q": 1, "seq": 1, "value": "B"}, EXAM)["ok"]
        # the server closes the attempt at deadline + grace on its own and pushes the end
        ended = rec.wait_for(lambda e, d: e == "state" and d["phase"] == "submitted", timeout=10)
        assert ended["forced"] is True
        late = rec.call("save", {"attempt": attempt, "q": 1, "seq": 2, "value": "C"}, EXAM)
        assert not late["ok"] and late["code"] in ("attempts.refused_submitted", "attempts.refused_deadline")
        assert late["retry"] is False
        hello = rec.call("hello", {"attempt": attempt}, EXAM)
        assert hello["answers"]["1"]["value"] == "B" and hello["paper"] is None
    finally:
        rec.close()


def test_authorization(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    mine, other = seeded.candidates["010002"], seeded.candidates["010001"]
    # anonymous: refused at the handshake of either namespace
    for ns in (EXAM, MONITOR):
        anon = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            anon.connect(server.url, namespaces=[ns], transports=["websocket"], auth={"attempt": other["attempt"]},
                         wait_timeout=5)
        anon.disconnect()

    # a candidate naming someone else's attempt is refused; so is the monitor namespace
    staff = login_staff(server.url, staff_named(seeded, "invigilator_a"))
    code = staff.post(f"{server.url}/api/v1/registrations/{mine['registration']}/login-code", json={},
                      timeout=10).json()["code"]
    cand_http = login_candidate(server.url, code)
    for ns, auth in ((EXAM, {"attempt": other["attempt"]}), (MONITOR, None)):
        c = socketio.Client(http_session=cand_http, reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            c.connect(server.url, namespaces=[ns], transports=["websocket"], auth=auth, wait_timeout=5)
        c.disconnect()
    # another web site cannot ride on the candidate's cookies (cross-site websocket hijacking)
    evil = socketio.Client(http_session=cand_http, reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        evil.connect(server.url, namespaces=[EXAM], transports=["websocket"], auth={"attempt": mine["attempt"]},
                     headers={"Origin": "http://evil.example"}, wait_timeout=5)
    evil.disconnect()
    rec = Recorder(cand_http)
    rec.connect(server.url, EXAM, {"attempt": mine["attempt"]})
    try:
        refused = rec.call("save", {"attempt": other["attempt"], "q": 1, "seq": 99, "value": "A"}, EXAM)
        assert not refused["ok"] and refused["code"] == "live.error.forbidden"
        assert rec.call("hello", {"attempt": other["attempt"]}, EXAM)["code"] == "live.error.forbidden"
    finally:
        rec.close()

    # invigilator of room B cannot watch or act on room A; the examiner sees the whole sitting
    inv_b = Recorder(login_staff(server.url, staff_named(seeded, "invigilator_b")))
    inv_b.connect(server.url, MONITOR)
    try:
        assert inv_b.call("watch", {"room": seeded.rooms["P01"]}, MONITOR)["ok"] is False
        assert inv_b.call("watch", {"sitting": seeded.sitting_id}, MONITOR)["ok"] is False
        assert inv_b.call("watch", {"room": seeded.rooms["P02"]}, MONITOR)["ok"] is True
        denied = inv_b.call("action", {"kind": "attempt.lock", "attempt": other["attempt"], "reason": "x"}, MONITOR)
        assert denied["ok"] is False and denied["code"] == "monitor.error.forbidden"
    finally:
        inv_b.close()
    exam = Recorder(login_staff(server.url, staff_named(seeded, "examiner")))
    exam.connect(server.url, MONITOR)
    try:
        snap = exam.call("watch", {"sitting": seeded.sitting_id}, MONITOR)
        # the overview: a tile per room (aggregates), no candidate rows until a room is opened
        assert snap["ok"] and snap["rows"] == [] and {r["name"] for r in snap["rooms"]} == {"P01", "P02"}
        assert sum(o["total"] for o in snap["overview"]) == 4
        opened = exam.call("watch", {"sitting": seeded.sitting_id, "room": seeded.rooms["P02"]}, MONITOR)
        assert opened["ok"] and {r["room_name"] for r in opened["rows"]} == {"P02"} and len(opened["overview"]) == 2
    finally:
        exam.close()



def candidate_and_dashboard(server: ServerProcess, staff: requests.Session, target: dict[str, Any]) -> tuple[Recorder, Recorder]:
    """`target` logged in with a fresh code from `staff` and connected to /exam, and `staff`'s dashboard."""
    code = staff.post(f"{server.url}/api/v1/registrations/{target['registration']}/login-code", json={},
                      timeout=10).json()["code"]
    cand = Recorder(login_candidate(server.url, code))
    cand.connect(server.url, EXAM, {"attempt": target["attempt"]})
    dash = Recorder(staff)
    dash.connect(server.url, MONITOR)
    return cand, dash


def test_monitor_actions_reach_candidate_and_dashboard(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    start_room(server, seeded, "P01")
    staff = login_staff(server.url, staff_named(seeded, "invigilator_a"))
    target = seeded.candidates["010003"]
    cand, dash = candidate_and_dashboard(server, staff, target)
    attempt = target["attempt"]
    try:
        snap = dash.call("watch", {"room": seeded.rooms["P01"]}, MONITOR)
        row = next(r for r in snap["rows"] if r["attempt"] == attempt)
        assert row["online"] is True and row["state"] == "writing"
        assert [r["name"] for r in snap["rooms"]] == ["P01"]  # a room snapshot: that room's seats only

        def act(**body: object) -> dict:
            return dash.call("action", body, MONITOR)

        assert act(kind="attempt.message", attempt=attempt, text="Còn 10 phút")["ok"]
        msg = cand.wait_for(lambda e, d: e == "message", timeout=2)
        assert msg["text"] == "Còn 10 phút"
        assert act(kind="room.message", room=seeded.rooms["P01"], text="Giữ trật tự")["ok"]
        cand.wait_for(lambda e, d: e == "message" and d["text"] == "Giữ trật tự", timeout=2)

        assert act(kind="attempt.lock", attempt=attempt, reason="Đổi máy")["ok"]
        cand.wait_for(lambda e, d: e == "state" and d["phase"] == "locked", timeout=2)
        locked = cand.call("save", {"attempt": attempt, "q": 5, "seq": 50, "value": True}, EXAM)
        assert locked["ok"] is False and locked["retry"] is True  # the page keeps it for later
        assert act(kind="attempt.unlock", attempt=attempt, reason="")["ok"]
        cand.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=2)
        assert cand.call("save", {"attempt": attempt, "q": 5, "seq": 50, "value": True}, EXAM)["ok"]

        # moving workstation: a code bound to the new seat; there the candidate finds every answer
        moved = act(kind="attempt.move", attempt=attempt, seat="M04")
        assert moved["ok"] and len(moved["code"]) == 8 and moved["seat"] == "M04"
        # the old workstation's login ends at once: its socket is told why and disconnected
        assert cand.wait_for(lambda e, d: e == "session_revoked", timeout=3)["code"] == "accounts.session_revoked"
        elsewhere = Recorder(login_candidate(server.url, moved["code"]))
        elsewhere.connect(server.url, EXAM, {"attempt": attempt})
        assert elsewhere.call("hello", {"attempt": attempt}, EXAM)["answers"]["5"]["value"] is True
        cand.close()
        cand = elsewhere  # the candidate sits at M04 from now on
        assert act(kind="attempt.move", attempt=attempt, seat="")["code"] == "monitor.error.unknown_action"

        assert act(kind="attempt.incident", attempt=attempt, text="Máy treo")["ok"]
        refused = act(kind="attempt.force_submit", attempt=attempt, reason="")
        assert refused["ok"] is False and refused["code"] == "monitor.error.reason_required"
        fs = act(kind="attempt.force_submit", attempt=attempt, reason="Vi phạm quy chế")
        assert fs["ok"], fs
        ended = cand.wait_for(lambda e, d: e == "state" and d["phase"] == "submitted", timeout=2)
        assert ended["forced"] is True
        bad = act(kind="attempt.explode", attempt=attempt)
        assert bad["ok"] is False and bad["code"] == "monitor.error.unknown_action"

        update = dash.wait_for(lambda e, d: e == "rows" and any(
            r["attempt"] == attempt and r["state"] == "submitted" for r in d["rows"]), timeout=3)
        row = next(r for r in update["rows"] if r["attempt"] == attempt)
        assert row["incidents"] == 1 and row["answered"] >= 1
    finally:
        cand.close()
        dash.close()


def test_dashboard_updates_are_coalesced(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    start_room(server, seeded, "P01")
    staff = login_staff(server.url, staff_named(seeded, "invigilator_a"))
    target = seeded.candidates["010001"]
    cand, dash = candidate_and_dashboard(server, staff, target)
    try:
        dash.call("watch", {"room": seeded.rooms["P01"]}, MONITOR)
        dash.received.clear()
        saves = 150
        for seq in range(1000, 1000 + saves):
            ack = cand.call("save", {"attempt": target["attempt"], "q": 9, "seq": seq, "value": f"v{seq}"}, EXAM)
            while ack.get("code") == "live.error.too_fast":  # the per-connection rate limit: retry later
                time.sleep(0.2)
                ack = cand.call("save", {"attempt": target["attempt"], "q": 9, "seq": seq, "value": f"v{seq}"}, EXAM)
            assert ack["ok"], ack
        dash.wait_for(lambda e, d: e == "rows" and any(r["attempt"] == target["attempt"] and r["last_save"]
                                                        for r in d["rows"]), timeout=3)
        time.sleep(0.7)  # let a last coalesced flush arrive
        updates = [d for e, d in dash.received if e == "rows"]
        # every save changed the row, yet the dashboard got a handful of messages, not sixty
        assert 1 <= len(updates) < saves / 5
    finally:
        cand.close()
        dash.close()


def test_checkin_progress_reaches_the_room_dashboard(world: tuple[ServerProcess, Seeded, Seeded]) -> None:
    server, seeded, _ = world
    staff = login_staff(server.url, staff_named(seeded, "invigilator_b"))
    dash = Recorder(staff)
    dash.connect(server.url, MONITOR)
    try:
        assert dash.call("watch", {"room": seeded.rooms["P02"]}, MONITOR)["ok"]
        dash.received.clear()
        reg = seeded.candidates["020001"]["registration"]
        r = staff.post(f"{server.url}/api/v1/registrations/{reg}/login-code", json={}, timeout=10)
        assert r.ok, r.text
        update = dash.wait_for(lambda e, d: e == "rows" and any(row["registration"] == reg for row in d["rows"]),
                               timeout=3)
        row = next(x for x in update["rows"] if x["registration"] == reg)
        # a code handed out is not arrival: not arrived yet, with the code issued
        assert row["state"] == "expected" and row["code_issued"] is True and row["online"] is False
        assert [r["name"] for r in update["rooms"]] == ["P02"]  # its own room's seats, not every room's
    finally:
        dash.close()


@pytest.mark.parametrize(("attempt_state", "room_state", "checked_in", "online", "entered", "expected"), [
    (None, "checkin_open", False, False, False, "expected"),
    (None, "checkin_open", True, False, False, "checked_in"),
    ("pending", "checkin_open", True, True, False, "waiting"),
    ("pending", "started", False, False, False, "absent"),
    ("active", "started", True, True, True, "writing"),
    ("paused", "paused", True, False, True, "paused"),
    ("submitted", "ended", True, False, True, "submitted"),
    # never logged in: the room's start ran their clock, but they are not writing
    ("active", "started", True, False, False, "checked_in"),
    ("active", "started", False, False, False, "absent"),
    ("paused", "paused", False, False, False, "absent"),
    ("submitted", "ended", True, False, False, "absent"),
])
def test_candidate_state(attempt_state: str | None, room_state: str, checked_in: bool, online: bool,
                         entered: bool, expected: str) -> None:
    from types import SimpleNamespace

    from exam_server.monitor.rows import candidate_state

    attempt = SimpleNamespace(state=attempt_state, entered_at=1 if entered else None) if attempt_state else None
    assert candidate_state(attempt, SimpleNamespace(state=room_state), checked_in, online) == expected  # type: ignore[arg-type]

"""Issue #12, answer integrity, over real sockets on PostgreSQL (gunicorn + gevent, as in
production): a (question, seq) stored with another value is a conflict naming what the server
holds; an older seq is superseded with the stored value; a submit sent right behind saves on
the same connection waits for them (one connection's events are handled in order)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.conftest import (
    Recorder,
    Seeded,
    ServerProcess,
    login_candidate,
    login_staff,
    seed_sitting,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
EXAM = "/exam"


@pytest.fixture(scope="module")
def world(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("integrity")
    seeded = seed_sitting(postgres_url, tmp)
    server = ServerProcess(postgres_url, tmp)
    inv = next(n for n, r in seeded.staff.items() if r == "invigilator_a")
    r = login_staff(server.url, inv).post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={},
                                          timeout=10)
    assert r.ok, r.text
    yield server, seeded
    server.stop()


def connect(server: ServerProcess, seeded: Seeded, sbd: str) -> tuple[Recorder, int, Any]:
    cand = seeded.candidates[sbd]
    http = login_candidate(server.url, cand["code"])
    rec = Recorder(http)
    rec.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    return rec, cand["attempt"], http


def stored(db_url: str, tmp: Path, attempt: int) -> tuple[dict[int, tuple[int, Any]], tuple[str, float | None]]:
    """question -> (seq, value) as the database holds them, and the attempt's (state, score)."""
    from sqlalchemy import select

    from exam_server.attempts.models import Attempt, Response
    from exam_server.db import session as db
    from tests.realtime.conftest import make_app

    app = make_app(db_url, tmp)
    with app.app_context():
        rows = db.execute(select(Response.question_no, Response.seq, Response.value)
                          .where(Response.attempt_id == attempt)).all()
        row = db.get(Attempt, attempt)
        state = (row.state, row.score)
        db.rollback()
        from exam_server.db import db as database

        database.engine(app).dispose()
    return {r.question_no: (r.seq, r.value) for r in rows}, state


def test_socket_conflict_and_superseded_carry_the_stored_value(world: tuple[ServerProcess, Seeded],
                                                               tmp_path: Path) -> None:
    server, seeded = world
    rec, attempt, http = connect(server, seeded, "010001")
    try:
        first = rec.call("save", {"attempt": attempt, "q": 1, "seq": 7, "value": "B"}, EXAM)
        assert first["ok"] and first["status"] == "saved"
        clash = rec.call("save", {"attempt": attempt, "q": 1, "seq": 7, "value": "C"}, EXAM)
        assert clash["ok"] is False and clash["code"] == "attempts.conflict"
        assert (clash["stored_seq"], clash["stored_value"]) == (7, "B")
        assert clash["retry"] is False and "câu 1" in clash["message"].lower()
        again = rec.call("save", {"attempt": attempt, "q": 1, "seq": 7, "value": "B"}, EXAM)
        assert again["ok"] and again["status"] == "duplicate"
        older = rec.call("save", {"attempt": attempt, "q": 1, "seq": 6, "value": "A"}, EXAM)
        assert older["ok"] and older["status"] == "superseded"
        assert (older["stored_seq"], older["stored_value"]) == (7, "B")
        # one save_answer contract: HTTP answers the same
        url = f"{server.url}/api/v1/attempts/{attempt}/responses/1"
        r = http.put(url, json={"seq": 7, "value": "D"}, timeout=10)
        assert r.status_code == 409
        assert {k: r.json()[k] for k in ("ok", "code", "stored_seq", "stored_value")} == {
            "ok": False, "code": "attempts.conflict", "stored_seq": 7, "stored_value": "B"}
        r = http.put(url, json={"seq": 2, "value": "D"}, timeout=10)
        assert r.ok and (r.json()["status"], r.json()["stored_seq"], r.json()["stored_value"]) == ("superseded", 7, "B")
        assert stored(seeded.db_url, tmp_path, attempt)[0][1] == (7, "B")
    finally:
        rec.close()


def test_submit_right_behind_saves_waits_for_them(world: tuple[ServerProcess, Seeded], tmp_path: Path) -> None:
    """Item 3: the socket submit did not wait: saves still being handled when the submit closed
    the attempt were refused and lost. Here 40 saves and the submit go out back to back on one
    connection; every save must be stored and graded."""
    server, seeded = world
    rec, attempt, _ = connect(server, seeded, "010002")
    acks: dict[int, dict[str, Any]] = {}
    done = threading.Event()
    saves = [(9, seq, f"nháp {seq}") for seq in range(1, 39)] + [(9, 39, "Hà Nội"), (1, 40, "B")]

    def ack_of(seq: int) -> Any:
        def got(reply: dict[str, Any]) -> None:
            acks[seq] = reply
            if len(acks) == len(saves):
                done.set()
        return got

    try:
        for q, seq, value in saves:
            rec.client.emit("save", {"attempt": attempt, "q": q, "seq": seq, "value": value}, namespace=EXAM,
                            callback=ack_of(seq))
        submitted = rec.call("submit", {"attempt": attempt}, EXAM)
        assert done.wait(10), f"{len(acks)} of {len(saves)} saves acknowledged"
        refused = {seq: a.get("code") for seq, a in acks.items() if not a["ok"]}
        assert refused == {}, refused
        assert submitted["ok"] and submitted["state"]["phase"] == "submitted"
        held, (state, score) = stored(seeded.db_url, tmp_path, attempt)
        assert held[9] == (39, "Hà Nội") and held[1] == (40, "B")
        assert state == "submitted" and score == pytest.approx(0.75)  # graded with the last saves
    finally:
        rec.close()

"""Dashboard pushes read only what changed, and the sitting overview is aggregated per room
(every state against the rows: tests/server/test_monitor_aggregates.py).

The broadcaster runs against the real database; its emits are recorded at the Socket.IO
boundary (what would go to the dashboard groups) so the payloads can be checked exactly."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sa_event

from exam_server.attempts.candidate import submit
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor
from exam_server.exams import candidate_login
from exam_server.monitor import rows as row_builder
from exam_server.monitor.broadcaster import Broadcaster, marks_for
from exam_server.realtime.presence import Presence
from tests.server.conftest import make_app
from tests.support.seed import seed_sitting


class Recorder:
    """Stands in for Flask-SocketIO's emit: the payload each dashboard group would receive."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def emit(self, name: str, payload: dict[str, Any], *, to: str, namespace: str) -> None:
        assert name == "rows" and namespace == "/monitor"
        self.sent.append((to, payload))

    def to(self, group: str) -> dict[str, Any]:
        [payload] = [p for g, p in self.sent if g == group]
        return payload


class Presences:
    def __init__(self, online: dict[int, Presence]) -> None:
        self.online = online

    def all(self, _sitting_id: int) -> dict[int, Presence]:
        return self.online


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    url = (f"sqlite:///{tmp_path / 'dash.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    app = make_app(url, tmp_path / "instance")
    with app.app_context():
        yield app
        db.get_bind().dispose()


def _statements(app: Flask) -> tuple[list[str], Any]:
    seen: list[str] = []

    me = threading.get_ident()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:  # not the app's own background pushes
            seen.append(statement)

    engine = app.extensions["exam_db"]["engine"]
    sa_event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: sa_event.remove(engine, "before_cursor_execute", before)


def test_entries_without_an_attempt_mark_only_what_they_changed() -> None:
    assert marks_for("checkin.accepted", 3, {"registration_id": 9}) == ("registration", 9)
    assert marks_for("login_code.issued", 3, {"registration_id": 9}) == ("registration", 9)
    assert marks_for("room.started", 3, {}) == ("room", 3)
    assert marks_for("roster.imported", None, {"rows": 40}) == ("sitting", None)
    assert marks_for("sitting.checkin_opened", None, {}) == ("info", None)
    assert marks_for("checkin.station_issued", 3, {"station": "Bàn 1"}) == ("info", None)


def test_a_push_carries_only_the_marked_rows_and_the_per_room_overview(app: Flask) -> None:
    seeded = seed_sitting(rooms=2, per_room=4, start=True)
    a1, a2 = seeded.attempt_ids[0], seeded.attempt_ids[5]
    submit(a1, seeded.registration_ids[0], Actor("candidate:t", registration_id=seeded.registration_ids[0]))
    presence = {a2: Presence(online=True, since=1.0)}
    recorder = Recorder()
    broadcaster = Broadcaster(app, recorder, Presences(presence))

    broadcaster.flush(seeded.sitting_id, {a1}, set(), set())
    only_attempt = recorder.to(f"mon:sitting:{seeded.sitting_id}")
    assert only_attempt["rows"] == []  # the overview gets no candidate rows...
    assert [o["room"] for o in only_attempt["overview"]] == [seeded.room_ids[0]]  # ...the touched room's tile
    assert only_attempt["rooms"] is None and only_attempt["sitting"] is None  # nothing room-level changed
    assert [r["attempt"] for r in recorder.to(f"mon:room:{seeded.room_ids[0]}")["rows"]] == [a1]
    recorder.sent.clear()

    broadcaster.flush(seeded.sitting_id, {a1}, set(), {seeded.registration_ids[5]})
    sitting = recorder.to(f"mon:sitting:{seeded.sitting_id}")
    assert sitting["rows"] == []
    assert [r["id"] for r in sitting["rooms"]] == seeded.room_ids  # a check-in is room-level progress
    room1 = recorder.to(f"mon:room:{seeded.room_ids[0]}")
    assert [r["attempt"] for r in room1["rows"]] == [a1] and room1["rows"][0]["state"] == "submitted"
    assert "overview" not in room1  # the room view has its rows; the overview is the sitting's
    assert [r["id"] for r in room1["rooms"]] == [seeded.room_ids[0]]  # its own seat list, not every room's
    assert [r["attempt"] for r in recorder.to(f"mon:room:{seeded.room_ids[1]}")["rows"]] == [a2]  # two rows, not eight

    overview = {o["room"]: o for o in sitting["overview"]}
    assert set(overview) == set(seeded.room_ids)
    # the aggregate agrees with the rows computed one by one
    full = row_builder.candidate_rows(db, seeded.sitting_id, presence, now=utcnow())
    for room_id in seeded.room_ids:
        mine = [r for r in full if r["room"] == room_id]
        states = Counter(r["state"] for r in mine)
        assert overview[room_id]["total"] == len(mine) == 4
        assert {k: v for k, v in overview[room_id]["states"].items() if v} == dict(states)
        assert overview[room_id]["online"] == sum(1 for r in mine if r["online"])
    assert overview[seeded.room_ids[0]]["states"]["submitted"] == 1
    assert overview[seeded.room_ids[1]]["online"] == 1


def test_a_sitting_state_change_reads_no_candidate_rows(app: Flask) -> None:
    seeded = seed_sitting(rooms=2, per_room=3, start=True)
    recorder = Recorder()
    broadcaster = Broadcaster(app, recorder, Presences({}))
    seen, stop = _statements(app)
    try:
        broadcaster.flush(seeded.sitting_id, set(), set(), set(), info=True)
    finally:
        stop()
    sitting = recorder.to(f"mon:sitting:{seeded.sitting_id}")
    assert sitting["rows"] == [] and sitting["sitting"]["id"] == seeded.sitting_id
    assert [r["id"] for r in sitting["rooms"]] == seeded.room_ids
    assert {o["room"] for o in sitting["overview"]} == set(seeded.room_ids)
    # every room's dashboard hears of it (its state may have changed), with no rows to read
    for room_id in seeded.room_ids:
        assert recorder.to(f"mon:room:{room_id}")["rows"] == []
    assert seen and not any("responses" in s.lower() for s in seen)  # no per-candidate reads at all


def test_a_checkin_pushes_that_candidate_only(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=5, start=False)
    reg = seeded.registration_ids[2]
    recorder = Recorder()
    broadcaster = Broadcaster(app, recorder, Presences({}))
    from exam_server.events.models import Event

    before = db.query(Event).count()
    candidate_login.issue_login_code(reg, Actor("invigilator:t"))
    db.commit()
    entry = db.query(Event).order_by(Event.id.desc()).first()
    assert db.query(Event).count() > before and entry is not None
    kind, key = marks_for(entry.action, entry.room_id, entry.data)
    assert (kind, key) == ("registration", reg)
    db.rollback()  # hand the (SQLite: only) connection to the broadcaster's own session
    broadcaster.flush(seeded.sitting_id, set(), set(), {reg})
    [row] = recorder.to(f"mon:room:{seeded.room_ids[0]}")["rows"]
    # a code handed out is not arrival: not arrived yet, with the code issued
    assert row["registration"] == reg and row["state"] == "expected" and row["code_issued"] is True


def test_candidates_who_never_logged_in_are_never_writing_and_the_overview_agrees(app: Flask) -> None:
    """Starting the sitting runs every pending attempt's clock; only a candidate who logged in
    is writing, the others are absent (a login code handed out is not arrival), and a disqualified
    paper is flagged; the per-room aggregate counts the same states as the rows."""
    from exam_server.attempts import disqualification
    from exam_server.attempts.models import Attempt

    seeded = seed_sitting(rooms=1, per_room=4, start=True)
    entered, coded, voided = (db.get(Attempt, a) for a in seeded.attempt_ids[:3])
    assert entered is not None and coded is not None and voided is not None
    entered.entered_at = voided.entered_at = utcnow()
    db.commit()
    candidate_login.issue_login_code(seeded.registration_ids[1], Actor("examiner:t"))
    disqualification.disqualify(db, voided, Actor("examiner:t"), "Mang điện thoại vào phòng")
    db.commit()
    assert {a.state for a in (entered, coded)} == {"active"}  # the room's start ran both clocks

    rows = {r["registration"]: r for r in row_builder.candidate_rows(db, seeded.sitting_id, {}, now=utcnow())}
    states = [rows[r]["state"] for r in seeded.registration_ids]
    assert states == ["writing", "absent", "submitted", "absent"]
    assert [rows[r]["code_issued"] for r in seeded.registration_ids] == [False, True, False, False]
    assert [rows[r]["disqualified"] for r in seeded.registration_ids] == [False, False, True, False]
    assert rows[seeded.registration_ids[3]]["late_until"] is not None  # may still come in late
    [overview] = row_builder.room_overview(db, seeded.sitting_id, {}, now=utcnow())
    assert {k: v for k, v in overview["states"].items() if v} == dict(Counter(states))
    assert overview["disqualified"] == 1

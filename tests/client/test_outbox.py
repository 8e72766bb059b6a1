"""The station's offline queue: durable, ordered, no duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exam_client.outbox import EntryState, Outbox, ServerRejected, ServerUnreachable


def test_survives_reopen_and_keeps_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.sqlite")
    for i in range(3):
        box.add(f"id-{i}", "P01", {"checkin_id": f"id-{i}", "n": i})
    box.add("id-1", "P01", {"checkin_id": "id-1", "n": 99})  # a second add is ignored
    reopened = Outbox(tmp_path / "q.sqlite")
    assert [e.payload["n"] for e in reopened.pending()] == [0, 1, 2]


def test_flush_stops_at_first_unreachable_and_resumes_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.sqlite")
    for i in range(4):
        box.add(f"id-{i}", "P01", {"checkin_id": f"id-{i}"})
    sent: list[str] = []
    down = {"id-2"}

    def send(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["checkin_id"] in down:
            raise ServerUnreachable("connection refused")
        sent.append(payload["checkin_id"])
        return {"status": "accepted"}

    done = box.flush(send)
    assert [e.checkin_id for e in done] == ["id-0", "id-1"]
    assert [e.checkin_id for e in box.pending()] == ["id-2", "id-3"]
    assert box.get("id-2").tries == 1 and "refused" in box.get("id-2").last_error
    down.clear()
    box.flush(send)
    assert sent == ["id-0", "id-1", "id-2", "id-3"]
    assert box.pending() == []
    assert box.get("id-3").response == {"status": "accepted"}


def test_rejected_entry_leaves_queue_and_does_not_block(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.sqlite")
    box.add("a", "P01", {"checkin_id": "a"})
    box.add("b", "P01", {"checkin_id": "b"})

    def send(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["checkin_id"] == "a":
            raise ServerRejected("HTTP 422: bad", {"code": "checkin.invalid"})
        return {"ok": True}

    box.flush(send)
    assert box.get("a").state is EntryState.REJECTED
    assert box.get("a").response == {"code": "checkin.invalid"}
    assert box.get("b").state is EntryState.SENT


def test_bad_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        Outbox(blocker / "q.sqlite")


def test_prune_forgets_only_old_acknowledged_entries(tmp_path: Path) -> None:
    from datetime import timedelta

    box = Outbox(tmp_path / "q.sqlite")
    box.add("sent", "P01", {"checkin_id": "sent"})
    box.add("waiting", "P01", {"checkin_id": "waiting"})

    def send(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["checkin_id"] == "waiting":
            raise ServerUnreachable("down")
        return {"ok": True}

    box.flush(send)
    assert box.prune_sent(timedelta(days=1)) == 0  # too recent
    assert box.prune_sent(timedelta(seconds=-1)) == 1
    assert box.get("sent") is None and box.get("waiting") is not None

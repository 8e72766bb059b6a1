"""The station's offline queue: every check-in is written here before it is sent.

A check-in is committed to SQLite first, then sent; it leaves the queue only when the server
acknowledged it. While the server is unreachable the queue grows and is shown to the
invigilator; when it is back the entries are resent in the order they were made. Each carries
the client-generated check-in id, which the server uses to answer a resend without recording
it twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id TEXT NOT NULL UNIQUE,
    room TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    response TEXT
)
"""


class EntryState(StrEnum):
    PENDING = "pending"  # not yet acknowledged by the server
    SENT = "sent"  # acknowledged; `response` holds the server's answer
    REJECTED = "rejected"  # the server refused it for good (e.g. unknown room); shown, not resent


@dataclass(frozen=True)
class Entry:
    seq: int
    checkin_id: str
    room: str
    payload: dict[str, Any]
    state: EntryState
    created_at: str
    tries: int
    last_error: str | None
    response: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "checkin_id": self.checkin_id,
            "room": self.room,
            "citizen_id": self.payload.get("citizen_id"),
            "state": self.state.value,
            "created_at": self.created_at,
            "tries": self.tries,
            "last_error": self.last_error,
        }


class ServerUnreachable(Exception):
    """The server could not be reached or answered 5xx: keep the entry and retry later."""


class ServerRejected(Exception):
    """The server refused the entry with a final answer (4xx): resending will not help."""

    def __init__(self, message: str, response: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.response = response or {}


Sender = Callable[[dict[str, Any]], dict[str, Any]]


class Outbox:
    """A SQLite-backed queue; safe to use from the web UI's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()
        # Only one flush at a time, so entries go out strictly in order.
        self._flush_lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self._path, timeout=10)
            db.row_factory = sqlite3.Row
            try:
                with db:  # commits on success, rolls back on error
                    yield db
            finally:
                db.close()

    def add(self, checkin_id: str, room: str, payload: dict[str, Any]) -> None:
        """Queue a check-in durably (a second add of the same id is ignored)."""
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (checkin_id, room, payload, created_at) VALUES (?, ?, ?, ?)",
                (checkin_id, room, json.dumps(payload, ensure_ascii=False), datetime.now(UTC).isoformat()),
            )

    def get(self, checkin_id: str) -> Entry | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM outbox WHERE checkin_id = ?", (checkin_id,)).fetchone()
        return _entry(row) if row else None

    def entries(self, state: EntryState | None = None) -> list[Entry]:
        with self._connect() as db:
            if state is None:
                rows = db.execute("SELECT * FROM outbox ORDER BY seq").fetchall()
            else:
                rows = db.execute("SELECT * FROM outbox WHERE state = ? ORDER BY seq", (state.value,)).fetchall()
        return [_entry(row) for row in rows]

    def pending(self) -> list[Entry]:
        return self.entries(EntryState.PENDING)

    def _finish(self, checkin_id: str, state: EntryState, response: dict[str, Any] | None, error: str | None) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE outbox SET state = ?, response = ?, last_error = ?, tries = tries + 1 WHERE checkin_id = ?",
                (state.value, json.dumps(response, ensure_ascii=False) if response else None, error, checkin_id),
            )

    def _failed_try(self, checkin_id: str, error: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE outbox SET tries = tries + 1, last_error = ? WHERE checkin_id = ?", (error, checkin_id)
            )

    def prune_sent(self, older_than: timedelta) -> int:
        """Forget acknowledged entries older than `older_than` (personal data is not kept on the
        station longer than the server needs to have it); pending ones are never removed."""
        cutoff = (datetime.now(UTC) - older_than).isoformat()
        with self._connect() as db:
            return db.execute(
                "DELETE FROM outbox WHERE state != 'pending' AND created_at < ?", (cutoff,)
            ).rowcount

    def flush(self, send: Sender) -> list[Entry]:
        """Send pending entries oldest first; stop at the first unreachable send (order is kept).

        Returns the entries that left the queue in this call (sent or rejected).
        """
        done: list[Entry] = []
        with self._flush_lock:
            for entry in self.pending():
                try:
                    response = send(entry.payload)
                except ServerUnreachable as exc:
                    self._failed_try(entry.checkin_id, str(exc))
                    break
                except ServerRejected as exc:
                    self._finish(entry.checkin_id, EntryState.REJECTED, exc.response, str(exc))
                else:
                    self._finish(entry.checkin_id, EntryState.SENT, response, None)
                finished = self.get(entry.checkin_id)
                if finished is not None:
                    done.append(finished)
        return done


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        seq=row["seq"],
        checkin_id=row["checkin_id"],
        room=row["room"],
        payload=json.loads(row["payload"]),
        state=EntryState(row["state"]),
        created_at=row["created_at"],
        tries=row["tries"],
        last_error=row["last_error"],
        response=json.loads(row["response"]) if row["response"] else None,
    )

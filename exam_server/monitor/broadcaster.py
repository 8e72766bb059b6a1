"""Coalescing dashboard updates: however many candidates change, a dashboard gets at most
one `rows` message per interval (per server process).

Changes are only *marked* (sitting, attempt or whole room) — cheap, from any handler or
background task. A single background loop per process wakes every `interval` seconds, takes
what was marked, reads those rows once and emits them to the sitting's and each room's
dashboard group (`mon:sitting:<id>`, `mon:room:<id>`). Through the Redis message queue the
emit reaches dashboards connected to any process.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from flask import Flask

from exam_server.db import utcnow
from exam_server.monitor import rows as row_builder

log = logging.getLogger(__name__)
NAMESPACE = "/monitor"


class Broadcaster:
    def __init__(self, app: Flask, socketio: Any, presence: Any, interval: float = 0.5) -> None:
        self.app = app
        self.socketio = socketio
        self.presence = presence
        self.interval = interval
        self._lock = threading.Lock()
        self._attempts: dict[int, set[int]] = defaultdict(set)
        self._rooms: dict[int, set[int | None]] = defaultdict(set)  # None: the whole sitting
        self._started = False

    def mark(self, sitting_id: int, attempt_id: int | None = None, room_id: int | None = None) -> None:
        with self._lock:
            if attempt_id is not None:
                self._attempts[sitting_id].add(attempt_id)
            else:
                self._rooms[sitting_id].add(room_id)
            if not self._started:
                self._started = True
                self.socketio.start_background_task(self._loop)

    def _take(self) -> tuple[dict[int, set[int]], dict[int, set[int | None]]]:
        with self._lock:
            attempts, rooms = self._attempts, self._rooms
            self._attempts, self._rooms = defaultdict(set), defaultdict(set)
            return attempts, rooms

    # Quiet rounds after which the loop ends; the next mark() starts it again. Keeps an idle
    # process (or a finished test's app) from waking up twice a second forever.
    IDLE_ROUNDS = 20

    def _loop(self) -> None:
        idle = 0
        while True:
            self.socketio.sleep(self.interval)
            attempts, rooms = self._take()
            if not attempts and not rooms:
                idle += 1
                with self._lock:
                    if idle >= self.IDLE_ROUNDS and not self._attempts and not self._rooms:
                        self._started = False
                        return
                continue
            idle = 0
            for sitting_id in set(attempts) | set(rooms):
                try:
                    self.flush(sitting_id, attempts.get(sitting_id, set()), rooms.get(sitting_id, set()))
                except Exception:  # one bad flush must not stop every dashboard's updates
                    log.exception("dashboard update for sitting %s failed", sitting_id)

    def flush(self, sitting_id: int, attempt_ids: set[int], room_ids: set[int | None]) -> None:
        from exam_server.db import db

        with self.app.app_context():
            session = db.new_session(self.app)
            try:
                presence = self.presence.all(sitting_id)
                now = utcnow()
                found: list[dict[str, Any]] = []
                if None in room_ids:
                    found = row_builder.candidate_rows(session, sitting_id, presence, now=now)
                else:
                    for room_id in room_ids:
                        found += row_builder.candidate_rows(session, sitting_id, presence, room_id=room_id, now=now)
                    seen = {r["attempt"] for r in found}
                    rest = attempt_ids - seen
                    if rest:
                        found += row_builder.candidate_rows(session, sitting_id, presence, attempt_ids=rest, now=now)
                rooms = row_builder.rooms_of(session, sitting_id) if room_ids else None
                sitting = row_builder.sitting_info(session, sitting_id) if room_ids else None
            finally:
                session.close()
        server_time = int(now.timestamp() * 1000)
        by_room: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in found:
            if row["room"] is not None:
                by_room[row["room"]].append(row)
        # A room-level change (its state, a check-in) reaches its dashboard even with no row in it.
        for room in rooms or []:
            by_room.setdefault(room["id"], [])
        extra = {"rooms": rooms, "sitting": sitting, "server_time": server_time}
        self.socketio.emit("rows", {"rows": found, **extra}, to=f"mon:sitting:{sitting_id}", namespace=NAMESPACE)
        for room_id, room_rows in by_room.items():
            self.socketio.emit("rows", {"rows": room_rows, **extra}, to=f"mon:room:{room_id}", namespace=NAMESPACE)

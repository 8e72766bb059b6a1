"""Coalescing dashboard updates: however many candidates change, a dashboard gets at most
one `rows` message per interval (per server process).

Changes are only *marked* — cheap, from any handler or background task — as precisely as the
change allows: an attempt, a registration (a check-in, a login code), a whole room (its state
changed, so absentees' rows did too), or just the sitting's and rooms' own state. A single
background loop per process wakes every `interval` seconds, takes what was marked, reads only
those rows and emits them to each room's dashboard group (`mon:room:<id>`). The sitting's group
(`mon:sitting:<id>`, the examiners' overview) gets no candidate rows, only the per-room
aggregates of the rooms those changes touched (`rows.room_overview`, grouped queries): a tile
per room, never every room's rows. Through the Redis message queue the emit reaches dashboards
connected to any process.
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
# Events that change every row of a sitting without one event per candidate.
SITTING_WIDE = frozenset({"roster.imported", "papers.imported"})


def marks_for(action: str, room_id: int | None, data: dict[str, Any]) -> tuple[str, int | None]:
    """What a committed entry without an attempt changed: ("registration", id), ("room", id),
    ("sitting", None) for every row, or ("info", None) for the sitting's and rooms' state only."""
    registration = data.get("registration_id")
    if isinstance(registration, int) and not isinstance(registration, bool):
        return "registration", registration
    if action in SITTING_WIDE:
        return "sitting", None
    if room_id is not None and action.startswith(("room.", "candidate.")):
        return "room", room_id
    return "info", None


class Broadcaster:
    def __init__(self, app: Flask, socketio: Any, presence: Any, interval: float = 0.5) -> None:
        self.app = app
        self.socketio = socketio
        self.presence = presence
        self.interval = interval
        self._lock = threading.Lock()
        self._attempts: dict[int, set[int]] = defaultdict(set)
        self._rooms: dict[int, set[int | None]] = defaultdict(set)  # None: the whole sitting
        self._registrations: dict[int, set[int]] = defaultdict(set)
        self._info: set[int] = set()  # sittings whose own or rooms' state changed
        self._started = False

    def mark(self, sitting_id: int, attempt_id: int | None = None, room_id: int | None = None,
             *, registration_id: int | None = None, info_only: bool = False) -> None:
        """Note a change; without an attempt, registration or `info_only`, the room's (or with
        no room, the sitting's) rows are all read again."""
        with self._lock:
            if attempt_id is not None:
                self._attempts[sitting_id].add(attempt_id)
            elif registration_id is not None:
                self._registrations[sitting_id].add(registration_id)
            elif info_only:
                self._info.add(sitting_id)
            else:
                self._rooms[sitting_id].add(room_id)
            if not self._started:
                self._started = True
                self.socketio.start_background_task(self._loop)

    def mark_entry(self, sitting_id: int, action: str, room_id: int | None, data: dict[str, Any]) -> None:
        """Mark what a committed log entry without an attempt changed (see `marks_for`)."""
        kind, key = marks_for(action, room_id, data)
        if kind == "registration":
            self.mark(sitting_id, registration_id=key)
        elif kind == "room":
            self.mark(sitting_id, room_id=key)
        elif kind == "sitting":
            self.mark(sitting_id)
        else:
            self.mark(sitting_id, info_only=True)

    def _take(self) -> tuple[dict[int, set[int]], dict[int, set[int | None]], dict[int, set[int]], set[int]]:
        with self._lock:
            attempts, rooms, regs, info = self._attempts, self._rooms, self._registrations, self._info
            self._attempts, self._rooms, self._registrations, self._info = (
                defaultdict(set), defaultdict(set), defaultdict(set), set())
            return attempts, rooms, regs, info

    # Quiet rounds after which the loop ends; the next mark() starts it again. Keeps an idle
    # process (or a finished test's app) from waking up twice a second forever.
    IDLE_ROUNDS = 20

    def _loop(self) -> None:
        idle = 0
        while True:
            self.socketio.sleep(self.interval)
            attempts, rooms, regs, info = self._take()
            if not attempts and not rooms and not regs and not info:
                idle += 1
                with self._lock:
                    if idle >= self.IDLE_ROUNDS and not (self._attempts or self._rooms or self._registrations
                                                         or self._info):
                        self._started = False
                        return
                continue
            idle = 0
            for sitting_id in set(attempts) | set(rooms) | set(regs) | info:
                try:
                    self.flush(sitting_id, attempts.get(sitting_id, set()), rooms.get(sitting_id, set()),
                               regs.get(sitting_id, set()), info=sitting_id in info)
                except Exception:  # one bad flush must not stop every dashboard's updates
                    log.exception("dashboard update for sitting %s failed", sitting_id)

    def flush(self, sitting_id: int, attempt_ids: set[int], room_ids: set[int | None],
              registration_ids: set[int] | None = None, *, info: bool = False) -> None:
        """Read the marked rows only and emit them to their rooms' dashboards, and the touched
        rooms' aggregates to the sitting's."""
        from exam_server.db import db

        with self.app.app_context():
            session = db.new_session(self.app)
            try:
                presence = self.presence.all(sitting_id)
                now = utcnow()
                found = row_builder.changed_rows(session, sitting_id, presence, attempt_ids=attempt_ids,
                                                 room_ids=room_ids, registration_ids=registration_ids or set(),
                                                 now=now)
                # rooms and sitting (two small reads) come with anything beyond attempt rows:
                # a check-in or a state change is progress the room list shows
                with_info = bool(room_ids or registration_ids or info)
                rooms = row_builder.rooms_of(session, sitting_id) if with_info else None
                sitting = row_builder.sitting_info(session, sitting_id) if with_info else None
                # the tiles of the rooms something changed in; every room's after a sitting-wide change
                touched = (None if info or None in room_ids
                           else {r["room"] for r in found if r["room"] is not None} | {r for r in room_ids if r})
                overview = row_builder.room_overview(session, sitting_id, presence, now=now, room_ids=touched)
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
        extra = {"sitting": sitting, "server_time": server_time}
        # `overview` holds the touched rooms only: the dashboard keeps the others' tiles as they were
        self.socketio.emit("rows", {"rows": [], "overview": overview, "rooms": rooms, **extra},
                           to=f"mon:sitting:{sitting_id}", namespace=NAMESPACE)
        for room_id, room_rows in by_room.items():
            # a room's dashboard gets its own room only (as its snapshot), not every room's seat list
            own = None if rooms is None else [r for r in rooms if r["id"] == room_id]
            self.socketio.emit("rows", {"rows": room_rows, "rooms": own, **extra}, to=f"mon:room:{room_id}",
                               namespace=NAMESPACE)

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

The loop computes the sitting's aggregates at most every `OVERVIEW_EVERY` seconds, for all the
rooms touched since: in a large sitting every interval touches nearly every room, and the
aggregates (a GROUP BY over the sitting plus the connected candidates' rows) cost more than all
the room rows together (py-spy, 2,000 candidates writing: a third of each worker). With several
processes (`claim`, a Redis key per sitting) one of them computes every room's aggregates in
each such period instead of each its own touched rooms: 10,000 candidates writing, the
aggregates still took a quarter of both workers when each computed them every second. The
rooms' own dashboards, where the invigilators watch seats, still get their rows every interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import Flask

from exam_server.db import utcnow
from exam_server.monitor import rows as row_builder

log = logging.getLogger(__name__)
NAMESPACE = "/monitor"
# Events that change every row of a sitting without one event per candidate.
SITTING_WIDE = frozenset({"roster.imported", "papers.imported"})


def redis_claim(url: str, prefix: str, period: float) -> Callable[[int], bool]:
    """`Broadcaster.claim` through Redis: the first process to ask in a period gets the sitting
    (SET NX with an expiry a little under the period); with Redis away, every process computes
    its own, as without Redis."""
    import redis

    client = redis.Redis.from_url(url)
    ttl_ms = max(1, int(period * 900))

    def claim(sitting_id: int) -> bool:
        try:
            return bool(client.set(f"{prefix}:overview:{sitting_id}", "1", nx=True, px=ttl_ms))
        except redis.RedisError:
            return True

    return claim


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
    def __init__(self, app: Flask, socketio: Any, presence: Any, interval: float = 0.5,
                 claim: Callable[[int], bool] | None = None) -> None:
        self.app = app
        # several processes: whether this one computes a sitting's aggregates this period
        self.claim = claim
        self.socketio = socketio
        self.presence = presence
        self.interval = interval
        self._lock = threading.Lock()
        self._attempts: dict[int, set[int]] = defaultdict(set)
        self._rooms: dict[int, set[int | None]] = defaultdict(set)  # None: the whole sitting
        self._registrations: dict[int, set[int]] = defaultdict(set)
        self._info: set[int] = set()  # sittings whose own or rooms' state changed
        self._started = False
        # the loop's sitting aggregates: rooms touched since the last (None: every room), and when next due
        self._touched: dict[int, set[int] | None] = {}
        self._overview_due: dict[int, float] = {}

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
            if not attempts and not rooms and not regs and not info and not self._touched:
                idle += 1
                with self._lock:
                    if idle >= self.IDLE_ROUNDS and not (self._attempts or self._rooms or self._registrations
                                                         or self._info):
                        self._started = False
                        return
                continue
            idle = 0
            for sitting_id in set(attempts) | set(rooms) | set(regs) | info | set(self._touched):
                try:
                    marked = attempts.get(sitting_id, set())
                    overview = self._overview_turn(sitting_id)
                    # the whole sitting's presence (thousands of entries) only when something needs
                    # it: the aggregates, or rows of whole rooms; the marked attempts' otherwise
                    whole = overview or bool(rooms.get(sitting_id)) or bool(regs.get(sitting_id)) or sitting_id in info
                    presence = self.presence.all(sitting_id) if whole else self.presence.some(sitting_id, marked)
                    touched = self.flush(sitting_id, marked, rooms.get(sitting_id, set()), regs.get(sitting_id, set()),
                                         info=sitting_id in info, overview=False, presence=presence)
                    held = self._touched.get(sitting_id, set())
                    self._touched[sitting_id] = None if held is None or touched is None else held | touched
                    if overview:
                        self._emit_overview(sitting_id, presence)
                except Exception:  # one bad flush must not stop every dashboard's updates
                    log.exception("dashboard update for sitting %s failed", sitting_id)

    OVERVIEW_EVERY = 1.0  # seconds between two computations of a sitting's aggregates (per process)

    def _overview_turn(self, sitting_id: int) -> bool:
        """Whether this round computes the sitting's aggregates: `OVERVIEW_EVERY` has passed and,
        with several processes, this one claimed the period (the claimer covers every room, so
        the rooms touched here need no tiles of their own)."""
        if time.monotonic() < self._overview_due.get(sitting_id, 0.0):
            return False
        self._overview_due[sitting_id] = time.monotonic() + self.OVERVIEW_EVERY
        if self.claim is not None and not self.claim(sitting_id):
            self._touched.pop(sitting_id, None)
            return False
        return True

    def _emit_overview(self, sitting_id: int, presence: dict[int, Any]) -> None:
        """The aggregates of the rooms touched since the last (every room's with a claim)."""
        rooms = None if self.claim is not None else self._touched.get(sitting_id, set())
        self._touched.pop(sitting_id, None)
        if rooms is not None and not rooms:
            return
        from exam_server.db import db

        with self.app.app_context():
            session = db.new_session(self.app)
            try:
                now = utcnow()
                overview = row_builder.room_overview(session, sitting_id, presence, now=now, room_ids=rooms)
            finally:
                session.close()
        self.socketio.emit("rows", {"rows": [], "overview": overview, "rooms": None, "sitting": None,
                                    "server_time": int(now.timestamp() * 1000)},
                           to=f"mon:sitting:{sitting_id}", namespace=NAMESPACE)

    def flush(self, sitting_id: int, attempt_ids: set[int], room_ids: set[int | None],
              registration_ids: set[int] | None = None, *, info: bool = False,
              overview: bool = True, presence: dict[int, Any] | None = None) -> set[int] | None:
        """Read the marked rows only and emit them to their rooms' dashboards, and the touched
        rooms' aggregates to the sitting's (unless `overview` is False: the loop's own pace).
        `presence`: as the caller read it (the whole sitting's unless only attempts are marked).
        Returns the rooms touched (None: every room)."""
        from exam_server.db import db

        with self.app.app_context():
            session = db.new_session(self.app)
            try:
                if presence is None:
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
                tiles = (row_builder.room_overview(session, sitting_id, presence, now=now, room_ids=touched)
                         if overview else [])
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
        if tiles or with_info:
            self.socketio.emit("rows", {"rows": [], "overview": tiles, "rooms": rooms, **extra},
                               to=f"mon:sitting:{sitting_id}", namespace=NAMESPACE)
        for room_id, room_rows in by_room.items():
            # a room's dashboard gets its own room only (as its snapshot), not every room's seat list
            own = None if rooms is None else [r for r in rooms if r["id"] == room_id]
            self.socketio.emit("rows", {"rows": room_rows, "rooms": own, **extra}, to=f"mon:room:{room_id}",
                               namespace=NAMESPACE)
        return touched

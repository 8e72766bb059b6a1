"""Socket.IO client managers that know each client's rooms, so a disconnect costs its own rooms.

python-socketio's manager (5.x) finds the rooms of a client that leaves by testing every room
of the namespace (`BaseManager.basic_disconnect` copies and walks them all, `get_rooms` too).
Each candidate's socket has rooms of its own (its sid, its login, its attempt), so a worker
holding 5,000 candidates walks about 15,000 rooms per disconnect: in the submit storm of a
10,000-candidate sitting, when every page leaves within seconds, that quadratic walk took 40 %
of a worker's CPU (py-spy, benchmarks/results/scale.md) and the submits queued behind it.

`RoomIndex` keeps the reverse map (namespace, sid) → rooms beside the manager's own `rooms`
(which stays the only authority for emits) and overrides the two walks with lookups. The rest
of `basic_disconnect` (callbacks, pending connects and disconnects) is the library's, restated
because the base method cannot be called without its walk; `tests/realtime/test_socket_rooms.py`
holds the indexed and the library's manager to the same state after the same calls.
"""

from __future__ import annotations

from typing import Any

import socketio


class RoomIndex:
    """Mixin for a python-socketio manager class: a reverse index of each client's rooms."""

    rooms: dict[str, dict[Any, Any]]
    callbacks: dict[str, Any]
    pending_connect: dict[str, list[str]]
    pending_disconnect: dict[str, list[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[Any]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        mine = self._rooms_of.get((namespace, sid))
        if mine is not None:
            mine.discard(room)
            if not mine:
                del self._rooms_of[(namespace, sid)]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        # the rooms the library's walk would find, the sid's own rooms (None and sid) among them
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self._rooms_of.pop((namespace, sid), None)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]


class IndexedManager(RoomIndex, socketio.Manager):
    """One process, no message queue (the embedded demo, tests)."""


class IndexedRedisManager(RoomIndex, socketio.RedisManager):
    """Several processes through Redis pub/sub."""


def client_manager(redis_url: str, channel: str) -> socketio.Manager:
    if redis_url:
        return IndexedRedisManager(redis_url, channel=channel, write_only=False)
    return IndexedManager()

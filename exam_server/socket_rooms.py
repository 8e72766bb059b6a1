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

`emit_each` sends one event to many rooms, each its own data (the start of a sitting: every
attempt its own state), as ONE message on the queue instead of one per room. Each emit through
the Redis manager is a PUBLISH that every process decodes, whether or not it holds the room:
10,000 attempts started were 10,000 publishes decoded twice, most of the start push's time. The
batch travels as an ordinary `emit` message under an event name no page uses, which the
receiving managers' `_handle_emit` unpacks (python-socketio dispatches only the methods it
knows, so a new method would be dropped on the way).
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


BATCH_EVENT = "\x00emit_each"  # not a name an application event can have on the wire


class IndexedManager(RoomIndex, socketio.Manager):
    """One process, no message queue (the embedded demo, tests)."""

    def emit_each(self, event: str, items: list[tuple[str, Any]], namespace: str) -> None:
        for room, data in items:
            self.emit(event, data, namespace, room=room)


class IndexedRedisManager(RoomIndex, socketio.RedisManager):
    """Several processes through Redis pub/sub."""

    host_id: str

    def emit_each(self, event: str, items: list[tuple[str, Any]], namespace: str) -> None:
        """`event` to each room with its data, all in one publish (no callbacks, no binary)."""
        if not items:
            return
        message = {"method": "emit", "event": BATCH_EVENT, "data": [[event, room, data] for room, data in items],
                   "binary": False, "namespace": namespace, "room": None, "skip_sid": None, "callback": None,
                   "host_id": self.host_id}
        self._handle_emit(message)  # this process's own clients, as the library's emit does
        self._publish(message)

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") != BATCH_EVENT:
            super()._handle_emit(message)
            return
        for event, room, data in message["data"]:
            socketio.Manager.emit(self, event, data, namespace=message.get("namespace"), room=room)


def client_manager(redis_url: str, channel: str) -> socketio.Manager:
    if redis_url:
        return IndexedRedisManager(redis_url, channel=channel, write_only=False)
    return IndexedManager()

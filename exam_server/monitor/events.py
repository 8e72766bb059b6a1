"""The monitor namespace `/monitor`: staff watch a sitting or a room and act on it.

Only staff sessions connect (a candidate's cookie is refused at the handshake). `watch`
checks the user may see the target (examiners/admins: any sitting and room; invigilators:
their rooms), joins its dashboard group and returns a snapshot; later changes arrive as
coalesced `rows` messages from the broadcaster.

Targets: `{"room": id}` is a room's dashboard (its rows). `{"sitting": id}` is the sitting's
overview: per-room aggregates (`rows.room_overview`), no candidate rows — 10,000 rows were
seconds of work and megabytes per examiner. `{"sitting": id, "room": id}` is the overview with
one room opened: its rows too, and that room's pushes (the socket joins both groups).
"""

from __future__ import annotations

import logging
from typing import Any, TypeGuard

from flask_socketio import Namespace, join_room, leave_room

from exam_server.accounts import revocation
from exam_server.accounts.auth import current_user
from exam_server.accounts.models import STAFF_ROLES
from exam_server.accounts.service import can_manage_room
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.exams.models import Room, Sitting
from exam_server.extensions import current_sid
from exam_server.i18n import translate
from exam_server.monitor import actions
from exam_server.monitor import rows as row_builder
from exam_server.realtime.candidate_events import refuse

NAMESPACE = "/monitor"
log = logging.getLogger(__name__)


def _error(code: str, **params: Any) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": translate(code, **params)}


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class MonitorNamespace(Namespace):
    def __init__(self, namespace: str, realtime: Any) -> None:
        super().__init__(namespace)
        self.rt = realtime
        self.users: dict[str, int] = {}  # sid -> user id (re-read on every event: deactivation bites at once)
        self.watching: dict[str, tuple[str, ...]] = {}  # sid -> its dashboard groups

    def on_connect(self, auth: Any = None) -> None:
        revoked = revocation.admit_socket()  # a revoked login is refused; a valid one tied to its record
        if revoked is not None:
            raise refuse(revoked)
        user = current_user()
        if user is None or user.role not in STAFF_ROLES:
            db.rollback()
            raise refuse(_error("monitor.error.forbidden"))
        self.users[current_sid()] = user.id
        db.rollback()

    def on_disconnect(self, reason: Any = None) -> None:
        self.users.pop(current_sid(), None)
        self.watching.pop(current_sid(), None)

    def _user(self) -> Any:
        if revocation.check_socket_event() is not None:  # told and disconnected when revoked
            return None
        user = current_user()
        if user is None or self.users.get(current_sid()) != user.id or user.role not in STAFF_ROLES:
            return None
        return user

    def on_watch(self, data: Any) -> dict[str, Any]:
        user = self._user()
        if user is None or not isinstance(data, dict):
            return _error("monitor.error.forbidden")
        try:
            reply = self._watch(user, data)
        finally:
            db.rollback()
        return reply

    def _watch(self, user: Any, data: dict[str, Any]) -> dict[str, Any]:
        room_id, sitting_id = data.get("room"), data.get("sitting")
        if _is_id(sitting_id):
            if user.role not in ("admin", "examiner") or db.get(Sitting, sitting_id) is None:
                return _error("monitor.error.forbidden")
            groups = [f"mon:sitting:{sitting_id}"]
            if room_id is not None:  # a room opened on the overview: its rows as well
                room = db.get(Room, room_id) if _is_id(room_id) else None
                if room is None or room.sitting_id != sitting_id:
                    return _error("monitor.error.forbidden")
                groups.append(f"mon:room:{room.id}")
            overview = True
        elif _is_id(room_id):
            room = db.get(Room, room_id)
            if room is None or not can_manage_room(user, room):
                return _error("monitor.error.forbidden")
            groups, sitting_id, overview = [f"mon:room:{room.id}"], room.sitting_id, False
        else:
            return _error("monitor.error.forbidden")
        self._join(groups)
        now = utcnow()
        presence = self.rt.presence.all(sitting_id)
        rows = (row_builder.candidate_rows(db, sitting_id, presence, room_id=room_id, now=now)
                if room_id is not None else [])
        return {
            "ok": True,
            "server_time": int(now.timestamp() * 1000),
            "sitting": row_builder.sitting_info(db, sitting_id),
            # a room's dashboard: that room only; the overview: every room (its tiles)
            "rooms": row_builder.rooms_of(db, sitting_id, None if overview else room_id),
            "rows": rows,
            "overview": row_builder.room_overview(db, sitting_id, presence, now=now) if overview else None,
        }

    def _join(self, groups: list[str]) -> None:
        """Join `groups` and leave whatever this socket watched before and no longer does."""
        for previous in self.watching.get(current_sid(), ()):
            if previous not in groups:
                leave_room(previous)
        for group in groups:
            join_room(group)
        self.watching[current_sid()] = tuple(groups)

    def on_action(self, data: Any) -> dict[str, Any]:
        user = self._user()
        if user is None or not isinstance(data, dict):
            return _error("monitor.error.forbidden")
        try:
            result = actions.perform(user, data, self._emit_message)
        except ServiceError as exc:
            db.rollback()
            return {"ok": False, "code": exc.code, "message": exc.message()}
        except Exception:  # the dashboard always gets an answer, never a silent timeout
            log.exception("monitor action %r failed", data.get("kind"))
            db.rollback()
            return _error("monitor.error.failed")
        return {"ok": True, **result}

    def _emit_message(self, payload: dict[str, Any], to: str) -> None:
        self.rt.socketio.emit("message", payload, to=to, namespace="/exam")


def register(socketio: Any, realtime: Any) -> MonitorNamespace:
    ns = MonitorNamespace(NAMESPACE, realtime)
    socketio.on_namespace(ns)
    return ns

"""Live traffic over Socket.IO: the candidate namespace `/exam` and the monitor namespace `/monitor`.

`init_app(app)` is called by the app factory after the extensions (the `socketio` object of
`exam_server.extensions`, bound to Redis as message queue when REDIS_URL is set). It
registers the candidate pages, the candidate namespace, the presence store and the hook that
pushes every committed event-log entry to the sockets. The dashboards sit above this layer:
`exam_server.monitor.init_app(app)`, called next by the factory, attaches the `/monitor`
namespace and the coalescing broadcaster that the pushes and the candidate events notify
(`DashboardNotifier`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask

from exam_server.realtime.presence import PresenceStore, make_store


class DashboardNotifier(Protocol):
    """What the live layer tells the dashboards (`exam_server.monitor.broadcaster.Broadcaster`)."""

    def mark(self, sitting_id: int, attempt_id: int | None = None, room_id: int | None = None,
             *, registration_id: int | None = None, info_only: bool = False) -> None: ...

    def mark_entry(self, sitting_id: int, action: str, room_id: int | None, data: dict[str, Any]) -> None: ...


class NoDashboardsAttached:
    """The notifier until `exam_server.monitor.init_app` attaches the broadcaster: a change
    reported before then is a wiring mistake, said loudly rather than lost."""

    def mark(self, sitting_id: int, attempt_id: int | None = None, room_id: int | None = None,
             *, registration_id: int | None = None, info_only: bool = False) -> None:
        raise RuntimeError("no dashboard broadcaster: the app factory must call exam_server.monitor.init_app(app)")

    def mark_entry(self, sitting_id: int, action: str, room_id: int | None, data: dict[str, Any]) -> None:
        self.mark(sitting_id)


@dataclass
class Realtime:
    socketio: Any
    presence: PresenceStore
    broadcaster: DashboardNotifier = field(default_factory=NoDashboardsAttached)


def init_app(app: Flask) -> None:
    from exam_server.extensions import socketio
    from exam_server.realtime import candidate_events, messages, pushes, views

    del messages  # imported for its catalogue
    prefix = f"{app.config.get('REDIS_PREFIX', 'exam')}"
    presence = make_store(app.config.get("REDIS_URL") or "", prefix)
    rt = Realtime(socketio, presence)
    app.extensions["exam_realtime"] = rt
    app.register_blueprint(views.bp)
    candidate_events.register(socketio, rt)
    pushes.install(app, rt)

"""Live traffic over Socket.IO: the candidate namespace `/exam` and the monitor namespace `/monitor`.

`init_app(app)` is called by the app factory after the extensions (the `socketio` object of
`exam_server.extensions`, bound to Redis as message queue when REDIS_URL is set). It
registers the candidate pages, both namespaces, the presence store, the coalescing dashboard
broadcaster and the hook that pushes every committed event-log entry to the sockets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from exam_server.monitor.broadcaster import Broadcaster
from exam_server.realtime.presence import PresenceStore, make_store


@dataclass
class Realtime:
    socketio: Any
    presence: PresenceStore
    broadcaster: Broadcaster


def init_app(app: Flask) -> None:
    from exam_server.extensions import socketio
    from exam_server.monitor import events as monitor_events
    from exam_server.realtime import candidate_events, messages, pushes, views

    del messages  # imported for its catalogue
    prefix = f"{app.config.get('REDIS_PREFIX', 'exam')}"
    presence = make_store(app.config.get("REDIS_URL") or "", prefix)
    interval = float(app.config.get("MONITOR_UPDATE_SECONDS", 0.5))
    rt = Realtime(socketio, presence, Broadcaster(app, socketio, presence, interval))
    app.extensions["exam_realtime"] = rt
    app.register_blueprint(views.bp)
    candidate_events.register(socketio, rt)
    monitor_events.register(socketio, rt)
    pushes.install(app, rt)

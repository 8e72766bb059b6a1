"""Live monitoring for examiners and invigilators: the dashboards' pages, rows, actions and the
`/monitor` Socket.IO namespace, built on the live layer of `exam_server.realtime`.

`init_app(app)` is called by the app factory right after `realtime.init_app(app)`: it attaches
the coalescing broadcaster as the live layer's dashboard notifier and registers the namespace.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from exam_server.monitor import events
    from exam_server.monitor.broadcaster import Broadcaster, redis_claim

    rt = app.extensions["exam_realtime"]
    interval = float(app.config.get("MONITOR_UPDATE_SECONDS", 0.5))
    redis_url = app.config.get("REDIS_URL") or ""
    claim = (redis_claim(redis_url, app.config.get("REDIS_PREFIX", "exam"), Broadcaster.OVERVIEW_EVERY)
             if redis_url else None)
    rt.broadcaster = Broadcaster(app, rt.socketio, rt.presence, interval, claim)
    events.register(rt.socketio, rt)

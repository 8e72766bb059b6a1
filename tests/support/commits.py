"""Which attempts each COMMIT closed: the `attempt.submitted` entries a transaction appended,
whether one at a time through the ORM (SQLite) or set-wise (`events.batch`, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import event

from exam_server.events import batch
from exam_server.events.models import Event


def watch_closing_commits(app: Flask, mine: set[int]) -> tuple[list[set[int]], Callable[[], None]]:
    """The attempts of `mine` each commit closed (sets, in commit order), and a function that stops watching."""
    commits: list[set[int]] = []
    closing: set[int] = set()
    maker = app.extensions["exam_db"]["sessionmaker"]

    def submitted(events: Iterable[Any]) -> set[int]:
        return {e.attempt_id for e in events
                if isinstance(e, Event) and e.action == "attempt.submitted" and e.attempt_id in mine}

    def flushed(session: Any, _ctx: Any) -> None:
        closing.update(submitted(session.new))

    def inserted(session: Any) -> None:  # held in the session for the push until the commit
        held = session.info.get(batch.APPENDED)
        closing.update(submitted(held[1] if held else []))

    def committed(_session: Any) -> None:
        if closing:
            commits.append(set(closing))
            closing.clear()

    hooks = (("after_flush", flushed), ("before_commit", inserted), ("after_commit", committed))
    for name, fn in hooks:
        event.listen(maker, name, fn)

    def stop() -> None:
        for name, fn in hooks:
            event.remove(maker, name, fn)

    return commits, stop

"""One way for every suite to prepare a test database: the real Alembic migrations, once per URL.

The PostgreSQL test database lives for the whole session and is shared by every suite, so a
suite building it with `create_all` would leave no version table and break the next suite's
migration (and would not test the migrations either).
"""

from __future__ import annotations

from flask import Flask

from exam_server.migrations import upgrade

_ready: set[str] = set()


def ensure_schema(app: Flask) -> None:
    url = str(app.config["DATABASE_URL"])
    if url not in _ready:
        upgrade(app)
        _ready.add(url)

"""Database engine and sessions (plain SQLAlchemy 2).

One engine per app in `app.extensions["exam_db"]`; `db.session` is the session of the current
app context (a request, a Socket.IO event or a background job pushes one) and is closed when
that context ends. Services commit their own short transactions.

SQLite runs in WAL mode with synchronous=FULL (an acknowledged commit survives a kill or power
loss), a busy timeout, and every transaction begins IMMEDIATE so two writers never deadlock on
a lock upgrade. The in-process pool holds one connection so greenlets queue for it
cooperatively instead of blocking the event loop inside SQLite's busy wait.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    any_,
    create_engine,
    event,
    literal,
    make_url,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)`, as `column = ANY(:array)` on PostgreSQL: one parameter however many
    values. An IN of n values is n placeholders that SQLAlchemy renders and psycopg splits again
    at every execution; with a sitting's 10,000 attempt ids (the dashboard aggregates, a start's
    pushes) that rendering was most of the query's CPU."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, postgresql.ARRAY(column.type)))
    return column.in_(values)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file (and its WAL/SHM companions) readable by the server's user only.

    They hold candidates' answers and personal data; SQLite would create them with the umask
    (usually 0644). SQLite gives -wal and -shm the main file's mode, so creating that file 0600
    first is enough; files an older version left readable are narrowed too.
    """
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # not ours to change: leave it (and say so)
            logging.getLogger(__name__).warning("cannot make %s private (mode 0600)", name)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(
            url, pool_size=1, max_overflow=0, pool_timeout=60,
            connect_args={"check_same_thread": False}, **kwargs,
        )
        _sqlite_pragmas(engine)
        return engine
    # No pre-ping: it would double the round trips of a save; recycled connections and client
    # retries of unacknowledged saves cover a restarted database. No overflow either: overflow
    # connections are closed on return, so under load every save paid a new connection (and
    # lost psycopg's prepared statements); the same 30 are kept open instead, and greenlets
    # beyond that queue for one.
    return create_engine(url, pool_size=30, max_overflow=0, pool_recycle=1800, **kwargs)


class Database:
    """Per-app engine + the session of the current app context."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["exam_db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }

        @app.teardown_appcontext
        def close_session(_exc: BaseException | None) -> None:
            session = g.pop("db_session", None)
            if session is not None:
                session.close()

    @staticmethod
    def engine(app: Flask | None = None) -> Engine:
        return (app or current_app).extensions["exam_db"]["engine"]

    @staticmethod
    def get_session() -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["exam_db"]["sessionmaker"]()
        return g.db_session

    @staticmethod
    def new_session(app: Flask | None = None) -> Session:
        """A session outside the app context's one (background jobs, scripts)."""
        return (app or current_app).extensions["exam_db"]["sessionmaker"]()


db = Database()
session: Session = LocalProxy(db.get_session)  # type: ignore[assignment]  # a proxy that acts as the Session


def dialect_insert(dialect_name: str) -> Any:
    """The INSERT construct with ON CONFLICT support for this backend."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert

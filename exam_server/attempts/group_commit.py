"""Group commit: one transaction (one commit) for the saves, or the submits, that arrive together.

Each save on its own was one durable transaction, so a worker paid one commit (one WAL flush,
one round trip for BEGIN/COMMIT in autocommit) per keystroke burst of every candidate. Here a
per-process committer takes the saves that arrive within `[autosave] group_commit_window_ms`
of the first (at most `group_commit_max_batch`), runs each save's one statement (and, when it
wrote nothing, the reads that say why) in ONE transaction, commits, and only then wakes each
caller with its outcome. The acknowledgement contract is unchanged because each caller still
builds its own answer (saved, duplicate, superseded, conflict, refusal) in `autosave` from
what its statement saw, and only after COMMIT returned:

* order: the saves of one attempt always go to the same committer (`attempt_id % committers`)
  and run in arrival order inside the batch, so two saves of one answer in one batch are
  decided exactly as one after the other (the later sees the earlier's row: superseded,
  duplicate and conflict come out the same). Across attempts a batch runs in attempt id
  order, which is the order multi-attempt transactions (a room pause, a staff end) lock rows
  in on PostgreSQL, so a batch's share locks cannot form a deadlock cycle with them.
* isolation: a statement that fails does not fail the others. The batch is rolled back and
  run again with every save in its own SAVEPOINT; the failing save gets its error, the rest
  are committed. (Refusals never fail a statement: they are outcomes, logged by the caller.)
* a failed COMMIT fails every save of its batch with the database error, which the HTTP and
  socket handlers already answer as "not saved, retry": nobody in that batch is acknowledged.

Refused saves are logged by their caller exactly as before (`autosave._refuse`: the event and
any close of an attempt found past its deadline in one transaction of their own), so every
event log entry stays in the transaction of the change it records.

Concurrency: the committer is a thread in threaded servers and a greenlet under gevent (the
gunicorn worker monkey-patches `threading`; gevent's own queue and event are used then, and
under gevent without monkey-patching too, where threading's waits would block the hub). It
starts with the first save and ends after `IDLE_S` without one, so an idle process (or a test
app) keeps no thread. SQLite runs one committer (one writer at a time anyway).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import Flask
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from exam_server.db import utcnow

log = logging.getLogger(__name__)

IDLE_S = 5.0  # a committer with nothing to do for this long ends (the next save starts one)
WAIT_S = 120.0  # a caller never waits longer than this for its batch (then: not saved, retry)
DEFAULT_WINDOW_MS = 2.0
DEFAULT_MAX_BATCH = 100
DEFAULT_COMMITTERS = 2


@dataclass
class Work:
    """One caller's work as the committer runs it: `run(handle, now)` does it alone, on the
    flavour's handle (a `Connection` for saves, a `Session` for submits); `payload` is what a
    flavour that runs a whole batch at once reads instead."""

    attempt_id: int
    run: Callable[[Any, datetime], Any]
    now: datetime = field(default_factory=utcnow)  # stamped when it joins the queue (arrival order)
    done: Any = None  # an Event of the right kind, set when `result` or `error` is final
    result: Any = None
    error: BaseException | None = None
    payload: Any = None


SaveWork = Work  # a save's work: `run(conn, now)` is the save's statement(s)


class Flavour(Protocol):
    """How a committer opens a batch's transaction and runs its works."""

    def open(self) -> Any:
        """A context manager yielding (handle, connection): the handle `Work.run` gets, which
        has `begin()` and `begin_nested()`, and the connection under it (to invalidate)."""

    def run_together(self, handle: Any, ordered: list[Work]) -> None:
        """Run every work of the batch (setting each `result`); raise to fall back to savepoints."""


class ConnectionFlavour:
    """Saves: a bare connection, each work's statement(s) in arrival order within attempt id order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def open(self) -> Iterator[tuple[Connection, Connection]]:
        with self.engine.connect() as conn:
            yield conn, conn

    def run_together(self, handle: Any, ordered: list[Work]) -> None:
        _one_by_one(handle, ordered)


def _one_by_one(handle: Any, ordered: list[Work]) -> None:
    for work in ordered:
        work.result = work.run(handle, work.now)


class SessionFlavour:
    """An ORM session of the app's sessionmaker on a connection the committer owns: its
    listeners (the after-commit push) see the batch, and a failed COMMIT can still discard the
    connection. `together(session, ordered)`, when given, runs the whole batch at once."""

    def __init__(self, app: Flask, engine: Engine,
                 together: Callable[[Session, list[Work]], None] | None = None) -> None:
        self.maker = app.extensions["exam_db"]["sessionmaker"]
        self.engine, self.together = engine, together

    @contextmanager
    def open(self) -> Iterator[tuple[Session, Connection]]:
        with self.engine.connect() as conn:
            session: Session = self.maker(bind=conn)
            try:
                yield session, conn
            finally:
                session.close()

    def run_together(self, handle: Any, ordered: list[Work]) -> None:
        (self.together or _one_by_one)(handle, ordered)


def _under_gevent(app: Flask) -> bool:
    """Serving under gevent: monkey-patched (gunicorn's worker) or Socket.IO's gevent mode."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    if monkey.is_module_patched("threading"):
        return True
    mode = str(app.config.get("SOCKETIO_ASYNC_MODE") or "")
    if not mode:
        from exam_server.extensions import socketio

        server = getattr(socketio, "server", None)
        mode = str(getattr(getattr(server, "eio", None), "async_mode", "") or "")
    # unpatched gevent: threading's waits would block every greenlet of the hub
    return mode.startswith("gevent")


class _Primitives:
    """Queue, event and spawn of the running concurrency model."""

    def __init__(self, gevent_native: bool) -> None:
        self.gevent_native = gevent_native
        if gevent_native:  # gevent's own queue and event: lighter than patched threading's
            import gevent
            import gevent.event
            import gevent.queue

            self.queue: Callable[[], Any] = gevent.queue.Queue
            self.event: Callable[[], Any] = gevent.event.Event
            self.empty: tuple[type[BaseException], ...] = (gevent.queue.Empty, queue.Empty)
            self._spawn: Callable[[Callable[[], None]], Any] = gevent.spawn
        else:
            # looked up now, not at import: under gunicorn's gevent worker these are patched
            self.queue, self.event, self.empty = queue.Queue, threading.Event, (queue.Empty,)
            self._spawn = lambda target: threading.Thread(target=target, name="exam-group-commit", daemon=True).start()

    def spawn(self, target: Callable[[], None]) -> None:
        self._spawn(target)


class _Committer:
    """One queue of works and the worker that commits them in batches."""

    def __init__(self, app: Flask, flavour: Flavour, prims: _Primitives, window_s: float, max_batch: int) -> None:
        self.app, self.flavour, self.prims = app, flavour, prims
        self.window_s, self.max_batch = window_s, max_batch
        self.queue = prims.queue()
        self.lock = threading.Lock()  # held for a few instructions only, never across a wait
        self.running = False
        self.batches = 0  # committed batches (for tests and diagnostics)

    def submit(self, work: Work) -> None:
        with self.lock:
            work.now = utcnow()  # under the lock: arrival order is time order
            work.done = self.prims.event()
            self.queue.put(work)
            if not self.running:
                self.running = True
                self.prims.spawn(self._loop)

    def _next(self, timeout: float | None) -> Work | None:
        try:
            if timeout is None:
                return self.queue.get_nowait()
            return self.queue.get(timeout=timeout)
        except self.prims.empty:
            return None

    def _collect(self) -> list[Work] | None:
        first = self._next(IDLE_S)
        if first is None:
            with self.lock:
                first = self._next(None)
                if first is None:  # idle: end; the next submit starts a new worker
                    self.running = False
                    return None
        batch = [first]
        ends = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            work = self._next(None)  # whatever is queued already joins without waiting
            if work is None:
                left = ends - time.monotonic()
                if left <= 0:
                    break
                work = self._next(left)
                if work is None:
                    break
            batch.append(work)
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._collect()
            if batch is None:
                return
            try:
                with self.app.app_context():
                    self._commit(batch)
            except BaseException as exc:  # never leave a caller waiting
                log.exception("group commit failed")
                for work in batch:
                    if work.error is None and not work.done.is_set():
                        work.error = exc
            finally:
                for work in batch:
                    work.done.set()

    def _isolated(self, handle: Any, ordered: list[Work]) -> None:
        for work in ordered:
            savepoint = handle.begin_nested()
            try:
                work.result = work.run(handle, work.now)
            except Exception as exc:
                savepoint.rollback()
                work.result, work.error = None, exc
            else:
                savepoint.commit()

    def _commit(self, batch: list[Work]) -> None:
        # attempt id order across attempts (lock order); stable, so one attempt's works keep theirs
        ordered = sorted(batch, key=lambda w: w.attempt_id)
        with self.flavour.open() as (handle, conn):
            tx = handle.begin()
            try:
                self.flavour.run_together(handle, ordered)
            except Exception:
                tx.rollback()
                if len(ordered) == 1 or conn.invalidated:
                    raise
                log.warning("a work of a batch of %d failed; running each in its own savepoint", len(ordered),
                            exc_info=True)
                for work in ordered:
                    work.result = None
                tx = handle.begin()
                self._isolated(handle, ordered)
            try:
                tx.commit()
            except BaseException:
                # The driver may still hold the transaction open (SQLite keeps it after a failed
                # COMMIT) while SQLAlchemy counts it ended and would pool the connection as is:
                # discard the connection, so no later transaction inherits half of this batch.
                conn.invalidate()
                raise
        self.batches += 1


class GroupCommit:
    """The committers of one app (one process) for one kind of work: the works of an attempt
    always go to the same one. Settings are read as `<prefix>_WINDOW_MS`, `_MAX_BATCH` and
    `_COMMITTERS`, each falling back to the saves' `[autosave]` setting."""

    def __init__(self, app: Flask, engine: Engine, flavour: Flavour | None = None,
                 prefix: str = "AUTOSAVE_GROUP_COMMIT") -> None:
        sqlite = engine.dialect.name == "sqlite"

        def setting(name: str, default: float) -> Any:
            return app.config.get(f"{prefix}_{name}", app.config.get(f"AUTOSAVE_GROUP_COMMIT_{name}", default))

        window_ms = float(setting("WINDOW_MS", DEFAULT_WINDOW_MS))
        max_batch = int(setting("MAX_BATCH", DEFAULT_MAX_BATCH))
        count = 1 if sqlite else int(setting("COMMITTERS", DEFAULT_COMMITTERS))
        if not 0 <= window_ms <= 1000:
            raise ValueError(f"[autosave] group_commit_window_ms must be 0–1000 ms, not {window_ms}")
        if max_batch < 1 or count < 1:
            raise ValueError("[autosave] group_commit_max_batch and group_commit_committers must be at least 1 "
                             f"(got {max_batch} and {count})")
        self.prims = _Primitives(_under_gevent(app))
        flavour = flavour or ConnectionFlavour(engine)
        self.committers = [_Committer(app, flavour, self.prims, window_ms / 1000, max_batch) for _ in range(count)]

    def run(self, work: Work) -> Any:
        """Queue `work`, wait until its batch committed; its result, or its batch's error raised."""
        committer = self.committers[work.attempt_id % len(self.committers)]
        committer.submit(work)
        if not work.done.wait(WAIT_S):
            raise OperationalError("group commit", None, TimeoutError(f"no commit within {WAIT_S:.0f} s"))
        if work.error is not None:
            raise work.error
        return work.result

    @property
    def batches(self) -> int:
        return sum(c.batches for c in self.committers)


def enabled(app: Flask) -> bool:
    return bool(app.config.get("AUTOSAVE_GROUP_COMMIT", True))


def for_app(app: Flask, engine: Engine, key: str = "exam_group_commit",
            make: Callable[[], GroupCommit] | None = None) -> GroupCommit:
    """The app's group committer for saves (or, with `key` and `make`, another kind), created on first use."""
    found: GroupCommit | None = app.extensions.get(key)
    if found is None:
        with _CREATE_LOCK:
            found = app.extensions.get(key)
            if found is None:
                found = app.extensions[key] = make() if make is not None else GroupCommit(app, engine)
    return found


_CREATE_LOCK = threading.Lock()

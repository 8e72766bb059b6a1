"""A real gunicorn/gevent server on PostgreSQL + Redis with a seeded, started sitting, and
candidates logged in through the API — driven with the load harness's lean socket client.

Tests that restart PostgreSQL or Redis get private instances (initdb + pg_ctl, redis-server
on a free port) so no other test's services are disturbed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from benchmarks.load.candidates import login
from benchmarks.load.seed import STAFF_PASSWORD, Plan, seed
from benchmarks.load.services import Cluster
from benchmarks.load.wire import SocketIO

EXAM, MONITOR = "/exam", "/monitor"


@dataclass
class World:
    server: Cluster
    db_url: str
    plan: Plan
    cookies: list[str]  # one logged-in session per candidate, in plan order
    app: Any

    def attempt(self, i: int) -> int:
        return self.plan.candidates[i].attempt


def seeded_app(db_url: str, instance: Path, candidates: int, *, start: bool = True) -> tuple[Any, Plan]:
    from exam_server.app import create_app
    from exam_server.events.log import Actor
    from exam_server.exams import lifecycle
    from tests.support.schema import ensure_schema

    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(instance), "REDIS_URL": "",
                      "SOCKETIO_ASYNC_MODE": "threading", "SECRET_KEY": "scale-tests-secret-5e8a2c7f1b4d9e3a6c0f"})
    with app.app_context():
        ensure_schema(app)
    plan = seed(app, candidates, per_room=3, duration_s=3600)
    if start:
        with app.app_context():
            lifecycle.start_sitting(plan.sitting_id, Actor("test:scale"))
    return app, plan


def login_all(base: str, plan: Plan) -> list[str]:
    async def go() -> list[str]:
        async with aiohttp.ClientSession() as http:
            return [await login(http, base, code=c.code) for c in plan.candidates]

    return asyncio.run(go())


@pytest.fixture(scope="module")
def world(postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("scale")
    app, plan = seeded_app(postgres_url, tmp, 6)
    server = Cluster(postgres_url, redis_url, tmp, workers=1, worker_connections=1000).start()
    try:
        yield World(server, postgres_url, plan, login_all(server.url, plan), app)
    finally:
        server.stop()


@asynccontextmanager
async def exam_socket(world: World, i: int, *, attempt: int | None = None,
                      events: list[tuple[str, Any]] | None = None) -> AsyncIterator[SocketIO]:
    """Candidate `i`'s socket on /exam (joined to `attempt`, by default its own)."""
    async with aiohttp.ClientSession() as http:
        sock = SocketIO(http, world.server.url, EXAM, world.cookies[i],
                        (lambda e, d: events.append((e, d))) if events is not None else None)
        await sock.connect({"attempt": world.attempt(i) if attempt is None else attempt})
        try:
            yield sock
        finally:
            await sock.close()


@asynccontextmanager
async def staff_socket(world: World, events: list[tuple[str, Any]]) -> AsyncIterator[SocketIO]:
    async with aiohttp.ClientSession() as http:
        cookie = await login(http, world.server.url, staff=(world.plan.examiner, STAFF_PASSWORD))
        sock = SocketIO(http, world.server.url, MONITOR, cookie, lambda e, d: events.append((e, d)))
        await sock.connect({})
        try:
            yield sock
        finally:
            await sock.close()


def stored(world: World, attempt: int) -> dict[int, tuple[int, Any]]:
    """question -> (seq, value) as the database holds it."""
    from sqlalchemy import select

    from exam_server.attempts.models import Response
    from exam_server.db import session as db

    with world.app.app_context():
        rows = db.execute(select(Response.question_no, Response.seq, Response.value)
                          .where(Response.attempt_id == attempt)).all()
        db.rollback()
    return {r.question_no: (r.seq, r.value) for r in rows}

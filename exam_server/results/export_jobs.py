"""Result packages built in the background, for sittings too large to build inside a request.

A 10,000-candidate PDF package takes minutes of CPU (reportlab lays out every page). Built in
the request it would hold a worker, and under gevent every candidate connected to that worker,
for as long. Instead a job row records the request and a child process at lower CPU priority
builds the package with the same code as the direct download (`bundle.package_zip`), writing
its progress into the row, then keeps the zip in the row so any worker on any node serves it.
The child beats: it writes the row at every percent of progress and, while busy without
finishing a unit (reportlab laying out 10,000 slips), at least every `beat_every()`. A job whose
row went unwritten for `stale_after()` reads as interrupted: its builder died. How far the
percentage moved says nothing about that. A finished package is kept for `KEEP_FOR`, then removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exam_server.db import utcnow
from exam_server.errors import NotFound
from exam_server.events.log import Actor
from exam_server.exams.models import Registration, Sitting
from exam_server.extensions import real_app
from exam_server.results.models import ExportJob

STALE_AFTER = timedelta(seconds=90)  # default of EXPORT_STALE_SECONDS: many missed heartbeats
KEEP_FOR = timedelta(hours=24)
PROGRESS_EVERY = timedelta(seconds=10)  # the longest the child stays silent while alive
WORKER_ARGS: tuple[str, ...] = ("-m", "exam_server.export_worker")  # a test wraps it to slow a phase


def stale_after() -> timedelta:
    """How long an unwritten row means a dead builder (EXPORT_STALE_SECONDS overrides)."""
    seconds = current_app.config.get("EXPORT_STALE_SECONDS") if has_app_context() else None
    return timedelta(seconds=float(seconds)) if seconds else STALE_AFTER


def beat_every() -> timedelta:
    """The child's heartbeat: several per staleness window, so one slow write is no death."""
    return min(PROGRESS_EVERY, stale_after() / 6)


def start(session: Session, sitting_id: int, fmt: str, by: str, actor: Actor, lang: str) -> ExportJob:
    """Record the job and start its builder; a bad format or grouping changes nothing."""
    from exam_server.results import bundle  # reportlab and openpyxl: only when exporting
    from exam_server.results.exports import units

    bundle.check_request(fmt, by)
    if session.get(Sitting, sitting_id) is None:
        raise NotFound("exams.sitting_not_found")
    session.execute(delete(ExportJob).where(ExportJob.created_at < utcnow() - KEEP_FOR))
    rows = session.scalar(select(func.count()).select_from(Registration)
                          .where(Registration.sitting_id == sitting_id)) or 0
    job = ExportJob(id=secrets.token_hex(16), sitting_id=sitting_id, format=fmt, by=by, lang=lang,
                    total=units(fmt, rows), actor=actor.label, created_by_id=actor.user_id)
    session.add(job)
    session.commit()
    _spawn(real_app(), job.id)
    return job


def _spawn(app: Flask, job_id: str) -> subprocess.Popen[bytes]:
    """The builder runs as `python -m exam_server.export_worker JOB` with this app's
    configuration on its standard input (never in its arguments or environment)."""
    child = subprocess.Popen(  # noqa: S603  (our own interpreter and module, no shell)
        [sys.executable, *WORKER_ARGS, job_id],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=None, close_fds=True,
    )
    if child.stdin is not None:
        child.stdin.write(json.dumps(config_snapshot(app)).encode())
        child.stdin.close()
    threading.Thread(target=child.wait, name=f"export-{job_id[:8]}", daemon=True).start()  # reaped
    return child


def config_snapshot(app: Flask) -> dict[str, Any]:
    """The app's configuration as JSON: what a child needs to open the same database and keys."""
    out: dict[str, Any] = {"INSTANCE_PATH": app.instance_path}
    for key, value in app.config.items():
        if key.isupper() and _plain(value):
            out[key] = value
    return out


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def get(session: Session, job_id: str) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None:
        raise NotFound("results.export_job_not_found")
    return job


def status(job: ExportJob, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    state, error = job.state, job.error
    if state in ("queued", "running") and now - job.updated_at > stale_after():  # no heartbeat
        state, error = "failed", "results.export_interrupted"
    percent = 100 if state == "done" else min(99, int(100 * job.done / job.total)) if job.total else 0
    return {"id": job.id, "sitting_id": job.sitting_id, "format": job.format, "by": job.by, "state": state,
            "done": job.done, "total": job.total, "percent": percent, "error": error,
            "filename": job.filename if state == "done" else ""}


def run(session: Session, job_id: str) -> None:
    """Build the package of `job_id` (in the child), reporting progress into its row."""
    from exam_server.results import bundle  # reportlab and openpyxl: only when exporting

    job = get(session, job_id)
    job.state, job.updated_at = "running", utcnow()
    session.commit()
    actor = Actor(job.actor, user_id=job.created_by_id)
    total, step, every = job.total, max(1, job.total // 100), beat_every()
    done, reported_at = 0, utcnow()

    def report(now: datetime) -> None:  # progress and heartbeat: the row's updated_at is both
        nonlocal reported_at
        job.done, job.updated_at, reported_at = min(done, total), now, now
        session.commit()

    def tick() -> None:  # one unit done (a row of a document, a packing step): told every percent
        nonlocal done
        done += 1
        now = utcnow()
        if done % step == 0 or now - reported_at > every:
            report(now)

    def beat() -> None:  # busy without finishing a unit: told only that the builder is alive
        now = utcnow()
        if now - reported_at > every:
            report(now)

    try:
        out = bundle.package_zip(session, job.sitting_id, job.format, job.by, actor, lang=job.lang, tick=tick,
                                 beat=beat)
        job.data = out.read()
        job.filename = f"ket-qua-ca-{job.sitting_id}-{job.by}-{job.format}.zip"
        job.state, job.done, job.updated_at = "done", job.total, utcnow()
        session.commit()
    except Exception:
        session.rollback()
        job.state, job.error, job.updated_at = "failed", "results.export_failed", utcnow()
        session.commit()
        raise


def lower_priority() -> None:
    """Exam traffic first: the builder yields the CPU to the workers serving candidates."""
    with contextlib.suppress(OSError):  # not permitted here: run at normal priority
        os.nice(10)

"""Group commit for submits: the submits that arrive together are closed in ONE transaction.

At the deadline a whole sitting presses "Nộp bài" within seconds. Each submit on its own was a
transaction of about a dozen statements and a commit (profiled: round trips, not grading, are
the time), so a worker acknowledged about 30 a second and the last candidate of a room waited
many seconds for the receipt. Here each open attempt's submit is queued to the per-process
committer machinery of `group_commit` (the same queue, window, wake-up and failure rules as
saves: `Work`, `GroupCommit`, a `SessionFlavour`), and the committer closes the batch at once:

1. the batch's attempts are read with their registrations and locked in ONE query,
   `SELECT ... ORDER BY id FOR UPDATE OF attempts` (attempt id order, the lock order of every
   multi-attempt transaction: a room pause, a staff end, a batch of saves);
2. each submit is decided in attempt id order, and in arrival order within an attempt, exactly
   as `candidate.submit` decides alone (`_decide`): the deadline (close at the deadline by the
   server), an idempotent repeat, `attempts.illegal_transition`, or the candidate's close;
3. the closes are graded and logged together (`submission.close_locked`), COMMIT, and only then
   is each caller woken with its outcome; the after-commit push (`realtime.pushes`) sees the
   batch's events because the session comes from the app's sessionmaker.

A caller's answer is built by the caller from the attempt's row as the batch left it (copied
onto the caller's own object, no query), its receipt from the answers the batch graded (no
query either), or from the conflict, so it is the answer the one-at-a-time path gives. A
submit that fails does not fail the others: the batch is rolled back and run again with each
submit in its own savepoint. A failed COMMIT acknowledges nobody (the socket handler answers
"unavailable, retry"; nothing was closed).

`[submit]` has no section of its own: `SUBMIT_GROUP_COMMIT` (default on) switches it, and
`SUBMIT_GROUP_COMMIT_WINDOW_MS`, `_MAX_BATCH`, `_COMMITTERS` fall back to `[autosave]`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from exam_server.attempts import group_commit, receipt
from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import Close, close_locked
from exam_server.db import among
from exam_server.db import session as db
from exam_server.errors import Conflict, NotFound
from exam_server.events.log import SERVER, Actor
from exam_server.extensions import real_app

KEY = "exam_group_submit"
_COLUMNS = tuple(attr.key for attr in inspect(Attempt).column_attrs)


@dataclass(frozen=True)
class _Seen:
    """What the caller read before queueing: today's path decides the deadline on it."""

    actor: Actor
    closes_at: datetime | None
    deadline_at: datetime | None


@dataclass(frozen=True)
class Done:
    """The attempt's row as the batch's COMMIT left it, and its stored answers when the batch
    closed it (graded: they are its receipt's)."""

    row: dict[str, Any]
    answers: dict[int, Any] | None


@dataclass(frozen=True)
class Illegal:
    """The attempt cannot be submitted in this state (`attempts.illegal_transition`)."""

    state: str


def enabled(app: Flask) -> bool:
    return bool(app.config.get("SUBMIT_GROUP_COMMIT", True))


def committer(app: Flask) -> group_commit.GroupCommit:
    """The app's submit committers, created on first use."""
    engine = app.extensions["exam_db"]["engine"]
    return group_commit.for_app(app, engine, KEY, lambda: group_commit.GroupCommit(
        app, engine, group_commit.SessionFlavour(app, engine, _together), prefix="SUBMIT_GROUP_COMMIT"))


def submit(attempt: Attempt, actor: Actor) -> Attempt:
    """Submit an attempt the caller read as active (in `db`), in a batch; `attempt` is returned
    as the batch's COMMIT left it, or `Conflict` raised as the one-at-a-time path raises it.

    The caller's own transaction is committed first: the committer needs a connection (SQLite
    pools one) and what the caller did is kept, as `autosave.save_answer` keeps it."""
    if db.in_transaction():
        db.commit()
    work = group_commit.Work(attempt.id, lambda session, _now: _alone(session, work))
    work.payload = _Seen(actor, attempt.closes_at, attempt.deadline_at)
    outcome = committer(real_app()).run(work)
    if isinstance(outcome, Illegal):
        raise Conflict("attempts.illegal_transition", action="submit", state=outcome.state)
    for key, value in outcome.row.items():  # the committed row, without reading it again
        set_committed_value(attempt, key, value)
    if outcome.answers is not None:  # the answer's receipt from what the batch graded: no query
        receipt.prefetch_answers(db, [attempt.id], {attempt.id: outcome.answers})
    return attempt


def _alone(session: Session, work: group_commit.Work) -> Any:
    """One submit in its own savepoint (after its batch failed as a whole)."""
    # A rolled-back savepoint leaves the log's cached chain tips ahead of the database: drop
    # them, so this submit's entry re-reads (and re-locks) its tip as the database holds it.
    session.info.pop("event_log_tx", None)
    _together(session, [work])
    return work.result


def _together(session: Session, ordered: list[group_commit.Work]) -> None:
    """Decide, close, grade and log every submit of a batch (in attempt id order) at once."""
    stmt = (select(Attempt).where(among(session, Attempt.id, sorted({w.attempt_id for w in ordered})))
            .options(joinedload(Attempt.registration, innerjoin=True)).order_by(Attempt.id)
            .execution_options(populate_existing=True))
    if session.get_bind().dialect.name == "postgresql":  # SQLite: the one writer already
        stmt = stmt.with_for_update(of=Attempt)
    held = {a.id: a for a in session.scalars(stmt)}
    closes: list[Close] = []
    closed: set[int] = set()
    decided: list[Illegal | None] = []
    for work in ordered:
        attempt = held.get(work.attempt_id)
        if attempt is None:
            raise NotFound("attempts.not_found")
        state = "submitted" if attempt.id in closed else attempt.state
        outcome = _decide(attempt, state, work.payload, work.now)
        if isinstance(outcome, Close):
            closes.append(outcome)
            closed.add(attempt.id)
        decided.append(outcome if isinstance(outcome, Illegal) else None)
    graded = close_locked(session, closes)
    for work, illegal in zip(ordered, decided, strict=True):
        attempt = held[work.attempt_id]
        work.result = illegal or Done({key: getattr(attempt, key) for key in _COLUMNS}, graded.get(attempt.id))


def _decide(attempt: Attempt, state: str, seen: _Seen, now: datetime) -> Close | Illegal | None:
    """What `candidate.submit` does with an attempt it read as active (`seen`) and that is now
    `state` (its row locked): close it (at the deadline by the server when found past it),
    refuse, or None: answer with the attempt as it is (submitted meanwhile, or a close lost)."""
    if seen.closes_at is not None and seen.closes_at <= now:  # `enforce_deadline`
        if state == "active" and attempt.closes_at is not None and attempt.closes_at <= now:
            return Close(attempt, at=attempt.deadline_at or now, by="server", actor=SERVER, reason="deadline")
        if state == "submitted":
            return None  # idempotent: a retried submit gets the same answer
        if state != "active":
            return Illegal(state)
        deadline = attempt.deadline_at  # the deadline was extended meanwhile: read again
    else:
        deadline = seen.deadline_at
    if state != "active":
        return None  # the conditional close lost: the attempt as it is now
    finish = min(now, deadline) if deadline else now
    return Close(attempt, at=finish, by="candidate", actor=seen.actor)

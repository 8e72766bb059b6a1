"""Closing many attempts at once in batches per room: the deadline job and a staff "end".

A storm of closes (a whole sitting running out, an examiner ending a sitting of thousands)
done attempt by attempt costs one commit each; done in one transaction it holds every row of
the sitting and the worker for seconds, so the pings and saves of everyone else stall. Here
the attempts of each room are closed, graded and logged in batches (one transaction, one
commit per batch of at most `[exam] close_batch`), the worker yielding between batches.

`close_batch` claims the batch's rows with their registrations in one query (on PostgreSQL
`FOR UPDATE OF attempts`, with `SKIP LOCKED` for the deadline job so several processes split
the storm; a staff end waits for rows in use instead, so none is left open), then closes,
grades and logs them set-wise (`submission.close_locked`, as a batch of submits): a handful of
statements per batch, not half a dozen per attempt. Under gevent each round trip yields the
worker, and at the deadline of a large sitting a yield can wait long behind everyone else's
events: a batch of many round trips held its rows for many seconds while those candidates'
own submits waited on them (10,000 candidates: lock waits of 20 s).

One attempt that cannot be closed must not hold back its room: a failed batch is rolled back
and closed one by one, and the attempts that still fail are reported to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from exam_server.attempts.models import Attempt
from exam_server.attempts.submission import Close, close_locked
from exam_server.db import session as db

log = logging.getLogger(__name__)

CLOSE_BATCH = 100  # attempts per transaction; `[exam] close_batch` overrides


@dataclass
class Closer:
    """How one kind of close claims and closes an attempt."""

    claim: Callable[[list[int]], Select[Any]]  # the batch's attempts still to close, in id order
    close: Callable[[Attempt], Close | None]  # how to close one claimed attempt; None: leave it
    skip_locked: bool  # PostgreSQL: leave rows another transaction holds to it (vs. wait for them)
    what: str  # for the log
    failed: list[int] = field(default_factory=list)  # attempts that could not be closed
    error: Exception | None = None  # the last error of those


def batch_size(size: int | None = None) -> int:
    value = size or int(current_app.config.get("EXAM_CLOSE_BATCH", CLOSE_BATCH))
    if value < 1:
        raise ValueError(f"[exam] close_batch must be at least 1, not {value}")
    return value


def close_batch(attempt_ids: list[int], closer: Closer) -> int:
    """Close, grade and log one batch of one room in one transaction; returns how many closed."""
    claim = (closer.claim(attempt_ids).options(joinedload(Attempt.registration, innerjoin=True))
             .execution_options(populate_existing=True))
    if db.get_bind().dialect.name == "postgresql":
        claim = claim.with_for_update(of=Attempt, skip_locked=closer.skip_locked)
    try:
        closes = [c for c in map(closer.close, db.scalars(claim).unique().all()) if c is not None]
        close_locked(db, closes)
        db.commit()
    except Exception as exc:
        db.rollback()
        if len(attempt_ids) == 1:
            closer.failed.extend(attempt_ids)
            closer.error = exc
            log.exception("closing attempt %s (%s) failed", attempt_ids[0], closer.what)
            return 0
        # one attempt that cannot be closed must not hold back its room: close them one by one
        return sum(close_batch([attempt_id], closer) for attempt_id in attempt_ids)
    return len(closes)


def close_by_room(rooms: Mapping[int, list[int]], closer: Closer, size: int | None = None) -> int:
    """Close the attempts of each room in batches of `size`, yielding between batches."""
    from exam_server.extensions import socketio

    size = batch_size(size)
    closed = 0
    for attempt_ids in rooms.values():
        for first in range(0, len(attempt_ids), size):
            closed += close_batch(attempt_ids[first:first + size], closer)
            socketio.sleep(0)  # let pings and saves of other rooms run between batches
    return closed

"""Deadline bookkeeping: the derived `deadline_at`/`closes_at` columns follow every change."""

from __future__ import annotations

from datetime import datetime, timedelta

from exam_server.attempts.models import Attempt


def refresh_deadline(attempt: Attempt, now: datetime) -> None:
    """Recompute the stored deadline; a paused or unstarted attempt has none (its clock is stopped)."""
    deadline = attempt.deadline(now)
    if attempt.state == "active" and deadline is not None:
        attempt.deadline_at = deadline
        attempt.closes_at = deadline + timedelta(seconds=attempt.grace_s)
    elif attempt.state in ("pending", "paused"):
        attempt.deadline_at = attempt.closes_at = None


def deadline_iso(attempt: Attempt) -> str:
    """The running clock's deadline for event data; empty when the clock is stopped."""
    return attempt.deadline_at.isoformat() if attempt.deadline_at else ""


def start_clock(attempt: Attempt, at: datetime) -> None:
    attempt.state = "active"
    attempt.started_at = at
    refresh_deadline(attempt, at)


def stop_clock(attempt: Attempt, at: datetime, by: str) -> None:
    """Pause: time from now on is credited when the clock restarts."""
    attempt.state = "paused"
    attempt.paused_since = at
    attempt.paused_by = by
    refresh_deadline(attempt, at)


def restart_clock(attempt: Attempt, at: datetime) -> float:
    """Resume; returns the seconds credited for this pause."""
    credited = max(0.0, (at - attempt.paused_since).total_seconds()) if attempt.paused_since else 0.0
    attempt.paused_credit_s += credited
    attempt.paused_since = None
    attempt.paused_by = ""
    attempt.state = "active"
    refresh_deadline(attempt, at)
    return credited


def remaining_seconds(attempt: Attempt, now: datetime) -> float | None:
    deadline = attempt.deadline(now)
    return None if deadline is None else max(0.0, (deadline - now).total_seconds())


def started_deadline(at: datetime, duration_s: int, extra_s: int, paused_credit_s: float,
                     paused_since: datetime | None) -> datetime:
    """The deadline `start_clock` gives an attempt started at `at`, from its columns alone (a
    room's start sets thousands in one UPDATE, without loading them): `Attempt.deadline`'s sum."""
    credit = paused_credit_s + (max(0.0, (at - paused_since).total_seconds()) if paused_since is not None else 0.0)
    return at + timedelta(seconds=duration_s + extra_s + credit)

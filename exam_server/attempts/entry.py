"""Whether a candidate has entered their attempt: the one rule every count of "writing" uses.

Starting a room starts every pending attempt's clock, logged in or not, so an attempt's state
alone would count a candidate who never came as writing (or, once the room closes, as having
submitted). A candidate has entered once they logged in (`entered_at` set) or handed their paper
in themselves; until then the dashboards show them by their arrival (monitor.rows) and the
sitting page's room table leaves them out of its attempt-state columns (attempts.room_clock).
"""

from __future__ import annotations

ENTERED_STATES = ("active", "paused", "submitted")  # states that mean nothing without entry


def has_entered(entered_at_set: bool, submitted_by: str | None) -> bool:
    return bool(entered_at_set) or submitted_by == "candidate"


def counted_state(attempt_state: str, entered: bool) -> str | None:
    """The attempt state a count shows, or None for a candidate who never entered a started
    attempt (never logged in is never writing, paused or submitted)."""
    if attempt_state in ENTERED_STATES and not entered:
        return None
    return attempt_state

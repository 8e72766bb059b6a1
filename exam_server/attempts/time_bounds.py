"""Bounds on extra time, checked before any arithmetic on a deadline.

Without them an invigilator's typo (10⁸ s) was accepted and 10¹² s overflowed the deadline and
the database integer (HTTP 500, and the dashboard's socket got no answer at all). One action
gives (or, negative, takes back) between 1 second and 8 hours; an attempt never holds more than
8 hours of extra time in total. The API, the socket action and the room page all reach
`control.add_extra_time`, which calls `check_extra_time` first.
"""

from __future__ import annotations

from typing import Any

from exam_server.errors import Conflict, ServiceError

MIN_EXTRA_S = 1
MAX_EXTRA_S_PER_ACTION = 8 * 3600
MAX_EXTRA_S_TOTAL = 8 * 3600


def extra_seconds(value: Any) -> int:
    """The `seconds` of a request: an integer (JSON true/false and 1.5 are refused)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ServiceError("attempts.bad_seconds")
    return value


def check_extra_time(seconds: Any, current_extra_s: int) -> int:
    """`seconds` when it is within the bounds; a 4xx ServiceError naming the bound otherwise."""
    seconds = extra_seconds(seconds)
    if not MIN_EXTRA_S <= abs(seconds) <= MAX_EXTRA_S_PER_ACTION:
        raise ServiceError("attempts.extra_time_out_of_range", seconds=seconds, min=MIN_EXTRA_S,
                           max=MAX_EXTRA_S_PER_ACTION, max_hours=MAX_EXTRA_S_PER_ACTION // 3600)
    if current_extra_s + seconds > MAX_EXTRA_S_TOTAL:
        raise Conflict("attempts.extra_time_total_cap", total=current_extra_s, max=MAX_EXTRA_S_TOTAL,
                       max_hours=MAX_EXTRA_S_TOTAL // 3600, left=max(MAX_EXTRA_S_TOTAL - current_extra_s, 0))
    return seconds

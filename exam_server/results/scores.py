"""Scores on the Vietnamese 10-point scale (kept light: pages import it)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_score(raw: float, max_points: float, step: str = "0.25") -> float:
    """Raw points -> 10-point scale, rounded half-up to the configured step (0.25, 0.01...)."""
    if max_points <= 0:
        return 0.0
    value = Decimal(str(raw)) * Decimal(10) / Decimal(str(max_points))
    unit = Decimal(step)
    return float((value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit)


def is_absent(state: str | None, entered_at: object, sitting_state: str, answered: bool = False) -> bool:
    """Never logged in nor answered, and the attempt is over (closed at the end) or the sitting
    has ended.

    Ending a room closes every open attempt, so an absentee's attempt reads "submitted" with
    0 points: it must never be reported as a score (official results say "Vắng")."""
    if entered_at is not None or answered:
        return False
    return state == "submitted" or sitting_state == "ended"

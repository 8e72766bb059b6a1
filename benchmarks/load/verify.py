"""The end-of-run check against the database: nothing acknowledged is missing or different."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.load.candidates import SimCandidate


def verify(database_url: str, candidates: list[SimCandidate]) -> dict[str, Any]:
    """Per (attempt, question): the stored seq is at least the highest acknowledged seq, and the
    stored value is exactly what the candidate sent with the stored seq."""
    engine = create_engine(database_url)
    ids = [c.plan.attempt for c in candidates]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT attempt_id, question_no, seq, value FROM responses "
                                 "WHERE attempt_id = ANY(:ids)"), {"ids": ids}).all()
        deadlines = dict(conn.execute(text("SELECT id, deadline_at FROM attempts WHERE id = ANY(:ids)"),
                                      {"ids": ids}).all())
    engine.dispose()
    stored: dict[int, dict[int, tuple[int, Any]]] = {}
    for r in rows:
        stored.setdefault(r.attempt_id, {})[r.question_no] = (r.seq, r.value)
    lost: list[str] = []
    foreign: list[str] = []
    acked = 0
    for c in candidates:
        best: dict[int, int] = {}
        for (q, seq) in c.acked:
            best[q] = max(best.get(q, 0), seq)
            acked += 1
        mine = stored.get(c.plan.attempt, {})
        for q, seq in best.items():
            got = mine.get(q)
            if got is None or got[0] < seq:
                lost.append(f"attempt {c.plan.attempt} q{q}: acked seq {seq}, stored {got and got[0]}")
        for q, (seq, value) in mine.items():
            if c.sent.get((q, seq), _MISSING) != value:
                foreign.append(f"attempt {c.plan.attempt} q{q} seq {seq}: stored value was never sent with that seq")
    return {"acknowledged": acked, "stored_rows": len(rows), "lost": lost, "foreign": foreign,
            "deadlines": {k: v.timestamp() if v else None for k, v in deadlines.items()}}


_MISSING = object()

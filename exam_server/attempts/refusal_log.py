"""Refused saves in the audit log, one entry per burst with a count, not one per refusal.

A locked or paused attempt whose page (or a script) keeps sending saves wrote an audit entry for
every refusal: thousands of entries for one incident, each a write on the hot path. Now the first
refusal of a burst is logged at once (so the incident is visible immediately) and the rest of the
burst are counted in `save_refusal_bursts`, one row per (attempt, reason); the count is written
to the log as one more `save.refused` entry (`"coalesced": true`) when the burst ends (the next
refusal after a quiet gap), every `FLUSH_EVERY` refusals of a long burst, and when the attempt
closes. The `count` fields of an attempt's `save.refused` entries add up to its refusals.

Conflicts (`attempts.conflict`: two writers numbered two changes alike) are integrity findings
and are logged one by one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exam_server.db import Base, UTCDateTime
from exam_server.events.log import SERVER, Actor, append_event

BURST_GAP_S = 30.0  # refusals closer together than this are one burst
FLUSH_EVERY = 100  # a long burst still reaches the log every this many refusals
NOT_COALESCED = frozenset({"attempts.conflict"})


class SaveRefusalBurst(Base):
    """The open burst of refusals of one attempt for one reason."""

    __tablename__ = "save_refusal_bursts"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(default=0)
    logged: Mapped[int] = mapped_column(default=0)  # how many of `count` the log already holds
    last_question: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    sitting_id: Mapped[int] = mapped_column(default=0)
    room_id: Mapped[int | None] = mapped_column(nullable=True)
    actor: Mapped[str] = mapped_column(String(200), default="server")


def _flush(session: Session, burst: SaveRefusalBurst) -> None:
    pending = burst.count - burst.logged
    if pending <= 0:
        return
    append_event(session, "save.refused", Actor(burst.actor), sitting_id=burst.sitting_id or None,
                 room_id=burst.room_id, attempt_id=burst.attempt_id, reason=burst.code,
                 data={"count": pending, "coalesced": True, "first_at": burst.first_at.isoformat(),
                       "last_at": burst.last_at.isoformat(), "question": burst.last_question, "seq": burst.last_seq})
    burst.logged = burst.count


def record_refusal(session: Session, *, attempt_id: int, sitting_id: int, room_id: int | None, code: str,
                   question: Any, seq: Any, actor: Actor | None, now: datetime) -> None:
    """Log one refused save inside the caller's transaction (the caller commits)."""
    actor = actor or SERVER
    if code in NOT_COALESCED:
        append_event(session, "save.refused", actor, sitting_id=sitting_id, room_id=room_id, attempt_id=attempt_id,
                     reason=code, data={"question": question, "seq": seq, "count": 1})
        return
    burst = session.scalar(select(SaveRefusalBurst).where(SaveRefusalBurst.attempt_id == attempt_id,
                                                          SaveRefusalBurst.code == code).with_for_update())
    q = question if isinstance(question, int) and not isinstance(question, bool) else 0
    s = seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
    if burst is not None and (now - burst.last_at).total_seconds() <= BURST_GAP_S:
        burst.count += 1
        burst.last_at, burst.last_question, burst.last_seq = now, q, s
        if burst.count - burst.logged >= FLUSH_EVERY:
            _flush(session, burst)
        return
    if burst is None:
        burst = SaveRefusalBurst(attempt_id=attempt_id, code=code, first_at=now, last_at=now)
        session.add(burst)
    else:
        _flush(session, burst)  # the previous burst's uncounted tail
    burst.first_at, burst.last_at, burst.count, burst.logged = now, now, 1, 1
    burst.last_question, burst.last_seq = q, s
    burst.sitting_id, burst.room_id, burst.actor = sitting_id, room_id, actor.label[:200]
    append_event(session, "save.refused", actor, sitting_id=sitting_id, room_id=room_id, attempt_id=attempt_id,
                 reason=code, data={"question": question, "seq": seq, "count": 1})


def flush_attempt(session: Session, attempt_id: int) -> None:
    """Write the counts still open for an attempt (called when it closes)."""
    for burst in session.scalars(select(SaveRefusalBurst).where(SaveRefusalBurst.attempt_id == attempt_id)):
        _flush(session, burst)

"""Appending to the event log: one hash chain per stream, inside the caller's transaction.

The hot path takes no lock shared by a sitting: an entry about an attempt locks only that
attempt's chain tip (`EventChain` row), and its number `seq` comes from a database sequence.
The sequencer (`exam_server.events.sequencer`) later folds committed entries into the
sitting's signed Merkle tree; `exam_server.events.audit` verifies both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from exam_server.db import dialect_insert, utcnow
from exam_server.events.models import EVENT_SEQ, Event, EventChain


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a candidate (registration) or the server itself."""

    label: str  # "examiner:gv01", "candidate:SBD 010001", "server"
    user_id: int | None = None
    registration_id: int | None = None


SERVER = Actor("server")


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_bytes(e: Event) -> bytes:
    """The exact bytes an entry commits to: its chain hash is SHA-256 of them, its Merkle leaf
    SHA-256(0x00 || them). Format 1 (migrated entries) keeps the old rule: previous hash
    followed by the content, with `seq` numbering the old per-sitting chain."""
    content = {
        "chain": e.chain, "seq": e.seq, "at": e.at.isoformat(), "action": e.action,
        "actor": e.actor, "actor_id": e.actor_id, "sitting_id": e.sitting_id, "room_id": e.room_id,
        "attempt_id": e.attempt_id, "reason": e.reason, "data": e.data,
    }
    if e.format == 1:
        return (e.prev_hash + _canonical(content)).encode()
    return _canonical({**content, "v": 2, "stream": e.stream, "stream_seq": e.stream_seq,
                       "prev_hash": e.prev_hash}).encode()


def entry_hash(e: Event) -> str:
    return hashlib.sha256(entry_bytes(e)).hexdigest()


def stream_for(actor: Actor, sitting_id: int | None, room_id: int | None, attempt_id: int | None) -> str:
    """The chain an entry joins: its attempt, else the acting candidate, else its room, else its
    sitting. Writers of one stream are one attempt, one candidate or one room's staff, so a
    sitting's appends never queue behind each other. The key starts with the sitting's log, so
    a stream never spans two logs (an entry naming a room without its sitting stays in its own)."""
    log = f"sitting:{sitting_id}" if sitting_id is not None else "system"
    if attempt_id is not None:
        return f"{log}/attempt:{attempt_id}"
    if actor.registration_id is not None:
        return f"{log}/registration:{actor.registration_id}"
    if room_id is not None:
        return f"{log}/room:{room_id}"
    return log


@dataclass
class _Tip:
    seq: int
    hash: str
    drawn: int | None = None  # PostgreSQL: the global seq drawn with the lock, for the first entry


def _tx_state(session: Session) -> dict[str, Any]:
    """Per-transaction bookkeeping: the stream tips this transaction holds (locked), the last seq."""
    session.connection()  # begins the transaction, so it can be told apart from the previous one
    transaction = session.get_transaction()
    cached = session.info.get("event_log_tx")
    if cached is None or cached[0] is not transaction:
        cached = session.info["event_log_tx"] = (transaction, {"tips": {}, "seq": None})
    state: dict[str, Any] = cached[1]
    return state


def _lock_tip(session: Session, stream: str, chain: int) -> _Tip:
    """Create-or-lock the stream's tip row in one statement (ON CONFLICT DO UPDATE locks it); on
    PostgreSQL the same statement draws the first entry's global seq (one round trip less)."""
    dialect = session.get_bind().dialect.name
    insert = dialect_insert(dialect)
    stmt = insert(EventChain).values(stream=stream, chain=chain, seq=0, hash="0" * 64)
    stmt = stmt.on_conflict_do_update(index_elements=["stream"], set_={"stream": stmt.excluded.stream})
    if dialect == "postgresql":
        seq, hash_, drawn = session.execute(stmt.returning(EventChain.seq, EventChain.hash, EVENT_SEQ.next_value())).one()
        return _Tip(seq, hash_, int(drawn))
    seq, hash_ = session.execute(stmt.returning(EventChain.seq, EventChain.hash)).one()
    return _Tip(seq, hash_)


def _next_seq(session: Session, state: dict[str, Any], tip: _Tip) -> int:
    if tip.drawn is not None:
        drawn, tip.drawn = tip.drawn, None
        return drawn
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(select(EVENT_SEQ.next_value())).scalar_one())
    # SQLite: one writer at a time (every transaction begins IMMEDIATE), so max + 1 is safe;
    # entries of this transaction not flushed yet are counted through `state`.
    if state["seq"] is None:
        state["seq"] = int(session.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one())
    state["seq"] += 1
    return int(state["seq"])


def append_event(
    session: Session,
    action: str,
    actor: Actor,
    *,
    sitting_id: int | None = None,
    room_id: int | None = None,
    attempt_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Add one entry to its stream's chain inside the caller's transaction (the caller commits)."""
    chain = sitting_id or 0
    stream = stream_for(actor, sitting_id, room_id, attempt_id)
    state = _tx_state(session)
    tip = state["tips"].get(stream)
    if tip is None:
        tip = state["tips"][stream] = _lock_tip(session, stream, chain)
    event = Event(
        chain=chain, seq=_next_seq(session, state, tip), stream=stream, stream_seq=tip.seq + 1, format=2,
        at=at or utcnow(), action=action, actor=actor.label, actor_id=actor.user_id,
        sitting_id=sitting_id, room_id=room_id, attempt_id=attempt_id, reason=reason, data=data or {},
        prev_hash=tip.hash,
    )
    event.hash = entry_hash(event)
    tip.seq, tip.hash = event.stream_seq, event.hash
    session.execute(update(EventChain).where(EventChain.stream == stream).values(seq=tip.seq, hash=tip.hash)
                    .execution_options(synchronize_session=False))
    session.add(event)
    return event


def verify_chain(session: Session, chain: int) -> list[str]:
    """Problems found in one sitting's log (empty when intact); see `exam_server.events.audit`."""
    from exam_server.events.audit import audit_log

    return [p.message for p in audit_log(session, chain)]

"""Appending to and verifying the hash-chained event log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.db import dialect_insert, utcnow
from exam_server.events.models import GENESIS, Event, EventHead


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a candidate (registration) or the server itself."""

    label: str  # "examiner:gv01", "candidate:SBD 010001", "server"
    user_id: int | None = None
    registration_id: int | None = None


SERVER = Actor("server")


def _content_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + blob).encode()).hexdigest()


def _fields(e: Event) -> dict[str, Any]:
    return {
        "chain": e.chain, "seq": e.seq, "at": e.at.isoformat(), "action": e.action,
        "actor": e.actor, "actor_id": e.actor_id, "sitting_id": e.sitting_id, "room_id": e.room_id,
        "attempt_id": e.attempt_id, "reason": e.reason, "data": e.data,
    }


def _locked_head(session: Session, chain: int) -> EventHead:
    """The chain's head row, locked until the caller's transaction ends.

    Starting a room appends an entry per candidate in one transaction: the head is locked
    and read once per transaction, not once per entry.
    """
    session.connection()  # begins the transaction, so it can be told apart from the previous one
    transaction = session.get_transaction()
    cached = session.info.get("event_heads")
    if cached is None or cached[0] is not transaction:
        cached = session.info["event_heads"] = (transaction, {})
    heads: dict[int, EventHead] = cached[1]
    if chain not in heads:
        insert = dialect_insert(session.get_bind().dialect.name)
        session.execute(insert(EventHead).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
        heads[chain] = session.execute(
            select(EventHead).where(EventHead.chain == chain).with_for_update()
        ).scalar_one()
    return heads[chain]


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
    """Add one entry to the sitting's chain inside the caller's transaction (the caller commits)."""
    chain = sitting_id or 0
    head = _locked_head(session, chain)
    event = Event(
        chain=chain, seq=head.seq + 1, at=at or utcnow(), action=action, actor=actor.label,
        actor_id=actor.user_id, sitting_id=sitting_id, room_id=room_id, attempt_id=attempt_id,
        reason=reason, data=data or {}, prev_hash=head.hash,
    )
    event.hash = _content_hash(head.hash, _fields(event))
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def verify_chain(session: Session, chain: int) -> list[str]:
    """Problems found in one chain (empty when intact): broken links, edited or missing entries."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for e in session.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq)):
        if e.seq != expected_seq:
            problems.append(f"entry {expected_seq} missing before {e.seq}")
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq}: link to previous entry broken")
        if _content_hash(e.prev_hash, _fields(e)) != e.hash:
            problems.append(f"entry {e.seq}: content changed")
        prev, expected_seq = e.hash, e.seq + 1
    head = session.get(EventHead, chain)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        problems.append("chain tip does not match the last entry (entries removed at the end?)")
    return problems

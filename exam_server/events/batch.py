"""Appending many entries at once: the same chains as `events.log.append_event`, fewer round trips.

Starting a room appends one `attempt.started` entry per candidate, each to its own attempt's
stream. One at a time that is three statements per entry (lock the tip, draw `seq`, move the
tip) plus an INSERT, so a sitting of 1,000 spent seconds in round trips while every pushed
key waited for its COMMIT. Here the missing tips are locked in one upsert, the numbers drawn
in one query, the tips moved in one UPDATE and the entries inserted in one INSERT, each
statement taking its rows as a few array parameters (`unnest`): a multi-row VALUES or an ORM
flush of 1,000 entries has tens of thousands of placeholders, and rewriting and binding those
cost more than the database's work. The entries, their order, their chains and their hashes
are exactly those the one-at-a-time calls would have written (the tests compare them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from exam_server.db import dialect_insert, utcnow
from exam_server.events.log import Actor, _Tip, _tx_state, append_event, entry_hash, stream_for
from exam_server.events.models import EVENT_SEQ, GENESIS, Event, EventChain

# session.info key: (transaction, the events batches inserted in it), for `realtime.pushes`
APPENDED = "events_appended"


@dataclass(frozen=True)
class Entry:
    """One entry to append: the arguments of `append_event`."""

    action: str
    actor: Actor
    sitting_id: int | None = None
    room_id: int | None = None
    attempt_id: int | None = None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


def _lock_tips(session: Session, streams: dict[str, int]) -> dict[str, _Tip]:
    """Create-or-lock every tip in one statement (ON CONFLICT DO UPDATE locks the rows that exist);
    in stream order, so two batches over the same streams cannot deadlock. The streams travel as
    two array parameters (`unnest`), not as four parameters per row: psycopg's rewriting of a
    statement with thousands of placeholders alone cost a tenth of a second per 1,000."""
    ordered = sorted(streams.items())
    rows = unnest(("stream", [s for s, _ in ordered], String), ("chain", [c for _, c in ordered], BigInteger))
    insert = dialect_insert(session.get_bind().dialect.name)
    stmt = insert(EventChain).from_select(
        ["stream", "chain", "seq", "hash"],
        select(rows.c.stream, rows.c.chain, literal(0, BigInteger), literal(GENESIS, String))
        .order_by(rows.c.ordinality))
    stmt = stmt.on_conflict_do_update(index_elements=["stream"], set_={"stream": stmt.excluded.stream})
    found = session.execute(stmt.returning(EventChain.stream, EventChain.seq, EventChain.hash)).all()
    return {stream: _Tip(seq, hash_) for stream, seq, hash_ in found}


def unnest(*columns: tuple[str, list[Any], Any]) -> Any:
    """`unnest(:a, :b, ...) WITH ORDINALITY AS u(a, b, ..., ordinality)`: rows from one array
    parameter per column (PostgreSQL), so a statement over n rows has a few parameters, not n."""
    arrays = [bindparam(name, values, type_=postgresql.ARRAY(type_)) for name, values, type_ in columns]
    return func.unnest(*arrays).table_valued(*(name for name, _, _ in columns), with_ordinality="ordinality") \
        .render_derived()


def _draw_seqs(session: Session, n: int) -> list[int]:
    drawn = session.execute(select(EVENT_SEQ.next_value()).select_from(func.generate_series(1, n))).scalars()
    return sorted(int(s) for s in drawn)


def append_events(session: Session, entries: list[Entry]) -> list[Event]:
    """Append `entries` in order inside the caller's transaction (the caller commits).

    On PostgreSQL the entries are inserted at once (not at the next flush): the events returned
    are not in the session, their ids set; `realtime.pushes` takes them (`take_appended`) after
    the COMMIT as it takes the entries flushed by `append_event`."""
    if not entries:
        return []
    if session.get_bind().dialect.name != "postgresql":  # SQLite: one writer anyway, keep it simple
        return [append_event(session, e.action, e.actor, sitting_id=e.sitting_id, room_id=e.room_id,
                             attempt_id=e.attempt_id, reason=e.reason, data=e.data, at=e.at) for e in entries]
    state = _tx_state(session)
    tips: dict[str, _Tip] = state["tips"]
    streams = [stream_for(e.actor, e.sitting_id, e.room_id, e.attempt_id) for e in entries]
    missing = {s: (e.sitting_id or 0) for s, e in zip(streams, entries, strict=True) if s not in tips}
    if missing:
        tips.update(_lock_tips(session, missing))
    events: list[Event] = []
    for seq, stream, e in zip(_draw_seqs(session, len(entries)), streams, entries, strict=True):
        tip = tips[stream]
        event = _unmanaged_event(
            chain=e.sitting_id or 0, seq=seq, stream=stream, stream_seq=tip.seq + 1, format=2,
            at=e.at or utcnow(), action=e.action, actor=e.actor.label, actor_id=e.actor.user_id,
            sitting_id=e.sitting_id, room_id=e.room_id, attempt_id=e.attempt_id, reason=e.reason,
            data=e.data or {}, prev_hash=tip.hash, leaf_index=None,
        )
        event.__dict__["hash"] = entry_hash(event)
        tip.seq, tip.hash = event.stream_seq, event.hash
        events.append(event)
    _move_tips(session, {stream: tips[stream] for stream in streams})
    _insert(session, events)
    _remember(session, events)
    return events


def _remember(session: Session, events: list[Event]) -> None:
    """Keep the batch for the push after COMMIT; a list left by an earlier transaction (no
    push listening, or rolled back) is dropped, so a long-lived session does not grow."""
    transaction = session.get_transaction()
    held: tuple[Any, list[Event]] | None = session.info.get(APPENDED)
    if held is None or held[0] is not transaction:
        held = session.info[APPENDED] = (transaction, [])
    held[1].extend(events)


def take_appended(session: Session) -> list[Event]:
    """The events batches inserted in the transaction that just ended, forgotten once taken."""
    held: tuple[Any, list[Event]] | None = session.info.pop(APPENDED, None)
    return held[1] if held else []


def _unmanaged_event(**fields: Any) -> Event:
    """An `Event` holding `fields`, made without the ORM constructor, whose per-attribute change
    tracking cost as much as hashing the entry: the row is inserted by `_insert`, never through a
    session, so there is nothing to track. Not to be added to a session (it would see no changes)."""
    event: Event = Event.__mapper__.class_manager.new_instance()
    event.__dict__.update(fields)
    return event


def _move_tips(session: Session, moved: dict[str, _Tip]) -> None:
    """One UPDATE ... FROM unnest for every tip the batch moved (rows this transaction locked)."""
    rows = unnest(("stream", list(moved), String), ("seq", [t.seq for t in moved.values()], BigInteger),
                  ("hash", [t.hash for t in moved.values()], String))
    session.execute(update(EventChain).where(EventChain.stream == rows.c.stream)
                    .values(seq=rows.c.seq, hash=rows.c.hash).execution_options(synchronize_session=False))


_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("chain", BigInteger), ("seq", BigInteger), ("stream", String), ("stream_seq", BigInteger),
    ("format", SmallInteger), ("at", DateTime(timezone=True)), ("action", String), ("actor", String),
    ("actor_id", Integer), ("sitting_id", Integer), ("room_id", Integer), ("attempt_id", Integer),
    ("reason", Text), ("prev_hash", String), ("hash", String),
)


def _insert(session: Session, events: list[Event]) -> None:
    """One INSERT ... SELECT FROM unnest for the whole batch (an ORM flush of 1,000 entries was
    an INSERT with 17,000 placeholders, about a third of a room's start), ids read back."""
    serialize = getattr(session.get_bind().dialect, "_json_serializer", None) or json.dumps
    rows = unnest(*((name, [getattr(e, name) for e in events], type_) for name, type_ in _COLUMNS),
                  ("data", [serialize(e.data) for e in events], Text))
    names = [name for name, _ in _COLUMNS]
    stmt = insert(Event).from_select(
        [*names, "data"], select(*(rows.c[name] for name in names), cast(rows.c.data, JSON)).order_by(rows.c.ordinality))
    ids: dict[int, int] = {seq: id_ for seq, id_ in session.execute(stmt.returning(Event.seq, Event.id))}
    for event in events:
        event.__dict__["id"] = ids[event.seq]

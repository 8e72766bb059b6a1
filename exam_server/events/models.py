"""The append-only event log: every change to an attempt's state or time, every refused save.

Two layers of protection, so appending never serialises a whole sitting:

* **Chains per stream.** Each entry is chained to the previous entry of its *stream* — the
  attempt it is about (`sitting:<s>/attempt:<id>`), else the candidate who acted
  (`…/registration:<id>`), else its room (`…/room:<id>`), else its sitting (`sitting:<s>`) —
  in the same transaction as the change. `EventChain` holds
  each stream's tip and is locked only by writers of that one stream.
* **A Merkle tree per sitting** (`chain` = the sitting's log, 0 outside sittings). The
  sequencer folds committed entries into it every second or so (`leaf_index`) and stores a
  signed tree head (`EventTreeHead`), signed with the exam authority's key: anyone without
  the key who edits, recomputes, truncates or deletes entries cannot make the heads agree.

`seq` numbers entries in the order they were appended (a database sequence, so no lock);
`format` 1 marks entries migrated from the old per-sitting chain, verified by their old rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, Sequence, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime

GENESIS = "0" * 64
EVENT_SEQ = Sequence("event_seq", metadata=Base.metadata)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_chain_seq", "chain", "seq", unique=True),
        Index("ix_events_stream_seq", "stream", "stream_seq", unique=True),
        Index("ix_events_chain_leaf", "chain", "leaf_index", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int] = mapped_column(BigInteger)  # the sitting's log (its Merkle tree); 0 outside sittings
    seq: Mapped[int] = mapped_column(BigInteger)
    stream: Mapped[str] = mapped_column(String(64))
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    format: Mapped[int] = mapped_column(SmallInteger, default=2)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))  # "invigilator:gt1", "server", "candidate:SBD"
    sitting_id: Mapped[int | None] = mapped_column(nullable=True)
    room_id: Mapped[int | None] = mapped_column(nullable=True)
    attempt_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventChain(Base):
    """The tip of one stream's hash chain (locked only by appends to that stream)."""

    __tablename__ = "event_chains"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain: Mapped[int] = mapped_column(BigInteger, index=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


class EventTree(Base):
    """The sequencer's state of one sitting's Merkle tree: its size and right edge."""

    __tablename__ = "event_trees"

    chain: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    frontier: Mapped[list[str]] = mapped_column(JSON, default=list)  # hex, largest subtree first
    root_hash: Mapped[str] = mapped_column(String(64))


class EventTreeHead(Base):
    """A signed tree head (RFC 9162's STH): size, root and time, signed by the exam authority."""

    __tablename__ = "event_tree_heads"
    __table_args__ = (Index("ix_event_tree_heads_chain_size", "chain", "tree_size", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain: Mapped[int] = mapped_column(BigInteger)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[int] = mapped_column(BigInteger)  # milliseconds since the epoch, as in RFC 9162
    signer: Mapped[str] = mapped_column(String(64))  # SHA-256 of the signing certificate (DER), hex
    signature: Mapped[str] = mapped_column(Text)  # base64

"""The append-only event log: every change to an attempt's state or time, every refused save.

Entries form one hash chain per sitting (`chain` = sitting id, 0 for events outside a
sitting): `hash` = sha256 over the previous entry's hash and this entry's canonical content,
so any edit or deletion breaks every later hash. `EventHead` holds each chain's tip and is
locked while appending so concurrent writers (several processes) extend the chain in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime

GENESIS = "0" * 64


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_chain_seq", "chain", "seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
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


class EventHead(Base):
    __tablename__ = "event_heads"

    chain: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)

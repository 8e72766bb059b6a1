"""Marking, key corrections, publication and school API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_server.db import Base, UTCDateTime, utcnow


class MarkingPolicy(Base):
    """How a sitting is marked; absent row = the defaults below."""

    __tablename__ = "marking_policies"

    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), primary_key=True)
    anonymous: Mapped[bool] = mapped_column(default=True)
    double_marking: Mapped[bool] = mapped_column(default=False)
    tolerance: Mapped[float] = mapped_column(Float, default=0.5)  # points on one item
    rounding_step: Mapped[str] = mapped_column(String(10), default="0.25")


class Mark(Base):
    """One marker's points for one manually marked item; round 1, 2 (second marker), 3 (third)."""

    __tablename__ = "marks"
    __table_args__ = (UniqueConstraint("attempt_id", "question_no", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_no: Mapped[int]
    round: Mapped[int]
    marker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    points: Mapped[float] = mapped_column(Float)
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # criterion id -> points
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyChange(Base):
    """A corrected key or a voided item, applied to every paper of the sitting holding it."""

    __tablename__ = "key_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    question_uid: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10))  # "rekey" | "void"
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score_changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Publication(Base):
    __tablename__ = "result_publications"

    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ApiToken(Base):
    """Read-only access for a school system; `school` limits it to that school's candidates."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    school: Mapped[str] = mapped_column(String(200), default="")  # "" = every school
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Every token expires (NULL only on rows older than the expiry column, which it treats as expired).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ExportJob(Base):
    """A result package built in the background (export_jobs.py); the zip is kept in the row so
    any worker on any node serves it."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the URL names it
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))
    by: Mapped[str] = mapped_column(String(10))
    lang: Mapped[str] = mapped_column(String(5), default="vi")
    state: Mapped[str] = mapped_column(String(12), default="queued")  # queued|running|done|failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(64), default="")  # a message code
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

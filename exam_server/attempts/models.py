"""Attempts (one per registration, created before the start) and their responses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime, utcnow
from exam_server.exams.models import Registration

# pending: created, room not started; active: the clock runs; paused: clock stopped (time credited);
# submitted: closed (by the candidate, the server at the deadline, or an ended room).
ATTEMPT_STATES = ("pending", "active", "paused", "submitted")
OPEN_STATES = ("active", "paused")


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_state_closes_at", "state", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), unique=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    locked: Mapped[bool] = mapped_column(default=False)  # invigilator hold (e.g. moving workstation)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_s: Mapped[int]
    extra_s: Mapped[int] = mapped_column(default=0)
    paused_credit_s: Mapped[float] = mapped_column(Float, default=0.0)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_by: Mapped[str] = mapped_column(String(20), default="")  # "room" | "attempt"
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # first login
    grace_s: Mapped[int] = mapped_column(default=10)
    # Derived, kept in step by exam_server.attempts.timing so the deadline job needs one index scan.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # deadline + grace
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(20), default="")  # candidate | server | staff
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    grading: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # per question
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()

    def deadline(self, now: datetime) -> datetime | None:
        """start + duration + extra + credited pauses (+ the running pause, if paused now)."""
        if self.started_at is None:
            return None
        credit = self.paused_credit_s
        if self.paused_since is not None:
            credit += max(0.0, (now - self.paused_since).total_seconds())
        return self.started_at + timedelta(seconds=self.duration_s + self.extra_s + credit)


class Response(Base):
    __tablename__ = "responses"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    question_no: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1-based paper order
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)

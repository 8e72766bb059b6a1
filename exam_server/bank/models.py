"""Bank tables: the current form of each question, every version it has had, and each import.

`BankQuestion` keeps the filter columns (type, topic, difficulty) indexed and its tags in a
table of their own, so browsing 10,000 questions is index lookups, not JSON scans. A question
is never rewritten in place without a `BankVersion` row: version 1 is what was imported, each
edit adds the next. Papers do not point here — they hold snapshots (`exams.Paper.snapshot`),
so an edit never changes a paper already built.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.db import Base, UTCDateTime, utcnow


class BankQuestion(Base):
    __tablename__ = "bank_questions"
    __table_args__ = (Index("ix_bank_questions_filter", "topic", "type", "difficulty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), index=True)  # content hash of the current version
    type: Mapped[str] = mapped_column(String(32), index=True)
    topic: Mapped[str] = mapped_column(String(300), default="", index=True)
    difficulty: Mapped[str] = mapped_column(String(40), default="", index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    excerpt: Mapped[str] = mapped_column(String(300), default="")  # the stem as plain text, cut
    points: Mapped[float] = mapped_column(Float, default=1.0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # Question.to_dict() of the current version
    import_id: Mapped[int | None] = mapped_column(ForeignKey("bank_imports.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tags: Mapped[list[BankTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class BankTag(Base):
    __tablename__ = "bank_question_tags"

    question_id: Mapped[int] = mapped_column(ForeignKey("bank_questions.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class BankVersion(Base):
    """One stored version of a question (1 = as imported)."""

    __tablename__ = "bank_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("bank_questions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankImport(Base):
    """One accepted import and its summary (refused files store nothing, by design)."""

    __tablename__ = "bank_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Exam (kỳ thi) -> Sitting (ca thi) -> Room (phòng thi) -> Registration (thí sinh), and Papers (mã đề)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.accounts.models import User
from exam_server.db import Base, UTCDateTime, utcnow

SITTING_STATES = ("scheduled", "checkin_open", "started", "ended")
ROOM_STATES = ("scheduled", "checkin_open", "started", "paused", "ended")

room_invigilators = Table(
    "room_invigilators",
    Base.metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sittings: Mapped[list[Sitting]] = relationship(back_populates="exam", order_by="Sitting.id")


class Sitting(Base):
    __tablename__ = "sittings"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(100), default="")
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int]
    late_entry_s: Mapped[int] = mapped_column(default=15 * 60)
    grace_s: Mapped[int] = mapped_column(default=10)  # saves in flight accepted this long after a deadline
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    auto_start: Mapped[bool] = mapped_column(default=False)  # the server starts it at scheduled_start
    allow_password_login: Mapped[bool] = mapped_column(default=False)
    require_seb: Mapped[bool] = mapped_column(default=False)  # reserved for the SEB issue
    seb_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # reserved
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    exam: Mapped[Exam] = relationship(back_populates="sittings")
    rooms: Mapped[list[Room]] = relationship(back_populates="sitting", order_by="Room.id")
    papers: Mapped[list[Paper]] = relationship(back_populates="sitting", order_by="Paper.id")


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("sitting_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(default=0)
    seats: Mapped[list[str]] = mapped_column(JSON, default=list)  # workstation labels
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    sitting: Mapped[Sitting] = relationship(back_populates="rooms")
    invigilators: Mapped[list[User]] = relationship(secondary=room_invigilators)
    registrations: Mapped[list[Registration]] = relationship(back_populates="room", order_by="Registration.sbd")


class Paper(Base):
    """A paper code (mã đề): snapshot = [Question.to_dict(), ...] in paper order, options shuffled."""

    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("sitting_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=1)  # bumped by a key correction (caches check it)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sitting: Mapped[Sitting] = relationship(back_populates="papers")


class PaperKey(Base):
    """The AES-256-GCM key of one paper code (mã đề) of a sitting (`exams.paper_crypto`).

    The page holds its paper encrypted from login on; the key reaches it only in the state of
    an attempt that has started, so the start needs no paper download. One key per code, not per
    revision: a key correction re-encrypts under the same key."""

    __tablename__ = "paper_keys"
    __table_args__ = (UniqueConstraint("sitting_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:  # never the key itself, in a log or a traceback
        return f"PaperKey(sitting_id={self.sitting_id!r}, code={self.code!r})"


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("sitting_id", "sbd"),
        UniqueConstraint("sitting_id", "citizen_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    sbd: Mapped[str] = mapped_column(String(20))  # số báo danh
    full_name: Mapped[str] = mapped_column(String(200))
    dob: Mapped[date] = mapped_column(Date)
    citizen_id: Mapped[str] = mapped_column(String(12))  # số CCCD, 12 digits
    school: Mapped[str] = mapped_column(String(300), default="")
    class_name: Mapped[str] = mapped_column(String(50), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True, index=True)
    seat: Mapped[str] = mapped_column(String(50), default="")
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("papers.id"), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    extra_time_s: Mapped[int] = mapped_column(default=0)  # accommodation known before the exam

    sitting: Mapped[Sitting] = relationship()
    room: Mapped[Room | None] = relationship(back_populates="registrations")
    paper: Mapped[Paper | None] = relationship()

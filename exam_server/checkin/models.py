"""Check-in stations (device tokens), check-in records and each exam's check-in policy.

A `Station` is a device token issued for one room by an examiner or one of the room's
invigilators; only the token's SHA-256 is stored. A `CheckIn` records one decision at the door,
identified by the id the station generated (`client_id`), so a resend is recognised and never
recorded twice. The verification report is stored without the sensitive DG13 fields, and a face
thumbnail only when the configuration keeps them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.accounts.models import User
from exam_server.db import Base, UTCDateTime, utcnow
from exam_server.exams.models import Registration, Room

CHECKIN_STATUSES = ("accepted", "refused")
LIVENESS_CHALLENGES = ("", "blink", "turn_head")  # "" = no challenge


class CheckinPolicy(Base):
    """An exam's check-in choices; without a row the configuration's defaults apply."""

    __tablename__ = "checkin_policies"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), primary_key=True, autoincrement=False)
    liveness: Mapped[str] = mapped_column(String(20), default="")
    keep_face_thumbnails: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Station(Base):
    __tablename__ = "checkin_stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    room: Mapped[Room] = relationship()
    issued_by: Mapped[User] = relationship()


class CheckIn(Base):
    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)  # the station's room
    station_id: Mapped[int] = mapped_column(ForeignKey("checkin_stations.id"))
    invigilator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), nullable=True, index=True)
    citizen_id: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    verification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    face: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    station_name: Mapped[str] = mapped_column(String(100), default="")
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # station clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration | None] = relationship()
    room: Mapped[Room] = relationship()
    invigilator: Mapped[User] = relationship()

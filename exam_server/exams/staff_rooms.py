"""The rooms a staff member invigilates, for staff administration (the `accounts.staff_rooms`
port, registered at import: accounts sit below exams and cannot query rooms themselves)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from exam_server.accounts import staff_rooms
from exam_server.accounts.models import User
from exam_server.db import session as db
from exam_server.exams.models import Room


def rooms_of(user: User) -> list[Room]:
    # One query per user: walking every room's invigilators was rooms × users queries.
    return list(db.scalars(select(Room).where(Room.invigilators.any(User.id == user.id))
                           .order_by(Room.sitting_id, Room.name)))


def open_rooms() -> list[Room]:
    """Rooms that can still be staffed (not ended)."""
    return list(db.scalars(select(Room).where(Room.state != "ended").order_by(Room.sitting_id, Room.name)))


def by_id(room_ids: Collection[int]) -> dict[int, Room]:
    if not room_ids:
        return {}
    return {r.id: r for r in db.scalars(select(Room).where(Room.id.in_(set(room_ids))))}


staff_rooms.register(staff_rooms.StaffRooms(rooms_of=rooms_of, open_rooms=open_rooms, by_id=by_id))

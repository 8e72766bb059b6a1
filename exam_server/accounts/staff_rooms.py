"""The port through which staff administration reads and changes the rooms a user invigilates.

Rooms are the exams domain's, which sits above accounts in the layers contract; assigning an
invigilator is still an admin's staff edit (`accounts.staff_admin`). So accounts names here
what it needs and exams provides it (`exams.staff_rooms`, registered when `exam_server.exams`
is imported, which the app factory does). Without it a staff edit is a RuntimeError, never a
silently empty room list.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from exam_server.accounts.models import User


class StaffableRoom(Protocol):
    """What staff administration uses of a room (an `exams.models.Room`)."""

    @property
    def id(self) -> int: ...
    @property
    def invigilators(self) -> list[User]: ...  # changed in place to (un)assign


@dataclass(frozen=True)
class StaffRooms:
    rooms_of: Callable[[User], Sequence[StaffableRoom]]  # the rooms the user invigilates, in sitting and name order
    open_rooms: Callable[[], Sequence[StaffableRoom]]  # rooms that can still be staffed (not ended)
    by_id: Callable[[Collection[int]], Mapping[int, StaffableRoom]]  # the rooms of these ids that exist


_registered: list[StaffRooms] = []


def register(rooms: StaffRooms) -> None:
    _registered[:] = [rooms]


def current() -> StaffRooms:
    if not _registered:
        raise RuntimeError("no staff rooms: import exam_server.exams before editing staff rooms")
    return _registered[0]

"""The port through which a room's lifecycle moves its candidates' attempts.

Starting, pausing, resuming and ending a room (`exams.lifecycle`) changes the attempts in it:
clocks start and stop, open attempts are submitted. Attempts sit above exams in the layers
contract, so exams names here what it needs done and the attempts domain provides it
(`attempts.room_clock`, registered when `exam_server.attempts` is imported, which the app
factory does). Calling a lifecycle function before that is a RuntimeError, never a room that
changes state while its attempts do not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from exam_server.events.batch import Entry
from exam_server.events.log import Actor
from exam_server.exams.models import Room, Sitting

# (room, actor, reason, now): applied to the room's attempts in the same transaction.
RoomStep = Callable[[Room, Actor, str, datetime], None]


class AttemptView(Protocol):
    """What the exams pages and API read of an attempt (an `attempts.models.Attempt`)."""

    @property
    def id(self) -> int: ...
    @property
    def registration_id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def locked(self) -> bool: ...
    @property
    def entered_at(self) -> datetime | None: ...
    @property
    def deadline_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class RoomClock:
    # Create the missing attempts of a sitting whose papers are assigned; returns how many.
    create_attempts: Callable[[Sitting], int]
    # (rooms, actor, reason, now): the rooms' pending attempts started in the caller's transaction
    # (accommodation applied, clock started; one read and one write for all the rooms); returns
    # the entries to log per room id, in attempt order, for the caller to append after each room's own.
    start: Callable[[Sequence[Room], Actor, str, datetime], Mapping[int, list[Entry]]]
    pause: RoomStep  # active attempts: clock stopped "by room"
    resume: RoomStep  # attempts paused by the room: clock restarted, pause credited
    # Submit the open attempts of the rooms in batches (commits; raises the first failure).
    close_open: Callable[[Iterable[Room], Actor, str, datetime], None]
    # Candidates still writing (logged in, attempt open) in the rooms, in room and SBD order.
    writing: Callable[[Iterable[Room]], list[dict[str, object]]]
    # registration id -> its attempt, for the registrations of a room (one query).
    attempts_in_room: Callable[[Room], Mapping[int, AttemptView]]
    # (room id, attempt state, how many) for a sitting (one aggregate query).
    state_counts: Callable[[int], list[tuple[int | None, str, int]]]


_registered: list[RoomClock] = []


def register(clock: RoomClock) -> None:
    _registered[:] = [clock]


def current() -> RoomClock:
    if not _registered:
        raise RuntimeError("no room clock: import exam_server.attempts before changing a room's state")
    return _registered[0]

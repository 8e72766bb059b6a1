"""What the domains above exams hang off a registration, room or sitting, registered by them.

Check-in records, stations, attempts and marking policies reference the exams tables, but the
layers contract forbids exams to import checkin, attempts or results. So removing a candidate
or deleting a room or sitting before check-in (`exams.candidates`, `exams.setup_changes`) asks
this registry instead: each domain above registers, when its package is imported, what to
delete first and what makes a registration part of the exam record. The app factory imports
every domain, so every hook is in place before the first request or command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from exam_server.exams.models import Registration

# (db, registration id) -> True once the candidate is part of the exam record (checked in, logged in).
RecordCheck = Callable[[Session, int], bool]
# (db, id of the registration, room or sitting about to be deleted) -> deletes the rows hanging off it.
Cleanup = Callable[[Session, int], None]
# (db, registration, validated changes already applied) -> keeps dependent rows in step.
ChangeHook = Callable[[Session, Registration, dict[str, Any]], None]

_record_checks: list[RecordCheck] = []
_registration_cleanups: list[Cleanup] = []
_room_cleanups: list[Cleanup] = []
_sitting_cleanups: list[Cleanup] = []
_change_hooks: list[ChangeHook] = []


def _add(hooks: list[Any], hook: Any) -> Any:
    if hook not in hooks:  # a re-imported module registers once
        hooks.append(hook)
    return hook


def record_check(hook: RecordCheck) -> RecordCheck:
    return _add(_record_checks, hook)


def before_registration_delete(hook: Cleanup) -> Cleanup:
    return _add(_registration_cleanups, hook)


def before_room_delete(hook: Cleanup) -> Cleanup:
    return _add(_room_cleanups, hook)


def before_sitting_delete(hook: Cleanup) -> Cleanup:
    return _add(_sitting_cleanups, hook)


def on_registration_change(hook: ChangeHook) -> ChangeHook:
    return _add(_change_hooks, hook)


def in_exam_record(db: Session, registration_id: int) -> bool:
    return any(check(db, registration_id) for check in _record_checks)


def registration_deleting(db: Session, registration_id: int) -> None:
    for hook in _registration_cleanups:
        hook(db, registration_id)


def room_deleting(db: Session, room_id: int) -> None:
    for hook in _room_cleanups:
        hook(db, room_id)


def sitting_deleting(db: Session, sitting_id: int) -> None:
    for hook in _sitting_cleanups:
        hook(db, sitting_id)


def registration_changed(db: Session, reg: Registration, changes: dict[str, Any]) -> None:
    for hook in _change_hooks:
        hook(db, reg, changes)

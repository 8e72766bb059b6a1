"""Changing a sitting's set-up before check-in: edit or duplicate a sitting, edit or delete a room,
delete a sitting.

Only while the sitting is "scheduled": opening check-in locks papers and creates attempts, and
from then on the sitting is part of the exam record. Every change is logged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from werkzeug.datastructures import MultiDict

from exam_server.accounts.models import User
from exam_server.db import session as db
from exam_server.errors import Conflict
from exam_server.events.log import Actor, append_event
from exam_server.exams import dependents
from exam_server.exams.lifecycle import get_room, get_sitting
from exam_server.exams.models import Paper, Registration, Room, Sitting
from exam_server.exams.service import create_room, create_sitting
from exam_server.exams.setup_forms import FormResult, read_room


def _require_scheduled(sitting: Sitting) -> None:
    if sitting.state != "scheduled":
        raise Conflict("exams.setup_locked", what=sitting.name)


def duplicate_sitting(sitting_id: int, actor: Actor, name_suffix: str) -> Sitting:
    """A new scheduled sitting with the same settings and rooms (seats, invigilators), without
    candidates or papers (each sitting has its own roster and papers). Allowed in any state."""
    source = get_sitting(sitting_id)
    copy = create_sitting(source.exam_id, f"{source.name} {name_suffix}"[:300], source.scheduled_start,
                          source.duration_s, subject=source.subject, late_entry_s=source.late_entry_s,
                          grace_s=source.grace_s, allow_password_login=source.allow_password_login)
    for room in sorted(source.rooms, key=lambda r: r.id):
        create_room(copy.id, room.name, list(room.seats), invigilators=list(room.invigilators),
                    capacity=room.capacity)
    append_event(db, "sitting.duplicated", actor, sitting_id=copy.id,
                 data={"from_sitting_id": source.id, "rooms": len(source.rooms)})
    db.commit()
    return copy


def delete_sitting(sitting_id: int, actor: Actor) -> str:
    """Delete a scheduled sitting with its rooms, roster and papers; returns its name."""
    from exam_server.accounts.models import LoginCode, LoginSession

    sitting = get_sitting(sitting_id)
    _require_scheduled(sitting)
    name, exam_id = sitting.name, sitting.exam_id
    reg_ids = select(Registration.id).where(Registration.sitting_id == sitting_id)
    candidates = db.scalar(select(func.count()).select_from(Registration).where(Registration.sitting_id == sitting_id))
    db.execute(delete(LoginCode).where(LoginCode.registration_id.in_(reg_ids)))
    db.execute(delete(LoginSession).where(LoginSession.registration_id.in_(reg_ids)))
    db.execute(delete(Registration).where(Registration.sitting_id == sitting_id))
    db.execute(delete(Paper).where(Paper.sitting_id == sitting_id))
    dependents.sitting_deleting(db, sitting_id)  # the marking policy
    for room in list(sitting.rooms):
        _drop_room(room)
    db.delete(sitting)
    append_event(db, "sitting.deleted", actor, data={"sitting_id": sitting_id, "exam_id": exam_id, "name": name,
                                                     "candidates": candidates})
    db.commit()
    return name


def _drop_room(room: Room) -> None:
    dependents.room_deleting(db, room.id)  # check-in stations
    room.invigilators = []
    db.flush()
    db.delete(room)


def delete_room(room_id: int, actor: Actor) -> str:
    """Delete a room of a scheduled sitting that has no candidates; returns its name."""
    room = get_room(room_id)
    _require_scheduled(room.sitting)
    assigned = db.scalar(select(func.count()).select_from(Registration).where(Registration.room_id == room.id))
    if assigned:
        raise Conflict("exams.room_has_candidates", room=room.name, n=assigned)
    name, sitting_id = room.name, room.sitting_id
    _drop_room(room)
    append_event(db, "room.deleted", actor, sitting_id=sitting_id, data={"room_id": room_id, "name": name})
    db.commit()
    return name


def update_sitting(sitting_id: int, values: dict[str, Any], actor: Actor) -> Sitting:
    """Apply the read fields of the sitting form (see `setup_forms.read_sitting`) before check-in."""
    sitting = get_sitting(sitting_id)
    _require_scheduled(sitting)
    new = {"name": values["name"], "subject": values["subject"], "scheduled_start": values["scheduled_start"],
           "duration_s": values["duration_minutes"] * 60, "late_entry_s": values["late_entry_minutes"] * 60,
           "grace_s": values["grace_seconds"], "allow_password_login": values["allow_password_login"]}
    changes = {k: {"from": str(getattr(sitting, k)), "to": str(v)} for k, v in new.items() if getattr(sitting, k) != v}
    for name, value in new.items():
        setattr(sitting, name, value)
    if changes:
        append_event(db, "sitting.updated", actor, sitting_id=sitting.id, data={"changes": changes})
    db.commit()
    return sitting


def invigilator_choices(room: Room | None = None) -> list[User]:
    """The invigilators a room form offers: the active ones, and those the room already has (so
    an account deactivated since is neither hidden nor refused while it is still assigned)."""
    active = db.scalars(select(User).where(User.role == "invigilator", User.active)).all()
    chosen = {u.id: u for u in [*active, *(room.invigilators if room else [])]}
    return sorted(chosen.values(), key=lambda u: (u.full_name, u.username))


def edit_room(room_id: int, form: MultiDict[str, str], actor: Actor) -> FormResult:
    """Read the room form (`setup_forms.read_room`) and apply it before check-in; a refused form
    changes nothing. Seats that candidates are seated at cannot be removed (Conflict naming them):
    their registrations would point at a workstation the room no longer has."""
    room = get_room(room_id)
    _require_scheduled(room.sitting)
    choices = {u.id: u for u in invigilator_choices(room)}
    result = read_room(form, choices, [r.name for r in room.sitting.rooms if r.id != room.id])
    if not result.ok:
        return result
    values = result.values
    seats: list[str] = values["seat_list"]
    seated = db.scalars(select(Registration.seat).where(Registration.room_id == room.id, Registration.seat != ""))
    in_use = sorted(set(seated) - set(seats))
    if in_use:
        raise Conflict("exams.room_seats_in_use", field="seats", room=room.name, n=len(in_use),
                       seats=", ".join(in_use[:10]) + (", …" if len(in_use) > 10 else ""))
    invigilators = [choices[i] for i in values["invigilators"]]
    changes: dict[str, Any] = {}
    if room.name != values["room_name"]:
        changes["name"] = {"from": room.name, "to": values["room_name"]}
    if room.seats != seats:
        changes["seats"] = {"from": len(room.seats), "to": len(seats),
                            "added": [x for x in seats if x not in room.seats],
                            "removed": [x for x in room.seats if x not in seats]}
        room.seats, room.capacity = seats, len(seats)
    before, after = sorted(u.id for u in room.invigilators), sorted(values["invigilators"])
    if before != after:
        changes["invigilators"] = {"from": before, "to": after}
    room.name, room.invigilators = values["room_name"], invigilators
    if changes:
        append_event(db, "room.updated", actor, sitting_id=room.sitting_id, room_id=room.id,
                     data={"changes": changes})
    db.commit()
    return result

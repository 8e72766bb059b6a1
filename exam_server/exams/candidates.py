"""A sitting's candidates after import: search, edit, remove, and the roster template.

Edits and removals are allowed until the candidate is checked in (an accepted check-in at the
door) or has logged in; after that the registration is part of the exam record and is refused
with a message naming the candidate. Every change is logged (who, what fields, before → after,
never the password itself).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import delete, func, or_, select

from exam_server.accounts.models import hash_password
from exam_server.db import session as db
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams import dependents
from exam_server.exams.models import Registration, Room
from exam_server.exams.roster import _CCCD, LABELS, MIN_PASSWORD, TEMPLATE_COLUMNS, parse_extra_time

MAX_LISTED = 500


def get_registration(registration_id: int) -> Registration:
    reg = db.get(Registration, registration_id)
    if reg is None:
        raise NotFound("exams.registration_not_found")
    return reg


def search(sitting_id: int, query: str = "", limit: int = MAX_LISTED) -> list[Registration]:
    """Candidates in SBD order; `query` matches SBD, name, CCCD, school or class (case-blind)."""
    stmt = select(Registration).where(Registration.sitting_id == sitting_id)
    query = query.strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(*(func.lower(col).like(like) for col in (
            Registration.sbd, Registration.full_name, Registration.citizen_id, Registration.school,
            Registration.class_name))))
    return list(db.scalars(stmt.order_by(Registration.sbd).limit(limit)))


def checked_in(reg: Registration) -> bool:
    """True once the door accepted the candidate or the candidate logged in (asked of check-in
    and attempts through `exams.dependents`)."""
    return dependents.in_exam_record(db, reg.id)


def _require_editable(reg: Registration) -> None:
    if checked_in(reg):
        raise Conflict("exams.registration_checked_in", sbd=reg.sbd, name=reg.full_name)
    if reg.sitting.state not in ("scheduled", "checkin_open"):
        raise Conflict("exams.registration_locked", sbd=reg.sbd)


def read_changes(reg: Registration, data: dict[str, Any]) -> dict[str, Any]:
    """Validated new values from a form or JSON body; ServiceError names the first bad field."""
    from exam_server.dates import BadDate, parse_day

    changes: dict[str, Any] = {}
    if "full_name" in data:
        name = str(data["full_name"] or "").strip()
        if not name:
            raise ServiceError("exams.registration_bad_field", field="full_name", column=LABELS["full_name"],
                               reason="thiếu họ và tên")
        changes["full_name"] = name[:200]
    if "dob" in data:
        value = data["dob"]
        try:
            changes["dob"] = value if isinstance(value, date) else parse_day(str(value or ""))
        except BadDate as bad:
            raise ServiceError("exams.registration_bad_field", field="dob", column=LABELS["dob"],
                               reason=bad.message("vi")) from None
    if "citizen_id" in data:
        cccd = str(data["citizen_id"] or "").strip()
        if not _CCCD.match(cccd):
            raise ServiceError("exams.registration_bad_field", field="citizen_id", column=LABELS["citizen_id"],
                               reason="số CCCD phải có đúng 12 chữ số")
        taken = db.scalar(select(Registration.id).where(Registration.sitting_id == reg.sitting_id,
                                                        Registration.citizen_id == cccd, Registration.id != reg.id))
        if taken is not None:
            raise ServiceError("exams.registration_bad_field", field="citizen_id", column=LABELS["citizen_id"],
                               reason=f"số CCCD {cccd} đã có trong ca thi")
        changes["citizen_id"] = cccd
    for name in ("school", "class_name"):
        if name in data:
            changes[name] = str(data[name] or "").strip()[:300 if name == "school" else 50]
    room = reg.room
    if "room_id" in data and data["room_id"] not in (None, ""):
        try:
            room = db.get(Room, int(data["room_id"]))
        except (TypeError, ValueError):
            room = None
        if room is None or room.sitting_id != reg.sitting_id:
            raise ServiceError("exams.registration_bad_field", field="room_id", column=LABELS["room"],
                               reason="không có phòng này trong ca thi")
        changes["room_id"] = room.id
    if "seat" in data:
        seat = str(data["seat"] or "").strip()
        if seat and room is not None and room.seats and seat not in room.seats:
            raise ServiceError("exams.registration_bad_field", field="seat", column=LABELS["seat"],
                               reason=f"phòng {room.name} không có máy/ghế {seat!r}")
        changes["seat"] = seat
    if "extra_time" in data:
        try:
            changes["extra_time_s"] = parse_extra_time(str(data["extra_time"] or ""), reg.sitting.duration_s)
        except ValueError as bad:
            raise ServiceError("exams.registration_bad_field", field="extra_time", column=LABELS["extra_time"],
                               reason=str(bad)) from None
    if data.get("password"):
        password = str(data["password"])
        if len(password) < MIN_PASSWORD:
            raise ServiceError("exams.registration_bad_field", field="password", column=LABELS["password"],
                               reason=f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
        changes["password"] = password
    return changes


def update_registration(registration_id: int, data: dict[str, Any], actor: Actor) -> Registration:
    """Apply validated changes and log them; nothing changes if any field is refused."""
    reg = get_registration(registration_id)
    _require_editable(reg)
    changes = read_changes(reg, data)
    logged: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "password":
            reg.password_hash = hash_password(value)
            logged["password"] = "changed"  # noqa: S105  (a log marker, not a password)
            continue
        before = getattr(reg, name)
        if before != value:
            logged[name] = {"from": str(before), "to": str(value)}
            setattr(reg, name, value)
    if logged:
        dependents.registration_changed(db, reg, changes)  # a pending attempt follows the extra time
        append_event(db, "registration.updated", actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                     data={"registration_id": reg.id, "sbd": reg.sbd, "changes": logged})
    db.commit()
    return reg


def remove_registration(registration_id: int, actor: Actor, reason: str = "") -> None:
    """Remove a candidate not yet checked in (their pending attempt and unused codes with them)."""
    from exam_server.accounts.models import LoginCode, LoginSession

    reg = get_registration(registration_id)
    _require_editable(reg)
    sitting_id, room_id, sbd = reg.sitting_id, reg.room_id, reg.sbd
    db.execute(delete(LoginCode).where(LoginCode.registration_id == reg.id))
    db.execute(delete(LoginSession).where(LoginSession.registration_id == reg.id))
    dependents.registration_deleting(db, reg.id)  # check-in records, the pending attempt
    db.delete(reg)
    append_event(db, "registration.removed", actor, sitting_id=sitting_id, room_id=room_id, reason=reason,
                 data={"registration_id": registration_id, "sbd": sbd})
    db.commit()


def as_json(reg: Registration) -> dict[str, Any]:
    return {"id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name, "dob": reg.dob.strftime("%d/%m/%Y"),
            "citizen_id": reg.citizen_id, "school": reg.school, "class_name": reg.class_name,
            "room_id": reg.room_id, "room": reg.room.name if reg.room else "", "seat": reg.seat,
            "extra_time_s": reg.extra_time_s, "has_password": reg.password_hash is not None,
            "sitting_code": reg.sitting_id}


def template_xlsx() -> bytes:
    """The roster template: the header the importer reads and one example row."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append([LABELS[c] for c in TEMPLATE_COLUMNS])
    sheet.append(["020001", "Nguyễn Văn An", "05/03/2008", "001208000111", "THPT Việt Đức", "12A3", "P01",
                  "M01", "", ""])
    sheet.append(["020002", "Trần Thị Bình", "31/12/2008", "001308000222", "THPT Việt Đức", "12A3", "P01",
                  "M02", "25%", ""])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
        for cell in column[1:]:
            cell.number_format = "@"  # SBD and CCCD keep their leading zeros
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()

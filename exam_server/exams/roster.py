"""Roster import from the CSV / XLSX files schools export (Vietnamese headers, dd/mm/yyyy).

All or nothing: every bad row is reported with its row number (as the spreadsheet shows it,
header = row 1) and the reason, and then nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from exam_server.accounts.models import hash_password
from exam_server.dates import BadDate, parse_day
from exam_server.db import session as db
from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.lifecycle import get_sitting, prepare_attempts
from exam_server.exams.models import Registration, Room
from exam_server.i18n import CATALOGUE, coded, current_language, format_decimal, translate

# Header spellings seen in school exports -> field. Matched without accents, case or spaces.
HEADERS: dict[str, tuple[str, ...]] = {
    "sbd": ("sbd", "so bao danh", "candidate number"),
    "full_name": ("ho va ten", "ho ten", "full name", "name"),
    "dob": ("ngay sinh", "date of birth", "dob"),
    "citizen_id": ("so cccd", "cccd", "so can cuoc", "so dinh danh", "citizen id"),
    "school": ("truong", "ten truong", "school"),
    "class_name": ("lop", "class"),
    "room": ("phong", "phong thi", "room"),
    "seat": ("so may/ghe", "so may", "ghe", "so ghe", "may", "seat"),
    "extra_time": ("thoi gian cong them", "thoi gian them", "cong them", "extra time"),
    "password": ("mat khau", "password"),
}
LABELS = {"sbd": "SBD", "full_name": "Họ và tên", "dob": "Ngày sinh", "citizen_id": "Số CCCD",
          "school": "Trường", "class_name": "Lớp", "room": "Phòng", "seat": "Số máy/Ghế",
          "extra_time": "Thời gian cộng thêm", "password": "Mật khẩu"}
REQUIRED = ("sbd", "full_name", "dob", "citizen_id", "room")
# Columns of the downloadable template, in order (optional ones last).
TEMPLATE_COLUMNS = ("sbd", "full_name", "dob", "citizen_id", "school", "class_name", "room", "seat",
                    "extra_time", "password")
_EXTRA = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(%|phut|p|min|minutes|phút)?$", re.IGNORECASE)
MAX_EXTRA_MINUTES = 300
MAX_EXTRA_PERCENT = 100
MIN_PASSWORD = 6
_SBD = re.compile(r"^[0-9A-Za-z]{1,20}$")
_CCCD = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    imported: int
    errors: list[RowError] = field(default_factory=list)


class RosterError(ServiceError):
    """The file was rejected; `details["errors"]` lists every problem."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("exams.roster_rejected", count=len(errors),
                         errors=[{"row": e.row, "column": e.column, "message": e.message} for e in errors])
        self.errors = errors


def _key(text: str) -> str:
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip().lower().replace(" / ", "/")


_HEADER_INDEX = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def read_rows(filename: str, data: bytes) -> list[list[Any]]:
    """The file's rows (header first) as cells; CSV in UTF-8 with or without BOM, or XLSX."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        from exam_server.exams.roster_xlsx import read_xlsx_rows

        # zip guards, declared dimension ignored, only the roster's columns read
        return read_xlsx_rows(data, filename, lambda cell: _key(_text(cell)) in _HEADER_INDEX)
    if lower.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ServiceError("exams.roster_not_utf8", reason=str(exc)) from exc
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise ServiceError("exams.roster_bad_type", filename=filename)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _date(value: Any) -> date:
    """A cell's date (Excel date cells as they are); BadDate says whether the text is not a
    date at all or a date that cannot exist (31/02/2008)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_day(_text(value))

# Problems found in a roster file (the column names are the file's own headings, in Vietnamese).
CATALOGUE.register(
    coded("exams.roster.extra_format", "extra time must be minutes (15) or a percentage (25%): {value}"),
    coded("exams.roster.extra_max_percent", "extra time is at most {max}%: {value}"),
    coded("exams.roster.extra_max_minutes", "extra time is at most {max} minutes: {value}"),
    coded("exams.roster.empty_file", "empty file"),
    coded("exams.roster.missing_column", "missing column {column}"),
    coded("exams.roster.bad_sbd", "invalid candidate number: {value}"),
    coded("exams.roster.missing_name", "full name missing"),
    coded("exams.roster.bad_dob", "date of birth: {reason}"),
    coded("exams.roster.bad_cccd", "the citizen ID number must have exactly 12 digits: {value}"),
    coded("exams.roster.unknown_room", "the sitting has no room {room}"),
    coded("exams.roster.unknown_seat", "room {room} has no workstation/seat {seat}"),
    coded("exams.roster.short_password", "the password needs at least {min} characters"),
    coded("exams.roster.duplicate_sbd", "candidate number {value} repeats row {row}"),
    coded("exams.roster.duplicate_cccd", "citizen ID number {value} repeats row {row}"),
    coded("exams.roster.duplicate_seat", "workstation/seat {value} repeats row {row}"),
    coded("exams.roster.sbd_taken", "candidate number {value} is already in the sitting"),
    coded("exams.roster.cccd_taken", "citizen ID number {value} is already in the sitting"),
    coded("exams.roster.row_problem", "row {row}, column {column}: {message}"),
)


def parse_extra_time(text: str, duration_s: int) -> int:
    """Seconds of extra time from "15", "15 phút" (minutes) or "25%" (of the sitting's duration).

    Raises ValueError with the reason in the request's language."""
    text = text.strip()
    if not text:
        return 0
    found = _EXTRA.match(text)
    if not found:
        raise ValueError(translate("exams.roster.extra_format", value=repr(text)))
    amount = float(found.group(1).replace(",", "."))
    if found.group(2) == "%":
        if amount > MAX_EXTRA_PERCENT:
            raise ValueError(translate("exams.roster.extra_max_percent", max=MAX_EXTRA_PERCENT, value=repr(text)))
        return round(duration_s * amount / 100)
    if amount > MAX_EXTRA_MINUTES:
        raise ValueError(translate("exams.roster.extra_max_minutes", max=MAX_EXTRA_MINUTES, value=repr(text)))
    return round(amount * 60)


def parse_roster(rows: list[list[Any]], rooms: dict[str, Room],
                 duration_s: int = 0) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    while rows and not any(_text(c) for c in rows[0]):
        rows = rows[1:]
    if not rows:
        return [], [RowError(1, "", translate("exams.roster.empty_file"))]
    columns: dict[str, int] = {}
    for i, cell in enumerate(rows[0]):
        name = _HEADER_INDEX.get(_key(_text(cell)))
        if name and name not in columns:
            columns[name] = i
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        return [], [RowError(1, LABELS[n], translate("exams.roster.missing_column", column=repr(LABELS[n]))) for n in missing]
    records: list[dict[str, Any]] = []
    for rowno, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i] if i < len(row) else None) for name, i in columns.items()}
        if not any(_text(v) for v in cells.values()):
            continue  # blank lines at the end of exports
        rec: dict[str, Any] = {n: _text(cells.get(n)) for n in HEADERS if n != "dob"}
        row_errors = []
        if not _SBD.match(rec["sbd"]):
            row_errors.append(RowError(rowno, "SBD", translate("exams.roster.bad_sbd", value=repr(rec["sbd"]))))
        if not rec["full_name"]:
            row_errors.append(RowError(rowno, "Họ và tên", translate("exams.roster.missing_name")))
        try:
            dob: date | None = _date(cells.get("dob"))
        except BadDate as bad:
            dob = None
            row_errors.append(RowError(rowno, "Ngày sinh", translate("exams.roster.bad_dob", reason=bad.message(current_language()))))
        rec["dob"] = dob
        if not _CCCD.match(rec["citizen_id"]):
            row_errors.append(RowError(rowno, "Số CCCD", translate("exams.roster.bad_cccd",
                                                                         value=repr(rec["citizen_id"]))))
        room = rooms.get(rec["room"])
        if room is None:
            row_errors.append(RowError(rowno, "Phòng", translate("exams.roster.unknown_room", room=repr(rec["room"]))))
        elif rec["seat"] and room.seats and rec["seat"] not in room.seats:
            row_errors.append(RowError(rowno, "Số máy/Ghế", translate("exams.roster.unknown_seat", room=room.name,
                                                                              seat=repr(rec["seat"]))))
        try:
            rec["extra_time_s"] = parse_extra_time(rec["extra_time"], duration_s)
        except ValueError as bad:
            rec["extra_time_s"] = 0
            row_errors.append(RowError(rowno, LABELS["extra_time"], str(bad)))
        if rec["password"] and len(rec["password"]) < MIN_PASSWORD:
            row_errors.append(RowError(rowno, LABELS["password"], translate("exams.roster.short_password",
                                                                                  min=MIN_PASSWORD)))
        rec["row"] = rowno
        errors.extend(row_errors)
        records.append(rec)
    errors.extend(_duplicates(records, "sbd", "SBD", "exams.roster.duplicate_sbd"))
    errors.extend(_duplicates(records, "citizen_id", "Số CCCD", "exams.roster.duplicate_cccd"))
    seats = [r for r in records if r["seat"]]
    for r in seats:
        r["room_seat"] = f"{r['room']}/{r['seat']}"
    errors.extend(_duplicates(seats, "room_seat", "Số máy/Ghế", "exams.roster.duplicate_seat"))
    return records, errors


def _duplicates(records: list[dict[str, Any]], key: str, column: str, code: str) -> list[RowError]:
    first: dict[str, int] = {}
    errors = []
    for r in records:
        value = r[key]
        if not value:
            continue
        if value in first:
            errors.append(RowError(r["row"], column, translate(code, value=value, row=first[value])))
        else:
            first[value] = r["row"]
    return errors


def check_roster(sitting_id: int, filename: str, data: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The file's records and every error (against the file and the sitting), storing nothing:
    the preview shows exactly what an import would store or refuse."""
    sitting = get_sitting(sitting_id)
    if sitting.state not in ("scheduled", "checkin_open"):
        raise Conflict("exams.roster_closed", state=sitting.state)
    rooms = {r.name: r for r in sitting.rooms}
    records, errors = parse_roster(read_rows(filename, data), rooms, sitting.duration_s)
    existing = db.execute(
        select(Registration.sbd, Registration.citizen_id).where(Registration.sitting_id == sitting_id)
    ).all()
    known_sbd = {s for s, _ in existing}
    known_cccd = {c for _, c in existing}
    for r in records:
        if r["sbd"] in known_sbd:
            errors.append(RowError(r["row"], "SBD", translate("exams.roster.sbd_taken", value=r["sbd"])))
        if r["citizen_id"] in known_cccd:
            errors.append(RowError(r["row"], "Số CCCD", translate("exams.roster.cccd_taken", value=r["citizen_id"])))
    return records, sorted(errors, key=lambda e: (e.row, e.column))


def minutes_text(seconds: int) -> str:
    """Extra time as minutes with a decimal comma ("22,5"); "" for none."""
    if not seconds:
        return ""
    return format_decimal(seconds / 60, max_digits=1)


def preview_row(record: dict[str, Any]) -> dict[str, Any]:
    """What the preview shows of a record (the password only as present or not)."""
    dob = record.get("dob")
    return {"row": record["row"], "sbd": record["sbd"], "full_name": record["full_name"],
            "dob": dob.strftime("%d/%m/%Y") if dob else "", "citizen_id": record["citizen_id"],
            "school": record["school"], "class_name": record["class_name"], "room": record["room"],
            "seat": record["seat"], "extra_time_s": record["extra_time_s"],
            "extra_minutes": minutes_text(record["extra_time_s"]),
            "has_password": bool(record["password"])}


def import_roster(sitting_id: int, filename: str, data: bytes, actor: Actor) -> ImportResult:
    sitting = get_sitting(sitting_id)
    records, errors = check_roster(sitting_id, filename, data)
    rooms = {r.name: r for r in sitting.rooms}
    if errors:
        db.rollback()
        raise RosterError(errors)
    for r in records:
        db.add(Registration(sitting_id=sitting_id, sbd=r["sbd"], full_name=r["full_name"], dob=r["dob"],
                            citizen_id=r["citizen_id"], school=r["school"], class_name=r["class_name"],
                            room_id=rooms[r["room"]].id, seat=r["seat"], extra_time_s=r["extra_time_s"],
                            password_hash=hash_password(r["password"]) if r["password"] else None))
    db.flush()
    if sitting.state == "checkin_open":
        prepare_attempts(sitting)
    append_event(db, "roster.imported", actor, sitting_id=sitting_id,
                 data={"file": filename, "rows": len(records),
                       "accommodations": sum(1 for r in records if r["extra_time_s"]),
                       "passwords": sum(1 for r in records if r["password"])})
    db.commit()
    return ImportResult(imported=len(records))

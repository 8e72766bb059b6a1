"""Reading the examiner's set-up forms (exam, sitting, room, paper generation) into checked values.

Each reader returns the values it could read and, per field, the translated reason a value was
refused. A form with any refusal creates nothing: the page shows it again with the errors beside
their fields. Editing a sitting or a room is the same form filled in with what is stored
(`sitting_form_values`, `room_form_values`: the readers' inverse), read by the same reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from exam_server.dates import BadDate, parse_day_time
from exam_server.i18n import translate
from question_bank.model import QUESTION_TYPES, TF_CLUSTER_TABLE

if TYPE_CHECKING:
    from exam_server.exams.models import Room, Sitting

EXAM_CODE = re.compile(r"[0-9A-Za-z_-]{1,50}")
SEAT = re.compile(r"[0-9A-Za-z_.-]{1,20}")
# A seat range: the same prefix on both ends, then a number (M01–M30, M01-M30, A1..A9).
SEAT_RANGE = re.compile(r"([A-Za-z_]*)(\d+)\s*(?:-|–|—|\.\.)\s*\1(\d+)")
NUMBERED_SEAT = re.compile(r"([A-Za-z_]*)(\d+)")  # a label that can end a range
PAPER_CODE = re.compile(r"\d{1,10}")
MAX_SEATS = 500
MAX_PAPERS = 99
MAX_SECTIONS = 20
MAX_POINTS = 100
SECTION_DRAW = "section-{i}-draw"  # a posted row of the blueprint form; its presence marks the row


@dataclass
class FormResult:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Reader:
    """Reads one field at a time from a submitted form, collecting every error."""

    def __init__(self, form: MultiDict[str, str]) -> None:
        self.form = form
        self.result = FormResult()

    def text(self, name: str, max_len: int, required: bool = True) -> str:
        value = self.form.get(name, "").strip()
        if required and not value:
            self.result.errors[name] = translate("pages.form.required")
        elif len(value) > max_len:
            self.result.errors[name] = translate("pages.form.too_long", n=max_len)
        self.result.values[name] = value
        return value

    def number(self, name: str, low: int, high: int) -> int | None:
        raw = self.form.get(name, "").strip()
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.result.errors[name] = translate("pages.form.whole_number", low=low, high=high)
            return None
        self.result.values[name] = value
        return value

    def flag(self, name: str) -> bool:
        value = self.form.get(name) in ("1", "on", "true", "yes")
        self.result.values[name] = value
        return value

    def fail(self, field_name: str, key: str, /, **params: Any) -> None:
        self.result.errors.setdefault(field_name, translate(key, **params))


def read_exam(form: MultiDict[str, str]) -> FormResult:
    r = _Reader(form)
    code = r.text("code", 50)
    if code and not EXAM_CODE.fullmatch(code):
        r.fail("code", "pages.form.bad_exam_code")
    r.text("exam_name", 300)
    return r.result


def parse_local_datetime(text: str, timezone: str) -> datetime:
    """'dd/mm/yyyy HH:MM' on the exam's wall clock, as an aware UTC datetime (ValueError if not)."""
    local = parse_day_time(text)  # BadDate (a ValueError) names a wrong form or an impossible date
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def format_local_datetime(value: datetime, timezone: str) -> str:
    """The inverse of `parse_local_datetime`: 'dd/mm/yyyy HH:MM' on the exam's wall clock."""
    return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def sitting_form_values(sitting: Sitting, timezone: str) -> MultiDict[str, str]:
    """The sitting form as `read_sitting` reads it, filled in with the sitting's settings."""
    return MultiDict({
        "name": sitting.name, "subject": sitting.subject,
        "starts_at": format_local_datetime(sitting.scheduled_start, timezone),
        "duration_minutes": str(sitting.duration_s // 60), "late_entry_minutes": str(sitting.late_entry_s // 60),
        "grace_seconds": str(sitting.grace_s), "allow_password_login": "1" if sitting.allow_password_login else ""})


def read_sitting(form: MultiDict[str, str], timezone: str) -> FormResult:
    r = _Reader(form)
    r.text("name", 300)
    r.text("subject", 100, required=False)
    starts = r.text("starts_at", 16)
    if starts and "starts_at" not in r.result.errors:
        try:
            r.result.values["scheduled_start"] = parse_local_datetime(starts, timezone)
        except BadDate as bad:
            if bad.impossible:
                r.result.errors.setdefault("starts_at", bad.message())
            else:
                r.fail("starts_at", "pages.form.bad_datetime")
    r.number("duration_minutes", 1, 600)
    r.number("late_entry_minutes", 0, 240)
    r.number("grace_seconds", 0, 600)
    r.flag("allow_password_login")
    return r.result


def parse_seats(text: str) -> list[str]:
    """Seat labels from ranges and lists ('M01–M30', 'M01, M02 M05', one per line), in order.

    Raises ValueError naming the first part that is not a seat or a range."""
    seats: list[str] = []
    for part in re.split(r"[,;\n]+", text):
        part = part.strip()
        if not part:
            continue
        found = SEAT_RANGE.fullmatch(part)
        if found:
            prefix, first, last = found.groups()
            if int(last) < int(first) or int(last) - int(first) >= MAX_SEATS:
                raise ValueError(part)
            width = len(first)
            seats.extend(f"{prefix}{n:0{width}d}" for n in range(int(first), int(last) + 1))
            continue
        for label in part.split():
            if not SEAT.fullmatch(label):
                raise ValueError(label)
            seats.append(label)
    return seats


def seats_text(seats: Sequence[str]) -> str:
    """Seat labels written as the room form reads them back, runs of three or more as a range
    ("M01–M30, B1, B2"): a 40-seat room stays one line the examiner recognises."""
    parts: list[str] = []
    i = 0
    while i < len(seats):
        j = i + 1
        numbered = NUMBERED_SEAT.fullmatch(seats[i])
        if numbered:
            prefix, digits = numbered.groups()
            # the next label must be exactly what `parse_seats` makes of the range
            while j < len(seats) and seats[j] == f"{prefix}{int(digits) + j - i:0{len(digits)}d}":
                j += 1
        parts.append(f"{seats[i]}–{seats[j - 1]}" if j - i >= 3 else ", ".join(seats[i:j]))
        i = j
    return ", ".join(parts)


def room_form_values(room: Room) -> MultiDict[str, str]:
    """The room form as `read_room` reads it, filled in with the room's name, seats and invigilators."""
    values = MultiDict({"room_name": room.name, "seats": seats_text(room.seats)})
    values.setlist("invigilators", [str(u.id) for u in room.invigilators])
    return values


def read_room(form: MultiDict[str, str], invigilator_ids: Iterable[int], taken_names: Iterable[str]) -> FormResult:
    r = _Reader(form)
    name = r.text("room_name", 100)
    if name and name.casefold() in {n.casefold() for n in taken_names}:
        r.fail("room_name", "pages.form.room_name_taken", name=name)
    seats_text = r.text("seats", 10_000)
    if seats_text and "seats" not in r.result.errors:
        try:
            seats = parse_seats(seats_text)
        except ValueError as exc:
            r.fail("seats", "pages.form.bad_seat", part=str(exc)[:40])
        else:
            duplicates = sorted({s for s in seats if seats.count(s) > 1})
            if duplicates:
                r.fail("seats", "pages.form.duplicate_seats", seats=", ".join(duplicates[:5]))
            elif len(seats) > MAX_SEATS:
                r.fail("seats", "pages.form.too_many_seats", n=MAX_SEATS)
            r.result.values["seat_list"] = seats
    allowed = set(invigilator_ids)
    chosen: list[int] = []
    for raw in form.getlist("invigilators"):
        if not raw.isdigit() or int(raw) not in allowed:
            r.fail("invigilators", "pages.form.bad_invigilator")
            break
        chosen.append(int(raw))
    r.result.values["invigilators"] = chosen
    return r.result


def read_generation(form: MultiDict[str, str]) -> FormResult:
    """The blueprint form: K codes from a start code, a seed, and its sections — the indexed rows
    `section-<i>-…` (`values["sections"]`), or, when no `section-0-draw` is posted, the older
    one-section fields (`draw`, `shuffle_*`) read as a single section."""
    r = _Reader(form)
    count = r.number("paper_count", 1, MAX_PAPERS)
    start = r.text("start_code", 10)
    if start and not PAPER_CODE.fullmatch(start):
        r.fail("start_code", "pages.form.bad_start_code")
    elif start and count and len(str(int(start) + count - 1)) > len(start):
        r.fail("start_code", "pages.form.start_code_too_short", n=count)
    r.text("seed", 50, required=False)
    if SECTION_DRAW.format(i=0) not in form:
        r.number("draw", 1, 500)
        r.flag("shuffle_questions")
        r.flag("shuffle_options")
        r.result.values["sections"] = [{"name": "Phần 1", "draw": r.result.values.get("draw"), "pool": {},
                                        "shuffle_questions": r.result.values["shuffle_questions"],
                                        "shuffle_options": r.result.values["shuffle_options"]}]
        return r.result
    sections = []
    i = 0
    while SECTION_DRAW.format(i=i) in form and i < MAX_SECTIONS:
        sections.append(_read_section(r, f"section-{i}-", i))
        i += 1
    r.result.values.update(sections=sections, indexed=True)
    return r.result


def _read_section(r: _Reader, prefix: str, i: int) -> dict[str, Any]:
    """One row of the blueprint form, as a `Blueprint.from_dict` section."""
    name = r.text(prefix + "name", 100, required=False) or f"Phần {i + 1}"
    kind = r.text(prefix + "type", 50, required=False)
    if kind and kind not in QUESTION_TYPES:
        r.fail(prefix + "type", "pages.form.bad_question_type")
    section: dict[str, Any] = {
        "name": name, "draw": r.number(prefix + "draw", 1, 500), "pool": {"types": [kind] if kind else []},
        "shuffle_questions": r.flag(prefix + "shuffle_questions"),
        "shuffle_options": r.flag(prefix + "shuffle_options"),
        "shuffle_statements": r.flag(prefix + "shuffle_statements")}
    raw_points = r.text(prefix + "points", 20, required=False)
    if raw_points:
        try:
            points = float(raw_points.replace(",", "."))
        except ValueError:
            points = 0.0
        if not 0 < points <= MAX_POINTS:
            r.fail(prefix + "points", "pages.form.bad_points", high=MAX_POINTS)
        section["points"] = points
    if r.flag(prefix + "tf_table"):  # the official Đúng/Sai table, kept as data in the bank's model
        section["table"] = dict(TF_CLUSTER_TABLE)
    return section


def section_field(values: dict[str, Any], section: Any) -> str:
    """The form field a blueprint problem about `section` (its name) belongs to: that row's
    `section-<i>-draw`, or the one-section form's `draw`."""
    names = [s["name"] for s in values.get("sections", [])]
    if values.get("indexed") and section in names:
        return SECTION_DRAW.format(i=names.index(section))
    return "draw"


SECTION_FIELDS = ("name", "type", "draw", "points")
SECTION_FLAGS = ("shuffle_questions", "shuffle_options", "shuffle_statements", "tf_table")


def section_rows(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The blueprint form's rows as posted (raw texts and ticks), for showing the form again;
    the one-section fields become row 0, and a form without either shows one empty row."""
    def ticked(name: str) -> bool:
        return values.get(name) in ("1", "on", "true", "yes")

    if SECTION_DRAW.format(i=0) not in values:
        return [{"name": "", "type": "", "draw": values.get("draw", ""), "points": "",
                 "shuffle_questions": ticked("shuffle_questions"), "shuffle_options": ticked("shuffle_options"),
                 "shuffle_statements": False, "tf_table": False}]
    rows = []
    i = 0
    while SECTION_DRAW.format(i=i) in values and i < MAX_SECTIONS:
        prefix = f"section-{i}-"
        rows.append({**{f: values.get(prefix + f, "") for f in SECTION_FIELDS},
                     **{f: ticked(prefix + f) for f in SECTION_FLAGS}})
        i += 1
    return rows


def blueprint_data(values: dict[str, Any], title: str) -> dict[str, Any]:
    """The question bank's blueprint (as for `Blueprint.from_dict`) of a read generation form."""
    return {
        "title": title,
        "seed": values["seed"] or "0",
        "codes": {"count": values["paper_count"], "start": values["start_code"]},
        "sections": values["sections"],
    }

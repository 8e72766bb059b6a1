"""Result exports for schools: CSV (UTF-8 with BOM for Excel), XLSX, JSON, and (pdf_sheets.py)
PDF score sheets and per-candidate slips. Writers take plain `ResultRow`s, not database rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from exam_server.i18n import format_date, translate
from exam_server.results import FORMATS, GROUPINGS


@dataclass(frozen=True)
class ResultRow:
    sbd: str
    full_name: str
    date_of_birth: date | None
    school: str
    class_name: str
    room: str
    paper_code: str
    raw_points: float | None
    max_points: float | None  # None (an empty cell) where no paper was graded: absent, not submitted
    score: float | None  # on the 10-point scale, rounded
    status: str  # e.g. "submitted", "absent", "disqualified", "pending_marking"
    note: str = ""  # why a paper was voided (đình chỉ), printed beside the status


def status_text(status: str, note: str = "", lang: str | None = None) -> str:
    """"Vắng", "Đình chỉ: <reason>", … as every document prints the status."""
    label = translate(f"results.status.{status}", lang)
    return f"{label}: {note}" if note else label


def status_label(row: ResultRow, lang: str) -> str:
    return status_text(row.status, row.note, lang)


def group_key(row: ResultRow, by: str) -> str:
    return {"room": row.room, "school": row.school, "class": row.class_name, "sitting": "all"}[by]


def grouped(rows: Iterable[ResultRow], by: str) -> dict[str, list[ResultRow]]:
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[ResultRow]] = {}
    for row in sorted(rows, key=lambda r: (group_key(r, by), r.sbd)):
        groups.setdefault(group_key(row, by), []).append(row)
    return groups


def _headers(lang: str) -> list[str]:
    keys = ("sbd", "full_name", "dob", "school", "class", "room", "paper", "raw", "max", "score", "status")
    return [translate(f"results.col.{k}", lang) for k in keys]


def _cells(row: ResultRow, lang: str) -> list[object]:
    return [
        row.sbd, row.full_name, format_date(row.date_of_birth), row.school, row.class_name, row.room,
        row.paper_code, row.raw_points, row.max_points, row.score, status_label(row, lang),
    ]


def safe_name(text: str) -> str:
    """A file or sheet name from a group label (room names come from rosters)."""
    cleaned = "".join(c if c.isalnum() or c in "-_ " else "_" for c in text).strip()
    return cleaned or "_"


# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection):
# "=HYPERLINK(…)", "+cmd|…", "@SUM(…)", and a tab or carriage return before any of them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Text that a spreadsheet would evaluate gets a leading apostrophe (shown as text; OWASP).

    Numbers stay numbers: only strings taken from rosters and names can carry a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def write_csv(groups: dict[str, list[ResultRow]], out: Path, lang: str, tick: Callable[[], None]) -> list[Path]:
    paths = []
    for label, rows in groups.items():
        path = out / f"{safe_name(label)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(_headers(lang))
            for row in rows:
                writer.writerow([neutralise_formula(c) for c in _cells(row, lang)])
                tick()
        paths.append(path)
    return paths


def write_xlsx(groups: dict[str, list[ResultRow]], out: Path, lang: str, tick: Callable[[], None]) -> list[Path]:
    """One workbook, one sheet per group; values only, frozen header row."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for label, rows in groups.items():
        title = safe_name(label)[:28]
        while title in used:
            title = f"{title[:25]}_{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        ws.append(_headers(lang))
        for row in rows:
            # A leading "=" would make Excel evaluate a name from a roster as a formula.
            ws.append([neutralise_formula(c) for c in _cells(row, lang)])
            tick()
    path = out / "ket-qua.xlsx"
    wb.save(path)
    return [path]


def row_json(row: ResultRow) -> dict[str, object]:
    data = asdict(row)
    data["date_of_birth"] = format_date(row.date_of_birth)
    return data


def write_json(groups: dict[str, list[ResultRow]], out: Path, tick: Callable[[], None]) -> list[Path]:
    path = out / "ket-qua.json"
    payload: dict[str, Any] = {}
    for label, rows in groups.items():
        payload[label] = []
        for row in rows:
            payload[label].append(row_json(row))
            tick()
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return [path]


def export(
    rows: Sequence[ResultRow], by: str, fmt: str, out: Path, *, lang: str = "vi", title: str = "",
    tick: Callable[[], None] = lambda: None, heading: Any = None, beat: Callable[[], None] = lambda: None,
) -> list[Path]:
    """Write `rows` grouped `by` in format `fmt` into `out`; returns the files written.

    `tick` is called once per row written in each document (`units` counts them all), `beat`
    whenever a writer is busy without finishing a row (PDF layout), so a watcher can tell
    slow from dead."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    groups = grouped(rows, by)
    if fmt == "csv":
        return write_csv(groups, out, lang, tick)
    if fmt == "xlsx":
        return write_xlsx(groups, out, lang, tick)
    if fmt == "json":
        return write_json(groups, out, tick)
    # reportlab loads only when needed. Official documents: score sheets and result slips.
    from exam_server.results.official import Heading, write_result_slips, write_score_sheets

    heading = heading if heading is not None else Heading(exam=title)
    return [write_score_sheets(groups, out, lang, tick, title, heading, beat),
            write_result_slips(rows, out, lang, title, heading, tick, beat)]


PACKING_UNITS = 2  # signing the manifest, then zipping: each counts as one unit of progress


def units(fmt: str, rows: int) -> int:
    """How many times an export of `rows` rows in `fmt` ticks: once per row per document
    (PDF writes score sheets and result slips), plus the packing steps."""
    return rows * (2 if fmt == "pdf" else 1) + PACKING_UNITS

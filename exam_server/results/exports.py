"""Result exports for schools: CSV (UTF-8 with BOM for Excel), XLSX, PDF score sheets and
per-candidate slips, JSON. Writers take plain `ResultRow`s so they know nothing of the database.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from exam_server.i18n import format_date, translate
from exam_server.results import FORMATS, GROUPINGS

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("C:/Windows/Fonts"))


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
    max_points: float
    score: float | None  # on the 10-point scale, rounded
    status: str  # e.g. "submitted", "absent", "pending_marking"


def round_score(raw: float, max_points: float, step: str = "0.25") -> float:
    """Raw points -> 10-point scale, rounded half-up to the configured step (0.25, 0.01...)."""
    if max_points <= 0:
        return 0.0
    value = Decimal(str(raw)) * Decimal(10) / Decimal(str(max_points))
    unit = Decimal(step)
    return float((value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit)


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
        row.paper_code, row.raw_points, row.max_points, row.score,
        translate(f"results.status.{row.status}", lang),
    ]


def safe_name(text: str) -> str:
    """A file or sheet name from a group label (room names come from rosters)."""
    cleaned = "".join(c if c.isalnum() or c in "-_ " else "_" for c in text).strip()
    return cleaned or "_"


def write_csv(groups: dict[str, list[ResultRow]], out: Path, lang: str, tick: Callable[[], None]) -> list[Path]:
    paths = []
    for label, rows in groups.items():
        path = out / f"{safe_name(label)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(_headers(lang))
            for row in rows:
                writer.writerow(_cells(row, lang))
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
            cells = _cells(row, lang)
            # A leading "=" would make Excel evaluate a name from a roster as a formula.
            ws.append([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c for c in cells])
            tick()
    path = out / "ket-qua.xlsx"
    wb.save(path)
    return [path]


def pdf_font() -> tuple[str, str]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    raise RuntimeError("no Vietnamese-capable font found: install fonts-dejavu-core")


def write_pdf(
    groups: dict[str, list[ResultRow]], out: Path, lang: str, tick: Callable[[], None], title: str
) -> list[Path]:
    """Score sheets: a page (or more) per group, with room for the signatures."""
    regular, bold = pdf_font()
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=14, leading=18, spaceAfter=6)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    path = out / "bang-diem.pdf"
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, title=title)
    story: list[object] = []
    for index, (label, rows) in enumerate(groups.items()):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(title, h1))
        story.append(Paragraph(f"{translate('results.group', lang)}: {label}", body))
        story.append(Spacer(1, 4 * mm))
        headers = [translate(f"results.col.{k}", lang) for k in ("sbd", "full_name", "dob", "class", "paper", "score")]
        data = [headers]
        for row in rows:
            score = "" if row.score is None else f"{row.score:g}"
            data.append([row.sbd, row.full_name, format_date(row.date_of_birth), row.class_name, row.paper_code, score])
            tick()
        table = Table(data, repeatRows=1, colWidths=[22 * mm, 62 * mm, 24 * mm, 20 * mm, 20 * mm, 18 * mm])
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), regular, 9),
            ("FONT", (0, 0), (-1, 0), bold, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
        ]))
        story.append(table)
        story.append(Spacer(1, 10 * mm))
        signatures = Table(
            [[translate("results.sign.invigilator", lang), translate("results.sign.chair", lang)], ["", ""], ["", ""]],
            colWidths=[90 * mm, 90 * mm], rowHeights=[6 * mm, 18 * mm, 6 * mm],
        )
        signatures.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), bold, 9), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        story.append(signatures)
    doc.build(story)
    return [path]


def write_slips(rows: Sequence[ResultRow], out: Path, lang: str, title: str) -> Path:
    """One page per candidate: the result slip (phiếu báo điểm)."""
    regular, bold = pdf_font()
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=15, leading=20, spaceAfter=8)
    body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=16)
    path = out / "phieu-bao-diem.pdf"
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=title)
    story: list[object] = []
    for index, row in enumerate(rows):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(f"{translate('results.slip', lang)} — {title}", h1))
        for key, value in (
            ("sbd", row.sbd), ("full_name", row.full_name), ("dob", format_date(row.date_of_birth)),
            ("school", row.school), ("class", row.class_name), ("room", row.room),
            ("paper", row.paper_code), ("score", "" if row.score is None else f"{row.score:g}"),
        ):
            story.append(Paragraph(f"<b>{translate(f'results.col.{key}', lang)}:</b> {value}", body))
    doc.build(story)
    return path


def row_json(row: ResultRow) -> dict[str, object]:
    data = asdict(row)
    data["date_of_birth"] = format_date(row.date_of_birth)
    return data


def write_json(groups: dict[str, list[ResultRow]], out: Path, tick: Callable[[], None]) -> list[Path]:
    path = out / "ket-qua.json"
    payload = {}
    for label, rows in groups.items():
        payload[label] = []
        for row in rows:
            payload[label].append(row_json(row))
            tick()
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return [path]


def export(
    rows: Sequence[ResultRow], by: str, fmt: str, out: Path, *, lang: str = "vi", title: str = "",
    tick: Callable[[], None] = lambda: None,
) -> list[Path]:
    """Write `rows` grouped `by` in format `fmt` into `out`; returns the files written."""
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
    return [*write_pdf(groups, out, lang, tick, title), write_slips(rows, out, lang, title)]

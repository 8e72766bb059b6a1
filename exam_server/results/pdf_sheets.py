"""PDF score sheets (a page per group, room for signatures) and per-candidate result slips.

reportlab's Paragraph reads its text as markup (<b>, <br/>, <img src=…/> that loads a file from
disk), so every text from a roster or a sitting goes through `plain()` first: control
characters out, then XML-escaped. A school named `THPT A<br/><b>Điểm…</b>` prints as typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from exam_server.i18n import format_date, translate
from exam_server.pdf_fonts import FONT_DIRS, pdf_font  # noqa: F401  (the names this module offered)
from exam_server.results.exports import ResultRow

# Control, format, private-use, unassigned and line/paragraph separator characters: they break
# reportlab's parser or print as boxes; a space keeps the words apart.
_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def plain(text: object) -> str:
    """User text as Paragraph content: printed exactly as typed, never read as markup."""
    cleaned = "".join(" " if unicodedata.category(c) in _UNPRINTABLE else c for c in str(text))
    return escape(cleaned)


def _cell(text: object) -> str:
    """Table cells are drawn as plain strings (no markup); only the unprintable goes."""
    return "".join(" " if unicodedata.category(c) in _UNPRINTABLE else c for c in str(text))


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
        story.append(Paragraph(plain(title), h1))
        story.append(Paragraph(f"{plain(translate('results.group', lang))}: {plain(label)}", body))
        story.append(Spacer(1, 4 * mm))
        headers = [translate(f"results.col.{k}", lang) for k in ("sbd", "full_name", "dob", "class", "paper", "score")]
        data = [headers]
        for row in rows:
            score = "" if row.score is None else f"{row.score:g}"
            data.append([_cell(v) for v in (row.sbd, row.full_name, format_date(row.date_of_birth), row.class_name,
                                             row.paper_code, score)])
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
        story.append(Paragraph(plain(f"{translate('results.slip', lang)} — {title}"), h1))
        for key, value in (
            ("sbd", row.sbd), ("full_name", row.full_name), ("dob", format_date(row.date_of_birth)),
            ("school", row.school), ("class", row.class_name), ("room", row.room),
            ("paper", row.paper_code), ("score", "" if row.score is None else f"{row.score:g}"),
        ):
            story.append(Paragraph(f"<b>{plain(translate(f'results.col.{key}', lang))}:</b> {plain(value)}", body))
    doc.build(story)
    return path

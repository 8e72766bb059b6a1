"""Official result documents: the score sheet (bảng ghi điểm) and the result slip (phiếu báo
điểm), as an exam board signs them.

Each carries the authority's heading (configurable: [results] authority / council), the exam,
subject, sitting, date and room; candidates in SBD order; the score in figures with a decimal
comma and in words ("tám phẩy hai lăm"); absentees as "Vắng", never a 0; signature blocks.
Every text from a roster goes through `pdf_sheets.plain` / `_cell` (never read as markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from num2words import num2words
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from exam_server.i18n import format_date, format_decimal, translate
from exam_server.results.exports import ResultRow, status_label
from exam_server.results.pdf_sheets import _cell, pdf_font, plain

# Statuses printed in place of a score.
NO_SCORE = ("absent", "disqualified", "pending_marking", "not_submitted")


@dataclass(frozen=True)
class Heading:
    authority: str = ""
    council: str = ""
    exam: str = ""
    subject: str = ""
    sitting: str = ""
    day: datetime | None = None
    timezone: str = "Asia/Ho_Chi_Minh"

    def date_text(self) -> str:
        if self.day is None:
            return ""
        return format_date(self.day.astimezone(ZoneInfo(self.timezone)).date())


def score_figures(score: float, lang: str = "vi") -> str:
    """8.25 -> "8,25", 8.5 -> "8,5", 8.0 -> "8,0" (Vietnamese decimal comma; English keeps the point)."""
    return format_decimal(Decimal(str(score)), lang=lang, min_digits=1, max_digits=2)


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _fraction_words(digits: str) -> str:
    """The part after "phẩy" read the way score sheets do: 25 -> "hai lăm", 05 -> "không năm"."""
    if len(digits) == 1:
        return _DIGITS[int(digits)]
    first, second = int(digits[0]), int(digits[1])
    if first == 0:
        return f"không {_DIGITS[second]}"
    last = {5: "lăm", 1: "mốt" if first >= 2 else "một"}.get(second, _DIGITS[second])
    return f"{_DIGITS[first]} {last}"


def score_words(score: float, lang: str = "vi") -> str:
    """Điểm bằng chữ: 8.25 -> "tám phẩy hai lăm", 10 -> "mười", 6.5 -> "sáu phẩy năm"."""
    if lang != "vi":
        return str(num2words(score, lang="en"))
    whole, _, fraction = score_figures(score, "vi").partition(",")
    words = str(num2words(int(whole), lang="vi"))
    fraction = fraction.rstrip("0")
    return f"{words} phẩy {_fraction_words(fraction)}" if fraction else words


def _score_cells(row: ResultRow, lang: str) -> tuple[str, str]:
    if row.score is None or row.status in NO_SCORE:
        return status_label(row, lang), ""
    return score_figures(row.score, lang), score_words(row.score, lang)


def _heading_block(heading: Heading, title: str, room: str, lang: str, styles: dict[str, ParagraphStyle]) -> list[object]:
    left = [Paragraph(plain(heading.authority), styles["head"]), Paragraph(plain(heading.council), styles["headb"])]
    right = [Paragraph(plain(translate("results.doc.nation", lang)), styles["headb"]),
             Paragraph(plain(translate("results.doc.motto", lang)), styles["headb"])]
    top = Table([[left, right]], colWidths=[88 * mm, 98 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    exam = plain(f"{translate('results.doc.exam', lang)}: {heading.exam}") if heading.exam else ""
    facts = " · ".join(plain(f"{translate(k, lang)}: {v}") for k, v in (
        ("results.doc.subject", heading.subject), ("results.doc.sitting", heading.sitting),
        ("results.doc.date", heading.date_text()), ("results.doc.room", room)) if v)
    return [top, Spacer(1, 4 * mm), Paragraph(plain(title), styles["title"]), Paragraph(exam, styles["facts"]),
            Paragraph(facts, styles["facts"]), Spacer(1, 3 * mm)]


def _styles() -> tuple[str, str, dict[str, ParagraphStyle]]:
    regular, bold = pdf_font()
    return regular, bold, {
        "head": ParagraphStyle("head", fontName=regular, fontSize=9.5, leading=12, alignment=1),
        "headb": ParagraphStyle("headb", fontName=bold, fontSize=9.5, leading=12, alignment=1),
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1, spaceAfter=2),
        "facts": ParagraphStyle("facts", fontName=regular, fontSize=9.5, leading=13, alignment=1),
        "th": ParagraphStyle("th", fontName=bold, fontSize=8.5, leading=10.5, alignment=1),
        "body": ParagraphStyle("body", fontName=regular, fontSize=11, leading=16),
        "sign": ParagraphStyle("sign", fontName=bold, fontSize=9.5, leading=12, alignment=1),
        "note": ParagraphStyle("note", fontName=regular, fontSize=8.5, leading=11, alignment=1),
    }


def _signatures(lang: str, styles: dict[str, ParagraphStyle], keys: Sequence[str]) -> Table:
    width = 186 * mm / len(keys)
    cells = [[Paragraph(plain(translate(f"results.doc.sign.{k}", lang)), styles["sign"]) for k in keys],
             [Paragraph(plain(translate("results.doc.sign.hint", lang)), styles["note"]) for _ in keys]]
    table = Table(cells + [[""] * len(keys)], colWidths=[width] * len(keys), rowHeights=[None, None, 22 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _summary_line(rows: Sequence[ResultRow], lang: str) -> str:
    absent = sum(1 for r in rows if r.status == "absent")
    return translate("results.doc.counts", lang, total=len(rows), sat=len(rows) - absent, absent=absent)


def write_score_sheets(groups: dict[str, list[ResultRow]], out: Path, lang: str, tick: Callable[[], None],
                       title: str, heading: Heading, beat: Callable[[], None] = lambda: None) -> Path:
    """Bảng ghi điểm: a page (or more) per group (room, school, class), SBD order."""
    regular, bold, styles = _styles()
    path = out / "bang-diem.pdf"
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=title)
    keys = ("no", "sbd", "full_name", "dob", "class", "paper", "score_figures", "score_words", "note")
    widths = [10, 17, 44, 20, 13, 12, 17, 37, 16]  # mm, 186 in all; every header word fits its column
    story: list[object] = []
    for index, (label, rows) in enumerate(groups.items()):
        if index:
            story.append(PageBreak())
        room = label if len({r.room for r in rows}) == 1 and rows and rows[0].room == label else ""
        story.extend(_heading_block(heading, translate("results.doc.sheet_title", lang), room, lang, styles))
        if not room:
            story.append(Paragraph(plain(f"{translate('results.group', lang)}: {label}"), styles["facts"]))
        data: list[list[object]] = [[Paragraph(plain(translate(f"results.doc.col.{k}", lang)), styles["th"])
                                     for k in keys]]
        for n, row in enumerate(sorted(rows, key=lambda r: r.sbd), start=1):
            figures, words = _score_cells(row, lang)
            note = "" if row.status in ("submitted",) else status_label(row, lang)
            data.append([str(n), *[_cell(v) for v in (row.sbd, row.full_name, format_date(row.date_of_birth),
                                                       row.class_name, row.paper_code, figures, words, note)]])
            tick()
        table = Table(data, repeatRows=1, colWidths=[w * mm for w in widths])
        table.setStyle(TableStyle([
            ("FONT", (0, 1), (-1, -1), regular, 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 1), (1, -1), "CENTER"), ("ALIGN", (3, 1), (6, -1), "CENTER"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]))
        story.append(table)
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph(plain(_summary_line(rows, lang)), styles["facts"]))
        story.append(Spacer(1, 5 * mm))
        story.append(KeepTogether(_signatures(lang, styles, ("invigilator", "marker", "chair"))))
    _build(doc, story, beat)
    return path


def write_result_slips(rows: Sequence[ResultRow], out: Path, lang: str, title: str, heading: Heading,
                       tick: Callable[[], None] = lambda: None, beat: Callable[[], None] = lambda: None) -> Path:
    """Phiếu báo điểm: one page per candidate, in SBD order."""
    _, bold, styles = _styles()
    path = out / "phieu-bao-diem.pdf"
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            title=title)
    story: list[object] = []
    for index, row in enumerate(sorted(rows, key=lambda r: r.sbd)):
        if index:
            story.append(PageBreak())
        story.extend(_heading_block(heading, translate("results.slip", lang).upper(), row.room, lang, styles))
        figures, words = _score_cells(row, lang)
        score = figures if not words else f"{figures} ({words})"
        for key, value in (
            ("sbd", row.sbd), ("full_name", row.full_name), ("dob", format_date(row.date_of_birth)),
            ("school", row.school), ("class", row.class_name), ("room", row.room),
            ("paper", row.paper_code), ("score", score),
        ):
            story.append(Paragraph(f"<font name='{bold}'>{plain(translate(f'results.col.{key}', lang))}:</font> "
                                   f"{plain(value)}", styles["body"]))
        story.append(Spacer(1, 10 * mm))
        story.append(_signatures(lang, styles, ("chair",)))
        tick()
    _build(doc, story, beat)
    return path


def _build(doc: SimpleDocTemplate, story: list[object], beat: Callable[[], None]) -> None:
    """Lay the story out, beating at every flowable and page: for 10,000 slips the layout is
    most of the minutes, and a background job that went silent that long reads as interrupted."""
    doc.setProgressCallBack(lambda _kind, _value: beat())
    doc.build(story)

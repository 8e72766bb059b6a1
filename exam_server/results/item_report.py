"""Item analysis of a sitting as an HTML and a PDF report with two charts: the score histogram
and item facility against discrimination (flagged items in red).

The charts are computed once as plain shapes; the HTML draws them as inline SVG (no script,
nothing fetched) and the PDF with reportlab's drawing primitives.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.attempts.grading import response_values
from exam_server.attempts.models import Attempt
from exam_server.exams.models import Paper, Registration
from exam_server.results.absence import sat_condition
from exam_server.results.pdf_sheets import pdf_font, plain
from question_bank import analysis, papers
from question_bank.analysis import FLAG_TEXT, AnalysisReport
from question_bank.model import BLANK_TYPES, PLACEHOLDER, Question

WIDTH, HEIGHT, PAD = 420.0, 220.0, 30.0
RED, BLUE, GREY = "#c0392b", "#2c6fbb", "#888888"
TAG = re.compile(r"<[^>]*>")


def sitting_analysis(session: Session, sitting_id: int) -> AnalysisReport:
    """Analyse every submitted attempt of the sitting, pooling all paper codes by bank item."""
    stored = session.scalars(select(Paper).where(Paper.sitting_id == sitting_id).order_by(Paper.code)).all()
    qb_papers = [
        papers.Paper(p.code, "", [papers.PaperItem(n, "", Question.from_dict(q)) for n, q in enumerate(p.snapshot, 1)])
        for p in stored
    ]
    codes = {p.id: p.code for p in stored}
    attempts = session.execute(
        select(Attempt, Registration.sbd).join(Registration, Attempt.registration_id == Registration.id)
        # Absentees (closed at the end without ever logging in) take no part in the statistics.
        .where(Registration.sitting_id == sitting_id, Attempt.state == "submitted", sat_condition())
    ).all()
    rows = [
        analysis.Attempt(
            candidate=sbd, code=codes[attempt.paper_id], responses=response_values(session, attempt.id),
            graded={r["no"]: r["points"] for r in attempt.grading or [] if r["status"] == "marked"},
        )
        for attempt, sbd in attempts
    ]
    if not rows:
        raise ValueError("no submitted attempts to analyse")
    # A cloze / gapselect / ddwtos question is analysed blank by blank: a miskeyed or too
    # hard blank is what the setter has to find, and the question's total hides it.
    return analysis.table_from_papers(qb_papers, rows, per_blank=True).analyse()


@dataclass(frozen=True)
class Shape:
    kind: str  # "rect" | "dot" | "line" | "text"
    x: float
    y: float  # from the bottom, as in PDF
    w: float = 0.0
    h: float = 0.0
    colour: str = BLUE
    text: str = ""


def _axes(x_label: str, y_label: str) -> list[Shape]:
    return [
        Shape("line", PAD, PAD, WIDTH - PAD, PAD, GREY), Shape("line", PAD, PAD, PAD, HEIGHT - PAD, GREY),
        Shape("text", WIDTH / 2, 6, text=x_label, colour="#000000"),
        Shape("text", 4, HEIGHT - 14, text=y_label, colour="#000000"),
    ]


def histogram_shapes(report: AnalysisReport) -> list[Shape]:
    bins = report.test.histogram
    peak = max((b["count"] for b in bins), default=0) or 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    bar_w = plot_w / max(len(bins), 1)
    shapes = _axes("Điểm", "Số thí sinh")
    for frac in (0.5, 1.0):  # values on the count axis
        shapes.append(Shape("text", 4, PAD + plot_h * frac - 3, text=f"{peak * frac:.0f}", colour="#000000"))
    for i, b in enumerate(bins):
        height = plot_h * b["count"] / peak
        shapes.append(Shape("rect", PAD + i * bar_w + 1, PAD, bar_w - 2, height))
        if i % max(1, len(bins) // 8) == 0:
            shapes.append(Shape("text", PAD + i * bar_w, PAD - 12, text=f"{b['from']:g}".replace(".", ","),
                                colour="#000000"))
    return shapes


def scatter_shapes(report: AnalysisReport) -> list[Shape]:
    """Facility p (0..1) across, discrimination D (-1..1) up; the D = 0 line marks miskey risk."""
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    shapes = _axes("Độ dễ p", "Độ phân biệt D")
    zero = PAD + plot_h / 2
    for value in (0.0, 0.5, 1.0):  # values on both axes
        shapes.append(Shape("text", PAD + plot_w * value - 6, PAD - 12, text=f"{value:.1f}".replace(".", ","),
                            colour="#000000"))
    for value in (-1.0, 0.0, 1.0):
        shapes.append(Shape("text", 4, PAD + plot_h * (value + 1) / 2 - 3, text=f"{value:.0f}", colour="#000000"))
    shapes.append(Shape("line", PAD, zero, WIDTH - PAD, zero, GREY))
    for n, item in enumerate(report.items, start=1):
        x = PAD + plot_w * item.facility
        y = PAD + plot_h * (item.discrimination + 1) / 2
        colour = RED if item.flags else BLUE
        shapes.append(Shape("dot", x, y, 3, 3, colour))
        shapes.append(Shape("text", x + 4, y + 2, text=str(n), colour=colour))
    return shapes


def svg(shapes: list[Shape]) -> str:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" role="img" '
             f'width="{WIDTH:g}" height="{HEIGHT:g}">']
    for s in shapes:
        top = HEIGHT - s.y
        if s.kind == "rect":
            parts.append(f'<rect x="{s.x:.1f}" y="{top - s.h:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{s.colour}"/>')
        elif s.kind == "dot":
            parts.append(f'<circle cx="{s.x:.1f}" cy="{top:.1f}" r="{s.w:g}" fill="{s.colour}"/>')
        elif s.kind == "line":
            parts.append(f'<line x1="{s.x:.1f}" y1="{top:.1f}" x2="{s.w:.1f}" y2="{HEIGHT - s.h:.1f}" '
                         f'stroke="{s.colour}"/>')
        else:
            parts.append(f'<text x="{s.x:.1f}" y="{top:.1f}" font-size="9" fill="{s.colour}">{html.escape(s.text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def drawing(shapes: list[Shape], font: str) -> Drawing:
    d = Drawing(WIDTH, HEIGHT)
    for s in shapes:
        colour = colors.HexColor(s.colour)
        if s.kind == "rect":
            d.add(Rect(s.x, s.y, s.w, s.h, fillColor=colour, strokeColor=None))
        elif s.kind == "dot":
            d.add(Circle(s.x, s.y, s.w, fillColor=colour, strokeColor=None))
        elif s.kind == "line":
            d.add(Line(s.x, s.y, s.w, s.h, strokeColor=colour))
        else:
            d.add(String(s.x, s.y, s.text, fontName=font, fontSize=7, fillColor=colour))
    return d


def _fmt(value: float | None) -> str:
    """Two decimals with the Vietnamese decimal comma."""
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def _first_words(stem: str, count: int = 8) -> str:
    """The stem's first words as plain text: tags dropped, each blank's placeholder shown as "…"."""
    text = PLACEHOLDER.sub("…", TAG.sub(" ", html.unescape(stem)))
    words = " ".join(text.split()).split(" ")
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def item_labels(session: Session, sitting_id: int) -> dict[str, str]:
    """Item id -> "Câu 3 (đề 0101): the stem's first words", from the first paper code holding it.

    The blanks of a blank type (items "<uid>#<blank id>", see `sitting_analysis`) are named
    "Câu 5 (đề 0101) — ô 2: …"; the question's own uid keeps its label too.
    """
    labels: dict[str, str] = {}
    for paper in session.scalars(select(Paper).where(Paper.sitting_id == sitting_id).order_by(Paper.code)):
        for no, question in enumerate(paper.snapshot, start=1):
            uid = question.get("uid", "")
            if uid and uid not in labels:
                stem = _first_words(str(question.get("stem", "")))
                labels[uid] = f"Câu {no} (đề {paper.code}): {stem}"
                if question.get("type") in BLANK_TYPES:
                    for blank in question.get("blanks") or []:
                        labels[f"{uid}#{blank.get('id', '')}"] = f"Câu {no} (đề {paper.code}) — ô {blank.get('id', '')}: {stem}"
    return labels


def _item_rows(report: AnalysisReport, labels: dict[str, str] | None = None) -> list[list[str]]:
    labels = labels or {}
    return [
        [str(n), labels.get(item.id, item.id[:10]), _fmt(item.facility), _fmt(item.discrimination),
         _fmt(item.point_biserial), f"{item.omitted_rate * 100:.0f} %",
         # question_bank's flag texts add the English in brackets: the report stays Vietnamese.
         "; ".join(FLAG_TEXT.get(f, f).split(" (")[0] for f in item.flags)]
        for n, item in enumerate(report.items, start=1)
    ]


HEADERS = ["STT", "Câu hỏi", "Độ dễ p", "Độ phân biệt D", "Hệ số r_pb", "Bỏ trống", "Cảnh báo"]


def _summary(report: AnalysisReport) -> str:
    t = report.test
    return (f"Số thí sinh dự thi: {t.candidates} · Số câu: {t.items} · Điểm tối đa: {_fmt(t.max_total)} · "
            f"Điểm trung bình: {_fmt(t.mean)} · Độ lệch chuẩn: {_fmt(t.sd)} · Hệ số α: {_fmt(t.alpha)} · "
            f"KR-20: {_fmt(t.kr20)} · Sai số chuẩn đo lường: {_fmt(t.sem)} (thí sinh vắng không được tính)")


def write_html(report: AnalysisReport, path: Path, title: str, labels: dict[str, str] | None = None) -> Path:
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in _item_rows(report, labels)
    )
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in HEADERS)
    path.write_text(
        f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:.2rem .5rem}}figure{{display:inline-block;margin:1rem}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(_summary(report))}</p>
<figure><figcaption>Phổ điểm</figcaption>{svg(histogram_shapes(report))}</figure>
<figure><figcaption>Độ dễ và độ phân biệt của từng câu (đỏ: câu cần xem lại)</figcaption>{svg(scatter_shapes(report))}</figure>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>""",
        encoding="utf-8",
    )
    return path


def write_pdf(report: AnalysisReport, path: Path, title: str, labels: dict[str, str] | None = None) -> Path:
    regular, bold = pdf_font()
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=title,
                            leftMargin=10 * mm, rightMargin=10 * mm)
    story: list[object] = [
        Paragraph(plain(title), ParagraphStyle("h1", fontName=bold, fontSize=14, leading=18)),
        Paragraph(_summary(report), ParagraphStyle("p", fontName=regular, fontSize=9, leading=12)),
        Spacer(1, 4 * mm),
        Table([[drawing(histogram_shapes(report), regular), drawing(scatter_shapes(report), regular)]]),
    ]
    cell = ParagraphStyle("cell", fontName=regular, fontSize=7, leading=9)
    head = ParagraphStyle("head", fontName=bold, fontSize=7, leading=9)
    table = Table([[Paragraph(h, head) for h in HEADERS]]
                  + [[Paragraph(html.escape(c), cell) for c in row] for row in _item_rows(report, labels)],
                  repeatRows=1, colWidths=[10 * mm, 80 * mm, 16 * mm, 20 * mm, 16 * mm, 16 * mm, 119 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), bold, 7), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
    story.append(table)
    doc.build(story)
    return path

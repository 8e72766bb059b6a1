"""Item analysis of a sitting as an HTML and a PDF report with two charts: the score histogram
and item facility against discrimination (flagged items in red).

The charts are computed once as plain shapes; the HTML draws them as inline SVG (no script,
nothing fetched) and the PDF with reportlab's drawing primitives.

Options are never named by their bank id (which can itself be a letter, "B" in an Aiken file,
that the candidate saw as D): the pooled report lists each option of a choice question by its
text, with the letter it had on each paper code and how many candidates on that code chose it
(`papers.letter_map` reads the mapping from the stored snapshot's option order); a report of
one code (`sitting_analysis(..., code=)`) names the options by that code's letters.
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

from exam_server.attempts.disqualification import DISQUALIFIED
from exam_server.attempts.grading import response_values
from exam_server.attempts.models import Attempt
from exam_server.exams.models import Paper, Registration
from exam_server.i18n import CATALOGUE, coded, current_language, format_decimal, translate
from exam_server.results.absence import sat_condition
from exam_server.results.pdf_sheets import pdf_font, plain
from question_bank import analysis, papers
from question_bank.analysis import AnalysisReport, flag_text
from question_bank.model import BLANK_TYPES, PLACEHOLDER, Question

WIDTH, HEIGHT, PAD = 420.0, 220.0, 30.0
RED, BLUE, GREY = "#c0392b", "#2c6fbb", "#888888"
CODES_PER_TABLE = 6  # paper-code columns of one option table in the PDF (landscape A4)
TAG = re.compile(r"<[^>]*>")


def sitting_analysis(session: Session, sitting_id: int, code: str | None = None) -> AnalysisReport:
    """Analyse every submitted attempt of the sitting, pooling all paper codes by bank item;
    with `code`, only the candidates of that paper code, options named by its letters."""
    stored = session.scalars(select(Paper).where(Paper.sitting_id == sitting_id).order_by(Paper.code)).all()
    qb_papers = [
        papers.Paper(p.code, "", [papers.PaperItem(n, "", Question.from_dict(q)) for n, q in enumerate(p.snapshot, 1)])
        for p in stored
    ]
    codes = {p.id: p.code for p in stored}
    attempts = session.execute(
        select(Attempt, Registration.sbd).join(Registration, Attempt.registration_id == Registration.id)
        # Absentees (closed at the end without ever logging in) and voided papers (đình chỉ) take
        # no part in the statistics.
        .where(Registration.sitting_id == sitting_id, Attempt.state == "submitted", sat_condition(),
               Attempt.submitted_by != DISQUALIFIED)
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
    if code is not None and code not in codes.values():
        raise ValueError(f"no paper code {code!r} in this sitting")
    return analysis.table_from_papers(qb_papers, rows, per_blank=True, code=code).analyse()


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


CATALOGUE.register(
    coded("results.report.axis_score", "Score"),
    coded("results.report.axis_candidates", "Candidates"),
    coded("results.report.axis_facility", "Facility p"),
    coded("results.report.axis_discrimination", "Discrimination D"),
    coded("results.report.item_label", "Question {no} (paper {paper}): {stem}"),
    coded("results.report.blank_label", "Question {no} (paper {paper}) — gap {blank}: {stem}"),
    coded("results.report.col.no", "No."),
    coded("results.report.col.question", "Question"),
    coded("results.report.col.facility", "Facility p"),
    coded("results.report.col.discrimination", "Discrimination D"),
    coded("results.report.col.point_biserial", "Point-biserial r_pb"),
    coded("results.report.col.omitted", "Omitted"),
    coded("results.report.col.flags", "Warnings"),
    coded("results.report.summary", "Candidates who sat: {candidates} · Questions: {items} · Maximum score: {max_total} · Mean score: {mean} · Standard deviation: {sd} · Coefficient α: {alpha} · KR-20: {kr20} · Standard error of measurement: {sem} (absent candidates are not counted)"),
)


def histogram_shapes(report: AnalysisReport) -> list[Shape]:
    bins = report.test.histogram
    peak = max((b["count"] for b in bins), default=0) or 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    bar_w = plot_w / max(len(bins), 1)
    shapes = _axes(translate("results.report.axis_score"), translate("results.report.axis_candidates"))
    for frac in (0.5, 1.0):  # values on the count axis
        shapes.append(Shape("text", 4, PAD + plot_h * frac - 3, text=f"{peak * frac:.0f}", colour="#000000"))
    for i, b in enumerate(bins):
        height = plot_h * b["count"] / peak
        shapes.append(Shape("rect", PAD + i * bar_w + 1, PAD, bar_w - 2, height))
        if i % max(1, len(bins) // 8) == 0:
            shapes.append(Shape("text", PAD + i * bar_w, PAD - 12, text=format_decimal(b["from"], max_digits=3),
                                colour="#000000"))
    return shapes


def scatter_shapes(report: AnalysisReport) -> list[Shape]:
    """Facility p (0..1) across, discrimination D (-1..1) up; the D = 0 line marks miskey risk."""
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    shapes = _axes(translate("results.report.axis_facility"), translate("results.report.axis_discrimination"))
    zero = PAD + plot_h / 2
    for value in (0.0, 0.5, 1.0):  # values on both axes
        shapes.append(Shape("text", PAD + plot_w * value - 6, PAD - 12, text=format_decimal(value, 1),
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
    """Two decimals with the request's decimal sign (Babel: a comma in Vietnamese)."""
    return format_decimal(value, 2, empty="—")


def _first_words(stem: str, count: int = 8) -> str:
    """The stem's first words as plain text: tags dropped, each blank's placeholder shown as "…"."""
    text = PLACEHOLDER.sub("…", TAG.sub(" ", html.unescape(stem)))
    words = " ".join(text.split()).split(" ")
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def item_labels(session: Session, sitting_id: int, code: str | None = None) -> dict[str, str]:
    """Item id -> "Câu 3 (đề 0101): the stem's first words", from the first paper code holding it
    (with `code`, from that code: its question numbers, as in its one-code report).

    The blanks of a blank type (items "<uid>#<blank id>", see `sitting_analysis`) are named
    "Câu 5 (đề 0101) — ô 2: …"; the question's own uid keeps its label too.
    """
    labels: dict[str, str] = {}
    query = select(Paper).where(Paper.sitting_id == sitting_id).order_by(Paper.code)
    for paper in session.scalars(query if code is None else query.where(Paper.code == code)):
        for no, question in enumerate(paper.snapshot, start=1):
            uid = question.get("uid", "")
            if uid and uid not in labels:
                stem = _first_words(str(question.get("stem", "")))
                labels[uid] = translate("results.report.item_label", no=no, paper=paper.code, stem=stem)
                if question.get("type") in BLANK_TYPES:
                    for blank in question.get("blanks") or []:
                        labels[f"{uid}#{blank.get('id', '')}"] = translate(
                            "results.report.blank_label", no=no, paper=paper.code, blank=blank.get("id", ""), stem=stem)
    return labels


def _item_rows(report: AnalysisReport, labels: dict[str, str] | None = None) -> list[list[str]]:
    labels = labels or {}
    return [
        [str(n), labels.get(item.id, item.id[:10]), _fmt(item.facility), _fmt(item.discrimination),
         _fmt(item.point_biserial), f"{item.omitted_rate * 100:.0f} %",
         "; ".join(flag_text(f, current_language()) for f in item.flags)]
        for n, item in enumerate(report.items, start=1)
    ]


HEADERS = ("no", "question", "facility", "discrimination", "point_biserial", "omitted", "flags")


def _headers() -> list[str]:
    return [translate(f"results.report.col.{h}") for h in HEADERS]


def _summary(report: AnalysisReport) -> str:
    t = report.test
    return translate("results.report.summary", candidates=t.candidates, items=t.items, max_total=_fmt(t.max_total),
                     mean=_fmt(t.mean), sd=_fmt(t.sd), alpha=_fmt(t.alpha), kr20=_fmt(t.kr20), sem=_fmt(t.sem))


def _pct(value: float) -> str:
    return f"{format_decimal(value * 100, 0)} %"


def option_tables(report: AnalysisReport, labels: dict[str, str] | None = None,
                  code: str | None = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per choice item: (its label, headers, one row per option) for the option table.

    Pooled (code None): an option is its text, with one column per paper code giving the letter
    it had there and how many candidates on that code chose it ("D · 12"); the key is marked.
    One code: the option is "B. its text", the letter being that code's.
    """
    labels = labels or {}
    codes = sorted({c for item in report.items for o in item.options for c in o.letters})
    out = []
    for n, item in enumerate(report.items, start=1):
        options = [o for o in item.options if o.text or o.letters]
        if not options:
            continue
        omitted = next((o for o in item.options if o.label == analysis.OMITTED), None)
        headers = [translate("results.report.opt.option"), translate("results.report.opt.key"),
                   translate("results.report.opt.chosen"), translate("results.report.opt.upper"),
                   translate("results.report.opt.lower")]
        if code is None:
            headers += [translate("results.report.opt.on_code", paper=c) for c in codes]
        rows = []
        # Pooled: in the order of the first code, the one the item's label names ("Câu 3 (đề 101)").
        first = codes[0] if codes else ""
        for o in sorted(options, key=lambda o: (o.letters.get(first, "~"), o.text) if code is None
                        else (o.label, o.text)):
            name = o.text if code is None else f"{o.label}. {o.text}"
            row = [name, "✓" if o.is_key else "", f"{o.count} ({_pct(o.proportion)})", _pct(o.upper), _pct(o.lower)]
            if code is None:
                row += [f"{o.letters[c]} · {o.counts_by_code.get(c, 0)}" if c in o.letters else "—" for c in codes]
            rows.append(row)
        if omitted is not None and omitted.count:
            row = [translate("results.report.opt.omitted"), "", f"{omitted.count} ({_pct(omitted.proportion)})",
                   _pct(omitted.upper), _pct(omitted.lower)]
            if code is None:
                row += [str(omitted.counts_by_code.get(c, 0)) for c in codes]
            rows.append(row)
        out.append((f"{n}. {labels.get(item.id, item.id[:10])}", headers, rows))
    return out


def _options_html(report: AnalysisReport, labels: dict[str, str] | None, code: str | None) -> str:
    tables = option_tables(report, labels, code)
    if not tables:
        return ""
    parts = [f"<h2>{html.escape(translate('results.report.opt.title'))}</h2>"]
    if code is None:
        parts.append(f"<p>{html.escape(translate('results.report.opt.note'))}</p>")
    for label, headers, rows in tables:
        head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f"<div class='wide'><table class='options'><caption>{html.escape(label)}</caption>"
                     f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
    return "".join(parts)


def write_html(report: AnalysisReport, path: Path, title: str, labels: dict[str, str] | None = None,
               code: str | None = None) -> Path:
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in _item_rows(report, labels)
    )
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in _headers())
    path.write_text(
        f"""<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:.2rem .5rem}}figure{{display:inline-block;margin:1rem}}table.options{{margin:1rem 0}}.wide{{overflow-x:auto}}
caption{{text-align:left;font-weight:bold;padding:.3rem 0}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(_summary(report))}</p>
<figure><figcaption>Phổ điểm</figcaption>{svg(histogram_shapes(report))}</figure>
<figure><figcaption>Độ dễ và độ phân biệt của từng câu (đỏ: câu cần xem lại)</figcaption>{svg(scatter_shapes(report))}</figure>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
{_options_html(report, labels, code)}</body></html>""",
        encoding="utf-8",
    )
    return path


def write_pdf(report: AnalysisReport, path: Path, title: str, labels: dict[str, str] | None = None,
              code: str | None = None) -> Path:
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
    table = Table([[Paragraph(h, head) for h in _headers()]]
                  + [[Paragraph(html.escape(c), cell) for c in row] for row in _item_rows(report, labels)],
                  repeatRows=1, colWidths=[10 * mm, 80 * mm, 16 * mm, 20 * mm, 16 * mm, 16 * mm, 119 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), bold, 7), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
    story.append(table)
    tables = option_tables(report, labels, code)
    if tables:
        story += [Spacer(1, 6 * mm),
                  Paragraph(html.escape(translate("results.report.opt.title")),
                            ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14))]
        if code is None:
            story.append(Paragraph(html.escape(translate("results.report.opt.note")),
                                   ParagraphStyle("note", fontName=regular, fontSize=8, leading=10)))
    fixed = [90 * mm, 16 * mm, 24 * mm, 18 * mm, 18 * mm]
    rest = landscape(A4)[0] - 20 * mm - sum(fixed)
    for label, headers, rows in tables:
        story += [Spacer(1, 3 * mm), Paragraph(html.escape(label), head)]
        # At most CODES_PER_TABLE code columns side by side, so their headers never overlap;
        # more codes continue in a second table with the option columns repeated.
        code_columns: list[int | None] = [*range(5, len(headers))] or [None]
        for start in range(0, len(code_columns), CODES_PER_TABLE):
            chunk = [c for c in code_columns[start:start + CODES_PER_TABLE] if c is not None]
            columns = [0, 1, 2, 3, 4, *chunk]
            widths = fixed + [rest / CODES_PER_TABLE] * len(chunk)
            option_table = Table([[Paragraph(html.escape(headers[c]), head) for c in columns]]
                                 + [[Paragraph(html.escape(row[c]), cell) for c in columns] for row in rows],
                                 repeatRows=1, colWidths=widths, hAlign="LEFT")
            option_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                              ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
            story += [option_table, Spacer(1, 2 * mm)]
    doc.build(story)
    return path

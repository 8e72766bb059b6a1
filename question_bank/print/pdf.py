"""Papers and answer keys as PDF (reportlab), set in DejaVu so Vietnamese diacritics print.

LaTeX in stems is printed as its source ($x^2$); images carried with a question (Media) are
placed after its stem. Options are labelled by position — the order of this paper, which is
the letter the candidate saw on this code (`papers.letter_map`). The key file opens with the
combined key (every code's letters side by side), then one table per code.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from exam_common.i18n import DEFAULT_LANGUAGE
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, CHOICE_KINDS, PLACEHOLDER, Blank, GapChoice, Question
from question_bank.papers import LETTERS, Paper, key_table, letter_map

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
MEDIA_REF = re.compile(r"@@MEDIA/([^\s\"'<>)]+)")
IMAGE_MIMES = {"image/png", "image/jpeg", "image/gif"}


class FontMissing(RuntimeError):
    """The PDF font is not installed; carries a coded message (`str()` is English)."""

    def __init__(self, message: Message) -> None:
        self.problem = message
        super().__init__(str(message))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.problem.text(lang)


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        path = FONT_DIR / file
        if not path.exists():
            raise FontMissing(msg("qb.print.font_missing", path=str(path)))
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=14.5)
    return {
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=14, leading=18, alignment=1),
        "sub": ParagraphStyle("sub", base, alignment=1),
        "section": ParagraphStyle("section", base, fontName=FONT_BOLD, spaceBefore=8, spaceAfter=4),
        "stem": ParagraphStyle("stem", base, spaceBefore=5),
        "option": ParagraphStyle("option", base, leftIndent=8 * mm),
        "cell": ParagraphStyle("cell", base, fontSize=10, leading=13),
    }


def _num(value: float) -> str:
    """Points as Vietnamese write them: 0,25."""
    return f"{value:g}".replace(".", ",")


def _text(value: str) -> str:
    """Plain text -> Paragraph markup: escaped, line breaks kept, media references removed."""
    return escape(MEDIA_REF.sub("", value)).replace("\n", "<br/>")


def _images(q: Question, max_width: float) -> list[Flowable]:
    out: list[Flowable] = []
    for media in q.media:
        if media.mime not in IMAGE_MIMES:
            continue
        try:
            data = base64.b64decode(media.data_b64, validate=False)
            width, height = ImageReader(io.BytesIO(data)).getSize()
        except Exception:  # noqa: S112 - a broken picture must not stop a whole print run
            continue
        scale = min(1.0, max_width / width, 60 * mm / height)
        out.append(Image(io.BytesIO(data), width=width * scale, height=height * scale))
    return out


def _question_flowables(number: int, q: Question, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    points = f" ({_num(q.points)} điểm)" if q.type not in ("description",) else ""
    head = f"<b>Câu {number}.</b>{escape(points)} " if q.type != "description" else ""
    if q.type in BLANK_TYPES:
        return [KeepTogether([Paragraph(head + _blank_stem(q), st["stem"]), *_images(q, width),
                              *_blank_choices(q, st)])]
    parts: list[Flowable] = [Paragraph(head + _text(q.stem), st["stem"]), *_images(q, width)]
    if q.type in ("single_choice", "multiple_response"):
        texts = {o.id: o.text for o in q.options}
        parts += [Paragraph(f"<b>{letter}.</b> {_text(texts[option_id])}", st["option"])
                  for letter, option_id in letter_map(q).items()]
    elif q.type == "ordering":
        parts += [Paragraph(f"<b>{LETTERS[i]}.</b> {_text(o.text)}", st["option"]) for i, o in enumerate(q.options)]
    elif q.type == "tf_cluster":
        parts += [Paragraph(f"<b>{'abcdefgh'[i]})</b> {_text(s.text)}", st["option"]) for i, s in enumerate(q.statements)]
    elif q.type == "true_false":
        parts.append(Paragraph("Đúng □   Sai □", st["option"]))
    elif q.type == "matching":
        lefts = [p for p in q.pairs if p.left]
        rights = sorted(q.pairs, key=lambda p: p.right_id)
        rows = [
            [Paragraph(f"{i + 1}. {_text(lefts[i].left)}" if i < len(lefts) else "", st["cell"]),
             Paragraph(f"{LETTERS[i]}. {_text(rights[i].right)}" if i < len(rights) else "", st["cell"])]
            for i in range(max(len(lefts), len(rights)))
        ]
        parts.append(Table(rows, colWidths=[width / 2 - 4 * mm] * 2, hAlign="LEFT"))
    elif q.type in ("short_text", "numeric", "short_answer4"):
        parts.append(Paragraph("Trả lời: ……………………", st["option"]))
    elif q.type == "essay":
        parts += [Spacer(1, 6 * mm)] * 4
    return [KeepTogether(parts)]


# -- blank types (cloze, gapselect, ddwtos) ---------------------------------------------------
# On paper a blank is "(1) ……": the stem keeps its numbered blanks, the choices of a choice
# blank (or of a gapselect gap) are listed under it by letter, and a ddwtos question gets its
# word bank. Blanks are numbered in reading order, whatever their ids, on paper and key alike.
BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr)>", re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")


def _plain(value: str) -> str:
    """A blank type's (HTML) stem as plain text: block ends become line breaks, tags go."""
    text = html.unescape(TAG.sub("", BLOCK_END.sub("\n", value)))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def blank_numbers(q: Question) -> dict[str, int]:
    """Blank id -> its printed number: position of its placeholder in the stem (1, 2, …)."""
    order = [m.group(1) for m in PLACEHOLDER.finditer(q.stem)]
    order += [b.id for b in q.blanks if b.id not in order]
    return {blank_id: n for n, blank_id in enumerate(dict.fromkeys(order), start=1)}


def _blank_stem(q: Question) -> str:
    numbers = blank_numbers(q)
    out, last = [], 0
    plain = _plain(q.stem)
    for m in PLACEHOLDER.finditer(plain):
        out.append(_text(plain[last:m.start()]))
        number = numbers.get(m.group(1))
        out.append(f"<b>({number})</b> ………" if number else _text(m.group(0)))
        last = m.end()
    out.append(_text(plain[last:]))
    return "".join(out)


def _gap_choices(q: Question, blank: Blank) -> list[GapChoice]:
    return [c for c in q.choices if c.group == blank.group]


def _blank_choices(q: Question, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    numbers = blank_numbers(q)
    blanks = sorted(q.blanks, key=lambda b: numbers.get(b.id, 0))
    if q.type == "ddwtos":
        words = [escape(c.text) + (" <i>(dùng được nhiều lần)</i>" if c.infinite else "") for c in q.choices]
        return [Paragraph("<b>Các từ cho sẵn:</b> " + " · ".join(f"[ {w} ]" for w in words), st["option"])]
    lines = []
    for b in blanks:
        texts = ([c.text for c in _gap_choices(q, b)] if b.kind == "gap"
                 else [a.text for a in b.answers] if b.kind in CHOICE_KINDS else [])
        if not texts:
            continue
        hint = " <i>(chọn một hoặc nhiều)</i>" if b.kind == "multiresponse" else ""
        listed = "&nbsp;&nbsp;&nbsp; ".join(f"<b>{LETTERS[i]}.</b> {escape(t)}" for i, t in enumerate(texts))
        lines.append(Paragraph(f"<b>({numbers[b.id]})</b>{hint} {listed}", st["option"]))
    return lines


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}".replace(".", ",") + " %"


def _blank_key_line(q: Question, blank: Blank) -> str:
    """One blank's key as Paragraph markup: letters for choices, every credited answer."""
    if blank.kind == "gap":
        offered = _gap_choices(q, blank) if q.type == "gapselect" else q.choices
        right = next((i for i, c in enumerate(offered) if c.id == blank.key), None)
        if right is None:
            return "?"
        letter = f"{LETTERS[right]}. " if q.type == "gapselect" else ""
        return letter + escape(offered[right].text)
    credited = [(i, a) for i, a in enumerate(blank.answers) if a.fraction > 0]
    if blank.kind in CHOICE_KINDS:
        parts = [f"{LETTERS[i]}. {escape(a.text)}" for i, a in credited]
        joined = " + ".join(parts) if blank.kind == "multiresponse" else " | ".join(
            p + ("" if a.fraction >= 1 else f" ({_percent(a.fraction)})") for p, (_, a) in zip(parts, credited, strict=True))
        return joined or "?"
    texts = []
    for _, a in sorted(credited, key=lambda ia: -ia[1].fraction):
        text = escape(a.text).replace(".", ",") if blank.kind == "numerical" else escape(a.text)
        if blank.kind == "numerical" and a.tolerance:
            text += f" ± {_num(a.tolerance)}"
        texts.append(text + ("" if a.fraction >= 1 else f" ({_percent(a.fraction)})"))
    return " | ".join(texts) or "?"


def blank_key_markup(q: Question) -> str:
    """The key of every blank, one line each: "(1) B. Hà Nội — 0,5 điểm"."""
    numbers = blank_numbers(q)
    weights = sum(b.weight for b in q.blanks) if q.type == "cloze" else len(q.blanks)
    lines = []
    for b in sorted(q.blanks, key=lambda b: numbers.get(b.id, 0)):
        share = q.points * (b.weight if q.type == "cloze" else 1) / weights if weights else 0.0
        lines.append(f"<b>({numbers[b.id]})</b> {_blank_key_line(q, b)} — {_num(round(share, 2))} điểm")
    return "<br/>".join(lines)


def _footer(label: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{label} — Trang {doc.page}")
        canvas.restoreState()

    return draw


def _build(path: str | Path, story: list[Flowable], label: str) -> None:
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=15 * mm, bottomMargin=18 * mm,
        title=label, author="question-bank",
    )
    doc.build(story, onFirstPage=_footer(label), onLaterPages=_footer(label))


def write_papers_pdf(papers: Iterable[Paper], path: str | Path) -> None:
    """Every paper, each starting on a new page, ready for printing."""
    _register_fonts()
    st = _styles()
    width = A4[0] - 36 * mm
    story: list[Flowable] = []
    title = ""
    for n, paper in enumerate(papers):
        title = title or paper.title
        if n:
            story.append(PageBreak())
        story += [
            Paragraph(escape(paper.title or "ĐỀ THI"), st["title"]),
            Paragraph(f"Mã đề: <b>{escape(paper.code)}</b> — {len(paper.items)} câu, {_num(paper.max_points)} điểm", st["sub"]),
            Spacer(1, 3 * mm),
            Paragraph("Họ, tên thí sinh: ………………………………………  Số báo danh: ……………", st["stem"]),
            Spacer(1, 3 * mm),
        ]
        section = None
        for item in paper.items:
            if item.section != section:
                section = item.section
                story.append(Paragraph(escape(section), st["section"]))
            story += _question_flowables(item.number, item.question, st, width)
    _build(path, story, title or "Đề thi")


COMBINED_CODES = 8  # paper codes per combined-key table: what fits across A4 portrait


def _combined_key(papers: list[Paper], st: dict[str, ParagraphStyle], title: str) -> list[Flowable]:
    """The combined key: question numbers down, paper codes across, each code's own letters.

    Blank types are left to the per-code tables (their key is several lines); the cell says so.
    """
    rows = key_table(papers)
    blank = {(p.code, i.number) for p in papers for i in p.items if i.question.type in BLANK_TYPES}
    story: list[Flowable] = [Paragraph(f"BẢNG ĐÁP ÁN CÁC MÃ ĐỀ — {escape(title)}" if title else "BẢNG ĐÁP ÁN CÁC MÃ ĐỀ",
                                       st["section"])]
    codes = [p.code for p in papers]
    for start in range(0, len(codes), COMBINED_CODES):
        chunk = codes[start:start + COMBINED_CODES]
        head = [Paragraph("<b>Câu</b>", st["cell"])] + [Paragraph(f"<b>{escape(c)}</b>", st["cell"]) for c in chunk]
        body = [[str(n)] + [Paragraph("(xem bảng mã đề)" if (c, n) in blank else escape(keys.get(c, "")), st["cell"])
                            for c in chunk] for n, keys in rows]
        width = (A4[0] - 36 * mm - 14 * mm) / len(chunk)
        table = Table([head, *body], colWidths=[14 * mm] + [width] * len(chunk), repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 10),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story += [table, Spacer(1, 6 * mm)]
    return story


def write_keys_pdf(papers: Iterable[Paper], path: str | Path) -> None:
    """The combined key of all codes, then the answer key of every paper: a table per code."""
    _register_fonts()
    st = _styles()
    papers = list(papers)
    story: list[Flowable] = []
    title = next((p.title for p in papers if p.title), "")
    if len(papers) > 1:
        story += [*_combined_key(papers, st, title), PageBreak()]
    for paper in papers:
        title = title or paper.title
        rows = [[Paragraph(f"<b>{h}</b>", st["cell"]) for h in ("Câu", "Phần", "Đáp án", "Điểm")]]
        rows += [
            [str(i.number), Paragraph(escape(i.section), st["cell"]),
             Paragraph(blank_key_markup(i.question) if i.question.type in BLANK_TYPES else escape(i.key), st["cell"]),
             _num(i.question.points)]
            for i in paper.items
        ]
        table = Table(rows, colWidths=[14 * mm, 40 * mm, 100 * mm, 16 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 10),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story += [
            Paragraph(f"ĐÁP ÁN — {escape(paper.title)} — Mã đề {escape(paper.code)}", st["section"]),
            table,
            Spacer(1, 6 * mm),
        ]
    _build(path, story, f"Đáp án — {title}" if title else "Đáp án")

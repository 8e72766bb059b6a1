"""Word .docx as Vietnamese teachers write exams (import only).

Read straight from the OOXML (zip + defusedxml); the layout conventions understood:

- "PHẦN I/II/III …" headings: part I four-option multiple choice, part II Đúng/Sai clusters,
  part III short answers (up to 4 characters); a heading naming "TỰ LUẬN" is essay. The title
  of the heading ("Đúng sai", "trả lời ngắn") wins over the numeral.
- "Câu 1:" / "Câu 1." starts a question; numbering may restart in every part.
- Options "A." … "D." (or "A)"), one per line, several on one line separated by spaces or
  tabs, or in table cells. Statements "a)" … "d)" likewise.
- The key: the correct option marked by underline, bold, red colour or highlight (a marking
  applied to *every* option of a question is taken as layout, not as a key); true statements
  marked the same way; "Đáp án: -1,5" under a question; or an answer key at the end, after
  "ĐÁP ÁN"/"BẢNG ĐÁP ÁN" — text ("1-A 2-C", "1.ĐSĐS") or tables ("Câu | Đáp án" rows or
  columns, "Câu | a | b | c | d"). A key-table answer overrides a different marking, with a
  warning. "Lời giải:" / "Hướng dẫn giải:" text becomes the general feedback.
- Images become `Media` (`@@MEDIA/name` in the text); OMML equations become `$…$` LaTeX where
  the converter knows the structure, otherwise plain text; MathType/OLE equations stay
  images. The import report says how many of each.
- Runs in legacy Vietnamese fonts (TCVN3 ".VnTime", ".VnTimeH" …; VNI "VNI-Times" …), set
  on the run, its character style, the paragraph style or the document defaults, are
  converted to Unicode by font family (`legacy_vn`); the report says how many runs in
  which fonts.
- Points follow the 2025 structure (I 0,25; II 1,0; III 0,25); they are reported so that a
  teacher can change them (mathematics scores part III at 0,5).
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from base64 import b64encode
from collections import Counter
from xml.etree.ElementTree import Element

from question_bank.errors import ImportResult
from question_bank.formats.collect import Issues
from question_bank.formats.docx_layout import NO_MARKS, Layout, Line, Marks
from question_bank.formats.docx_numbering import Numbering
from question_bank.formats.legacy_vn import convert_run, font_encoding
from question_bank.formats.omml import to_latex
from question_bank.formats.safe_input import SafeZip, fail, local, parse_xml
from question_bank.messages import Message, msg
from question_bank.model import Media, nfc

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MEDIA_REF = re.compile(r"@@MEDIA/(\S+)")
RED_MIN, OTHER_MAX = 0x99, 0x66
# Characters inserted with Insert › Symbol from the Symbol font (w:sym), as Unicode.
SYMBOL_FONT = {
    0x22: "∀", 0x24: "∃", 0x44: "Δ", 0x57: "Ω", 0x5E: "⊥", 0x61: "α", 0x62: "β", 0x64: "δ", 0x65: "ε", 0x67: "γ",
    0x6A: "φ", 0x6C: "λ", 0x6D: "μ", 0x70: "π", 0x71: "θ", 0x73: "σ", 0x77: "ω", 0xA2: "′", 0xA3: "≤", 0xA5: "∞",
    0xAE: "→", 0xB0: "°", 0xB1: "±", 0xB3: "≥", 0xB4: "×", 0xB8: "÷", 0xB9: "≠", 0xBB: "≈", 0xC6: "∅", 0xC7: "∩",
    0xC8: "∪", 0xCC: "⊂", 0xCE: "∈", 0xCF: "∉", 0xD6: "√", 0xDB: "⇔", 0xDE: "⇒",
}


# -- reading the OOXML into lines ---------------------------------------------------------
def _font(rpr: Element | None) -> str:
    """The font of the non-ASCII characters a run property sets (hAnsi, else ascii)."""
    fonts = rpr.find(f"{W}rFonts") if rpr is not None else None
    if fonts is None:
        return ""
    if font := fonts.get(f"{W}hAnsi") or fonts.get(f"{W}ascii"):
        return font
    # A theme font (Calibri, Times New Roman of the theme) is never a legacy one, but it does
    # override the font of the paragraph style.
    return "+theme" if fonts.get(f"{W}hAnsiTheme") or fonts.get(f"{W}asciiTheme") else ""


def _marks(rpr: Element | None) -> Marks:
    if rpr is None:
        return NO_MARKS
    found = set()
    bold = rpr.find(f"{W}b")
    if bold is not None and bold.get(f"{W}val", "true").lower() not in ("0", "false", "off"):
        found.add("bold")
    underline = rpr.find(f"{W}u")
    if underline is not None and underline.get(f"{W}val", "single").lower() != "none":
        found.add("underline")
    color = rpr.find(f"{W}color")
    value = (color.get(f"{W}val", "") if color is not None else "").lower()
    if re.fullmatch(r"[0-9a-f]{6}", value):
        r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
        if r >= RED_MIN and g <= OTHER_MAX and b <= OTHER_MAX:
            found.add("red")
    highlight = rpr.find(f"{W}highlight")
    if highlight is not None and highlight.get(f"{W}val", "none").lower() != "none":
        found.add("highlight")
    return frozenset(found)


class _Document:
    """Walks word/document.xml in order, turning paragraphs into `Line`s."""

    def __init__(self, package: SafeZip, file: str, issues: Issues) -> None:
        self.package, self.file, self.issues = package, file, issues
        self.media: dict[str, Media] = {}
        self.rels = self._relationships()
        numbering = "word/numbering.xml"
        self.numbering = Numbering(parse_xml(package.read(numbering), f"{file}: {numbering}") if numbering in package else None)
        self.equations = self.partial_equations = self.ole_images = self.unknown_symbols = 0
        self.styles, self.default_font = self._styles()
        self.paragraph_font = ""
        self.legacy_runs: Counter[str] = Counter()  # font name -> runs converted to Unicode

    def _styles(self) -> tuple[dict[str, tuple[str, str, str]], str]:
        """styleId -> (font, basedOn, type) from word/styles.xml, and the document's default font."""
        path = "word/styles.xml"
        if path not in self.package:
            return {}, ""
        root = parse_xml(self.package.read(path), f"{self.file}: {path}")
        defaults = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        default = _font(defaults)
        styles = {}
        for style in root.iter(f"{W}style"):
            based = style.find(f"{W}basedOn")
            styles[style.get(f"{W}styleId", "")] = (
                _font(style.find(f"{W}rPr")),
                based.get(f"{W}val", "") if based is not None else "",
                style.get(f"{W}type", ""),
            )
            if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true"):
                styles[""] = styles[style.get(f"{W}styleId", "")]
        return styles, default

    def style_font(self, style_id: str) -> str:
        """The font a style sets, following basedOn (a cycle or a missing style ends the walk)."""
        seen = set()
        while style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            font, based, _ = self.styles[style_id]
            if font:
                return font
            style_id = based
        return ""

    def _relationships(self) -> dict[str, str]:
        path = "word/_rels/document.xml.rels"
        if path not in self.package:
            return {}
        root = parse_xml(self.package.read(path), f"{self.file}: {path}")
        return {rel.get("Id", ""): rel.get("Target", "") for rel in root if rel.get("TargetMode") != "External"}

    def image(self, rel_id: str) -> str:
        target = self.rels.get(rel_id, "")
        path = posixpath.normpath(posixpath.join("word", target)) if target else ""
        if not path or path not in self.package:
            self.issues.error(msg("qb.where.images"), msg("qb.docx.image_missing", ref=rel_id))
            return ""
        name = posixpath.basename(path)
        if name not in self.media:
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            self.media[name] = Media(name, mime, b64encode(self.package.read(path)).decode())
        return f" @@MEDIA/{name} "

    def paragraph(self, p: Element) -> list[Line]:
        pieces: list[tuple[str, Marks]] = []
        style = p.find(f"{W}pPr/{W}pStyle")
        style_id = style.get(f"{W}val", "") if style is not None else ""
        # Word: the paragraph's style chain (the default paragraph style when none is set),
        # then the document defaults.
        self.paragraph_font = self.style_font(style_id or "") or self.default_font
        if label := self.numbering.label(p):  # Word draws it with the paragraph mark's format
            ppr = p.find(f"{W}pPr")
            pieces.append((label, _marks(ppr.find(f"{W}rPr") if ppr is not None else None)))
        self._walk(p, pieces)
        lines: list[Line] = []
        text: list[str] = []
        marks: list[frozenset[str]] = []
        for piece, mark in pieces:
            for ch in nfc(piece):  # per piece, so every character keeps its own marks
                if ch == "\n":
                    lines.append(Line("".join(text), marks))
                    text, marks = [], []
                else:
                    text.append(ch)
                    marks.append(mark)
        lines.append(Line("".join(text), marks))
        return lines

    def _walk(self, node: Element, out: list[tuple[str, Marks]]) -> None:
        for child in node:
            tag = local(child.tag)
            if tag == "r":
                self._run(child, out)
            elif tag in ("oMath", "oMathPara"):
                maths = [child] if tag == "oMath" else [m for m in child if local(m.tag) == "oMath"]
                for math in maths:
                    conversion = to_latex(math)
                    self.equations += 1
                    self.partial_equations += conversion.partial
                    marked = frozenset().union(*(_marks(r) for r in math.iter(f"{W}rPr")))
                    out.append((f"${conversion.latex}$", marked))
            elif tag == "AlternateContent":
                choice = next((c for c in child if local(c.tag) == "Choice"), None)
                if choice is not None:
                    self._walk(choice, out)
            elif tag not in ("pPr", "del", "moveFrom", "rPr", "txbxContent"):
                self._walk(child, out)

    def run_font(self, rpr: Element | None) -> str:
        if font := _font(rpr):
            return font
        style = rpr.find(f"{W}rStyle") if rpr is not None else None
        return (self.style_font(style.get(f"{W}val", "")) if style is not None else "") or self.paragraph_font

    def _run(self, run: Element, out: list[tuple[str, Marks]]) -> None:
        rpr = run.find(f"{W}rPr")
        marks = _marks(rpr)
        font = self.run_font(rpr)
        legacy = font_encoding(font)
        if legacy and any((child.text or "").strip() for child in run if local(child.tag) == "t"):
            self.legacy_runs[font] += 1
        for child in run:
            tag = local(child.tag)
            if tag == "t":
                out.append((convert_run(child.text or "", legacy) if legacy else child.text or "", marks))
            elif tag in ("tab", "ptab"):
                out.append(("\t", marks))
            elif tag == "noBreakHyphen":  # Word's non-breaking hyphen, typed for minus signs
                out.append(("-", marks))
            elif tag in ("br", "cr"):
                out.append(("\n", NO_MARKS))
            elif tag == "sym":
                char = child.get(f"{W}char", "")
                code = int(char, 16) & 0xFF if re.fullmatch(r"[0-9A-Fa-f]{1,4}", char) else -1
                if code not in SYMBOL_FONT:
                    self.unknown_symbols += 1
                out.append((SYMBOL_FONT.get(code, "\ufffd"), marks))
            elif tag in ("drawing", "pict", "object", "AlternateContent"):
                for node in child.iter():
                    if local(node.tag) == "Fallback":
                        break
                    rel = node.get(f"{R_ID}embed") or (node.get(f"{R_ID}id") if local(node.tag) == "imagedata" else None)
                    if rel:
                        self.ole_images += tag == "object"
                        out.append((self.image(rel), NO_MARKS))
                        break

    def cells(self, table: Element) -> list[list[list[Line]]]:
        """Rows of cells of lines."""
        rows = []
        for tr in table.iter(f"{W}tr"):
            row = []
            for tc in tr.findall(f"{W}tc"):
                row.append([line for p in tc.findall(f"{W}p") for line in self.paragraph(p)])
            rows.append(row)
        return rows


# -- the reader ---------------------------------------------------------------------------
def read(data: bytes, file: str) -> ImportResult:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail(file, msg("qb.docx.old_doc"))
    package = SafeZip(data, file)
    if "word/document.xml" not in package:
        raise fail(file, msg("qb.docx.not_docx"))
    root = parse_xml(package.read("word/document.xml"), f"{file}: word/document.xml")
    body = root.find(f"{W}body")
    if body is None:
        raise fail(file, msg("qb.docx.no_body"))
    issues = Issues(file)
    doc = _Document(package, file, issues)
    parser = Layout(issues)
    for block in _blocks(body):
        if local(block.tag) == "p":
            for line in doc.paragraph(block):
                parser.line(line)
        else:
            grid = doc.cells(block)
            if not parser.key_table(grid):
                for row in grid:
                    for cell in row:
                        for line in cell:
                            parser.line(line)
    questions, locations = parser.build()
    for question in questions:
        texts = [question.stem, question.general_feedback, *(o.text for o in question.options), *(s.text for s in question.statements)]
        names = dict.fromkeys(name for text in texts for name in MEDIA_REF.findall(text))
        question.media = [doc.media[name] for name in names if name in doc.media]
        question.source = f"{file}: {question.source}"
    _report(issues, doc, parser)
    return issues.finish(questions, locations)


def _blocks(body: Element) -> list[Element]:
    """Paragraphs and tables in order, looking through content controls."""
    out = []
    for child in body:
        tag = local(child.tag)
        if tag in ("p", "tbl"):
            out.append(child)
        elif tag == "sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                out.extend(_blocks(content))
    return out


def _report(issues: Issues, doc: _Document, parser: Layout) -> None:
    if doc.equations:
        converted = doc.equations - doc.partial_equations
        issues.note(msg("qb.docx.equations_converted", converted=converted, total=doc.equations))
    if doc.partial_equations:
        issues.note(msg("qb.docx.equations_partial", count=doc.partial_equations))
    if doc.ole_images:
        issues.note(msg("qb.docx.ole_equations", count=doc.ole_images))
    if doc.unknown_symbols:
        issues.note(msg("qb.docx.unknown_symbols", count=doc.unknown_symbols))
    if doc.legacy_runs:
        issues.note(legacy_note(doc.legacy_runs))
    if doc.media:
        issues.note(msg("qb.docx.images_carried", count=len(doc.media)))
    if parser.sections:
        issues.note(msg("qb.docx.points_2025", part1=0.25, part2=1.0, part3=0.25, math3=0.5))


def legacy_note(runs: Counter[str]) -> Message:
    """"12 đoạn phông TCVN3 (.VnTime ×10, .VnTimeH ×2), 3 đoạn phông VNI (VNI-Times ×3) …"."""
    parts = []
    for family, label in (("tcvn3", "TCVN3"), ("vni", "VNI")):
        fonts = {f: n for f, n in sorted(runs.items()) if font_encoding(f).startswith(family)}
        if fonts:
            listed = ", ".join(f"{f} ×{n}" for f, n in fonts.items())
            parts.append(msg("qb.docx.legacy_fonts", count=sum(fonts.values()), encoding=label, fonts=listed))
    return msg("qb.docx.legacy_converted", parts=parts)

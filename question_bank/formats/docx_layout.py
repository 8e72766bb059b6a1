"""The layout of a Vietnamese exam in Word, as lines of text with key markings → questions.

`docx.py` turns the OOXML into `Line`s (text plus, per character, the markings that can
flag a key: bold, underline, red, highlight); `Layout` reads them like a teacher would —
parts, "Câu n", options, statements, inline keys, answer-key tables — and builds questions.
The conventions are listed in `question_bank.formats.docx`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from question_bank.formats.collect import SHORT_ANSWER4, Issues
from question_bank.messages import msg
from question_bank.model import TF_CLUSTER_TABLE, Answer, Option, Question, Scoring, Statement, nfc

Marks = frozenset[str]
NO_MARKS: Marks = frozenset()

QUESTION = re.compile(r"^\s*Câu\s*(\d{1,4})\s*(?:\(([^)]{0,30})\))?\s*(?:[:.]|$)\s*", re.IGNORECASE)
LOOKS_LIKE_QUESTION = re.compile(r"^\s*Câu\s*\d+", re.IGNORECASE)
LEVELS = {"nb": "NB", "th": "TH", "vd": "VD", "vdc": "VDC", "nhận biết": "NB", "thông hiểu": "TH", "vận dụng": "VD", "vận dụng cao": "VDC"}
# "PHẦN II. …" / "Phần 2:" — but not "Phần I của bài thơ" inside a stem: a part heading is in
# capitals or has punctuation (or nothing) after its numeral.
SECTION = re.compile(r"^\s*(PHẦN|Phần)\s+(IV|III|II|I|[1-4])\b\s*([.:\-–]|$)?\s*(.*)$")
# "ĐÁP ÁN", "BẢNG ĐÁP ÁN PHẦN I", "ĐÁP ÁN VÀ HƯỚNG DẪN CHẤM" (capitals, no value after a colon)
# or the same words alone on a line in any case; "Đáp án: B" is a question's own key.
KEY_HEADING = re.compile(r"^\s*(BẢNG\s+)?(ĐÁP\s*ÁN|HƯỚNG\s+DẪN\s+CHẤM)\b(?!\s*[:.]\s*\S)")
KEY_HEADING_ANY_CASE = re.compile(r"^\s*(bảng\s+)?(đáp\s*án|hướng\s+dẫn\s+chấm)(\s+tham\s+khảo)?\s*[:.]?\s*$", re.IGNORECASE)
KEY_PART = re.compile(r"PHẦN\s+(IV|III|II|I|[1-4])\b", re.IGNORECASE)
INLINE_KEY = re.compile(r"^\s*(Đáp\s*án|Trả\s*lời)\s*[:.]\s*(.+?)\s*$", re.IGNORECASE)
SOLUTION = re.compile(r"^\s*(Lời\s+giải|Hướng\s+dẫn(\s+giải)?|Giải)\s*[:.]\s*(.*)$", re.IGNORECASE)
OPTION_LABEL = re.compile(r"(?:^|(?<=\s))([A-H])\s*[.)]\s*")
STATEMENT_LABEL = re.compile(r"(?:^|(?<=\s))([a-h])\s*\)\s*")
# "1-A", "Câu 2: ĐSĐS", "3. -1,5": a number and a value shaped like a key (a letter, Đ/S
# letters, a short number), so "Câu 1: Tính" after a key table is a question again.
KEY_PAIR = re.compile(r"(?:Câu\s*)?(\d{1,4})\s*[-–.:)]\s*([A-H]|[ĐS]{2,8}|[-−–]?\d{1,4}(?:[,.]\d{1,4})?)(?=[\s,;]|$)", re.IGNORECASE)
MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "‑": "-"})  # typographic minus/dash in answers
TF_LETTERS = re.compile(r"Đúng|Sai|Đ|S|T|F", re.IGNORECASE)
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
SECTION_KIND = {1: "single_choice", 2: "tf_cluster", 3: "short_answer4", 4: "essay"}
SECTION_POINTS = {"single_choice": 0.25, "tf_cluster": 1.0, "short_answer4": 0.25, "essay": 1.0}
@dataclass
class Line:
    """A line of text with the set of key markings of every character."""

    text: str
    marks: list[Marks]


@dataclass
class Section:
    number: int
    kind: str
    label: str


@dataclass
class Draft:
    number: int
    section: Section | None
    difficulty: str = ""
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str, Marks]] = field(default_factory=list)  # (label, text, marks)
    statements: list[tuple[str, str, Marks]] = field(default_factory=list)
    inline_key: str = ""
    feedback: list[str] = field(default_factory=list)
    in_feedback: bool = False

    @property
    def where(self) -> str:
        return f"{self.section.label}, Câu {self.number}" if self.section else f"Câu {self.number}"


def _split_labels(line: Line, pattern: re.Pattern[str], first: str) -> list[tuple[str, str, Marks]] | None:
    """Options/statements on a line that starts with label `first`..., in sequence."""
    starts: list[tuple[int, int, str]] = []
    expected = first
    for m in pattern.finditer(line.text):
        if m.group(1) == expected:
            starts.append((m.start(1), m.end(), expected))
            expected = chr(ord(expected) + 1)
    if not starts or line.text[: starts[0][0]].strip():
        return None
    out = []
    for i, (label_at, text_at, label) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(line.text)
        text = line.text[text_at:end].strip()
        label_marks = line.marks[label_at] if label_at < len(line.marks) else NO_MARKS
        body_marks = [line.marks[k] for k in range(text_at, end) if not line.text[k].isspace()]
        covering = frozenset.intersection(*body_marks) if body_marks else NO_MARKS
        out.append((label, text, label_marks | covering))
    return out


class Layout:
    """The state machine over lines: sections, questions, options, keys."""

    def __init__(self, issues: Issues) -> None:
        self.issues = issues
        self.drafts: list[Draft] = []
        self.current: Draft | None = None
        self.section: Section | None = None
        self.sections: list[Section] = []
        self.key_mode = False
        self.key_section: Section | None = None
        self.keys: list[tuple[int | None, int, str]] = []  # (section number, question number, key)

    def line(self, line: Line) -> None:
        text = line.text
        if not text.strip():
            return
        if (m := SECTION.match(text)) and (m.group(1) == "PHẦN" or m.group(3) is not None):
            section = self._section(m.group(2), m.group(4))
            if self.key_mode:
                self.key_section = section
            else:
                self.section = section
                self.sections.append(section)
                self.current = None
            return
        if KEY_HEADING.match(text) or KEY_HEADING_ANY_CASE.match(text):
            self.key_mode, self.key_section, self.current = True, None, None
            if part := KEY_PART.search(text):  # "ĐÁP ÁN PHẦN I"
                self.key_section = self._section(part.group(1).upper(), "")
            return
        question = QUESTION.match(text)
        if self.key_mode and question and KEY_PAIR.sub("", text).strip(" \t,;.") != "":
            # Questions again after a key table: the key belonged to the part above.
            self.key_mode = False
            if self.key_section is not None:  # a part heading seen in the key area starts that part
                self.section = self.key_section
                self.sections.append(self.key_section)
                self.key_section = None
        if self.key_mode:
            for number, value in KEY_PAIR.findall(text):
                self.keys.append((self.key_section.number if self.key_section else None, int(number), value))
            return
        if m := question:
            level = LEVELS.get(" ".join((m.group(2) or "").split()).casefold(), "")
            self.current = Draft(int(m.group(1)), self.section, level)
            self.drafts.append(self.current)
            rest = Line(text[m.end() :], line.marks[m.end() :])
            if rest.text.strip():
                self._content(rest)
            return
        if self.current is not None:
            self._content(line)

    def _section(self, numeral: str, title: str) -> Section:
        number = ROMAN[numeral]
        folded = unicodedata.normalize("NFC", title).casefold()
        if any(word in folded for word in ("tự luận", "đọc hiểu", "làm văn", "viết")):
            kind = "essay"
        elif "đúng" in folded and "sai" in folded:
            kind = "tf_cluster"
        elif "trả lời ngắn" in folded:
            kind = "short_answer4"
        elif "phương án" in folded or "trắc nghiệm" in folded:
            kind = "single_choice"
        else:
            kind = SECTION_KIND[number]
        return Section(number, kind, f"PHẦN {numeral}")

    def _content(self, line: Line) -> None:
        draft = self.current
        assert draft is not None
        if LOOKS_LIKE_QUESTION.match(line.text):
            self.issues.warn(draft.where, msg("qb.docx.looks_like_question", line=line.text.strip()[:40]))
        if m := SOLUTION.match(line.text):
            draft.in_feedback = True
            if m.group(3).strip():
                draft.feedback.append(m.group(3).strip())
            return
        if draft.in_feedback:
            draft.feedback.append(line.text.strip())
            return
        if m := INLINE_KEY.match(line.text):
            draft.inline_key = m.group(2)
            return
        next_option = chr(ord("A") + len(draft.options))
        if not draft.statements and (options := _split_labels(line, OPTION_LABEL, next_option)):
            draft.options.extend(options)
            return
        next_statement = chr(ord("a") + len(draft.statements))
        if not draft.options and (statements := _split_labels(line, STATEMENT_LABEL, next_statement)):
            draft.statements.extend(statements)
            return
        target = draft.options or draft.statements
        if target:  # a continuation line of the last option/statement
            label, text, marks = target[-1]
            target[-1] = (label, f"{text}\n{line.text.strip()}", marks)
        else:
            draft.stem.append(line.text.strip())

    def key_table(self, grid: list[list[list[Line]]]) -> bool:
        """Recognise an answer-key table and record its keys."""
        texts = [[nfc(" ".join(line.text for line in cell)).strip() for cell in row] for row in grid]
        if not texts or not texts[0]:
            return False

        def is_(cell: str, word: str) -> bool:
            return " ".join(cell.split()).casefold() == word

        section = self.key_section.number if self.key_section else None
        found: list[tuple[int, str]] = []
        header = texts[0]
        if is_(header[0], "câu") and len(header) > 1 and all(len(h) == 1 and h.casefold() in "abcdefgh" for h in header[1:]):
            for row in texts[1:]:  # Câu | a | b | c | d
                if row and row[0].isdecimal():
                    found.append((int(row[0]), "".join(row[1:])))
        elif any(is_(c, "câu") for c in header) and any(is_(c, "đáp án") for c in header):
            for col, cell in enumerate(header):  # Câu | Đáp án (| Câu | Đáp án …), one question per row
                if is_(cell, "câu") and col + 1 < len(header) and is_(header[col + 1], "đáp án"):
                    found += [(int(r[col]), r[col + 1]) for r in texts[1:] if len(r) > col + 1 and r[col].isdecimal() and r[col + 1]]
        elif any(row and is_(row[0], "câu") for row in texts):
            for r, row in enumerate(texts[:-1]):  # Câu | 1 | 2 … over Đáp án | A | C …
                if row and is_(row[0], "câu") and texts[r + 1] and is_(texts[r + 1][0], "đáp án"):
                    values = texts[r + 1]
                    found += [(int(n), values[c]) for c, n in enumerate(row) if c and n.isdecimal() and c < len(values) and values[c]]
        else:
            return False
        self.keys += [(section, number, value) for number, value in found]
        self.key_mode = True
        self.current = None
        return True

    # -- turning drafts into questions ----------------------------------------------------
    def _key_for(self, draft: Draft, kind: str) -> str:
        section = draft.section.number if draft.section else None
        for key_section, number, value in self.keys:
            if number == draft.number and key_section == section and key_section is not None:
                return value
        for key_section, number, value in self.keys:
            if number == draft.number and key_section is None and _fits(kind, value, draft):
                return value
        return ""

    def build(self) -> tuple[list[Question], list[str]]:
        questions, locations = [], []
        for draft in self.drafts:
            question = self._question(draft)
            if question is not None:
                questions.append(question)
                locations.append(draft.where)
        return questions, locations

    def _question(self, d: Draft) -> Question | None:
        kind = d.section.kind if d.section else ""
        if d.statements:
            kind = "tf_cluster"
        elif d.options:
            kind = "single_choice"
        elif not kind:
            kind = "short_answer4" if SHORT_ANSWER4.match(d.inline_key or self._key_for(d, "short_answer4") or "x") else "short_text"
        table_key = self._key_for(d, kind)
        stem = "\n".join(d.stem).strip()
        common: dict[str, Any] = {
            "stem": stem,
            "title": f"Câu {d.number}",
            "difficulty": d.difficulty,
            "points": SECTION_POINTS.get(kind, 1.0) if d.section else 1.0,
            "general_feedback": "\n".join(d.feedback).strip(),
            "source": d.where,
        }
        if kind == "single_choice":
            if len(d.options) < 2:
                self.issues.error(d.where, msg("qb.docx.options_not_found"))
                return None
            marked = _marked(d.options)
            key = table_key or d.inline_key
            if key:
                letters = [c for c in key.upper() if c in "ABCDEFGH"]
                if not letters or any(c not in {o[0] for o in d.options} for c in letters):
                    self.issues.error(d.where, msg("qb.docx.key_not_option", key=key))
                    return None
                if marked and set(marked) != set(letters):
                    self.issues.warn(d.where, msg("qb.docx.marking_differs", marked=", ".join(marked), key=", ".join(letters)))
                marked = letters
            if not marked:
                self.issues.error(d.where, msg("qb.docx.no_correct"))
                return None
            options = [Option(label, text, 1.0 if label in marked else 0.0) for label, text, _ in d.options]
            return Question("single_choice", options=options, **common)
        if kind == "tf_cluster":
            if not d.statements:
                self.issues.error(d.where, msg("qb.docx.statements_not_found"))
                return None
            key = table_key or d.inline_key
            marked = _marked(d.statements)
            if key:
                letters = [w[0].upper() for w in TF_LETTERS.findall(re.sub(r"\b[a-h]\)", " ", key))]
                if len(letters) != len(d.statements):
                    self.issues.error(d.where, msg("qb.docx.tf_key_length", key=key, count=len(d.statements)))
                    return None
                truths = [c in "ĐT" for c in letters]
                if marked and [s[0] in marked for s in d.statements] != truths:
                    self.issues.warn(d.where, msg("qb.docx.statements_differ"))
            elif marked:
                truths = [s[0] in marked for s in d.statements]
            else:
                self.issues.error(d.where, msg("qb.docx.no_tf_key"))
                return None
            statements = [Statement(label, text, truth) for (label, text, _), truth in zip(d.statements, truths, strict=True)]
            return Question("tf_cluster", statements=statements, scoring=Scoring(table=dict(TF_CLUSTER_TABLE)), **common)
        if kind == "essay":
            return Question("essay", **common)
        key = (d.inline_key or table_key).strip().translate(MINUS_SIGNS)
        if not key:
            self.issues.error(d.where, msg("qb.docx.short_without_key"))
            return None
        if kind == "short_answer4":
            return Question("short_answer4", answers=[Answer(key)], scoring=Scoring(mode="exact"), **common)
        return Question("short_text", answers=[Answer(key)], scoring=Scoring(mode="ci"), **common)


def _marked(items: list[tuple[str, str, Marks]]) -> list[str]:
    """Labels marked as correct; a marking that every item carries is layout, not a key."""
    if len(items) < 2:
        return []
    layout = frozenset.intersection(*(marks for _, _, marks in items))
    return [label for label, _, marks in items if marks - layout]


def _fits(kind: str, value: str, draft: Draft) -> bool:
    """Whether a key without a part fits a question (numbering restarts in every part)."""
    if kind == "single_choice":
        return bool(re.fullmatch(r"[A-H]", value.strip().upper()))
    if kind == "tf_cluster":
        return len(TF_LETTERS.findall(re.sub(r"\b[a-h]\)", " ", value))) == len(draft.statements) > 0
    if kind == "short_answer4":
        return bool(SHORT_ANSWER4.match(value.strip()))
    return True

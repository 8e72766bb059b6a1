"""GIFT (Moodle's plain-text format), import only.

Questions are separated by blank lines; `//` lines are comments; `$CATEGORY: a/b` sets the
topic of the questions after it. Answer blocks:

    {T} {FALSE}                      true_false
    {=right ~wrong ~wrong}           single_choice (`~%50%x` weights → multiple_response)
    {~%50%a ~%50%b ~%-100%c}         multiple_response, partial credit, negative marking
    {=answer =other}                 short_text (case-insensitive, as in Moodle)
    {#3.14:0.01} {#1..5} {#=2 =%50%3}  numeric (tolerance / range / weighted answers)
    {=left -> right =x -> y}         matching
    {}                               essay
    (no braces)                      description

`::title::`, `[html]`-style format markers, `#feedback`, `####general feedback` and the
escapes `\\~ \\= \\# \\{ \\} \\:` are understood. Text before and after a mid-sentence answer
block becomes the stem "before _____ after".
"""

from __future__ import annotations

import re

from question_bank.errors import ImportResult
from question_bank.formats.collect import Issues, parse_number
from question_bank.formats.safe_input import decode_text
from question_bank.model import Answer, Option, Pair, Question, Scoring

ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003", "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006", "\\n": "\n"}
UNESCAPE = {v: k[1] for k, v in ESCAPES.items() if k != "\\n"}
ESCAPE_RE = re.compile("|".join(re.escape(k) for k in ESCAPES))
TITLE = re.compile(r"^\s*::(.*?)::", re.DOTALL)
FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)\s*(#.*)?$", re.DOTALL)


def _unescape(text: str) -> str:
    return "".join(UNESCAPE.get(ch, ch) for ch in text).strip()


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with their first line number, comments removed."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append((start, current))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def read(data: bytes, file: str) -> ImportResult:
    text = decode_text(data, file)
    issues = Issues(file)
    topic = ""
    questions: list[Question] = []
    locations: list[str] = []
    for line_no, lines in _blocks(text):
        first = lines[0].strip()
        if first.startswith("$CATEGORY:"):
            topic = first.split(":", 1)[1].strip()
            topic = topic[4:] if topic.startswith("top/") else topic
            lines = lines[1:]
            if not lines:
                continue
        where = f"câu {len(questions) + 1} (dòng {line_no})"
        question = _question(ESCAPE_RE.sub(lambda m: ESCAPES[m.group(0)], "\n".join(lines)), issues, where)
        if question is not None:
            question.topic = topic
            question.source = f"{file}: dòng {line_no}"
            questions.append(question)
            locations.append(where)
    return issues.finish(questions, locations)


def _question(block: str, issues: Issues, where: str) -> Question | None:
    title = ""
    if m := TITLE.match(block):
        title, block = _unescape(m.group(1)), block[m.end() :]
    block = FORMAT.sub("", block, count=1)
    open_at = block.find("{")
    if open_at < 0:
        if "}" in block:
            issues.error(where, "thừa dấu } (unmatched closing brace)")
            return None
        return Question("description", stem=_unescape(block), title=title)
    close_at = block.find("}", open_at)
    if close_at < 0:
        issues.error(where, "thiếu dấu } đóng khối đáp án (answer block not closed)")
        return None
    before, after = block[:open_at].strip(), block[close_at + 1 :].strip()
    stem = _unescape(before + (" _____ " + after if after else ""))
    body, _, general = block[open_at + 1 : close_at].partition("####")
    body = body.strip()
    question = _answers(body, issues, where)
    if question is not None:
        question.stem, question.title, question.general_feedback = stem, title, _unescape(general)
    return question


def _items(body: str) -> list[tuple[str, str]]:
    """Split "=a ~b #fb" into (marker, text) items."""
    items: list[tuple[str, str]] = []
    for m in re.finditer(r"([=~])([^=~]*)", body):
        items.append((m.group(1), m.group(2)))
    return items


def _weight(text: str, default: float) -> tuple[float, str]:
    if m := WEIGHT.match(text.strip()):
        return round(float(m.group(1)) / 100, 7), text.strip()[m.end() :]
    return default, text


def _answers(body: str, issues: Issues, where: str) -> Question | None:
    if not body:
        return Question("essay", stem="")
    if m := TRUE_FALSE.match(body):
        return Question("true_false", stem="", correct_bool=m.group(1).startswith("T"))
    if body.startswith("#"):
        return _numeric(body[1:].strip(), issues, where)
    if body[0] not in "=~":
        issues.error(where, f"khối đáp án phải bắt đầu bằng =, ~, # hoặc T/F: {_unescape(body)[:30]!r} (bad answer block)")
        return None
    items = _items(body)
    if any("->" in text for _, text in items):
        pairs = []
        for i, (marker, text) in enumerate(items, start=1):
            left, arrow, right = text.partition("->")
            if marker != "=" or not arrow:
                issues.error(where, f"cặp ghép phải có dạng =trái -> phải: {_unescape(text)!r} (bad matching pair)")
                return None
            pairs.append(Pair(f"p{i}", _unescape(left), _unescape(right)))
        return Question("matching", stem="", pairs=pairs)
    if all(marker == "=" for marker, _ in items):
        answers = []
        for _, text in items:
            fraction, text = _weight(text, 1.0)
            answers.append(Answer(_unescape(text.split("#", 1)[0]), fraction))
        return Question("short_text", stem="", answers=answers, scoring=Scoring(mode="ci"))
    options = []
    weighted = False
    for i, (marker, text) in enumerate(items):
        fraction, text = _weight(text, 1.0 if marker == "=" else 0.0)
        weighted = weighted or (marker == "~" and fraction != 0)
        answer, _, feedback = text.partition("#")
        options.append(Option(chr(ord("A") + i) if i < 26 else f"O{i + 1}", _unescape(answer), fraction, feedback=_unescape(feedback)))
    if weighted or sum(o.fraction > 0 for o in options) > 1:
        negative = any(o.fraction < 0 for o in options)
        return Question("multiple_response", stem="", options=options, scoring=Scoring(mode="partial", negative=negative))
    return Question("single_choice", stem="", options=options)


def _numeric(body: str, issues: Issues, where: str) -> Question | None:
    specs = [(1.0, body)] if not body.startswith("=") else [_weight(text, 1.0) for _, text in _items(body)]
    answers = []
    for fraction, spec in specs:
        spec = _unescape(spec.split("#", 1)[0]).replace(" ", "")
        low, dots, high = spec.partition("..")
        value, colon, tolerance = spec.partition(":")
        if dots and parse_number(low) is not None and parse_number(high) is not None:
            lo, hi = parse_number(low), parse_number(high)
            answers.append(Answer(f"{(lo + hi) / 2:g}", fraction, abs(hi - lo) / 2))  # type: ignore[operator]
        elif parse_number(value) is not None and (not colon or parse_number(tolerance) is not None):
            answers.append(Answer(value, fraction, parse_number(tolerance) or 0.0 if colon else 0.0))
        else:
            issues.error(where, f"đáp án số không hợp lệ: {spec!r} (invalid numeric answer)")
            return None
    return Question("numeric", stem="", answers=answers)

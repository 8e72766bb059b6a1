"""GIFT (Moodle's plain-text format), import only, read the way Moodle's qformat_gift reads it.

Questions are separated by blank lines; `//` lines are comments; `$CATEGORY: a/b` sets the
topic of the questions after it; `::title::` names a question. The answer block is the text
between the first `{` and the first `}`; its type is decided in Moodle's order:

    {>3 ALL VERTICAL ABSOLUTE_POSITION   ordering (the qtype_ordering extension): one item a
     item 1 …}                           line, in the right order
    (no braces)                          description
    {}                                   essay
    {#3:2} {#1..5} {#=1822:0 =%50%1822:2 #fb ~#catch-all feedback}
                                         numeric: tolerance, range, weighted answers, and
                                         `~#…` Moodle's "any other answer" (`*`, 0 %)
    {=right ~wrong ~%50%half}            single_choice (there is an `=`)
    {~%50%a ~%50%b ~%-100%c}             multiple_response (no `=`): partial credit
    {=left -> right = -> distractor}     matching
    {T} {FALSE#wrong fb#right fb}        true_false
    {=answer =%50%other} {answer}        short_text (case-insensitive, as in Moodle)

`#feedback` follows an answer, `####general feedback` ends the block, `[html]` `[moodle]`
`[plain]` `[markdown]` before any text give its format (the marker is removed; texts are kept
as written), and `\\~ \\= \\# \\{ \\} \\: \\\\ \\n` are escapes. Text after the block makes the
missing-word layout: the block becomes "_____" in the stem.

Beyond Moodle: a question whose text holds embedded answers (`{1:MC:=a~b}`, Moodle's Cloze
syntax) is read as a cloze, and a question with several ordinary answer blocks is refused
with that advice (Moodle would silently keep the second block as question text).
Moodle's validity rules (allowed grades, a 100 % answer, sums) apply as for Moodle XML.
"""

from __future__ import annotations

import re

from question_bank.errors import ImportResult, Place
from question_bank.formats import cloze, moodle_rules
from question_bank.formats.collect import Issues, parse_number
from question_bank.formats.safe_input import decode_text
from question_bank.messages import msg
from question_bank.model import Answer, Option, Pair, Question, Scoring

ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003", "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006", "\\n": "\n"}
UNESCAPE = {v: k[1] for k, v in ESCAPES.items() if k != "\\n"}
ESCAPE_RE = re.compile("|".join(re.escape(k) for k in ESCAPES))
FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
TRUE_FALSE = ("T", "TRUE", "F", "FALSE")
ORDERING = re.compile(
    r"^\s*>\s*(\d+)\s*(ALL|EXACT|RANDOM|REL|CONTIGUOUS|CONTIG)?\s*(HORIZONTAL|HORI|H|1|VERTICAL|VERT|V|0)?\s*"
    r"(ALL_OR_NOTHING|ABSOLUTE_POSITION|ABSOLUTE|ABS|RELATIVE_NEXT_EXCLUDE_LAST|RELATIVE_NEXT_INCLUDE_LAST|"
    r"RELATIVE_ONE_PREVIOUS_AND_NEXT|RELATIVE_ALL_PREVIOUS_AND_NEXT|RELATIVE_TO_CORRECT|RELATIVE|REL|"
    r"LONGEST_ORDERED_SUBSET|LONGEST_CONTIGUOUS_SUBSET)?\s*(SHOW|TRUE|YES|1|HIDE|FALSE|NO|0)?\s*(.*?)\s*$",
    re.DOTALL,
)
BLANK = "_____"


def _text(text: str) -> str:
    """A text part as Moodle stores it: format marker removed, escapes restored, trimmed."""
    text = FORMAT.sub("", text.strip(), count=1)
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
    locations: list[Place] = []
    for line_no, lines in _blocks(text):
        first = lines[0].strip()
        if first.startswith("$CATEGORY:"):
            topic = re.sub(r"^\$[a-z0-9]+\$/", "", first.split(":", 1)[1].strip())  # Moodle's "$course$/top/…"
            topic = topic[4:] if topic.startswith("top/") else ("" if topic == "top" else topic)
            lines = lines[1:]
            if not lines:
                continue
        where = msg("qb.where.question_line", number=len(questions) + 1, line=line_no)
        raw = "\n".join(lines).strip()
        question = _question(ESCAPE_RE.sub(lambda m: ESCAPES[m.group(0)], raw), issues, where)
        if question is not None:
            for reason in moodle_rules.problems(question):
                issues.error(where, reason)
            question.topic = topic
            question.source = f"{file}: dòng {line_no}"
            questions.append(question)
            locations.append(where)
    return issues.finish(questions, locations)


def _title(block: str) -> tuple[str, str]:
    if block.startswith("::"):
        end = block.find("::", 2)
        if end >= 0:
            return _text(block[2:end]), block[end + 2 :].strip()
    return "", block


def _question(block: str, issues: Issues, where: Place) -> Question | None:
    title, block = _title(block)
    if cloze.START.search(block) and any(m.group(2) in cloze.CODES for m in cloze.START.finditer(block)):
        return _cloze(block, title, issues, where)
    open_at, close_at = block.find("{"), block.find("}")
    if open_at < 0 and close_at < 0:
        return Question("description", stem=_text(block), title=title)
    if open_at >= 0 and close_at < open_at and "}" not in block[open_at:]:
        issues.error(where, msg("qb.gift.block_not_closed"))
        return None
    if open_at < 0 or close_at < open_at:
        issues.error(where, msg("qb.gift.unmatched_brace"))
        return None
    if "{" in block[close_at:]:
        issues.error(where, msg("qb.gift.several_blocks"))
        return None
    body = block[open_at + 1 : close_at].strip()
    if block.rstrip().endswith("}"):
        stem_text = block[:open_at]
    else:  # missing-word layout
        stem_text = block[:open_at] + BLANK + block[close_at + 1 :]
    general = ""
    if (gf := body.rfind("####")) >= 0:
        body, general = body[:gf].strip(), body[gf + 4 :]
    question = _answers(body, issues, where)
    if question is not None:
        question.stem, question.title, question.general_feedback = _text(stem_text), title, _text(general)
    return question


def _cloze(block: str, title: str, issues: Issues, where: Place) -> Question | None:
    # Cloze has backslash escapes of its own: give them back before the cloze reader runs.
    text = "".join("\\" + UNESCAPE[ch] if ch in UNESCAPE else ch for ch in FORMAT.sub("", block, count=1)).strip()
    parsed = cloze.parse(text)
    for reason in parsed.errors:
        issues.error(where, reason)
    for reason in parsed.warnings:
        issues.warn(where, reason)
    if parsed.errors:
        return None
    stem = re.sub(r"\\([~=#{}:\\])", r"\1", parsed.stem)  # the text around the blanks
    return Question("cloze", stem=stem, title=title, points=sum(b.weight for b in parsed.blanks), blanks=parsed.blanks)


def _weight(text: str, default: float) -> tuple[float, str]:
    text = text.strip()
    if m := WEIGHT.match(text):
        return round(float(m.group(1)) / 100, 7), text[m.end() :]
    return default, text


def _comment(text: str) -> tuple[str, str]:
    answer, _, feedback = text.partition("#")
    return _text(answer), _text(feedback)


def _answers(body: str, issues: Issues, where: Place) -> Question | None:
    if m := ORDERING.match(body):
        return _ordering(m, issues, where)
    if not body:
        return Question("essay", stem="")
    if body.startswith("#"):
        return _numeric(body[1:], issues, where)
    if "~" in body:
        return _choice(body, issues, where)
    if "=" in body and "->" in body:
        return _matching(body, issues, where)
    if body.split("#", 1)[0].strip() in TRUE_FALSE:
        return Question("true_false", stem="", correct_bool=body.split("#", 1)[0].strip().startswith("T"))
    return _short_text(body, issues, where)


def _split(body: str, marker: str) -> list[str]:
    """Moodle's explode on `marker`, dropping an empty first piece."""
    parts = body.split(marker)
    if not parts[0].strip():
        parts = parts[1:]
    return parts


def _choice(body: str, issues: Issues, where: Place) -> Question | None:
    single = "=" in body
    answers = _split(body.replace("=", "~="), "~")
    if len(answers) < 2:
        issues.error(where, msg("qb.gift.two_answers"))
        return None
    options = []
    for i, answer in enumerate(answers):
        answer = answer.strip()
        if answer.startswith("="):
            fraction, answer = 1.0, answer[1:]
        else:
            fraction, answer = _weight(answer, 0.0)
        text, feedback = _comment(answer)
        options.append(Option(chr(ord("A") + i) if i < 26 else f"O{i + 1}", text, fraction, feedback=feedback))
    if single:
        return Question("single_choice", stem="", options=options)
    negative = any(o.fraction < 0 for o in options)
    return Question("multiple_response", stem="", options=options, scoring=Scoring(mode="partial", negative=negative))


def _matching(body: str, issues: Issues, where: Place) -> Question | None:
    answers = _split(body, "=")
    if len(answers) < 2:
        issues.error(where, msg("qb.gift.two_pairs"))
        return None
    pairs = []
    for i, answer in enumerate(answers, start=1):
        left, arrow, right = answer.partition("->")
        if not arrow:
            issues.error(where, msg("qb.gift.bad_pair", pair=_text(answer)))
            return None
        pairs.append(Pair(f"p{i}", _text(left), _text(right)))
    return Question("matching", stem="", pairs=pairs)


def _short_text(body: str, issues: Issues, where: Place) -> Question | None:
    answers = []
    for answer in _split(body, "="):
        fraction, answer = _weight(answer, 1.0)
        text, _ = _comment(answer)
        answers.append(Answer(text, fraction))
    if not answers:
        issues.error(where, msg("qb.gift.one_answer"))
        return None
    return Question("short_text", stem="", answers=answers, scoring=Scoring(mode="ci"))


def _numeric(body: str, issues: Issues, where: Place) -> Question | None:
    body, tilde, wrong = body.partition("~")
    specs = _split(body, "=")
    if not specs:
        issues.error(where, msg("qb.gift.numeric_without_answers"))
        return None
    answers = []
    for spec in specs:
        fraction, spec = _weight(spec, 1.0)
        value, _ = _comment(spec)
        value = value.replace(" ", "")
        if (dots := value.find("..")) > 0:
            low, high = parse_number(value[:dots]), parse_number(value[dots + 2 :])
            if low is None or high is None:
                issues.error(where, msg("qb.gift.bad_range", value=value))
                return None
            answers.append(Answer(f"{(low + high) / 2:g}", fraction, abs(high - low) / 2))
            continue
        number, colon, tolerance = value.partition(":")
        margin = parse_number(tolerance) if colon else 0.0
        if (parse_number(number) is None and number != "*") or margin is None:
            issues.error(where, msg("qb.gift.bad_number", value=value))
            return None
        answers.append(Answer(number, fraction, margin))
    if tilde:  # `~#feedback`: Moodle's "any other answer" worth 0
        answers.append(Answer("*", 0.0))
    return Question("numeric", stem="", answers=answers)


ORDERING_MODES = {"ALL_OR_NOTHING": "all_or_nothing", "ABSOLUTE_POSITION": "partial", "ABSOLUTE": "partial", "ABS": "partial"}


def _ordering(m: re.Match[str], issues: Issues, where: Place) -> Question | None:
    items = [_text(line) for line in m.group(6).splitlines() if _text(line)]
    if len(items) < 2:
        issues.error(where, msg("qb.gift.two_items"))
        return None
    grading = m.group(4) or ""
    mode = ORDERING_MODES.get(grading)
    if mode is None:
        mode = "partial"
        issues.warn(where, msg("qb.gift.grading_unsupported", grading=grading or msg("qb.gift.grading_default")))
    count = int(m.group(1))
    if m.group(2) in ("RANDOM", "REL", "CONTIGUOUS", "CONTIG") and count < len(items):
        issues.warn(where, msg("qb.gift.random_subset", count=count, total=len(items)))
    options = [Option(f"o{i}", text) for i, text in enumerate(items, start=1)]
    return Question("ordering", stem="", options=options, scoring=Scoring(mode=mode))

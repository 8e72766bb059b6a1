"""Moodle XML (import and export).

Types: multichoice (single → single_choice; multiple → multiple_response with partial credit,
fractions may be negative), multichoiceset (the all-or-nothing plugin → multiple_response
"all_or_nothing"), truefalse, shortanswer (usecase → "exact"/"ci"), numerical (tolerance;
units are ignored), matching (subquestions; an empty one is a distractor), ordering (plugin),
essay (a rubric travels as a table in the grader information), description. Categories become topics ("$course$/top/Toán/Hàm số" → "Toán/Hàm số").
Files embedded as base64 become `Media`; `@@PLUGINFILE@@/name` links become `@@MEDIA/name`.
Texts are kept as written (HTML stays HTML). Difficulty has no Moodle field and travels as
the tag "difficulty:<value>".

The 2025 Vietnamese types travel in Moodle's nearest types, tagged "qb-type:<type>" so they
come back as themselves: a Đúng/Sai cluster is a matching question (each statement matched
with "Đúng" or "Sai", as Moodle users build such grids), a short answer of up to 4
characters a case-sensitive shortanswer. Moodle itself grades them with its own rules.
Cloze (`type="cloze"`, also Moodle 1.9's form with `<image>`/`<image_base64>`), gapselect
and ddwtos are read and written by `moodle_xml_blanks`. Moodle's validity rules (allowed
grades, a 100 % answer, fractions adding up) are applied on import (`moodle_rules`).
Not carried: locked options (Moodle shuffles all or none) and short_text modes other than
exact/case-insensitive.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any
from urllib.parse import quote, unquote
from xml.etree.ElementTree import Element

from question_bank.errors import ImportResult, Place
from question_bank.formats import moodle_rules, moodle_xml_blanks, rubric_table
from question_bank.formats.collect import Issues, refuse_unsupported
from question_bank.formats.safe_input import parse_xml
from question_bank.messages import msg, render
from question_bank.model import TF_CLUSTER_TABLE, Answer, Media, Option, Pair, Question, Scoring, Statement

DIFFICULTY_TAG = "difficulty:"
TYPE_TAG = "qb-type:"  # marks the Vietnamese types carried in Moodle's own types
TRUE_WORD, FALSE_WORD = "Đúng", "Sai"
SUPPORTED = {"single_choice", "multiple_response", "true_false", "short_text", "numeric", "matching", "ordering", "essay", "description", "tf_cluster", "short_answer4", "cloze", "gapselect", "ddwtos"}
PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'\s<>)]+)")
MEDIA_REF = re.compile(r"@@MEDIA/([^\"'\s<>)]+)")
CATEGORY_PREFIX = re.compile(r"^\$[a-z0-9]+\$/")


def option_id(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else f"O{index + 1}"


# -- import -------------------------------------------------------------------------------
def read(data: bytes, file: str) -> ImportResult:
    root = parse_xml(data, file)
    issues = Issues(file)
    if root.tag != "quiz":
        issues.error("", msg("qb.moodle.not_quiz", tag=root.tag))
        issues.raise_if_errors()
    topic = ""
    questions: list[Question] = []
    locations: list[Place] = []
    number = 0  # categories are not counted: the number is the one a teacher sees in Moodle
    for element in root.iter("question"):
        qtype = element.get("type", "")
        if qtype == "category":
            topic = _topic(_text(element, "category"))
            continue
        number += 1
        title = _text(element, "name")
        where = (msg("qb.where.moodle_question_titled", number=number, title=title[:40]) if title
                 else msg("qb.where.moodle_question", number=number))
        try:
            question = _question(element, qtype, issues, where)
        except ValueError as exc:  # bad numbers in attributes
            issues.error(where, msg("qb.invalid_value", detail=str(exc)))
            continue
        if question is None:
            continue
        for reason in moodle_rules.problems(question):
            issues.error(where, reason)
        question.title = title
        question.topic = topic
        question.source = f"{file}: {render(where)}"
        questions.append(question)
        locations.append(where)
    return issues.finish(questions, locations)


def _topic(category: str) -> str:
    path = CATEGORY_PREFIX.sub("", category.strip())
    return path[4:] if path.startswith("top/") else ("" if path == "top" else path)


def _text(element: Element | None, child: str) -> str:
    """Text of `<child><text>…</text></child>` (also `<child>…</child>` for simple fields)."""
    if element is None:
        return ""
    node = element.find(child)
    if node is None:
        return ""
    inner = node.find("text")
    return ((inner.text if inner is not None else node.text) or "").strip()


def _media_links(text: str) -> str:
    return PLUGINFILE.sub(lambda m: "@@MEDIA/" + unquote(m.group(1)), text)


def _fraction(answer: Element) -> float:
    return round(float(answer.get("fraction", "0")) / 100, 7)


def _question(element: Element, qtype: str, issues: Issues, where: Place) -> Question | None:
    stem = _media_links(_text(element, "questiontext"))
    media = _media(element, issues, where)
    if old := _old_image(element, issues, where):  # Moodle 1.9: <image> + <image_base64>
        media.append(old)
        stem += f' <img src="@@MEDIA/{old.name}" />'  # where Moodle's import puts it
    points = float(_text(element, "defaultgrade") or 1)
    tags = [(t.findtext("text") or "").strip() for t in element.iterfind("tags/tag")]
    difficulty = next((t[len(DIFFICULTY_TAG) :] for t in tags if t.startswith(DIFFICULTY_TAG)), "")
    carried = next((t[len(TYPE_TAG) :] for t in tags if t.startswith(TYPE_TAG)), "")
    tags = [t for t in tags if not t.startswith(TYPE_TAG)]
    common: dict[str, Any] = {
        "stem": stem,
        "points": points,
        "general_feedback": _media_links(_text(element, "generalfeedback")),
        "tags": [t for t in tags if t and not t.startswith(DIFFICULTY_TAG)],
        "difficulty": difficulty,
        "media": media,
    }
    answers = element.findall("answer")
    if qtype == "matching" and carried == "tf_cluster":
        statements: list[Statement] = []
        for sub in element.findall("subquestion"):
            text, verdict = _media_links(_text(sub, ".")), _text(sub.find("answer"), ".")
            if text:  # the empty one only puts both words in Moodle's menu
                statements.append(Statement(chr(ord("a") + len(statements)), text, verdict == TRUE_WORD))
        return Question("tf_cluster", statements=statements, scoring=Scoring(table=dict(TF_CLUSTER_TABLE)), **common)
    if qtype == "shortanswer" and carried == "short_answer4":
        accepted = [Answer(_text(a, "."), _fraction(a)) for a in answers]
        return Question("short_answer4", answers=accepted, scoring=Scoring(mode="exact"), **common)
    if qtype in ("multichoice", "multichoiceset"):
        options = [
            Option(option_id(i), _media_links(_text(a, ".")), _fraction(a), feedback=_media_links(_text(a, "feedback")))
            for i, a in enumerate(answers)
        ]
        if qtype == "multichoice" and _text(element, "single").lower() in ("true", "1"):
            return Question("single_choice", options=options, scoring=Scoring(), **common)
        mode = "all_or_nothing" if qtype == "multichoiceset" else "partial"
        negative = any(o.fraction < 0 for o in options)
        return Question("multiple_response", options=options, scoring=Scoring(mode=mode, negative=negative), **common)
    if qtype == "truefalse":
        correct = [_text(a, ".").lower() for a in answers if _fraction(a) > 0]
        if len(correct) != 1 or correct[0] not in ("true", "false"):
            issues.error(where, msg("qb.moodle.truefalse_key"))
            return None
        return Question("true_false", correct_bool=correct[0] == "true", **common)
    if qtype == "shortanswer":
        mode = "exact" if _text(element, "usecase") == "1" else "ci"
        accepted = [Answer(_text(a, "."), _fraction(a)) for a in answers]
        return Question("short_text", answers=accepted, scoring=Scoring(mode=mode), **common)
    if qtype == "numerical":
        accepted = [Answer(_text(a, "."), _fraction(a), float(_text(a, "tolerance") or 0)) for a in answers]
        return Question("numeric", answers=accepted, **common)
    if qtype == "matching":
        pairs = [
            Pair(f"p{i}", _media_links(_text(sub, ".")), _text(sub.find("answer"), "."))
            for i, sub in enumerate(element.findall("subquestion"), start=1)
        ]
        return Question("matching", pairs=pairs, **common)
    if qtype == "ordering":
        options = [Option(option_id(i), _media_links(_text(a, "."))) for i, a in enumerate(answers)]
        return Question("ordering", options=options, **common)
    if qtype == "essay":
        return Question("essay", rubric=rubric_table.from_html(_text(element, "graderinfo")), **common)
    if qtype == "description":
        return Question("description", **common)
    if qtype == "cloze":
        return moodle_xml_blanks.read_cloze(element, common, issues, where)
    if qtype in ("gapselect", "ddwtos"):
        return moodle_xml_blanks.read_gaps(element, qtype, common, issues, where)
    issues.error(where, msg("qb.moodle.unsupported_type", type=qtype))
    return None


def _media(element: Element, issues: Issues, where: Place) -> list[Media]:
    media: list[Media] = []
    seen: set[str] = set()
    for node in element.iter("file"):
        name = node.get("name", "")
        if not name or node.get("encoding", "base64") != "base64":
            issues.error(where, msg("qb.moodle.bad_file"))
            continue
        if name in seen:
            continue
        seen.add(name)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        media.append(Media(name, mime, "".join((node.text or "").split())))
    return media


def _old_image(element: Element, issues: Issues, where: Place) -> Media | None:
    """Moodle 1.9's question image: a path in <image>, its bytes in <image_base64>."""
    name, data = _text(element, "image"), "".join((element.findtext("image_base64") or "").split())
    if not data:
        return None
    if not name:
        issues.error(where, msg("qb.moodle.old_image"))
        return None
    name = name.replace("/", "_")  # as Moodle does: the path becomes part of the file name
    return Media(name, mimetypes.guess_type(name)[0] or "application/octet-stream", data)


# -- export -------------------------------------------------------------------------------
def _cdata(text: str) -> str:
    return "<text><![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]></text>"


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _links(text: str) -> str:
    return MEDIA_REF.sub(lambda m: "@@PLUGINFILE@@/" + quote(m.group(1)), text)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".") or "0"


def write(questions: list[Question], file: str) -> bytes:
    refuse_unsupported(questions, SUPPORTED, file, "Moodle XML")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    topic: str | None = None
    for q in questions:
        if q.topic != topic:
            topic = q.topic
            path = "$course$/top" + (f"/{topic}" if topic else "")
            out.append(f'<question type="category"><category>{_cdata(path)}</category></question>')
        out.append(_question_xml(q))
    out.append("</quiz>\n")
    return "\n".join(out).encode("utf-8")


def _question_xml(q: Question) -> str:
    qtype = {
        "single_choice": "multichoice",
        "multiple_response": "multichoiceset" if q.scoring.mode == "all_or_nothing" else "multichoice",
        "true_false": "truefalse",
        "short_text": "shortanswer",
        "short_answer4": "shortanswer",
        "tf_cluster": "matching",
        "numeric": "numerical",
        "matching": "matching",
        "ordering": "ordering",
        "essay": "essay",
        "description": "description",
        "cloze": "cloze",
        "gapselect": "gapselect",
        "ddwtos": "ddwtos",
    }[q.type]
    files = "".join(f'<file name="{_attr(m.name)}" path="/" encoding="base64">{m.data_b64}</file>' for m in q.media)
    text = q.stem
    if q.type == "cloze":
        text = moodle_xml_blanks.cloze_text(q)
    elif q.type in ("gapselect", "ddwtos"):
        text = moodle_xml_blanks.gaps_text(q)
    parts = [
        f'<question type="{qtype}">',
        f"<name>{_cdata(q.title or q.stem[:60])}</name>",
        f'<questiontext format="html">{_cdata(_links(text))}{files}</questiontext>',
        f'<generalfeedback format="html">{_cdata(_links(q.general_feedback))}</generalfeedback>',
        f"<defaultgrade>{q.points:g}</defaultgrade>",
    ]
    if q.type in ("single_choice", "multiple_response"):
        if qtype == "multichoice":
            parts.append(f"<single>{'true' if q.type == 'single_choice' else 'false'}</single>")
        parts.append("<shuffleanswers>true</shuffleanswers><answernumbering>ABCD</answernumbering>")
        for o in q.options:
            parts.append(
                f'<answer fraction="{_percent(o.fraction)}" format="html">{_cdata(_links(o.text))}'
                f'<feedback format="html">{_cdata(_links(o.feedback))}</feedback></answer>'
            )
    elif q.type == "true_false":
        for value in ("true", "false"):
            correct = (value == "true") == q.correct_bool
            parts.append(f'<answer fraction="{100 if correct else 0}" format="moodle_auto_format"><text>{value}</text></answer>')
    elif q.type in ("short_text", "numeric", "short_answer4"):
        if q.type != "numeric":
            parts.append(f"<usecase>{1 if q.scoring.mode == 'exact' or q.type == 'short_answer4' else 0}</usecase>")
        for a in q.answers:
            tolerance = f"<tolerance>{a.tolerance:g}</tolerance>" if q.type == "numeric" else ""
            parts.append(f'<answer fraction="{_percent(a.fraction)}" format="moodle_auto_format">{_cdata(a.text)}{tolerance}</answer>')
    elif q.type == "matching":
        parts.append("<shuffleanswers>true</shuffleanswers>")
        for p in q.pairs:
            parts.append(f'<subquestion format="html">{_cdata(_links(p.left))}<answer>{_cdata(p.right)}</answer></subquestion>')
    elif q.type == "tf_cluster":
        parts.append("<shuffleanswers>false</shuffleanswers>")
        verdicts = [TRUE_WORD if st.correct else FALSE_WORD for st in q.statements]
        for st, verdict in zip(q.statements, verdicts, strict=True):
            parts.append(f'<subquestion format="html">{_cdata(_links(st.text))}<answer>{_cdata(verdict)}</answer></subquestion>')
        for word in sorted({TRUE_WORD, FALSE_WORD} - set(verdicts)):
            parts.append(f'<subquestion format="html">{_cdata("")}<answer>{_cdata(word)}</answer></subquestion>')
    elif q.type == "ordering":
        parts.append("<layouttype>VERTICAL</layouttype><selecttype>ALL</selecttype><gradingtype>ABSOLUTE_POSITION</gradingtype>")
        for o in q.options:
            parts.append(f'<answer fraction="0" format="html">{_cdata(_links(o.text))}</answer>')
    elif q.type in ("gapselect", "ddwtos"):
        parts.extend(moodle_xml_blanks.gap_choices_xml(q, _cdata))
    elif q.type == "essay":
        parts.append("<responseformat>editor</responseformat><responserequired>1</responserequired>")
        parts.append(f'<graderinfo format="html">{_cdata(rubric_table.to_html(q.rubric))}</graderinfo>')
    tags = list(q.tags) + ([DIFFICULTY_TAG + q.difficulty] if q.difficulty else [])
    tags += [TYPE_TAG + q.type] if q.type in ("tf_cluster", "short_answer4") else []
    if tags:
        parts.append("<tags>" + "".join(f"<tag>{_cdata(t)}</tag>" for t in tags) + "</tags>")
    parts.append("</question>")
    return "".join(parts)

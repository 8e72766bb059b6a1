"""The blank types in Moodle XML: cloze (`type="cloze"`), gapselect and ddwtos.

Cloze keeps its sub-questions inline in the question text (see `cloze`); Moodle computes the
question's mark as the sum of the blanks' weights, and so do we unless `<defaultgrade>`
says otherwise. gapselect ("select missing words") and ddwtos ("drag and drop into text")
write `[[n]]` in the text, n being the number of the right choice among the
`<selectoption>` / `<dragbox>` elements; a gap offers the choices of that choice's group.
In the model each gap becomes `{#k}` (k in reading order) with the right choice as its key,
so the stem a candidate sees says nothing about the answer.

Not carried: the combined feedback (correct / partially correct / incorrect), hints and
penalties — the platform shows no feedback during an exam.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast
from xml.etree.ElementTree import Element

from question_bank.errors import Place
from question_bank.formats import cloze
from question_bank.formats.collect import Issues
from question_bank.messages import msg
from question_bank.model import PLACEHOLDER, Blank, GapChoice, Question, QuestionType

GAP = re.compile(r"\[\[(\d+)\]\]")
CHOICE_TAG = {"gapselect": "selectoption", "ddwtos": "dragbox"}


def _child_text(node: Element, name: str) -> str:
    child = node.find(name)
    return ((child.text if child is not None else "") or "").strip()


def _flag(node: Element | None, default: bool) -> bool:
    """Moodle writes booleans as 1/0, true/false or as an empty element meaning true."""
    if node is None:
        return default
    return (node.text or "").strip().lower() not in ("0", "false", "no")


def read_cloze(element: Element, common: dict, issues: Issues, where: Place) -> Question | None:
    parsed = cloze.parse(common["stem"])
    for reason in parsed.errors:
        issues.error(where, reason)
    for reason in parsed.warnings:
        issues.warn(where, reason)
    if parsed.errors:
        return None
    if element.find("defaultgrade") is None:
        common = {**common, "points": sum(b.weight for b in parsed.blanks)}
    return Question("cloze", **{**common, "stem": parsed.stem}, blanks=parsed.blanks)


def read_gaps(element: Element, qtype: str, common: dict, issues: Issues, where: Place) -> Question | None:
    choices = []
    for node in element.findall(CHOICE_TAG[qtype]):
        text = _child_text(node, "text")
        group = _child_text(node, "group") or "1"
        if not group.isdigit() or int(group) < 1:
            issues.error(where, msg("qb.moodle.bad_group", group=group))
            return None
        choices.append(GapChoice("", text, int(group), qtype == "ddwtos" and node.find("infinite") is not None))
    question = Question(cast(QuestionType, qtype), **common, choices=choices,  # gapselect or ddwtos
                         shuffle_choices=_flag(element.find("shuffleanswers"), True))
    stem: list[str] = []
    blanks: list[Blank] = []
    pos = 0
    for m in GAP.finditer(question.stem):
        number = int(m.group(1))
        if not 1 <= number <= len(choices):
            issues.error(where, msg("qb.moodle.gap_without_choice", number=number, count=len(choices)))
            continue
        choice = question.choices[number - 1]
        if not choice.text:
            issues.error(where, msg("qb.moodle.gap_choice_empty", number=number))
            continue
        blank_id = str(len(blanks) + 1)
        blanks.append(Blank(blank_id, "gap", group=choice.group, key=choice.id))
        stem.append(question.stem[pos : m.start()] + f"{{#{blank_id}}}")
        pos = m.end()
    stem.append(question.stem[pos:])
    if not blanks:
        issues.error(where, msg("qb.moodle.no_gaps"))
        return None
    question.stem, question.blanks = "".join(stem), blanks
    if qtype == "ddwtos":
        keys = [b.key for b in blanks if not next(c for c in question.choices if c.id == b.key).infinite]
        if len(keys) != len(set(keys)):
            issues.warn(where, msg("qb.moodle.choice_reused"))
    return question


# -- export -----------------------------------------------------------------------------------
def cloze_text(q: Question) -> str:
    return cloze.write(q.stem, q.blanks)


def gaps_text(q: Question) -> str:
    """The stem with `[[n]]` for each gap, n the position of its right choice."""
    position = {c.id: i for i, c in enumerate(q.choices, start=1)}
    blanks = {b.id: b for b in q.blanks}
    return PLACEHOLDER.sub(lambda m: f"[[{position[blanks[m.group(1)].key]}]]" if m.group(1) in blanks else m.group(0), q.stem)


def gap_choices_xml(q: Question, cdata: Callable[[str], str]) -> list[str]:
    tag = CHOICE_TAG[q.type]
    out = [f"<shuffleanswers>{1 if q.shuffle_choices else 0}</shuffleanswers>"]
    for c in q.choices:
        infinite = "<infinite/>" if q.type == "ddwtos" and c.infinite else ""
        out.append(f"<{tag}>{cdata(c.text)}<group>{c.group}</group>{infinite}</{tag}>")
    return out

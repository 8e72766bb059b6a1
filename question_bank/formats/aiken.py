"""Aiken, import only: a stem, options "A. text" or "A) text", then "ANSWER: B".

    Thủ đô của Việt Nam là?
    A. Huế
    B. Hà Nội
    ANSWER: B

The stem may span several lines; blank lines between questions are optional. Every error
names the line.
"""

from __future__ import annotations

import re

from question_bank.errors import ImportResult, Place
from question_bank.formats.collect import Issues
from question_bank.formats.safe_input import decode_text
from question_bank.messages import msg
from question_bank.model import Option, Question

OPTION = re.compile(r"^\s*([A-Z])\s*[.)]\s+(.*\S)\s*$")
KEY = re.compile(r"^\s*ANSWER\s*:\s*(\S*)\s*$", re.IGNORECASE)


def read(data: bytes, file: str) -> ImportResult:
    text = decode_text(data, file)
    issues = Issues(file)
    questions: list[Question] = []
    locations: list[Place] = []
    stem: list[str] = []
    options: list[Option] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not stem and not options:
            start = number
        where = msg("qb.where.question_line", number=len(questions) + 1, line=start)
        if key := KEY.match(line):
            letter = key.group(1).upper()
            if not options:
                issues.error(msg("qb.where.line", line=number), msg("qb.aiken.answer_first"))
            elif letter not in {o.id for o in options}:
                issues.error(msg("qb.where.line", line=number), msg("qb.aiken.answer_not_option", letter=letter))
            else:
                for o in options:
                    o.fraction = 1.0 if o.id == letter else 0.0
                questions.append(Question("single_choice", stem="\n".join(stem), options=options, source=f"{file}: dòng {start}"))
                locations.append(where)
            stem, options = [], []
        elif (m := OPTION.match(line)) and stem:
            expected = chr(ord("A") + len(options))
            if m.group(1) != expected:
                issues.error(msg("qb.where.line", line=number), msg("qb.aiken.out_of_order", letter=m.group(1), expected=expected))
            options.append(Option(m.group(1), m.group(2)))
        elif options:
            issues.error(msg("qb.where.line", line=number), msg("qb.aiken.missing_answer"))
            stem, options, start = [line.strip()], [], number
        else:
            stem.append(line.strip())
    if stem or options:
        issues.error(msg("qb.where.line", line=start), msg("qb.aiken.last_without_answer"))
    return issues.finish(questions, locations)

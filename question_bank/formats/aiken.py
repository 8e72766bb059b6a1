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

from question_bank.errors import ImportResult
from question_bank.formats.collect import Issues
from question_bank.formats.safe_input import decode_text
from question_bank.model import Option, Question

OPTION = re.compile(r"^\s*([A-Z])\s*[.)]\s+(.*\S)\s*$")
KEY = re.compile(r"^\s*ANSWER\s*:\s*(\S*)\s*$", re.IGNORECASE)


def read(data: bytes, file: str) -> ImportResult:
    text = decode_text(data, file)
    issues = Issues(file)
    questions: list[Question] = []
    locations: list[str] = []
    stem: list[str] = []
    options: list[Option] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not stem and not options:
            start = number
        where = f"câu {len(questions) + 1} (dòng {start})"
        if key := KEY.match(line):
            letter = key.group(1).upper()
            if not options:
                issues.error(f"dòng {number}", "ANSWER xuất hiện trước các phương án (ANSWER before any option)")
            elif letter not in {o.id for o in options}:
                issues.error(f"dòng {number}", f"đáp án {letter!r} không phải một phương án (answer is not one of the options)")
            else:
                for o in options:
                    o.fraction = 1.0 if o.id == letter else 0.0
                questions.append(Question("single_choice", stem="\n".join(stem), options=options, source=f"{file}: dòng {start}"))
                locations.append(where)
            stem, options = [], []
        elif (m := OPTION.match(line)) and stem:
            expected = chr(ord("A") + len(options))
            if m.group(1) != expected:
                issues.error(f"dòng {number}", f"phương án {m.group(1)} không đúng thứ tự, cần {expected} (options out of order)")
            options.append(Option(m.group(1), m.group(2)))
        elif options:
            issues.error(f"dòng {number}", "thiếu dòng ANSWER: sau các phương án (missing ANSWER line)")
            stem, options, start = [line.strip()], [], number
        else:
            stem.append(line.strip())
    if stem or options:
        issues.error(f"dòng {start}", "câu cuối thiếu dòng ANSWER: (last question has no ANSWER line; file truncated?)")
    return issues.finish(questions, locations)

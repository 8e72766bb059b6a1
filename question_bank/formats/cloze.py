"""Moodle's embedded-answers (Cloze) syntax, read into `Blank`s and written back.

A cloze text carries its blanks inline: `{2:MCS:=Hà Nội#Đúng~Huế~%50%Thăng Long}` is a
shuffled drop-down worth 2 marks. This module reads such a text the way Moodle's
`qtype_multianswer_extract_question` does (the same sub-question codes, the same `=`/`%n%`
fractions, `#feedback`, `\\}` `\\#` `\\~` escapes, multiresponse normalisation) and checks it
the way `qtype_multianswer_validate_question` does, then replaces each blank with `{#N}`.
`write` is its inverse, so a question read from Moodle XML goes back unchanged in meaning.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from question_bank.messages import Message, msg
from question_bank.model import PLACEHOLDER, Blank, BlankAnswer, BlankKind, BlankLayout

# code -> (kind, layout, shuffle, case sensitive); the codes of Moodle's ANSWER_TYPE_DEF_REGEX
Spec = tuple[BlankKind, BlankLayout, bool, bool]
_SPECS: tuple[tuple[tuple[str, ...], Spec], ...] = (
    (("NUMERICAL", "NM"), ("numerical", "", False, False)),
    (("MULTICHOICE", "MC"), ("multichoice", "dropdown", False, False)),
    (("MULTICHOICE_V", "MCV"), ("multichoice", "vertical", False, False)),
    (("MULTICHOICE_H", "MCH"), ("multichoice", "horizontal", False, False)),
    (("SHORTANSWER", "SA", "MW"), ("shortanswer", "", False, False)),
    (("SHORTANSWER_C", "SAC", "MWC"), ("shortanswer", "", False, True)),
    (("MULTICHOICE_S", "MCS"), ("multichoice", "dropdown", True, False)),
    (("MULTICHOICE_VS", "MCVS"), ("multichoice", "vertical", True, False)),
    (("MULTICHOICE_HS", "MCHS"), ("multichoice", "horizontal", True, False)),
    (("MULTIRESPONSE", "MR"), ("multiresponse", "vertical", False, False)),
    (("MULTIRESPONSE_H", "MRH"), ("multiresponse", "horizontal", False, False)),
    (("MULTIRESPONSE_S", "MRS"), ("multiresponse", "vertical", True, False)),
    (("MULTIRESPONSE_HS", "MRHS"), ("multiresponse", "horizontal", True, False)),
)
CODES: dict[str, Spec] = {name: spec for names, spec in _SPECS for name in names}

START = re.compile(r"\{([0-9]*):([A-Z_]+):")
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
NUMERICAL_ALTERNATIVE = re.compile(rf"^({NUMBER})(?::({NUMBER}))?$")
FRACTION = re.compile(r"^%(-?[0-9]+(?:[.,][0-9]*)?)%")


@dataclass
class ClozeText:
    """A parsed cloze text: the stem with `{#N}` placeholders, its blanks, what was wrong."""

    stem: str
    blanks: list[Blank]
    errors: list[Message]
    warnings: list[Message]


def _scan_block(text: str, start: int) -> int | None:
    """Index of the `}` closing the block whose body starts at `start` (None: unclosed)."""
    close = text.find("}", start)
    if close >= 0 and "\\" not in text[start:close]:  # the usual case: nothing escaped
        return close
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "}":
            return i
        i += 1
    return None


def _split(body: str, separator: str) -> list[str]:
    """Split on unescaped `separator`; `&#…;` entities (Moodle's editor output) do not split on `#`."""
    if "\\" not in body and (separator != "#" or "&" not in body):  # the usual case: plain split
        return body.split(separator) if separator == "~" else body.split("#", 1)
    parts, current, i = [], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        if ch == separator and not (separator == "#" and current and current[-1].endswith("&")):
            parts.append("".join(current))
            current = []
            i += 1
            if separator == "#":  # feedback is the rest: only the first # splits
                parts.append(body[i:])
                return parts
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """What Moodle stores for an answer or feedback: entities decoded, `\\}` `\\#` `\\~` `\\\\` plain."""
    text = html.unescape(text)
    return re.sub(r"\\([}#~\\/\"{=:])", r"\1", text).strip()


def escape(text: str) -> str:
    return re.sub(r"([\\}#~{])", r"\\\1", text)


def parse(text: str) -> ClozeText:
    """Blanks of a cloze text, Moodle's way; every problem is named with the blank's number."""
    out: list[str] = []
    blanks: list[Blank] = []
    errors: list[Message] = []
    warnings: list[Message] = []
    pos = 0
    for m in START.finditer(text):
        if m.start() < pos:
            continue
        code = m.group(2)
        number = len(blanks) + 1
        if code not in CODES:
            warnings.append(msg("qb.cloze.unknown_code", kind=code))
            continue
        close = _scan_block(text, m.end())
        if close is None:
            errors.append(msg("qb.cloze.not_closed", blank=number))
            break
        kind, layout, shuffle, case = CODES[code]
        blank = Blank(str(number), kind, float(m.group(1)) if m.group(1) else 1.0, layout, shuffle, case)
        specific = False
        for alternative in _split(text[m.end() : close], "~"):
            fraction = 0.0
            if alternative.startswith("="):
                fraction, alternative = 1.0, alternative[1:]
            elif f := FRACTION.match(alternative):
                fraction, alternative, specific = float(f.group(1).replace(",", ".")) / 100, alternative[f.end() :], True
            answer, *feedback = _split(alternative, "#")
            item = BlankAnswer(unescape(answer), round(fraction, 7), unescape(feedback[0]) if feedback else "")
            if kind == "numerical" and (n := NUMERICAL_ALTERNATIVE.match(item.text)):
                item.text = n.group(1)
                item.tolerance = float(n.group(2).replace(",", ".")) if n.group(2) else 0.0
            blank.answers.append(item)
        if kind == "multiresponse":
            _normalise_multiresponse(blank, specific)
        if kind in ("multichoice", "multiresponse"):
            blank.__post_init__()  # opaque choice ids now that the answers are in
        errors.extend(msg("qb.blanks.blank_reason", blank=number, reason=reason) for reason in problems(blank))
        blanks.append(blank)
        out.append(text[pos : m.start()] + f"{{#{number}}}")
        pos = close + 1
    out.append(text[pos:])
    if not blanks and not errors:
        errors.append(msg("qb.cloze.no_blanks"))
    return ClozeText("".join(out), blanks, errors, warnings)


def _normalise_multiresponse(blank: Blank, specific: bool) -> None:
    """Moodle: positive fractions are scaled to add up to 1; without any `%n%`, each wrong
    choice cancels one right one."""
    total = sum(a.fraction for a in blank.answers if a.fraction > 0)
    if not total:
        return
    for a in blank.answers:
        if a.fraction > 0:
            a.fraction = round(a.fraction / total, 7)
        elif not specific:
            a.fraction = round(-1.0 / total, 7)


def problems(blank: Blank) -> list[Message]:
    """Moodle's qtype_multianswer_validate_question for one blank."""
    out: list[Message] = []
    given = [a for a in blank.answers if a.text.strip()]
    if blank.kind in ("multichoice", "multiresponse") and len(given) < 2:
        out.append(msg("qb.cloze.two_choices"))
    elif not given:
        out.append(msg("qb.cloze.no_answer"))
    if blank.kind == "numerical":
        for a in given:
            if a.text != "*" and not re.fullmatch(NUMBER, a.text):
                out.append(msg("qb.cloze.numeric_answer", value=a.text))
    if blank.kind == "multiresponse":
        full = any(a.fraction > 0 for a in given)
    else:
        full = any(abs(a.fraction - 1.0) < 1e-7 for a in given)
    if given and not full:
        out.append(msg("qb.cloze.full_marks"))
    if blank.weight < 0:
        out.append(msg("qb.cloze.negative_weight"))
    return out


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".") or "0"


def code_of(blank: Blank) -> str:
    """The short Moodle code of a blank (MCS, SAC, NM …)."""
    wanted_layout = blank.layout or ("dropdown" if blank.kind == "multichoice" else "vertical")
    for name, (kind, layout, shuffle, case) in CODES.items():
        same = len(name) <= 4 and kind == blank.kind and shuffle == blank.shuffle and case == blank.case_sensitive
        if same and (kind in ("numerical", "shortanswer") or layout == wanted_layout):
            return name
    raise ValueError(f"no cloze code for blank {blank.id}")


def write_blank(blank: Blank) -> str:
    alternatives = []
    for a in blank.answers:
        if blank.kind == "multiresponse":  # always explicit: a bare wrong choice would read as negative
            mark = f"%{_percent(a.fraction)}%"
        else:
            mark = "=" if abs(a.fraction - 1.0) < 1e-9 else ("" if a.fraction == 0 else f"%{_percent(a.fraction)}%")
        if blank.kind == "numerical" and a.text != "*":
            value = f"{a.text}:{a.tolerance:g}" if a.tolerance else a.text
        else:
            value = escape(a.text)
        alternatives.append(mark + value + (f"#{escape(a.feedback)}" if a.feedback else ""))
    weight = f"{blank.weight:g}"
    return "{" + weight + ":" + code_of(blank) + ":" + "~".join(alternatives) + "}"


def write(stem: str, blanks: list[Blank]) -> str:
    """The cloze text of a stem with `{#N}` placeholders (Moodle's questiontext of type cloze)."""
    by_id = {b.id: b for b in blanks}
    return PLACEHOLDER.sub(lambda m: write_blank(by_id[m.group(1)]) if m.group(1) in by_id else m.group(0), stem)

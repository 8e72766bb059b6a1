"""Turn a candidate's response into points, and refuse responses of the wrong shape.

`score(question, response)` is pure: everything it needs is in the question (a paper
snapshot bakes section overrides — points, scoring tables — into each question), so a
result can be recomputed at any time from the stored snapshot and the stored response.

Rules per type (response shapes are documented in `question_bank.model`):

- single_choice: the chosen option's fraction × points (negative as for multiple_response).
- multiple_response: `scoring.mode`
  "all_or_nothing" (also the default "") — full points only when the chosen set equals the
  set of options with a positive fraction;
  "partial" — sum of the chosen options' fractions, capped at 1. Negative fractions subtract
  only when `scoring.negative` (negative marking) is on; the question is still floored at 0
  unless `scoring.negative_total` lets it go below.
- true_false: full or nothing.
- short_text: `scoring.mode` "exact" | "ci" (default "") | "accent_insensitive" | "regex";
  whitespace is trimmed and collapsed, text is NFC; the best matching answer's fraction counts.
- numeric: the leading number of the response (decimal comma or point; trailing units are
  ignored when `scoring.units_ignored`) within an answer's absolute tolerance; best fraction.
- matching: correct pairs / left items; `scoring.table` (correct count -> fraction) replaces
  the proportion when set; mode "all_or_nothing" gives full points only when all pairs match.
- ordering: all or nothing by default; mode "partial" gives items in the right position /
  items, or `scoring.table` by that count.
- essay: graded by hand — status "manual", 0 points until a grader decides.
- tf_cluster: statements judged correctly -> fraction from `scoring.table`, else the official
  2025 table (1 -> 0.1, 2 -> 0.25, 3 -> 0.5, 4 -> 1.0); a count missing from the table
  (a cluster that is not four statements) falls back to the proportion judged correctly.
- short_answer4: up to four characters (digits, "-", decimal comma) compared exactly after
  trimming; a decimal point is read as the official decimal comma, so "1.5" == "1,5" but
  "1,50" != "1,5".
- cloze (Moodle's multianswer): each blank gets a fraction as Moodle grades its
  sub-question — multichoice: the chosen choice's fraction (may be negative);
  multiresponse: sum of the chosen choices' fractions, clamped to [0, 1]; shortanswer: the
  best matching answer (`*` is Moodle's wildcard, `\\*` a literal star; case-insensitive
  unless `case_sensitive`); numerical: as numeric, `*` any number. The question is worth
  points × Σ weight·fraction / Σ weight, clamped to [0, 1] as Moodle does.
- gapselect / ddwtos: gaps filled with their right choice / gaps (Moodle's
  get_num_parts_right); no negative marking.
- description: nothing to answer, worth nothing.

`blank_scores(question, response)` gives the per-blank fractions (for item analysis).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from question_bank.errors import QuestionBankError
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, CHOICE_KINDS, TF_CLUSTER_TABLE, Blank, Question, nfc

Status = Literal["correct", "partial", "incorrect", "unanswered", "manual"]

SHORT_ANSWER4_CHARS = frozenset("0123456789-,")
SHORT_ANSWER4_MAX = 4
MAX_TEXT = {"short_text": 1_000, "numeric": 100, "essay": 100_000}
_NUMBER = re.compile(r"\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(.*)", re.DOTALL)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Score:
    points: float
    max_points: float
    status: Status

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


def _round(value: float) -> float:
    # Points are sums of decimal fractions (0.1, 0.25 …); rounding keeps totals exact for display.
    return round(value + 0.0, 6)


def _from_fraction(question: Question, fraction: float, *, floor_zero: bool = True) -> Score:
    fraction = min(fraction, 1.0)
    if floor_zero:
        fraction = max(fraction, 0.0)
    points = _round(question.points * fraction)
    if fraction >= 1.0 - 1e-9:
        status: Status = "correct"
    elif fraction > 1e-9:
        status = "partial"
    else:
        status = "incorrect"
    return Score(points, _round(question.points), status)


def _is_blank(response: Any) -> bool:
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    if isinstance(response, list | dict):
        return not response
    return False


# -- text normalisation ----------------------------------------------------------------------
def normalise_space(text: str) -> str:
    return _SPACES.sub(" ", nfc(text)).strip()


def strip_accents(text: str) -> str:
    """'Đà Nẵng' -> 'Da Nang': đ/Đ are letters of their own, not d + a mark, so map them."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _short_text_matches(mode: str, answer: str, response: str) -> bool:
    if mode == "regex":
        try:
            return re.fullmatch(answer, response) is not None
        except re.error:
            return False
    answer = normalise_space(answer)
    if mode == "exact":
        return answer == response
    if mode == "accent_insensitive":
        return strip_accents(answer).casefold() == strip_accents(response).casefold()
    return answer.casefold() == response.casefold()


def parse_number(text: str, *, units_ignored: bool = True) -> float | None:
    """'3,14 cm' -> 3.14; None when the text does not start with a number."""
    match = _NUMBER.fullmatch(text)
    if match is None or (match.group(2) and not units_ignored):
        return None
    rest = match.group(2)
    if rest and rest[0] in "0123456789.,":
        return None  # "1.000,5" or "1,2,3": not one number followed by a unit
    try:
        value = float(match.group(1).replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def normalise_short_answer4(text: str) -> str:
    return text.strip().replace(".", ",")


# -- per-type scorers ------------------------------------------------------------------------
def _credit(q: Question, fraction: float) -> float:
    return fraction if fraction > 0 or q.scoring.negative else 0.0


def _single_choice(q: Question, response: Any) -> Score:
    chosen = next((o for o in q.options if o.id == response), None)
    return _from_fraction(q, _credit(q, chosen.fraction) if chosen else 0.0, floor_zero=not q.scoring.negative_total)


def _multiple_response(q: Question, response: Any) -> Score:
    chosen = set(response)
    if q.scoring.mode == "partial":
        total = sum(_credit(q, o.fraction) for o in q.options if o.id in chosen)
        return _from_fraction(q, total, floor_zero=not q.scoring.negative_total)
    key = {o.id for o in q.options if o.correct}
    return _from_fraction(q, 1.0 if chosen == key else 0.0)


def _true_false(q: Question, response: Any) -> Score:
    return _from_fraction(q, 1.0 if response is q.correct_bool else 0.0)


def _short_text(q: Question, response: Any) -> Score:
    text = normalise_space(response)
    mode = q.scoring.mode or "ci"
    fractions = [a.fraction for a in q.answers if _short_text_matches(mode, a.text, text)]
    return _from_fraction(q, max(fractions, default=0.0))


def _numeric(q: Question, response: Any) -> Score:
    value = float(response) if isinstance(response, int | float) else parse_number(
        str(response), units_ignored=q.scoring.units_ignored
    )
    if value is None:
        return _from_fraction(q, 0.0)
    fractions = []
    for answer in q.answers:
        if answer.text.strip() == "*":  # Moodle's "any other number"
            fractions.append(answer.fraction)
            continue
        expected = parse_number(answer.text)
        # A hair of slack so 0.1 + 0.2 style representation errors never cost a mark.
        if expected is not None and abs(value - expected) <= answer.tolerance + 1e-9 * max(1.0, abs(expected)):
            fractions.append(answer.fraction)
    return _from_fraction(q, max(fractions, default=0.0))


def _by_count(q: Question, correct: int, total: int, *, default_all_or_nothing: bool) -> Score:
    mode = q.scoring.mode or ("all_or_nothing" if default_all_or_nothing else "partial")
    if mode == "all_or_nothing":
        return _from_fraction(q, 1.0 if total and correct == total else 0.0)
    if q.scoring.table:
        return _from_fraction(q, q.scoring.table.get(correct, 0.0))
    return _from_fraction(q, correct / total if total else 0.0)


def _matching(q: Question, response: Any) -> Score:
    lefts = [p for p in q.pairs if p.left]
    correct = sum(1 for p in lefts if response.get(p.id) == p.right_id)
    return _by_count(q, correct, len(lefts), default_all_or_nothing=False)


def _ordering(q: Question, response: Any) -> Score:
    correct = sum(1 for o, r in zip(q.options, response, strict=False) if o.id == r)
    return _by_count(q, correct, len(q.options), default_all_or_nothing=True)


def _tf_cluster(q: Question, response: Any) -> Score:
    correct = sum(1 for s in q.statements if response.get(s.id) is s.correct)
    table = q.scoring.table or TF_CLUSTER_TABLE
    if correct in table:
        return _from_fraction(q, table[correct])
    return _from_fraction(q, correct / len(q.statements) if q.statements else 0.0)


def _short_answer4(q: Question, response: Any) -> Score:
    given = normalise_short_answer4(response)
    fractions = [a.fraction for a in q.answers if normalise_short_answer4(a.text) == given]
    return _from_fraction(q, max(fractions, default=0.0))


def _wildcard(pattern: str, text: str, case_sensitive: bool) -> bool:
    """Moodle's compare_string_with_wildcard: `*` matches anything, `\\*` is a star."""
    pieces = re.split(r"(?<!\\)\*+", normalise_space(pattern))
    regex = ".*".join(re.escape(piece.replace("\\*", "*")) for piece in pieces)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, text, flags | re.DOTALL) is not None


def _number_of(response: Any) -> float | None:
    if isinstance(response, int | float) and not isinstance(response, bool):
        return float(response)
    return parse_number(str(response))


def blank_fraction(blank: Blank, response: Any) -> float:
    """The credit (−1..1) one cloze blank earns for its part of the response (None: blank)."""
    if _is_blank(response):
        return 0.0
    if blank.kind == "multichoice":
        return next((a.fraction for a in blank.answers if a.id == response), 0.0)
    if blank.kind == "multiresponse":
        chosen = set(response)
        return min(max(sum(a.fraction for a in blank.answers if a.id in chosen), 0.0), 1.0)
    if blank.kind == "shortanswer":
        text = normalise_space(str(response))
        return max((a.fraction for a in blank.answers if _wildcard(a.text, text, blank.case_sensitive)), default=0.0)
    if blank.kind == "numerical":
        value = _number_of(response)
        if value is None:
            return 0.0
        credits = []
        for a in blank.answers:
            expected = None if a.text.strip() == "*" else parse_number(a.text)
            if a.text.strip() == "*" or (
                expected is not None and abs(value - expected) <= a.tolerance + 1e-9 * max(1.0, abs(expected))
            ):
                credits.append(a.fraction)
        return max(credits, default=0.0)
    if blank.kind == "gap":
        return 1.0 if response == blank.key else 0.0
    return 0.0


def blank_scores(question: Question, response: Any) -> dict[str, float]:
    """Blank id -> fraction earned (cloze, gapselect, ddwtos); empty for other types."""
    if question.type not in BLANK_TYPES:
        return {}
    given = response if isinstance(response, dict) else {}
    return {b.id: blank_fraction(b, given.get(b.id)) for b in question.blanks}


def _cloze(q: Question, response: Any) -> Score:
    weights = sum(b.weight for b in q.blanks)
    earned = blank_scores(q, response)
    total = sum(b.weight * earned[b.id] for b in q.blanks)
    return _from_fraction(q, total / weights if weights else 0.0)


def _gaps(q: Question, response: Any) -> Score:
    earned = blank_scores(q, response)
    return _from_fraction(q, sum(earned.values()) / len(q.blanks) if q.blanks else 0.0)


_SCORERS: dict[str, Callable[[Question, Any], Score]] = {
    "single_choice": _single_choice,
    "multiple_response": _multiple_response,
    "true_false": _true_false,
    "short_text": _short_text,
    "numeric": _numeric,
    "matching": _matching,
    "ordering": _ordering,
    "tf_cluster": _tf_cluster,
    "short_answer4": _short_answer4,
    "cloze": _cloze,
    "gapselect": _gaps,
    "ddwtos": _gaps,
}


def score(question: Question, response: Any) -> Score:
    """Points for one response. Raises ValueError for a response of the wrong shape."""
    if question.type == "description":
        return Score(0.0, 0.0, "unanswered")
    max_points = _round(question.points)
    if _is_blank(response):
        return Score(0.0, max_points, "unanswered")
    reason = validate_response(question, response)
    if reason:
        raise QuestionBankError(reason)
    if question.type == "essay":
        return Score(0.0, max_points, "manual")
    return _SCORERS[question.type](question, response)


def max_points(question: Question) -> float:
    return 0.0 if question.type == "description" else _round(question.points)


# -- shape validation ------------------------------------------------------------------------
def _ids_reason(given: list[Any], known: set[str], what: str) -> Message | None:
    """`what` names the ids (a code under qb.response.what)."""
    thing = msg(f"qb.response.what.{what}")
    if not all(isinstance(x, str) for x in given):
        return msg("qb.response.ids_not_text", what=thing)
    unknown = [x for x in given if x not in known]
    if unknown:
        return msg("qb.response.ids_unknown", what=thing, ids=", ".join(unknown[:5]))
    if len(set(given)) != len(given):
        return msg("qb.response.ids_repeated", what=thing)
    return None


def validate_response(question: Question, response: Any) -> Message | None:
    """Why `response` cannot be an answer to `question` (a coded message); None when it can.

    None (no answer / answer withdrawn) is always acceptable.
    """
    if response is None:
        return None
    t = question.type
    if t == "description":
        return msg("qb.response.description")
    if t == "single_choice":
        if not isinstance(response, str):
            return msg("qb.response.single_choice")
        if response and response not in {o.id for o in question.options}:
            return msg("qb.response.unknown_option", option=response)
        return None
    if t in ("multiple_response", "ordering"):
        if not isinstance(response, list):
            return msg("qb.response.option_list")
        return _ids_reason(response, {o.id for o in question.options}, "option")
    if t == "true_false":
        return None if isinstance(response, bool) else msg("qb.response.true_false")
    if t in MAX_TEXT:
        if t == "numeric" and isinstance(response, int | float) and not isinstance(response, bool):
            return None if math.isfinite(response) else msg("qb.response.bad_number")
        if not isinstance(response, str):
            return msg("qb.response.text")
        if len(response) > MAX_TEXT[t]:
            return msg("qb.response.too_long", max=MAX_TEXT[t])
        return None
    if t == "matching":
        if not isinstance(response, dict):
            return msg("qb.response.matching")
        reason = _ids_reason(list(response), {p.id for p in question.pairs if p.left}, "left_item")
        if reason:
            return reason
        rights = {p.right_id for p in question.pairs}
        if not all(isinstance(v, str) and v in rights for v in response.values()):
            return msg("qb.response.unknown_right")
        return None
    if t == "tf_cluster":
        if not isinstance(response, dict):
            return msg("qb.response.tf_cluster")
        reason = _ids_reason(list(response), {s.id for s in question.statements}, "statement")
        if reason:
            return reason
        if not all(isinstance(v, bool) for v in response.values()):
            return msg("qb.response.tf_verdict")
        return None
    if t in BLANK_TYPES:
        return _blanks_reason(question, response)
    if t == "short_answer4":
        if not isinstance(response, str):
            return msg("qb.response.short_answer_text")
        text = normalise_short_answer4(response)
        if len(text) > SHORT_ANSWER4_MAX:
            return msg("qb.response.short_answer_length", max=SHORT_ANSWER4_MAX)
        bad = sorted(set(text) - SHORT_ANSWER4_CHARS)
        if bad:
            return msg("qb.response.short_answer_chars", chars=" ".join(bad))
        return None
    return msg("qb.response.unknown_type", type=t)


def _blanks_reason(question: Question, response: Any) -> Message | None:
    """Shape of a blank type's response: {blank id: part}; an absent or null part is unanswered."""
    if not isinstance(response, dict):
        return msg("qb.response.blanks_table")
    blanks = {b.id: b for b in question.blanks}
    unknown = [k for k in response if k not in blanks]
    if unknown:
        return msg("qb.response.unknown_blanks", blanks=", ".join(str(k) for k in unknown[:5]))
    used: dict[str, str] = {}
    infinite = {c.id for c in question.choices if c.infinite}
    for blank_id, part in response.items():
        if part is None:
            continue
        blank = blanks[blank_id]
        if blank.kind in CHOICE_KINDS:
            ids = {a.id for a in blank.answers}
            if blank.kind == "multichoice":
                if not isinstance(part, str) or (part and part not in ids):
                    return msg("qb.response.blank_unknown_choice", blank=blank_id)
            elif not isinstance(part, list) or (reason := _ids_reason(part, ids, "choice")):
                return msg("qb.blanks.blank_reason", blank=blank_id,
                           reason=reason if isinstance(part, list) else msg("qb.response.blank_choice_list"))
        elif blank.kind == "gap":
            offered = {c.id for c in question.choices if c.group == blank.group}
            if not isinstance(part, str) or (part and part not in offered):
                return msg("qb.response.blank_other_group", blank=blank_id)
            if part and question.type == "ddwtos" and part not in infinite:
                if part in used:
                    return msg("qb.response.choice_reused", choice=part, used=used[part])
                used[part] = blank_id
        else:
            if isinstance(part, bool) or not isinstance(part, str | int | float):
                return msg("qb.response.blank_text", blank=blank_id)
            if isinstance(part, str) and len(part) > MAX_TEXT["short_text"]:
                return msg("qb.response.blank_too_long", blank=blank_id, max=MAX_TEXT["short_text"])
            if isinstance(part, float) and not math.isfinite(part):
                return msg("qb.response.blank_bad_number", blank=blank_id)
    return None

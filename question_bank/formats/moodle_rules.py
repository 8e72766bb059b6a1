"""Moodle's own validity rules for the questions of a Moodle XML or GIFT file.

A file Moodle refuses must be refused here too (a teacher who moves a bank between the two
systems gets the same answer from both), naming every question at fault:

- every answer grade is one of Moodle's grade options (question_bank::fraction_options_full:
  100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
  14.28571, 12.5, 11.11111, 10, 5, 0 and their negatives), matched within 0.00001 as
  Moodle's match_grade_options does — `fraction="33"` is refused;
- a single-answer multichoice, a short answer and a numerical question need an answer
  worth 100 % (Moodle's "fractionsnomax");
- the positive grades of a multiple-answer multichoice add up to 100 % (rounded to 1 %,
  Moodle's "errfractionsaddwrong").

Cloze blanks follow qtype_multianswer's own checks instead (see `cloze.problems`): their
`%n%` grades are free, as in Moodle.
"""

from __future__ import annotations

from question_bank.messages import Message, msg
from question_bank.model import Question

GRADE_PERCENTS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                  16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0)
GRADE_FRACTIONS = tuple(sorted({p / 100 for p in GRADE_PERCENTS} | {-p / 100 for p in GRADE_PERCENTS}))
TOLERANCE = 0.00001


def allowed_grade(fraction: float) -> bool:
    return any(abs(fraction - allowed) < TOLERANCE for allowed in GRADE_FRACTIONS)


def _percent(fraction: float) -> Message:
    """A grade as a percentage, its decimal mark chosen when the message is shown."""
    return msg("qb.percent", value=round(fraction * 100, 5))


def problems(q: Question) -> list[Message]:
    """Why Moodle would refuse this question (empty list: it would import it)."""
    if q.type in ("single_choice", "multiple_response"):
        grades = [o.fraction for o in q.options]
    elif q.type in ("short_text", "numeric", "short_answer4"):
        grades = [a.fraction for a in q.answers]
    else:
        return []
    out: list[Message] = []
    wrong = [g for g in grades if not allowed_grade(g)]
    if wrong:
        out.append(msg("qb.moodle.grade_not_allowed", grades=[_percent(g) for g in wrong]))
    if q.type == "multiple_response":
        if q.scoring.mode == "partial":
            total = sum(g for g in grades if g > 0)
            if round(total, 2) != 1:
                out.append(msg("qb.moodle.partial_total", total=_percent(total)))
    elif grades and 0 < max(grades) < 1 - TOLERANCE:  # none above 0: `collect.problems` says so
        out.append(msg("qb.moodle.full_marks", highest=_percent(max(grades))))
    return out

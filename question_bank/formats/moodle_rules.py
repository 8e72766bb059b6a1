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

from question_bank.model import Question

GRADE_PERCENTS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                  16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0)
GRADE_FRACTIONS = tuple(sorted({p / 100 for p in GRADE_PERCENTS} | {-p / 100 for p in GRADE_PERCENTS}))
TOLERANCE = 0.00001


def allowed_grade(fraction: float) -> bool:
    return any(abs(fraction - allowed) < TOLERANCE for allowed in GRADE_FRACTIONS)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


def problems(q: Question) -> list[str]:
    """Why Moodle would refuse this question (empty list: it would import it)."""
    if q.type in ("single_choice", "multiple_response"):
        grades = [o.fraction for o in q.options]
    elif q.type in ("short_text", "numeric", "short_answer4"):
        grades = [a.fraction for a in q.answers]
    else:
        return []
    out = []
    wrong = [g for g in grades if not allowed_grade(g)]
    if wrong:
        listed = ", ".join(_percent(g) for g in wrong)
        out.append(f"tỉ lệ điểm không thuộc danh sách Moodle cho phép: {listed} (grade not allowed by Moodle)")
    if q.type == "multiple_response":
        if q.scoring.mode == "partial":
            total = sum(g for g in grades if g > 0)
            if round(total, 2) != 1:
                out.append(
                    f"tổng tỉ lệ điểm các phương án đúng là {_percent(total)}, phải bằng 100% "
                    "(positive grades must add up to 100%)"
                )
    elif grades and 0 < max(grades) < 1 - TOLERANCE:  # none above 0: `collect.problems` says so
        out.append(
            f"cần một đáp án được 100%, cao nhất là {_percent(max(grades))} "
            "(one answer must be worth 100%)"
        )
    return out

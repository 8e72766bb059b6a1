"""An essay rubric as a small HTML table (criterion id | points | description).

Moodle's grader information and QTI's scorer rubricBlock hold HTML meant for the person
marking; a rubric written as this table is readable there and comes back as data here.
"""

from __future__ import annotations

import html
import re

from question_bank.model import RubricCriterion

ROW = re.compile(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", re.DOTALL)


def to_html(rubric: list[RubricCriterion]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c.id)}</td><td>{c.max_points:g}</td><td>{html.escape(c.description)}</td></tr>" for c in rubric
    )
    return f'<table class="rubric">{rows}</table>' if rubric else ""


def from_html(text: str) -> list[RubricCriterion]:
    """Criteria of a rubric table; rows whose points are not a number are not criteria."""
    criteria = []
    for ident, points, description in ROW.findall(text):
        try:
            value = float(html.unescape(points).replace(",", "."))
        except ValueError:
            continue
        criteria.append(RubricCriterion(html.unescape(ident).strip(), html.unescape(description).strip(), value))
    return criteria

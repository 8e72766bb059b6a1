"""A sitting's stored paper codes as question_bank papers again, with their sections.

`Paper.snapshot` holds the questions of a code in paper order and nothing else, but a printed
paper and its key head each part with its section's name ("Phần I …"). The import records each
code's layout (section name, number of questions, in order) in its `papers.imported` event;
this module reads it back and rebuilds `question_bank.papers.Paper`s, so previews and printouts
reuse the bank's key, letter and PDF code unchanged. A code stored without a recorded layout
(imported before layouts were recorded, or added by a script) is one unnamed section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from exam_server.db import session as db
from exam_server.events.models import Event
from exam_server.exams.models import Paper
from question_bank import papers as qb_papers
from question_bank.model import Question

Layout = list[tuple[str, int]]  # (section name, number of questions), in paper order


def layout_of(paper: qb_papers.Paper) -> Layout:
    """The sections of a generated paper, as runs of consecutive items."""
    layout: Layout = []
    for item in paper.items:
        if layout and layout[-1][0] == item.section:
            layout[-1] = (item.section, layout[-1][1] + 1)
        else:
            layout.append((item.section, 1))
    return layout


def recorded_layouts(sitting_id: int) -> dict[str, Layout]:
    """Paper code -> its layout, from the sitting's `papers.imported` events."""
    layouts: dict[str, Layout] = {}
    events = db.scalars(select(Event.data).where(Event.sitting_id == sitting_id,
                                                 Event.action == "papers.imported").order_by(Event.id))
    for data in events:
        for code, runs in (data or {}).get("sections", {}).items():
            layouts[str(code)] = [(str(name), int(n)) for name, n in runs]
    return layouts


def _sections(layout: Layout | None, count: int) -> list[str]:
    """The section name of each of `count` questions; a layout that does not fit is ignored."""
    names = [name for name, n in layout or [] for _ in range(n)]
    return names if len(names) == count else [""] * count


def rebuild(code: str, snapshot: Sequence[dict[str, Any]], layout: Layout | None, title: str = "") -> qb_papers.Paper:
    sections = _sections(layout, len(snapshot))
    items = [qb_papers.PaperItem(n, sections[n - 1], Question.from_dict(q)) for n, q in enumerate(snapshot, start=1)]
    return qb_papers.Paper(code, "", items, title)


def sitting_papers(sitting_id: int, title: str = "", code: str | None = None) -> list[qb_papers.Paper]:
    """Every paper code of a sitting (or just `code`), by code, with its sections."""
    query = select(Paper.code, Paper.snapshot).where(Paper.sitting_id == sitting_id).order_by(Paper.code)
    if code is not None:
        query = query.where(Paper.code == code)
    layouts = recorded_layouts(sitting_id)
    return [rebuild(c, snapshot, layouts.get(c), title) for c, snapshot in db.execute(query).all()]

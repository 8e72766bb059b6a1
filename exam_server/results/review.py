"""One candidate's attempt for an appeal (phúc khảo): the paper exactly as they saw it (their
paper code, questions and options in their order, lettered A, B, C … as on screen), their
answers, the points per question and who marked what, and every event of the attempt.

Built from the stored paper snapshot (options already shuffled for that code), the saved
responses, the marks and the event log; nothing is recomputed from the bank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.attempts.grading import response_values
from exam_server.attempts.models import Attempt
from exam_server.errors import NotFound
from exam_server.events.models import Event
from exam_server.exams.models import Paper, Registration
from exam_server.results.models import Mark

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class ReviewItem:
    no: int
    type: str
    stem: str
    options: list[dict[str, Any]]  # letter, text, correct, chosen
    statements: list[dict[str, Any]]  # id, text, correct, answer
    answer: str  # the candidate's answer as the paper shows it ("B", "a) Đúng; b) Sai", text)
    points: float | None
    max_points: float
    status: str
    marks: list[dict[str, Any]] = field(default_factory=list)  # round, marker, points, comment, at


@dataclass
class Review:
    sbd: str
    full_name: str
    room: str
    seat: str
    paper_code: str
    state: str
    score: float | None
    max_score: float | None
    started_at: datetime | None
    submitted_at: datetime | None
    items: list[ReviewItem]
    events: list[dict[str, Any]]


def _chosen_ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def _answer_text(question: dict[str, Any], value: Any, letters: dict[str, str]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if question.get("options") and question.get("type") in ("single_choice", "multiple_response", "ordering"):
        ids = value if isinstance(value, list) else [value]
        return ", ".join(letters.get(str(v), str(v)) for v in ids)
    if isinstance(value, dict):
        return "; ".join(f"{k}) {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _item(no: int, question: dict[str, Any], value: Any, row: dict[str, Any]) -> ReviewItem:
    options = question.get("options") or []
    letters = {str(o.get("id")): LETTERS[i] for i, o in enumerate(options) if i < len(LETTERS)}
    chosen = _chosen_ids(value)
    answers = value if isinstance(value, dict) else {}
    return ReviewItem(
        no=no, type=str(question.get("type", "")), stem=str(question.get("stem", "")),
        options=[{"letter": letters.get(str(o.get("id")), "?"), "text": str(o.get("text", "")),
                  "correct": float(o.get("fraction") or 0) > 0, "chosen": str(o.get("id")) in chosen}
                 for o in options],
        statements=[{"id": str(s.get("id")), "text": str(s.get("text", "")), "correct": s.get("correct"),
                     "answer": answers.get(str(s.get("id")))} for s in question.get("statements") or []],
        answer=_answer_text(question, value, letters),
        points=row.get("points"), max_points=float(row.get("max_points", question.get("points", 0)) or 0),
        status=str(row.get("status", "")),
    )


def attempt_review(session: Session, sitting_id: int, sbd: str) -> Review:
    reg = session.scalar(select(Registration).where(Registration.sitting_id == sitting_id, Registration.sbd == sbd))
    if reg is None:
        raise NotFound("results.review.no_candidate", sbd=sbd[:20])
    attempt = session.scalar(select(Attempt).where(Attempt.registration_id == reg.id))
    paper = session.get(Paper, attempt.paper_id) if attempt else None
    values = response_values(session, attempt.id) if attempt else {}
    grading = {row["no"]: row for row in (attempt.grading or [])} if attempt else {}
    items = [_item(no, q, values.get(no), grading.get(no, {})) for no, q in enumerate(paper.snapshot if paper else [], 1)]
    if attempt is not None:
        names = dict(session.execute(select(User.id, User.full_name)).all())
        by_no = {item.no: item for item in items}
        for mark in session.scalars(select(Mark).where(Mark.attempt_id == attempt.id).order_by(Mark.round)):
            if mark.question_no in by_no:
                by_no[mark.question_no].marks.append({
                    "round": mark.round, "marker": names.get(mark.marker_id, str(mark.marker_id)),
                    "points": mark.points, "comment": mark.comment, "at": mark.at})
    # Key corrections are logged for the sitting; the ones that changed this score belong here.
    conditions = [Event.data["registration_id"].as_integer() == reg.id, Event.action == "results.key_changed"]
    if attempt is not None:
        conditions.append(Event.attempt_id == attempt.id)
    rows = session.execute(
        select(Event.at, Event.action, Event.actor, Event.reason, Event.data, Event.id)
        .where(Event.sitting_id == sitting_id, or_(*conditions)).order_by(Event.at, Event.id)
    ).all()
    attempt_id = attempt.id if attempt else None
    events = [{"at": at, "action": action, "actor": actor, "reason": reason, "data": data}
              for at, action, actor, reason, data, _ in rows
              if action != "results.key_changed"
              or any(c.get("attempt_id") == attempt_id for c in (data or {}).get("score_changes", []))]
    return Review(
        sbd=reg.sbd, full_name=reg.full_name, room=reg.room.name if reg.room else "", seat=reg.seat,
        paper_code=paper.code if paper else "", state=attempt.state if attempt else "none",
        score=attempt.score if attempt else None, max_score=attempt.max_score if attempt else None,
        started_at=attempt.started_at if attempt else None, submitted_at=attempt.submitted_at if attempt else None,
        items=items, events=events,
    )

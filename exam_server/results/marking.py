"""Manual marking: anonymous marking codes, rubric marks, second and third markers.

With double marking, two different examiners mark every manual item; if their points differ
by more than the sitting's tolerance a third examiner marks it and that mark is final,
otherwise the final mark is the mean of the two.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.attempts.disqualification import DISQUALIFIED
from exam_server.attempts.grading import grade_attempt, response_values
from exam_server.attempts.models import Attempt
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Registration
from exam_server.exams.papers import paper_questions
from exam_server.results.models import Mark, MarkingPolicy


def policy_for(session: Session, sitting_id: int) -> MarkingPolicy:
    return session.get(MarkingPolicy, sitting_id) or MarkingPolicy(
        sitting_id=sitting_id, anonymous=True, double_marking=False, tolerance=0.5, rounding_step="0.25"
    )


def marking_code(attempt_id: int) -> str:
    """A stable code that hides the candidate from the marker (keyed, so it cannot be reversed)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"marking:{attempt_id}".encode(), hashlib.sha256).hexdigest()
    return f"M-{digest[:8].upper()}"


def final_points(policy: MarkingPolicy, by_round: dict[int, float]) -> float | None:
    """The mark that counts, or None while markers are still missing."""
    if not policy.double_marking:
        return by_round.get(1)
    if 1 not in by_round or 2 not in by_round:
        return None
    if abs(by_round[1] - by_round[2]) <= policy.tolerance + 1e-9:
        return round((by_round[1] + by_round[2]) / 2, 6)
    return by_round.get(3)


def _marks_by_item(session: Session, attempt_ids: list[int]) -> dict[tuple[int, int], dict[int, Mark]]:
    items: dict[tuple[int, int], dict[int, Mark]] = defaultdict(dict)
    for mark in session.scalars(select(Mark).where(Mark.attempt_id.in_(attempt_ids))):
        items[(mark.attempt_id, mark.question_no)][mark.round] = mark
    return items


def final_marks(session: Session, attempt: Attempt, policy: MarkingPolicy) -> dict[int, float]:
    marks = _marks_by_item(session, [attempt.id])
    finals = {}
    for (_, no), rounds in marks.items():
        points = final_points(policy, {r: m.points for r, m in rounds.items()})
        if points is not None:
            finals[no] = points
    return finals


def _submitted(session: Session, sitting_id: int) -> list[Attempt]:
    return list(session.scalars(
        select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id, Attempt.state == "submitted",
               Attempt.submitted_by != DISQUALIFIED)  # a voided paper is not marked
        .order_by(Attempt.id)
    ))


def marking_queue(session: Session, sitting_id: int, marker: User) -> list[dict[str, Any]]:
    """Every manual item and what it still needs; candidates appear by marking code only."""
    policy = policy_for(session, sitting_id)
    attempts = _submitted(session, sitting_id)
    marks = _marks_by_item(session, [a.id for a in attempts])
    queue = []
    for attempt in attempts:
        questions = paper_questions(session, attempt.paper_id, fresh=True)
        values = response_values(session, attempt.id)
        for row in attempt.grading or []:
            if row["status"] not in ("manual", "marked"):
                continue
            no = row["no"]
            rounds = marks.get((attempt.id, no), {})
            question = questions[no - 1]
            item: dict[str, Any] = {
                "code": marking_code(attempt.id), "question_no": no, "uid": question.uid,
                "stem": question.stem, "max_points": question.points, "response": values.get(no),
                "rubric": [{"id": c.id, "description": c.description, "max_points": c.max_points}
                           for c in question.rubric],
                "rounds_done": sorted(rounds),
                "needed_round": _needed_round(policy, {r: m.points for r, m in rounds.items()}),
                "mine": {r: m.points for r, m in rounds.items() if m.marker_id == marker.id},
            }
            if not policy.anonymous:
                item["sbd"] = attempt.registration.sbd
            queue.append(item)
    return queue


def _needed_round(policy: MarkingPolicy, by_round: dict[int, float]) -> int | None:
    if 1 not in by_round:
        return 1
    if not policy.double_marking:
        return None
    if 2 not in by_round:
        return 2
    if final_points(policy, by_round) is None:
        return 3
    return None


def record_mark(
    session: Session, sitting_id: int, *, code: str, question_no: int, round_no: int, marker: User,
    points: float | None, rubric: dict[str, float] | None, comment: str, actor: Actor,
) -> dict[str, Any]:
    """Store one marker's mark, re-score the attempt, log it; returns the item's new state."""
    policy = policy_for(session, sitting_id)
    attempt = next((a for a in _submitted(session, sitting_id) if marking_code(a.id) == code), None)
    if attempt is None:
        raise NotFound("results.unknown_marking_code", code=code)
    questions = paper_questions(session, attempt.paper_id, fresh=True)
    if not 1 <= question_no <= len(questions) or questions[question_no - 1].type != "essay":
        raise ServiceError("results.not_manual_item", question=question_no)
    question = questions[question_no - 1]
    if rubric:
        criteria = {c.id: c.max_points for c in question.rubric}
        for cid, value in rubric.items():
            if cid not in criteria or not 0 <= value <= criteria[cid]:
                raise ServiceError("results.bad_rubric", criterion=cid)
        points = round(sum(rubric.values()), 6)
    if points is None or not 0 <= points <= question.points:
        raise ServiceError("results.bad_points", max_points=question.points)
    rounds = {m.round: m for m in session.scalars(
        select(Mark).where(Mark.attempt_id == attempt.id, Mark.question_no == question_no))}
    needed = _needed_round(policy, {r: m.points for r, m in rounds.items()})
    if round_no != needed:
        raise Conflict("results.round_not_open", round=round_no)
    if any(m.marker_id == marker.id for m in rounds.values()):
        raise Conflict("results.same_marker")
    session.add(Mark(attempt_id=attempt.id, question_no=question_no, round=round_no, marker_id=marker.id,
                     points=points, rubric=rubric or {}, comment=comment))
    session.flush()
    before = attempt.score
    grade_attempt(session, attempt, questions, final_marks(session, attempt, policy))
    reg = attempt.registration
    append_event(session, "marking.mark", actor, sitting_id=sitting_id, room_id=reg.room_id,
                 attempt_id=attempt.id, data={"question_no": question_no, "round": round_no, "points": points,
                                              "score_before": before, "score_after": attempt.score})
    session.commit()
    by_round = {**{r: m.points for r, m in rounds.items()}, round_no: points}
    return {"code": code, "question_no": question_no, "rounds_done": sorted(by_round),
            "needed_round": _needed_round(policy, by_round), "final": final_points(policy, by_round)}

"""Key correction after the exam: re-key or void an item, preview the score changes, regrade.

An item is found by its uid in every paper of the sitting (papers shuffle options, so each
paper's copy keeps its own option order and takes the corrected credit by option id). Both
versions of the item and every score change go into the audit log.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.accounts.models import User
from exam_server.attempts.grading import grade, grade_attempt, response_values
from exam_server.attempts.models import Attempt
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Paper, Registration
from exam_server.results.absence import answered_attempts
from exam_server.results.marking import final_marks, policy_for
from exam_server.results.models import KeyChange
from question_bank.model import Question


@dataclass(frozen=True)
class ScoreChange:
    attempt_id: int
    sbd: str
    before: float | None
    after: float
    max_before: float | None
    max_after: float


def rekeyed(copy_in_paper: Question, corrected: Question | None) -> Question:
    """The paper's copy with the corrected key (or voided: worth nothing, so out of the maximum)."""
    q = copy.deepcopy(copy_in_paper)
    if corrected is None:
        q.points = 0.0
        return q
    if corrected.type != q.type:
        raise ServiceError("results.key_type_changed", expected=q.type)
    by_id = {o.id: o for o in corrected.options}
    if set(by_id) != {o.id for o in q.options}:
        raise ServiceError("results.key_options_changed")
    for option in q.options:
        option.fraction = by_id[option.id].fraction
    statements = {s.id: s.correct for s in corrected.statements}
    if set(statements) != {s.id for s in q.statements}:
        raise ServiceError("results.key_options_changed")
    for statement in q.statements:
        statement.correct = statements[statement.id]
    q.answers = copy.deepcopy(corrected.answers)
    q.correct_bool = corrected.correct_bool
    q.scoring = copy.deepcopy(corrected.scoring)
    if corrected.pairs:
        q.pairs = copy.deepcopy(corrected.pairs)
    return q


def _papers_with(session: Session, sitting_id: int, uid: str) -> dict[int, tuple[Paper, int]]:
    """paper id -> (paper, index of the item in it)."""
    found = {}
    for paper in session.scalars(select(Paper).where(Paper.sitting_id == sitting_id)):
        for index, item in enumerate(paper.snapshot):
            if item.get("uid") == uid:
                found[paper.id] = (paper, index)
    if not found:
        raise NotFound("results.item_not_in_sitting", uid=uid)
    return found


def _corrected_questions(papers: dict[int, tuple[Paper, int]], corrected: Question | None) -> dict[int, list[Question]]:
    out = {}
    for paper_id, (paper, index) in papers.items():
        questions = [Question.from_dict(q) for q in paper.snapshot]
        questions[index] = rekeyed(questions[index], corrected)
        out[paper_id] = questions
    return out


def _affected(session: Session, sitting_id: int, paper_ids: set[int]) -> list[Attempt]:
    attempts = list(session.scalars(
        select(Attempt).join(Registration, Attempt.registration_id == Registration.id)
        .where(Registration.sitting_id == sitting_id).order_by(Attempt.id)
    ))
    if any(a.state != "submitted" for a in attempts if a.paper_id in paper_ids and a.started_at is not None):
        raise Conflict("results.sitting_still_running")
    # Absentees (never logged in, nothing answered) have no score to change.
    answered = answered_attempts(session, sitting_id)
    return [a for a in attempts if a.paper_id in paper_ids and a.state == "submitted"
            and (a.entered_at is not None or a.id in answered)]


def preview_key_change(session: Session, sitting_id: int, uid: str, corrected: Question | None) -> list[ScoreChange]:
    """What every affected candidate's score would become; nothing is written."""
    papers = _papers_with(session, sitting_id, uid)
    questions = _corrected_questions(papers, corrected)
    policy = policy_for(session, sitting_id)
    changes = []
    for attempt in _affected(session, sitting_id, set(papers)):
        _, total, maximum = grade(questions[attempt.paper_id], response_values(session, attempt.id),
                                  final_marks(session, attempt, policy))
        changes.append(ScoreChange(attempt.id, attempt.registration.sbd, attempt.score, total,
                                   attempt.max_score, maximum))
    return changes


def apply_key_change(
    session: Session, sitting_id: int, uid: str, corrected: Question | None, *, reason: str, by: User, actor: Actor
) -> KeyChange:
    if not reason.strip():
        raise ServiceError("results.reason_required")
    papers = _papers_with(session, sitting_id, uid)
    questions = _corrected_questions(papers, corrected)
    first_paper, first_index = next(iter(papers.values()))
    before = first_paper.snapshot[first_index]
    policy = policy_for(session, sitting_id)
    changes: list[dict[str, Any]] = []
    for attempt in _affected(session, sitting_id, set(papers)):
        old, old_max = attempt.score, attempt.max_score
        grade_attempt(session, attempt, questions[attempt.paper_id], final_marks(session, attempt, policy))
        if (old, old_max) != (attempt.score, attempt.max_score):
            changes.append({"attempt_id": attempt.id, "sbd": attempt.registration.sbd, "before": old,
                            "after": attempt.score, "max_before": old_max, "max_after": attempt.max_score})
    for paper_id, (paper, _) in papers.items():
        paper.snapshot = [q.to_dict() for q in questions[paper_id]]
        paper.revision += 1  # every process's cached copy is now stale (exams.papers checks it)
    after = questions[first_paper.id][first_index].to_dict()
    change = KeyChange(sitting_id=sitting_id, question_uid=uid, action="void" if corrected is None else "rekey",
                       before=before, after=after, reason=reason, by_id=by.id, score_changes=changes)
    session.add(change)
    append_event(session, "results.key_changed", actor, sitting_id=sitting_id, reason=reason,
                 data={"uid": uid, "action": change.action, "before": before, "after": after,
                       "score_changes": changes})
    session.commit()
    # Snapshots were immutable until now: drop this process's cached copies.
    cache = current_app.extensions.get("exam_paper_cache", {})
    for paper_id in papers:
        cache.pop(paper_id, None)
    return change


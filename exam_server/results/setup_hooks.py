"""What results add to deleting a sitting before the exam (see `exams.dependents`, which
exams calls without importing this domain)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from exam_server.exams import dependents
from exam_server.results.models import MarkingPolicy


@dependents.before_sitting_delete
def drop_marking_policy(db: Session, sitting_id: int) -> None:
    db.execute(delete(MarkingPolicy).where(MarkingPolicy.sitting_id == sitting_id))

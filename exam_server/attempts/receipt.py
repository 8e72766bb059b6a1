"""The candidate's submission receipt: when they handed in, how many questions they answered,
and a code the exam board can verify later (an appeal, a "my answers were lost" complaint).

The code is an HMAC, with the server's key, of the attempt id, the finish time and a digest of
the answers as stored, shortened to 10 base-32 characters (50 bits) and prefixed with the
attempt id so the board can find the attempt from the code alone. It cannot be forged without
the key, and it stops matching the moment a stored answer or the finish time is changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.attempts.models import Attempt, Response
from exam_server.db import among
from exam_server.exams.papers import paper_questions

CODE_CHARS = 10
_CODE = re.compile(r"^\s*(\d{1,12})-([A-Z2-7]{5})-?([A-Z2-7]{5})\s*$")


@dataclass(frozen=True)
class Receipt:
    attempt_id: int
    submitted_at: datetime
    answered: int
    total: int
    code: str

    def to_dict(self) -> dict[str, Any]:
        return {"attempt": self.attempt_id, "submitted_at": self.submitted_at.isoformat(),
                "submitted_at_ms": int(self.submitted_at.timestamp() * 1000),
                "answered": self.answered, "total": self.total, "code": self.code}


def is_answered(value: Any) -> bool:
    """The same rule as the candidate page's grid (render.js `isAnswered`)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, dict)):
        return len(value) > 0
    return True


def answers_digest(answers: dict[int, Any]) -> str:
    """SHA-256 of the stored answers by question number, in a canonical JSON form."""
    canonical = json.dumps({str(no): answers[no] for no in sorted(answers)}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def receipt_code(attempt_id: int, submitted_at: datetime, digest: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"receipt:{attempt_id}:{submitted_at.isoformat()}:{digest}".encode()
    mac = base64.b32encode(hmac.new(key, message, hashlib.sha256).digest()).decode()[:CODE_CHARS]
    return f"{attempt_id}-{mac[:5]}-{mac[5:]}"


_PREFETCHED = "receipt_answers"
_GRADED = "receipt_graded"


def keep_graded(session: Session, answers: Mapping[int, dict[int, Any]]) -> None:
    """Keep the answers a batch just graded for the receipts of its push after COMMIT
    (`take_graded`): once the rows are locked and closed no save changes them. A set left by an
    earlier transaction (no push listening, or rolled back) is dropped, as `events.batch` drops
    its entries."""
    transaction = session.get_transaction()
    held: tuple[Any, dict[int, dict[int, Any]]] | None = session.info.get(_GRADED)
    if held is None or held[0] is not transaction:
        held = session.info[_GRADED] = (transaction, {})
    held[1].update(answers)


def take_graded(session: Session) -> dict[int, dict[int, Any]]:
    """The answers kept by the transaction that just ended, forgotten once taken."""
    held: tuple[Any, dict[int, dict[int, Any]]] | None = session.info.pop(_GRADED, None)
    return held[1] if held else {}


def prefetch_answers(session: Session, attempt_ids: list[int], known: Mapping[int, dict[int, Any]] | None = None) -> None:
    """The stored answers of these attempts for the receipts `session` builds next, each used
    once: those `known` (a batch's grading) as they are, the others read in one query (a push of
    a submit batch's states built one query per receipt: at 10,000 candidates, a tenth of the
    workers in the submit storm)."""
    known = known or {}
    answers = {attempt_id: known[attempt_id] for attempt_id in attempt_ids if attempt_id in known}
    missing = [attempt_id for attempt_id in attempt_ids if attempt_id not in known]
    if missing:
        answers.update({attempt_id: {} for attempt_id in missing})
        rows = session.execute(select(Response.attempt_id, Response.question_no, Response.value)
                               .where(among(session, Response.attempt_id, missing)))
        for attempt_id, no, value in rows:
            answers[attempt_id][no] = value
    if answers:
        session.info.setdefault(_PREFETCHED, {}).update(answers)


def _stored_answers(session: Session, attempt_id: int) -> dict[int, Any]:
    prefetched: dict[int, dict[int, Any]] = session.info.get(_PREFETCHED) or {}
    if attempt_id in prefetched:
        return prefetched.pop(attempt_id)  # used once: the next receipt reads again
    rows = session.execute(select(Response.question_no, Response.value).where(Response.attempt_id == attempt_id))
    return {no: value for no, value in rows}


def receipt_for(session: Session, attempt: Attempt) -> Receipt | None:
    """The receipt of a submitted attempt (None while it is open)."""
    if attempt.state != "submitted" or attempt.submitted_at is None:
        return None
    answers = _stored_answers(session, attempt.id)
    questions = paper_questions(session, attempt.paper_id)
    scored = [no for no, q in enumerate(questions, start=1) if q.type != "description"]
    answered = sum(1 for no in scored if is_answered(answers.get(no)))
    code = receipt_code(attempt.id, attempt.submitted_at, answers_digest(answers))
    return Receipt(attempt.id, attempt.submitted_at, answered, len(scored), code)


def parse_code(code: str) -> int | None:
    """The attempt id of a well-formed code (spaces, case and the middle dash forgiven)."""
    m = _CODE.match(str(code or "").upper())
    return int(m.group(1)) if m else None


def verify(session: Session, code: str) -> tuple[bool, Attempt | None, Receipt | None]:
    """Whether `code` is the receipt of a submitted attempt as it is stored now."""
    attempt_id = parse_code(code)
    attempt = session.get(Attempt, attempt_id) if attempt_id is not None else None
    receipt = receipt_for(session, attempt) if attempt is not None else None
    if receipt is None:
        return False, attempt, None
    given = re.sub(r"\s", "", str(code).upper())
    given = given if given.count("-") == 2 else f"{given[:-5]}-{given[-5:]}"
    return hmac.compare_digest(given, receipt.code), attempt, receipt

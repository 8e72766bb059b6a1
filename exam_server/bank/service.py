"""Bank operations: import a file, browse with filters, edit with history, export a selection.

Every rule about question content stays in `question_bank` (readers, writers, Moodle's validity
rules, blank checks); this module stores what it returns. Imports are all-or-nothing twice
over: the reader refuses a file with any error before anything is written, and the rows of an
accepted file go in one transaction.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from exam_server.bank.models import BankImport, BankQuestion, BankTag, BankVersion
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.i18n import current_language
from question_bank.errors import ExportFailed, FormatIssue, ImportFailed, ImportResult
from question_bank.formats import WRITERS, blank_checks, detect, moodle_rules, read_bytes_any, write_bytes_any
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, PLACEHOLDER, QUESTION_TYPES, Question

MAX_PER_PAGE = 200
MAX_EXPORT = 20_000
EXPORT_NAMES = {"moodle": "cau-hoi.xml", "qti": "cau-hoi-qti21.zip", "qti3": "cau-hoi.qti3.zip", "xlsx": "cau-hoi.xlsx"}
CHUNK = 500  # rows per IN (...) lookup: well below SQLite's parameter limit
TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Filters:
    """What the browse page filters by; empty strings mean "any"."""

    topic: str = ""
    type: str = ""
    difficulty: str = ""
    tag: str = ""
    text: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        return cls(**{name: (args.get(name) or "").strip()[:300] for name in ("topic", "type", "difficulty", "tag", "text")})

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def issue_dict(issue: FormatIssue) -> dict[str, Any]:
    """The issue in the request's language, with its code and parameters (for API clients)."""
    return issue.to_dict(current_language())


def excerpt(stem: str, limit: int = 200) -> str:
    """The stem as one line of plain text for the listing (shown escaped, never as HTML)."""
    text = PLACEHOLDER.sub("____", stem)
    text = SPACE.sub(" ", html.unescape(TAG.sub(" ", text))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _columns(q: Question) -> dict[str, Any]:
    return {"uid": q.uid, "type": q.type, "topic": q.topic[:300], "difficulty": q.difficulty[:40],
            "title": q.title[:300], "excerpt": excerpt(q.stem), "points": q.points}


# -- import --------------------------------------------------------------------------------
def import_file(db: Session, data: bytes, filename: str, actor: Actor) -> dict[str, Any]:
    """Store every question of the file, or none (raises ServiceError "bank.import_refused"
    with every error, file/question/reason). Questions already in the bank (same content
    hash) are counted, not stored twice."""
    try:
        result = _read_off_loop(data, filename)
    except ImportFailed as exc:
        raise ServiceError("bank.import_refused", status=422, file=filename, errors=[issue_dict(e) for e in exc.errors],
                           warnings=[issue_dict(w) for w in exc.warnings]) from None
    if not result.questions:
        raise ServiceError("bank.import_empty", status=422, file=filename,
                           errors=[{"file": filename, "location": "", "code": "qb.import.no_questions",
                                    "reason": msg("qb.import.no_questions").text(current_language())}], warnings=[])
    questions = [q if q.uid else q.with_uid() for q in result.questions]
    known = _known_uids(db, {q.uid for q in questions})
    fresh: list[Question] = []
    for q in questions:
        if q.uid not in known:
            known.add(q.uid)
            fresh.append(q)
    summary = {
        "file": filename,
        "format": detect(data, filename),
        "total": len(questions),
        "added": len(fresh),
        "duplicates": len(questions) - len(fresh),
        "by_type": dict(sorted(Counter(q.type for q in questions).items())),
        "points": round(sum(q.points for q in questions), 4),
        "warnings": [issue_dict(w) for w in result.warnings],
        "report": result.report_text(current_language()),
        "notes": [note.to_dict(current_language()) for note in result.report],  # codes: re-readable later
    }
    record = BankImport(filename=filename[:300], summary=summary, by_id=actor.user_id)
    db.add(record)
    db.flush()
    _insert_questions(db, fresh, record.id, actor.user_id)
    append_event(db, "bank.imported", actor, data={"file": filename[:300], "added": len(fresh), "total": len(questions)})
    db.commit()
    return {**summary, "import_id": record.id}


def _read_off_loop(data: bytes, filename: str) -> ImportResult:
    """Read the file in a native thread when serving under gevent: a 10,000-question file is
    seconds of CPU, and on the event loop it would stall every candidate this worker serves.
    (Plain function call elsewhere: the tests, the CLI, threaded servers.)"""
    try:
        from gevent import get_hub
        from gevent.monkey import is_module_patched
    except ImportError:
        return read_bytes_any(data, filename)
    if not is_module_patched("socket"):
        return read_bytes_any(data, filename)
    outcome: ImportResult | Exception = get_hub().threadpool.apply(_read_catching, (data, filename))
    if isinstance(outcome, Exception):
        raise outcome  # re-raised here, so a refused file is not logged as a crashed thread task
    return outcome


def _read_catching(data: bytes, filename: str) -> ImportResult | Exception:
    try:
        return read_bytes_any(data, filename)
    except Exception as exc:  # handed back to the caller as is
        return exc


def _known_uids(db: Session, uids: set[str]) -> set[str]:
    found: set[str] = set()
    listed = sorted(uids)
    for i in range(0, len(listed), CHUNK):
        found.update(db.scalars(select(BankQuestion.uid).where(BankQuestion.uid.in_(listed[i:i + CHUNK]))))
    return found


def _insert_questions(db: Session, questions: list[Question], import_id: int, by_id: int | None) -> None:
    """Bulk inserts (one statement per table and chunk): a 10,000-question file stays quick."""
    now = utcnow()
    for i in range(0, len(questions), CHUNK):
        part = questions[i:i + CHUNK]
        dicts = [q.to_dict() for q in part]
        rows = [{**_columns(q), "version": 1, "data": d, "import_id": import_id, "created_at": now, "updated_at": now}
                for q, d in zip(part, dicts, strict=True)]
        ids = list(db.scalars(insert(BankQuestion).returning(BankQuestion.id, sort_by_parameter_order=True), rows))
        db.execute(insert(BankVersion), [{"question_id": qid, "version": 1, "data": d, "note": "", "by_id": by_id, "at": now}
                                         for qid, d in zip(ids, dicts, strict=True)])
        tags = [{"question_id": qid, "tag": tag[:200]} for qid, q in zip(ids, part, strict=True) for tag in _tags(q)]
        if tags:
            db.execute(insert(BankTag), tags)


def _tags(q: Question) -> list[str]:
    return sorted({t.strip()[:200] for t in q.tags if t.strip()})


# -- browse --------------------------------------------------------------------------------
def _filtered(filters: Filters) -> Any:
    stmt = select(BankQuestion)
    if filters.topic:
        stmt = stmt.where(BankQuestion.topic == filters.topic)
    if filters.type:
        stmt = stmt.where(BankQuestion.type == filters.type)
    if filters.difficulty:
        stmt = stmt.where(BankQuestion.difficulty == filters.difficulty)
    if filters.tag:
        stmt = stmt.where(BankQuestion.id.in_(select(BankTag.question_id).where(BankTag.tag == filters.tag)))
    if filters.text:
        like = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(BankQuestion.excerpt.ilike(like, escape="\\"), BankQuestion.title.ilike(like, escape="\\")))
    return stmt


def search(db: Session, filters: Filters, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, int(page))
    stmt = _filtered(filters)
    total = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = db.scalars(stmt.order_by(BankQuestion.id).offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": [row_dict(r) for r in rows], "total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page))}


def row_dict(row: BankQuestion) -> dict[str, Any]:
    return {"id": row.id, "uid": row.uid, "type": row.type, "topic": row.topic, "difficulty": row.difficulty,
            "title": row.title, "excerpt": row.excerpt, "points": row.points, "version": row.version,
            "tags": sorted(t.tag for t in row.tags), "updated_at": row.updated_at.isoformat()}


def facets(db: Session) -> dict[str, list[dict[str, Any]]]:
    """The values each filter can take, with counts (for the filter menus)."""
    def counted(column: Any, limit: int = 500) -> list[dict[str, Any]]:
        rows = db.execute(select(column, func.count()).group_by(column).order_by(column).limit(limit))
        return [{"value": v, "count": n} for v, n in rows if v]

    return {"topics": counted(BankQuestion.topic), "types": counted(BankQuestion.type),
            "difficulties": counted(BankQuestion.difficulty), "tags": counted(BankTag.tag)}


def get_question(db: Session, question_id: int, *, lock: bool = False) -> BankQuestion:
    stmt = select(BankQuestion).where(BankQuestion.id == question_id)
    row = db.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("bank.question_not_found")
    return row


def question_of(row: BankQuestion | BankVersion) -> Question:
    return Question.from_dict(row.data)


def versions(db: Session, question_id: int) -> list[BankVersion]:
    get_question(db, question_id)
    return list(db.scalars(select(BankVersion).where(BankVersion.question_id == question_id).order_by(BankVersion.version.desc())))


def version(db: Session, question_id: int, number: int) -> BankVersion:
    found = db.scalar(select(BankVersion).where(BankVersion.question_id == question_id, BankVersion.version == number))
    if found is None:
        raise NotFound("bank.version_not_found")
    return found


# -- edit ----------------------------------------------------------------------------------
def parse_question(data: Any) -> Question:
    """A question dict from the editor, checked as an import would check it."""
    if not isinstance(data, dict):
        raise ServiceError("bank.invalid_question", status=422, problems=["question must be an object"])
    data = {k: v for k, v in data.items() if k != "uid"}
    try:
        q = Question.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ServiceError("bank.invalid_question", status=422, problems=[str(exc)[:300]]) from None
    problems: list[Message] = []
    if q.type not in QUESTION_TYPES:
        problems.append(msg("qb.response.unknown_type", type=q.type))
    if not q.stem.strip() and q.type != "description":
        problems.append(msg("qb.check.empty_stem"))
    if not isinstance(q.points, int | float) or q.points < 0:
        problems.append(msg("qb.check.negative_points"))
    problems += moodle_rules.problems(q)
    if q.type in BLANK_TYPES:
        problems += blank_checks.problems(q)
    if problems:
        lang = current_language()
        raise ServiceError("bank.invalid_question", status=422, problems=[p.text(lang) for p in problems],
                           codes=[p.code for p in problems])
    return q.with_uid()


def edit_question(db: Session, question_id: int, data: Any, base_version: int, note: str, actor: Actor) -> BankQuestion:
    """Store the edited question as the next version. `base_version` is the version the editor
    started from: if someone saved in between, the edit is refused (no silent overwrite)."""
    q = parse_question(data)
    row = get_question(db, question_id, lock=True)
    if base_version != row.version:
        raise Conflict("bank.version_conflict", current=row.version, base=base_version)
    if q.uid == row.uid:
        return row  # nothing changed: no new version
    row.version += 1
    row.data = q.to_dict()
    row.updated_at = utcnow()
    for name, value in _columns(q).items():
        setattr(row, name, value)
    row.tags = [BankTag(tag=t) for t in _tags(q)]
    db.add(BankVersion(question_id=row.id, version=row.version, data=row.data, note=note[:2000], by_id=actor.user_id))
    append_event(db, "bank.question_edited", actor, data={"question_id": row.id, "version": row.version})
    db.commit()
    return row


# -- export --------------------------------------------------------------------------------
def selected_questions(db: Session, ids: list[int] | None, filters: Filters | None) -> list[Question]:
    if ids is not None:
        rows: list[BankQuestion] = []
        for i in range(0, len(ids), CHUNK):
            rows += db.scalars(select(BankQuestion).where(BankQuestion.id.in_(ids[i:i + CHUNK]))).all()
        rows.sort(key=lambda r: r.id)
    else:
        rows = list(db.scalars(_filtered(filters or Filters()).order_by(BankQuestion.id).limit(MAX_EXPORT + 1)))
    if not rows:
        raise ServiceError("bank.export_empty", status=422)
    if len(rows) > MAX_EXPORT:
        raise ServiceError("bank.export_too_many", status=422, limit=MAX_EXPORT)
    return [question_of(r) for r in rows]


def export_name(fmt: str) -> str:
    """The download's file name for a writable format (checked before any question is loaded)."""
    if fmt not in WRITERS or fmt not in EXPORT_NAMES:
        raise ServiceError("bank.export_format", status=422, format=fmt[:20], supported=", ".join(sorted(WRITERS)))
    return EXPORT_NAMES[fmt]


def export(questions: list[Question], fmt: str) -> tuple[str, bytes]:
    """(file name, bytes) in a writable format; every question or nothing."""
    name = export_name(fmt)
    try:
        return name, write_bytes_any(questions, name)
    except ExportFailed as exc:
        raise ServiceError("bank.export_refused", status=422, errors=[issue_dict(e) for e in exc.errors]) from None

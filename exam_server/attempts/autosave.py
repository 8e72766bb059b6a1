"""The one path every answer takes (HTTP and Socket.IO): `save_answer`.

One statement in its own durable transaction checks the attempt is open (share-locking its
row on PostgreSQL, so a concurrent submission waits for this save and grades it) and upserts
the answer only over a lower sequence number. The acknowledgement is built after COMMIT returns.
Per (attempt, question) the highest client sequence wins; a replay of the stored sequence with
the stored value is acknowledged again, identically, without a write; the stored sequence with
ANOTHER value is refused as `attempts.conflict` (two writers numbered two changes alike: the
page must learn what the server holds, never be told its own value was saved); an older
sequence is acknowledged as superseded. Conflicts and superseded acks carry the stored
sequence and value, so the page can show what the server holds. Refusals raise `SaveRefused`
(`SaveConflict` for a conflict) and are appended to the event log.

With `[autosave] group_commit` on (the default), the statement runs in one transaction with
the saves that arrive within a few milliseconds (`exam_server.attempts.group_commit`), and the
acknowledgement is built after that transaction's COMMIT; off, each save is its own
transaction as described above (kept for comparison and as the fallback).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

from flask import current_app
from sqlalchemy import Connection, Engine, select

from exam_server.attempts import group_commit
from exam_server.attempts.models import Attempt
from exam_server.attempts.refusal_log import record_refusal
from exam_server.attempts.submission import close_attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, NotFound, ServiceError
from exam_server.events.log import SERVER, Actor
from exam_server.exams.papers import paper_questions
from exam_server.extensions import real_app
from exam_server.i18n import current_language
from question_bank.scoring import validate_response

MAX_SEQ = 2**62


class SaveRefused(Conflict):
    """A save the server will not store; `code` says why (attempts.refused_*)."""


class SaveConflict(SaveRefused):
    """The (question, seq) is stored with another value: `stored_seq`/`stored_value` say what."""

    def __init__(self, *, question: int, seq: int, stored_seq: int, stored_value: Any) -> None:
        super().__init__("attempts.conflict", question=question, seq=seq, stored_seq=stored_seq,
                         stored_value=stored_value)
        self.stored_seq = stored_seq
        self.stored_value = stored_value


@dataclass(frozen=True)
class SaveAck:
    attempt_id: int
    question: int
    seq: int  # the sequence number this request carried
    stored_seq: int  # the sequence now stored: == seq when saved/replayed, > seq when superseded
    saved_at: str  # ISO time the stored value was committed
    status: str  # "saved" | "duplicate" | "superseded"
    stored_value: Any = None  # what the server holds, when superseded (otherwise the value sent)

    def to_dict(self) -> dict[str, Any]:
        out = {"attempt_id": self.attempt_id, "question": self.question, "seq": self.seq,
               "stored_seq": self.stored_seq, "saved_at": self.saved_at, "status": self.status}
        if self.status == "superseded":
            out["stored_value"] = self.stored_value
        return out


# The hot path is ONE statement in its own durable (autocommit) transaction: it checks the
# attempt is open and upserts the answer, so a save costs one round trip and one commit.
# Building and compiling ORM statements cost more than the database work, so it is SQL text
# per dialect. When it writes nothing (closed attempt, replay, older seq) the slow path below
# finds out why. On PostgreSQL the attempt row is share-locked: a concurrent submission waits
# for the save and grades it; a save waiting on a submission sees the attempt closed.
_FAST = {
    "sqlite": (
        "INSERT INTO responses (attempt_id, question_no, value, seq, saved_at) "
        "SELECT id, ?, ?, ?, ? FROM attempts WHERE id = ? AND registration_id = ? AND state = 'active' "
        "AND locked = 0 AND closes_at > ?{seb} "
        "ON CONFLICT (attempt_id, question_no) DO UPDATE SET value = excluded.value, seq = excluded.seq, "
        "saved_at = excluded.saved_at WHERE responses.seq < excluded.seq RETURNING seq"
    ),
    "postgresql": (
        "WITH open_attempt AS (SELECT id FROM attempts WHERE id = %s AND registration_id = %s "
        "AND state = 'active' AND NOT locked AND closes_at > %s{seb} FOR SHARE) "
        "INSERT INTO responses (attempt_id, question_no, value, seq, saved_at) "
        "SELECT id, %s, %s::json, %s, %s FROM open_attempt "
        "ON CONFLICT (attempt_id, question_no) DO UPDATE SET value = excluded.value, seq = excluded.seq, "
        "saved_at = excluded.saved_at WHERE responses.seq < excluded.seq RETURNING seq"
    ),
}
# The same statement for a caller that checks Safe Exam Browser only where the sitting asks
# for it (the HTTP path): it writes nothing when the sitting requires SEB, so a sitting that
# does not costs no extra query, and one switched to SEB is enforced from the next save on.
_NO_SEB = ("NOT EXISTS (SELECT 1 FROM registrations r JOIN sittings s ON s.id = r.sitting_id "
           "WHERE r.id = attempts.registration_id AND s.require_seb{true})")
_FAST_SEB = {
    "sqlite": _FAST["sqlite"].format(seb=" AND " + _NO_SEB.format(true=" <> 0")),
    "postgresql": _FAST["postgresql"].format(seb=" AND " + _NO_SEB.format(true="")),
}
_FAST = {dialect: sql.format(seb="") for dialect, sql in _FAST.items()}
_SLOW = {
    "sqlite": {
        "attempt": "SELECT state, locked, closes_at FROM attempts WHERE id = ?",
        "stored": "SELECT seq, saved_at, value FROM responses WHERE attempt_id = ? AND question_no = ?",
        "seb": "SELECT s.require_seb FROM registrations r JOIN sittings s ON s.id = r.sitting_id WHERE r.id = ?",
    },
    "postgresql": {
        "attempt": "SELECT state, locked, closes_at FROM attempts WHERE id = %s",
        "stored": "SELECT seq, saved_at, value FROM responses WHERE attempt_id = %s AND question_no = %s",
        "seb": "SELECT s.require_seb FROM registrations r JOIN sittings s ON s.id = r.sitting_id WHERE r.id = %s",
    },
}


class _Row(NamedTuple):
    state: str
    locked: bool
    closes_at: datetime | None


def _stored_at(value: datetime | str | None) -> str:
    """A stored answer's save time for its acknowledgement (ISO, UTC)."""
    at = _as_utc(value)
    return at.isoformat() if at else ""


def _as_utc(value: datetime | str | None) -> datetime | None:
    """SQLite hands back text in SQLAlchemy's storage format (naive UTC); PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stored_value(dialect: str, raw: Any) -> Any:
    """The stored JSON value: SQLite hands back its text, psycopg the parsed value."""
    return json.loads(raw) if dialect == "sqlite" and isinstance(raw, str | bytes) else raw


def _canonical(value: Any) -> str:
    """One text per JSON value (key order ignored; true and 1 kept apart) to compare answers."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _bind_time(dialect: str, value: datetime) -> datetime | str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else value


def _owner_and_paper(attempt_id: int) -> tuple[int, int]:
    """(registration_id, paper_id) of an attempt: fixed at creation, so cached per process."""
    cache: dict[int, tuple[int, int]] = current_app.extensions.setdefault("exam_attempt_cache", {})
    known = cache.get(attempt_id)
    if known is None:
        was_open = db.in_transaction()
        row = db.execute(select(Attempt.registration_id, Attempt.paper_id).where(Attempt.id == attempt_id)).first()
        if not was_open:
            db.rollback()  # hand the connection back before the save itself
        if row is None:
            raise NotFound("attempts.not_found")
        known = cache[attempt_id] = (row[0], row[1])
    return known


def save_answer(
    attempt_id: int,
    question_no: int,
    seq: int,
    value: Any,
    *,
    registration_id: int | None = None,
    actor: Actor | None = None,
    check_seb: Callable[[], None] | None = None,
) -> SaveAck:
    """Store one answer durably; `registration_id` (the logged-in candidate) must own the attempt.

    `check_seb`, when given, is called before anything is stored if the attempt's sitting
    requires Safe Exam Browser; it raises to refuse the save.
    """
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < MAX_SEQ:
        raise ServiceError("attempts.bad_seq")
    if not isinstance(question_no, int) or isinstance(question_no, bool):
        raise ServiceError("attempts.bad_question")
    owner, paper_id = _owner_and_paper(attempt_id)
    if registration_id is not None and owner != registration_id:
        raise NotFound("attempts.not_found")
    questions = paper_questions(db, paper_id)
    if not 1 <= question_no <= len(questions):
        raise ServiceError("attempts.bad_question")
    problem = validate_response(questions[question_no - 1], value)
    if problem:
        raise ServiceError("attempts.bad_value", question=question_no, reason=problem.text(current_language()))

    now = utcnow()
    text = json.dumps(value, ensure_ascii=False)
    app = real_app()
    if group_commit.enabled(app):
        # One transaction with the saves that arrive alongside (see `group_commit`); the
        # outcome is final when `run` returns, because it returns only after COMMIT did. A
        # caller's own transaction is committed first: the committer needs the connection
        # (SQLite pools one), and what the caller did is kept, as the path below keeps it.
        if db.in_transaction():
            db.commit()
        work = group_commit.SaveWork(attempt_id, lambda conn, at: _write_or_why(
            conn, check_seb, attempt_id, owner, question_no, text, seq, at))
        why = group_commit.for_app(app, current_app.extensions["exam_db"]["engine"]).run(work)
        now = work.now  # the save's time is its arrival in the queue (its place in the order)
        if why is None:
            return SaveAck(attempt_id, question_no, seq, seq, now.isoformat(), "saved")
        found, stored, seb_required = why
    elif db.in_transaction():
        # A caller inside a transaction (SQLite pools one connection) continues in it.
        conn = db.connection()
        try:
            written = _write(conn, check_seb, attempt_id, owner, question_no, text, seq, now)
            if written is not None:
                db.commit()
                return SaveAck(attempt_id, question_no, seq, seq, now.isoformat(), "saved")
            found, stored, seb_required = _why_not(conn, attempt_id, owner, question_no, check_seb)
        finally:
            if db.in_transaction():
                db.rollback()
    else:
        # The hot path: a pooled connection in autocommit, no ORM session; the statement
        # is its own durable transaction, so its result is final when it returns.
        with _autocommit_engine().connect() as conn:
            written = _write(conn, check_seb, attempt_id, owner, question_no, text, seq, now)
            if written is not None:
                return SaveAck(attempt_id, question_no, seq, seq, now.isoformat(), "saved")
            found, stored, seb_required = _why_not(conn, attempt_id, owner, question_no, check_seb)
    if seb_required:
        assert check_seb is not None
        check_seb()  # raises when the browser fails the sitting's SEB rule
        return save_answer(attempt_id, question_no, seq, value, registration_id=registration_id, actor=actor)
    refusal = _refusal(_Row(found[0], bool(found[1]), _as_utc(found[2])), now)
    if stored is not None and stored[0] == seq:
        stored_seq, saved_at, stored_value = stored
        if _canonical(stored_value) != _canonical(value):
            # Two changes numbered alike (two writers): never acknowledge a value not held.
            _refuse(attempt_id, "attempts.conflict", question_no, seq, actor, now,
                    SaveConflict(question=question_no, seq=seq, stored_seq=stored_seq, stored_value=stored_value))
        # A replay of the stored change: acknowledged again, identically, even after closing.
        return SaveAck(attempt_id, question_no, seq, stored_seq, _stored_at(saved_at), "duplicate")
    if stored is not None and stored[0] > seq and refusal is None:
        stored_seq, saved_at, stored_value = stored
        return SaveAck(attempt_id, question_no, seq, stored_seq, _stored_at(saved_at), "superseded",
                       stored_value)
    if refusal is None:  # the attempt closed between the two statements
        refusal = "attempts.refused_submitted"
    _refuse(attempt_id, refusal, question_no, seq, actor, now)


def _autocommit_engine() -> Engine:
    """The app's engine (same pool) with every checked-out connection in autocommit."""
    dbx = current_app.extensions["exam_db"]
    engine: Engine | None = dbx.get("autocommit_engine")
    if engine is None:
        engine = dbx["autocommit_engine"] = dbx["engine"].execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _write(conn: Connection, check_seb: Callable[[], None] | None, attempt_id: int, owner: int,
           question_no: int, text: str, seq: int, now: datetime) -> Any:
    """The one statement of a save; the stored seq when it wrote, None when it did not."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        stamp = _bind_time(dialect, now)
        params: tuple[Any, ...] = (question_no, text, seq, stamp, attempt_id, owner, stamp)
    else:
        params = (attempt_id, owner, now, question_no, text, seq, now)
    sql = (_FAST_SEB if check_seb is not None else _FAST)[dialect]
    return conn.exec_driver_sql(sql, params).first()


def _write_or_why(conn: Connection, check_seb: Callable[[], None] | None, attempt_id: int, owner: int,
                  question_no: int, text: str, seq: int, now: datetime) -> tuple[Any, Any, bool] | None:
    """A save inside a group commit's transaction: None when it wrote, else what `_why_not` says."""
    if _write(conn, check_seb, attempt_id, owner, question_no, text, seq, now) is not None:
        return None
    return _why_not(conn, attempt_id, owner, question_no, check_seb)


def _why_not(conn: Connection, attempt_id: int, owner: int, question_no: int,
             check_seb: Callable[[], None] | None) -> tuple[Any, Any, bool]:
    """After a save that wrote nothing: the attempt's state, the stored answer, whether SEB is due."""
    sql = _SLOW[conn.dialect.name]
    seb_required = check_seb is not None and bool(conn.exec_driver_sql(sql["seb"], (owner,)).scalar())
    found = conn.exec_driver_sql(sql["attempt"], (attempt_id,)).one()
    row = conn.exec_driver_sql(sql["stored"], (attempt_id, question_no)).first()
    stored = None if row is None else (row[0], row[1], _stored_value(conn.dialect.name, row[2]))
    return found, stored, seb_required


def _refusal(row: _Row, now: datetime) -> str | None:
    if row.state == "pending":
        return "attempts.refused_not_started"
    if row.state == "submitted":
        return "attempts.refused_submitted"
    if row.state == "paused":
        return "attempts.refused_paused"
    if row.closes_at is not None and row.closes_at <= now:
        return "attempts.refused_deadline"
    if row.locked:
        return "attempts.refused_locked"
    return None


def _refuse(attempt_id: int, code: str, question_no: int, seq: int, actor: Actor | None, now: datetime,
            exc: SaveRefused | None = None) -> NoReturn:
    """Log the refusal (closing an attempt found past its deadline on the way), then raise."""
    db.rollback()
    attempt = db.get(Attempt, attempt_id)
    assert attempt is not None
    if code == "attempts.refused_deadline" and attempt.state == "active":
        close_attempt(db, attempt, at=attempt.deadline_at or now, by="server", actor=SERVER,
                      reason="deadline", closes_before=now)
    reg = attempt.registration
    # one audit entry per burst of refusals, with a count (see refusal_log)
    record_refusal(db, attempt_id=attempt_id, sitting_id=reg.sitting_id, room_id=reg.room_id, code=code,
                   question=question_no, seq=seq, actor=actor, now=now)
    db.commit()
    raise exc or SaveRefused(code, question=question_no, seq=seq)

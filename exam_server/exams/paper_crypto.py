"""Papers before the start: each candidate's paper travels encrypted, the start carries the key.

Without this, pressing "start" makes every candidate's page ask for its paper at the same
moment (the start storm: one paper query and serialisation per candidate, all at once). Instead
the page receives its paper code's questions sealed with AES-256-GCM while it waits (the socket's
`hello` and the HTTP attempt view, at login and on every reconnect or reload before the start) and
keeps them; the state pushed when its attempt starts carries the key, and the page decrypts
locally.

- One key per (sitting, paper code), `PaperKey`, made when check-in opens (papers cannot change
  any more except by a key correction) or at first need; never sent before the attempt started,
  and only the key of the candidate's own code (`key_for_attempt`).
- The sealed payload is exactly what the page renders otherwise: `[Question.public_dict()]` of
  the paper in paper order, as JSON (UTF-8). Options are shuffled per code, not per candidate,
  so one ciphertext serves every candidate of a code.
- The nonce is random (96 bits) for each encryption; the associated data binds the format
  version, the sitting and the code (`associated_data`), so a ciphertext shown under another
  sitting or code fails to open instead of rendering another paper.
- Ciphertexts are cached per process by paper and revision: a key correction bumps the
  revision, so the next delivery re-encrypts (same key) and the start push names the revision
  the key is for; a page holding an older revision fetches the paper instead.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.caching import Bounded
from exam_server.db import db as database
from exam_server.db import dialect_insert
from exam_server.errors import NotFound
from exam_server.exams.models import Paper, PaperKey
from exam_server.extensions import real_app
from question_bank.model import Question

FORMAT = 1
ALGORITHM = "AES-256-GCM"
NONCE_BYTES = 12
KEY_BYTES = 32
# Attempt states in which the page may hold the key: started and not yet handed in.
KEY_STATES = ("active", "paused")


@dataclass(frozen=True)
class CodeKey:
    sitting_id: int
    code: str
    key: bytes

    def __repr__(self) -> str:  # never the key itself
        return f"CodeKey(sitting_id={self.sitting_id!r}, code={self.code!r})"


@dataclass
class Sealed:
    revision: int
    payload: dict[str, Any]  # what a waiting page is sent
    key_message: dict[str, Any]  # what a started attempt's state carries (built once per revision)
    checked: float  # time.monotonic() of the last revision check


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def associated_data(sitting_id: int, code: str, version: int = FORMAT) -> bytes:
    """What the ciphertext is bound to; the page builds the same bytes (`paper_crypto.js`)."""
    return json.dumps(["exam-paper", version, sitting_id, code], separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sealed_id(sitting_id: int, code: str, revision: int) -> str:
    """The name the page sends back to say which sealed paper it holds already."""
    return f"{FORMAT}:{sitting_id}:{code}:{revision}"


def plaintext(snapshot: list[dict[str, Any]]) -> bytes:
    """The questions as the candidate sees them, in paper order: the page's `state.paper`."""
    public = [Question.from_dict(q).public_dict() for q in snapshot]
    return json.dumps(public, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(key: bytes, sitting_id: int, code: str, revision: int, data: bytes) -> dict[str, Any]:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, data, associated_data(sitting_id, code))
    return {"v": FORMAT, "alg": ALGORITHM, "sitting": sitting_id, "code": code, "rev": revision,
            "id": sealed_id(sitting_id, code, revision), "nonce": b64(nonce), "ct": b64(ciphertext)}


def open_sealed(key: bytes, sealed: dict[str, Any]) -> list[dict[str, Any]]:
    """The inverse of `seal` (tests, tools): the public questions, or InvalidTag when tampered."""
    data = AESGCM(key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ct"]),
                               associated_data(int(sealed["sitting"]), str(sealed["code"]), int(sealed["v"])))
    questions: list[dict[str, Any]] = json.loads(data)
    return questions


# ---------------------------------------------------------------- keys ------------------------
def ensure_keys(session: Session, sitting_id: int) -> int:
    """A key for every paper code of the sitting that has none, in the caller's transaction
    (called when check-in opens). Concurrent callers agree: the first insert wins."""
    codes = session.scalars(
        select(Paper.code).outerjoin(PaperKey, (PaperKey.sitting_id == Paper.sitting_id) & (PaperKey.code == Paper.code))
        .where(Paper.sitting_id == sitting_id, PaperKey.id.is_(None))
    ).all()
    if codes:
        insert = dialect_insert(session.get_bind().dialect.name)
        session.execute(insert(PaperKey).values([
            {"sitting_id": sitting_id, "code": code, "key": secrets.token_bytes(KEY_BYTES)} for code in codes
        ]).on_conflict_do_nothing(index_elements=["sitting_id", "code"]))
    return len(codes)


def _key_cache() -> Bounded[int, CodeKey]:
    return current_app.extensions.setdefault(
        "exam_paper_key_cache", Bounded(int(current_app.config.get("CACHE_PAPERS", 2_000))))


def key_for_paper(session: Session, paper_id: int) -> CodeKey:
    """The key of the paper's code, from this process's cache (keys never change once made).

    A sitting opened before keys existed gets them here, committed in a session of its own:
    the caller's transaction may be a read that ends in a rollback."""
    cache = _key_cache()
    found = cache.get(paper_id)
    if found is not None:
        return found
    row = session.execute(
        select(Paper.sitting_id, Paper.code, PaperKey.key).select_from(Paper)
        .outerjoin(PaperKey, (PaperKey.sitting_id == Paper.sitting_id) & (PaperKey.code == Paper.code))
        .where(Paper.id == paper_id)
    ).first()
    if row is None:
        raise NotFound("exams.paper_not_found")
    key = row.key if row.key is not None else _make_missing_key(session, row.sitting_id, row.code)
    if key is None or len(key) != KEY_BYTES:
        raise RuntimeError(f"paper key of sitting {row.sitting_id}, code {row.code!r} is missing or malformed")
    found = CodeKey(int(row.sitting_id), str(row.code), bytes(key))
    cache[paper_id] = found
    return found


def _make_missing_key(session: Session, sitting_id: int, code: str) -> bytes | None:
    """Keys for a sitting that has none (its row lost, or opened by a tool that skipped
    `ensure_keys`; the migration gave every existing paper one), committed at once: the caller's
    transaction may be a read that ends in a rollback, and a key must never change once used.

    PostgreSQL: a session of its own. SQLite: the caller's connection holds the only write lock
    (every transaction begins IMMEDIATE), so the caller's session commits, which is allowed only
    when it carries no changes of its own."""
    if session.get_bind().dialect.name == "sqlite":
        if session.new or session.dirty or session.deleted:
            raise RuntimeError(f"paper keys of sitting {sitting_id} are missing and cannot be made inside a "
                               "transaction that changes something; open check-in through lifecycle.open_checkin")
        ensure_keys(session, sitting_id)
        session.commit()
        return session.scalar(select(PaperKey.key).where(PaperKey.sitting_id == sitting_id, PaperKey.code == code))
    own = database.new_session(real_app())
    try:
        ensure_keys(own, sitting_id)
        own.commit()
        return own.scalar(select(PaperKey.key).where(PaperKey.sitting_id == sitting_id, PaperKey.code == code))
    finally:
        own.close()


# ---------------------------------------------------------------- ciphertexts -----------------
def _sealed_cache() -> Bounded[int, Sealed]:
    return current_app.extensions.setdefault(
        "exam_sealed_paper_cache", Bounded(int(current_app.config.get("CACHE_PAPERS", 2_000))))


def sealed_paper(session: Session, paper_id: int, *, fresh: bool = False) -> dict[str, Any]:
    """The paper sealed under its code's key, cached per revision (see `_sealed_entry`)."""
    return _sealed_entry(session, paper_id, fresh=fresh).payload


def _sealed_entry(session: Session, paper_id: int, *, fresh: bool = False) -> Sealed:
    """The paper sealed under its code's key, and the key message for it, cached per revision.

    The revision is re-checked at most every `[cache] paper_check_seconds` (as the plaintext
    paper cache does), and always with `fresh=True`; a new revision is re-encrypted from the
    snapshot and revision read together, so the ciphertext never holds a stale paper under a
    new revision number."""
    cache = _sealed_cache()
    cached = cache.get(paper_id)
    now = time.monotonic()
    if cached is not None:
        if not fresh and now - cached.checked < float(current_app.config.get("CACHE_PAPER_CHECK_SECONDS", 2.0)):
            return cached
        revision = session.scalar(select(Paper.revision).where(Paper.id == paper_id))
        if revision == cached.revision:
            cached.checked = now
            return cached
    row = session.execute(select(Paper.snapshot, Paper.revision).where(Paper.id == paper_id)).first()
    if row is None:
        cache.pop(paper_id, None)
        raise NotFound("exams.paper_not_found")
    code_key = key_for_paper(session, paper_id)
    revision = int(row.revision)
    payload = seal(code_key.key, code_key.sitting_id, code_key.code, revision, plaintext(row.snapshot))
    key_message = {"v": FORMAT, "alg": ALGORITHM, "sitting": code_key.sitting_id, "code": code_key.code,
                   "rev": revision, "id": payload["id"], "key": b64(code_key.key)}
    cached = Sealed(revision, payload, key_message, now)
    cache[paper_id] = cached
    return cached


# ---------------------------------------------------------------- what a candidate receives ---
def key_for_attempt(attempt: Any, session: Session) -> dict[str, Any] | None:
    """The key of the attempt's own code, once the attempt has started and until it is handed
    in; None before (nothing a page holds before the start opens the paper)."""
    if attempt.state not in KEY_STATES or attempt.started_at is None:
        return None
    return dict(_sealed_entry(session, attempt.paper_id).key_message)


def sealed_for_waiting(attempt: Any, session: Session, held: Any = None) -> dict[str, Any] | None:
    """The sealed paper for a page waiting for the start, unless it holds this very one
    (`held`: the id it sent); None once the attempt left "pending" (it gets the paper itself)."""
    if attempt.state != "pending":
        return None
    sealed = sealed_paper(session, attempt.paper_id)
    if isinstance(held, str) and held == sealed["id"]:
        return None
    return sealed


def page_holds_current(attempt: Any, session: Session, held: Any) -> bool:
    """Whether the page's sealed copy (`held`, its id) is the attempt's paper at its current
    revision, so a started attempt's page needs only the key, not the paper."""
    if not isinstance(held, str) or not held:
        return False
    return held == _sealed_entry(session, attempt.paper_id).payload["id"]

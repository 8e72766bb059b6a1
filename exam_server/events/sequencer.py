"""The sequencer: folds committed entries into each sitting's Merkle tree and signs the head.

Runs every second or so in every server process (the background job loop) and in commands
that need fresh heads (`export-results`). Several processes are safe: each sitting's tree row
is taken with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so one process folds a sitting
while the others skip it; SQLite has one writer anyway. Appenders never wait for it.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from sqlalchemy import BigInteger, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from exam_server.db import dialect_insert
from exam_server.events import merkle
from exam_server.events.batch import unnest
from exam_server.events.log import entry_bytes, entry_hash
from exam_server.events.models import Event, EventTree, EventTreeHead
from exam_server.events.signing import Signer, head_bytes, load_signer

log = logging.getLogger(__name__)
BATCH = 20_000  # entries folded per sitting per round; the rest wait for the next round


FULL_SCAN_ROUNDS = 60  # every this many rounds, look at the whole table, not only recent ids
RECENT_MARGIN = 10_000  # ids below the newest that may still be in flight when a round starts


def pending_logs(session: Session, since_id: int = 0) -> list[int]:
    """Logs with entries not yet in their tree, among entries with id > `since_id`."""
    logs = list(session.scalars(select(Event.chain).where(Event.id > since_id, Event.leaf_index.is_(None))
                                .distinct()))
    session.rollback()
    return logs


def _recent_logs(app: Flask, session: Session) -> list[int]:
    """Most rounds look only at recent entries (an index range on the primary key, not a scan of
    the whole log); every `FULL_SCAN_ROUNDS` rounds the whole table, for any entry that
    committed long after its id was drawn."""
    state = app.extensions.setdefault("exam_sequencer", {"since": 0, "round": 0})
    newest = session.scalar(select(func.max(Event.id))) or 0
    since = 0 if state["round"] % FULL_SCAN_ROUNDS == 0 else state["since"]
    state["round"] += 1
    state["since"] = max(0, newest - RECENT_MARGIN)
    return pending_logs(session, since)


def sequence_log(session: Session, signer: Signer, chain: int, limit: int = BATCH) -> int:
    """Fold up to `limit` new entries of one log and store a signed head; 0 when another
    process holds the log or nothing is new. Commits its own transaction."""
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = dialect_insert(session.get_bind().dialect.name)
    session.execute(insert(EventTree).values(chain=chain, size=0, frontier=[], root_hash=merkle.EMPTY_ROOT.hex())
                    .on_conflict_do_nothing())
    session.commit()
    query = select(EventTree).where(EventTree.chain == chain)
    tree = session.scalars(query.with_for_update(skip_locked=True) if postgres else query).first()
    if tree is None:  # another process is folding this log right now
        session.rollback()
        return 0
    pending = session.scalars(
        select(Event).where(Event.chain == chain, Event.leaf_index.is_(None)).order_by(Event.seq).limit(limit)
    ).all()
    if not pending:
        session.rollback()
        return 0
    frontier = merkle.Frontier(tree.size, [bytes.fromhex(h) for h in tree.frontier])
    leaves: dict[int, int] = {}
    for event in pending:
        if entry_hash(event) != event.hash:  # still appended: the log never drops what it holds
            log.warning("event %s (log %s) does not match its hash before sequencing", event.seq, chain)
        leaves[event.id] = frontier.size
        frontier.append(merkle.leaf_hash(entry_bytes(event)))
    _set_leaf_indexes(session, leaves, postgres)
    for event in pending:  # the loaded copies as stored (sessions here keep objects across commits)
        set_committed_value(event, "leaf_index", leaves[event.id])
    tree.size, tree.frontier = frontier.size, [h.hex() for h in frontier.hashes()]
    tree.root_hash = frontier.root().hex()
    timestamp = int(time.time() * 1000)
    session.add(EventTreeHead(
        chain=chain, tree_size=tree.size, root_hash=tree.root_hash, timestamp=timestamp, signer=signer.fingerprint,
        signature=signer.sign(head_bytes(chain, tree.size, tree.root_hash, timestamp)),
    ))
    session.commit()
    return len(pending)


def _set_leaf_indexes(session: Session, leaves: dict[int, int], postgres: bool) -> None:
    """Each entry's place in the tree, in one statement on PostgreSQL (the two columns as arrays)
    instead of one UPDATE per entry through the ORM: a start or a submit storm folds thousands."""
    if postgres:
        rows = unnest(("id", list(leaves), BigInteger), ("leaf", list(leaves.values()), BigInteger))
        session.execute(update(Event).where(Event.id == rows.c.id).values(leaf_index=rows.c.leaf)
                        .execution_options(synchronize_session=False))
        return
    session.execute(update(Event), [{"id": i, "leaf_index": leaf} for i, leaf in leaves.items()])  # by primary key


def run_once(app: Flask, session: Session, chain: int | None = None) -> int:
    """One round over every log with new entries (or just `chain`); returns entries folded."""
    signer = load_signer(app)
    logs = [chain] if chain is not None else _recent_logs(app, session)
    folded = 0
    for one in logs:
        while True:
            n = sequence_log(session, signer, one)
            folded += n
            if n < BATCH:
                break
    return folded

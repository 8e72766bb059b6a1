"""Several processes append to one sitting's log and run the sequencer at the same time
(real PostgreSQL, multiprocessing): every attempt's chain stays gapless and linked, every
entry lands in the tree exactly once, and every signed head agrees with the entries and with
the heads before it."""

from __future__ import annotations

import multiprocessing as mp
import random
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.events import merkle, sequencer
from exam_server.events.audit import audit_log, sequenced_leaves
from exam_server.events.log import Actor, append_event
from exam_server.events.models import Event, EventTreeHead
from exam_server.events.signing import head_bytes, trusted_certificates, verify_signature
from tests.server.conftest import make_app

pytestmark = pytest.mark.postgres
WORKERS, ROUNDS, ATTEMPTS = 4, 60, 6


def _worker(url: str, instance: str, sitting: int, worker: int, ready: mp.Barrier) -> None:
    app = make_app(url, Path(instance))
    rng = random.Random(worker)
    with app.app_context():
        ready.wait(timeout=600)  # spawning and importing is slow on a loaded machine
        for n in range(ROUNDS):
            # a transaction touches sometimes the room, then one or two attempts (shared by every
            # worker), in the order the services take them (room first, attempts by id)
            if rng.random() < 0.3:
                append_event(db, "room.paused", Actor(f"invigilator:w{worker}"), sitting_id=sitting, room_id=1)
            for attempt in sorted(rng.sample(range(1, ATTEMPTS + 1), rng.randint(1, 2))):
                append_event(db, "attempt.extended", Actor(f"invigilator:w{worker}"), sitting_id=sitting, room_id=1,
                             attempt_id=sitting * 100 + attempt, data={"worker": worker, "n": n})
            db.commit()
            if n % 7 == worker % 7:
                sequencer.run_once(app, db, sitting)
        db.get_bind().dispose()


def test_concurrent_appends_and_sequencers_keep_chains_and_heads_consistent(postgres_url: str,
                                                                            tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = make_app(postgres_url, instance)
    sitting = random.randint(10_000, 90_000) + int(uuid.uuid4().int % 1000)
    with app.app_context():
        sequencer.load_signer(app)  # the demo signer exists before the workers race to use it
    ctx = mp.get_context("spawn")
    ready = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_worker, args=(postgres_url, str(instance), sitting, w, ready))
             for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=900)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    with app.app_context():
        sequencer.run_once(app, db, sitting)
        entries = db.scalars(select(Event).where(Event.chain == sitting)).all()
        assert len(entries) >= WORKERS * ROUNDS
        certs = trusted_certificates(app)
        assert audit_log(db, sitting, certs) == []
        for attempt in range(1, ATTEMPTS + 1):
            chain = sorted((e for e in entries if e.stream == f"sitting:{sitting}/attempt:{sitting * 100 + attempt}"),
                           key=lambda e: e.stream_seq)
            assert [e.stream_seq for e in chain] == list(range(1, len(chain) + 1))
            assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))
        _, leaves = sequenced_leaves(db, sitting)
        assert len(leaves) == len(entries)  # every entry in the tree exactly once
        heads = db.scalars(select(EventTreeHead).where(EventTreeHead.chain == sitting)
                           .order_by(EventTreeHead.tree_size)).all()
        assert len(heads) > 1
        previous = None
        for head in heads:
            assert verify_signature(certs, head.signer, head_bytes(sitting, head.tree_size, head.root_hash,
                                                                   head.timestamp), head.signature)
            assert merkle.root(leaves[:head.tree_size]).hex() == head.root_hash
            if previous is not None:
                proof = merkle.consistency_proof(leaves[:head.tree_size], previous.tree_size)
                assert merkle.verify_consistency(previous.tree_size, head.tree_size, bytes.fromhex(previous.root_hash),
                                                 bytes.fromhex(head.root_hash), proof)
            previous = head
        assert heads[-1].tree_size == len(entries)
        db.get_bind().dispose()

"""The event log: chains per stream, sequenced into a signed Merkle tree; every kind of
tampering is named by the audit (and by `exam-server audit verify`); old chains migrate."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from sqlalchemy import delete, select, text, update

from exam_server.attempts.candidate import submit
from exam_server.db import session as db
from exam_server.events import merkle, sequencer
from exam_server.events.audit import Problem, audit_log, check_exported_heads, signed_heads
from exam_server.events.log import Actor, append_event, entry_hash
from exam_server.events.models import GENESIS, Event, EventChain, EventTree, EventTreeHead
from exam_server.events.signing import Signer, head_bytes, load_signer, trusted_certificates
from tests.server.conftest import make_app
from tests.support.seed import seed_sitting

EXAM_SERVER = str(Path(sys.executable).parent / "exam-server")


def _sat(n: int = 3) -> int:
    """A started sitting whose candidates all handed in, sequenced and signed."""
    seeded = seed_sitting(rooms=1, per_room=n, start=True)
    for attempt_id, reg_id in zip(seeded.attempt_ids, seeded.registration_ids, strict=True):
        submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
    sequencer.run_once(_app(), db, seeded.sitting_id)
    return seeded.sitting_id


def _app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


def _audit(chain: int) -> list[Problem]:
    db.expire_all()
    problems = audit_log(db, chain, trusted_certificates(_app()))
    db.rollback()
    return problems


def _kinds(problems: list[Problem]) -> set[str]:
    return {p.kind for p in problems}


def _attempt_stream(chain: int) -> list[Event]:
    stream = db.scalars(select(Event.stream).where(Event.chain == chain,
                                                   Event.stream.like(f"sitting:{chain}/attempt:%"))).first()
    return list(db.scalars(select(Event).where(Event.stream == stream).order_by(Event.stream_seq)))


def _rechain(entries: list[Event]) -> None:
    """What an administrator without the key can do: rewrite hashes and the tip to match."""
    prev = GENESIS
    for e in entries:
        e.prev_hash = prev
        e.hash = entry_hash(e)
        prev = e.hash
    db.execute(update(EventChain).where(EventChain.stream == entries[0].stream)
               .values(seq=entries[-1].stream_seq, hash=prev))
    db.commit()


def test_entries_chain_per_attempt_and_fold_into_a_signed_tree(app: Flask) -> None:
    chain = _sat()
    assert _audit(chain) == []
    entries = db.scalars(select(Event).where(Event.chain == chain)).all()
    assert all(e.leaf_index is not None for e in entries)
    assert sorted(e.leaf_index for e in entries) == list(range(len(entries)))
    streams = {e.stream for e in entries}
    assert any(s.startswith(f"sitting:{chain}/attempt:") for s in streams) and f"sitting:{chain}" in streams
    for stream in streams:  # every stream is its own gapless chain from the genesis hash
        mine = sorted((e for e in entries if e.stream == stream), key=lambda e: e.stream_seq)
        assert [e.stream_seq for e in mine] == list(range(1, len(mine) + 1))
        assert mine[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(mine, mine[1:], strict=False))
    tree = db.get(EventTree, chain)
    head = db.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)
                      .order_by(EventTreeHead.tree_size.desc())).first()
    assert tree is not None and head is not None and head.tree_size == tree.size == len(entries)
    # an independent check of the head: recompute the root from the entries, verify the signature
    ordered = sorted(entries, key=lambda e: e.leaf_index or 0)
    from exam_server.events.log import entry_bytes

    assert merkle.root([merkle.leaf_hash(entry_bytes(e)) for e in ordered]).hex() == head.root_hash
    signer = load_signer(app)
    public = signer.cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    import base64

    from cryptography.hazmat.primitives import hashes

    public.verify(base64.b64decode(head.signature), head_bytes(chain, head.tree_size, head.root_hash, head.timestamp),
                  ec.ECDSA(hashes.SHA256()))
    # nothing new: the sequencer signs no empty heads
    assert sequencer.run_once(app, db, chain) == 0


def test_an_edited_entry_is_named(app: Flask) -> None:
    chain = _sat()
    target = _attempt_stream(chain)[0]
    db.execute(update(Event).where(Event.id == target.id).values(reason="sửa lén"))
    db.commit()
    problems = _audit(chain)
    assert _kinds(problems) == {"edited"}
    assert problems[0].message == f"entry {target.seq}: content changed" and problems[0].entry == target.seq


def test_reordered_entries_are_named(app: Flask) -> None:
    chain = _sat()
    a, b = _attempt_stream(chain)[:2]
    (a_id, a_pos), (b_id, b_pos) = (a.id, a.stream_seq), (b.id, b.stream_seq)
    db.execute(update(Event).where(Event.id == a_id).values(stream_seq=-1))
    db.execute(update(Event).where(Event.id == b_id).values(stream_seq=a_pos))
    db.execute(update(Event).where(Event.id == a_id).values(stream_seq=b_pos))
    db.commit()
    problems = _audit(chain)
    assert "reordered" in _kinds(problems)
    assert any(p.kind == "reordered" and f"entry {a.seq}" in p.message and f"entry {b.seq}" in p.message
               for p in problems)


def test_recomputed_chain_is_caught_by_the_signed_head(app: Flask) -> None:
    chain = _sat()
    entries = _attempt_stream(chain)
    submitted = next(e for e in entries if e.action == "attempt.submitted")
    submitted.data = {**submitted.data, "score": 10.0}
    _rechain(entries)
    problems = _audit(chain)
    assert _kinds(problems) == {"recomputed"}, problems  # every chain verifies; only the signature knows
    assert "rewritten and their hashes recomputed" in problems[0].message


def test_a_head_signed_without_the_authority_key_is_forged(app: Flask) -> None:
    chain = _sat()
    entries = _attempt_stream(chain)
    entries[-1].reason = "đã sửa"
    _rechain(entries)
    # the administrator also rebuilds the tree and signs the heads with a key of their own
    from exam_server.events.log import entry_bytes
    from exam_server.results.package import generate_demo_signer

    key_path, cert_path = generate_demo_signer(Path(app.instance_path) / "rogue")
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    rogue = Signer(serialization.load_pem_private_key(key_path.read_bytes(), None),  # type: ignore[arg-type]
                   x509.load_pem_x509_certificate(cert_path.read_bytes()))
    ordered = db.scalars(select(Event).where(Event.chain == chain).order_by(Event.leaf_index)).all()
    leaves = [merkle.leaf_hash(entry_bytes(e)) for e in ordered]
    for head in db.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)):
        head.root_hash = merkle.root(leaves[:head.tree_size]).hex()
        head.signer = rogue.fingerprint
        head.signature = rogue.sign(head_bytes(chain, head.tree_size, head.root_hash, head.timestamp))
    db.commit()
    problems = _audit(chain)
    assert _kinds(problems) == {"forged"} and "does not verify with a trusted certificate" in problems[0].message


def test_a_truncated_chain_is_named_even_when_the_tip_is_rewritten(app: Flask) -> None:
    chain = _sat()
    entries = _attempt_stream(chain)
    last = entries[-1]
    db.execute(delete(Event).where(Event.id == last.id))
    db.commit()
    problems = _audit(chain)
    assert any(p.kind == "truncated" and p.message.startswith(f"{last.stream}: entry #{last.stream_seq} removed")
               for p in problems), problems
    # the administrator fixes the tip too: the chains agree, the signed tree does not
    db.execute(update(EventChain).where(EventChain.stream == last.stream)
               .values(seq=entries[-2].stream_seq, hash=entries[-2].hash))
    db.commit()
    problems = _audit(chain)
    assert problems and all(p.stream is None for p in problems)  # no chain problem left, only the tree's
    assert _kinds(problems) & {"deleted", "truncated"}


def test_a_deleted_chain_is_named(app: Flask) -> None:
    chain = _sat()
    stream = _attempt_stream(chain)[0].stream
    count = db.scalar(select(EventChain.seq).where(EventChain.stream == stream))
    db.execute(delete(Event).where(Event.stream == stream))
    db.commit()
    problems = _audit(chain)
    assert Problem("deleted", f"{stream}: all {count} entries deleted", stream) in problems
    db.execute(delete(EventChain).where(EventChain.stream == stream))
    db.commit()
    assert "deleted" in _kinds(_audit(chain))  # the tree still knows the positions were filled


def test_exported_heads_catch_a_log_rolled_back_with_its_heads(app: Flask) -> None:
    """The worst case: entries AND the newer heads deleted, the tree state rewound. Only a copy
    of the heads kept outside the database (the results package) can tell."""
    chain = _sat()
    early = db.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)).all()
    append_event(db, "results.published", Actor("examiner:x"), sitting_id=chain)
    db.commit()
    sequencer.run_once(app, db, chain)
    exported = signed_heads(db, chain)
    assert len(exported["heads"]) == len(early) + 1
    newest = exported["heads"][-1]
    assert merkle.verify_consistency(newest["consistency_from"], newest["tree_size"],
                                     bytes.fromhex(exported["heads"][-2]["root_hash"]),
                                     bytes.fromhex(newest["root_hash"]),
                                     [bytes.fromhex(p) for p in newest["consistency_proof"]])
    certs = trusted_certificates(app)
    assert check_exported_heads(db, exported, certs) == []
    # roll back: delete the last entry and its head, rewind the stream's tip
    last = db.scalars(select(Event).where(Event.chain == chain).order_by(Event.leaf_index.desc())).first()
    assert last is not None and last.action == "results.published"
    before = db.scalars(select(Event).where(Event.stream == last.stream, Event.stream_seq == last.stream_seq - 1)).one()
    db.execute(delete(EventTreeHead).where(EventTreeHead.chain == chain,
                                           EventTreeHead.tree_size == newest["tree_size"]))
    db.execute(delete(Event).where(Event.id == last.id))
    db.execute(update(EventChain).where(EventChain.stream == last.stream)
               .values(seq=before.stream_seq, hash=before.hash))
    db.commit()
    assert _audit(chain) == []  # the database alone is consistent again
    problems = check_exported_heads(db, exported, certs)
    assert [p.kind for p in problems] == ["truncated"]
    assert f"exported head at size {newest['tree_size']}" in problems[0].message


_OLD_INSERT = ("INSERT INTO events (chain, seq, at, action, actor, sitting_id, room_id, attempt_id, reason, data, "
               "prev_hash, hash) VALUES (7, :seq, :at, 'attempt.started', 'server', 7, 1, :seq, '', {data}, :prev, :hash)")
OLD_INSERT_SQLITE = text(_OLD_INSERT.format(data=":data"))
OLD_INSERT_PG = text(_OLD_INSERT.format(data="CAST(:data AS JSON)"))


def _old_hash(prev: str, fields: dict[str, Any]) -> str:
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + blob).encode()).hexdigest()


def _fresh_database(kind: str, tmp_path: Path, pg_admin: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    import psycopg

    name = f"exam_mig_{uuid.uuid4().hex[:10]}"
    assert pg_admin is not None
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg

        from tests.conftest import PG_ADMIN_URL

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_old_per_sitting_chains_migrate_and_stay_verifiable(kind: str, tmp_path: Path,
                                                            request: pytest.FixtureRequest) -> None:
    from exam_server.app import create_app
    from exam_server.migrations import upgrade
    from tests.conftest import PG_ADMIN_URL

    if kind == "postgresql":
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    url = _fresh_database(kind, tmp_path, PG_ADMIN_URL)
    request.addfinalizer(lambda: _drop_database(url))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url,
                      "SECRET_KEY": "x" * 32, "RATELIMIT_STORAGE_URI": "memory://",
                      "SOCKETIO_ASYNC_MODE": "threading", "REDIS_PREFIX": "mig-" + uuid.uuid4().hex[:6]})
    with app.app_context():
        upgrade(app, "0003_results")
        prev = GENESIS
        for seq in range(1, 6):  # an old sitting chain, written by the old rule
            fields = {"chain": 7, "seq": seq, "at": f"2026-11-20T08:0{seq}:00+00:00", "action": "attempt.started",
                      "actor": "server", "actor_id": None, "sitting_id": 7, "room_id": 1, "attempt_id": seq,
                      "reason": "", "data": {"n": seq}}
            h = _old_hash(prev, fields)
            at: object = f"2026-11-20 08:0{seq}:00"
            if kind != "sqlite":
                at = datetime.fromisoformat(str(fields["at"]))
            db.execute(OLD_INSERT_SQLITE if kind == "sqlite" else OLD_INSERT_PG,
                       {"seq": seq, "at": at, "data": json.dumps({"n": seq}), "prev": prev, "hash": h})
            prev = h
        db.execute(text("INSERT INTO event_heads (chain, seq, hash) VALUES (7, 5, :h)"), {"h": prev})
        db.commit()
        upgrade(app)
        migrated = db.scalars(select(Event).where(Event.chain == 7).order_by(Event.seq)).all()
        assert {(e.stream, e.format) for e in migrated} == {("legacy:7", 1)}
        assert audit_log(db, 7) == []
        # new entries join the same sitting's log, after the old ones
        event = append_event(db, "sitting.ended", Actor("examiner:x"), sitting_id=7)
        db.commit()
        assert event.seq > 5 and event.stream == "sitting:7"
        assert sequencer.run_once(app, db, 7) == 6
        certs = trusted_certificates(app)
        assert audit_log(db, 7, certs) == []
        db.execute(update(Event).where(Event.chain == 7, Event.seq == 3).values(reason="sửa"))
        db.commit()
        problems = audit_log(db, 7, certs)
        assert Problem("edited", "entry 3: content changed", "legacy:7", 3) in problems
        db.rollback()
        db.get_bind().dispose()


@pytest.fixture()
def sitting_on_disk(tmp_path: Path) -> tuple[dict[str, str], int]:
    url = f"sqlite:///{tmp_path / 'exam.db'}"
    app = make_app(url, tmp_path / "instance")
    with app.app_context():
        chain = _sat(2)
    env = dict(os.environ, DATABASE_URL=url, EXAM_INSTANCE_PATH=str(tmp_path / "instance"),
               SECRET_KEY=app.config["SECRET_KEY"])
    env.pop("REDIS_URL", None)
    return env, chain


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXAM_SERVER, *args], env=env, capture_output=True, text=True, timeout=120)


def test_audit_verify_command_names_a_recomputed_chain_and_checks_package_heads(
        sitting_on_disk: tuple[dict[str, str], int], tmp_path: Path) -> None:
    env, chain = sitting_on_disk
    out = tmp_path / "goi"
    assert _cli(env, "export-results", "--sitting", str(chain), "--format", "csv", "--out", str(out)).returncode == 0
    heads_file = out / "nhat-ky-dau-cay.json"
    assert json.loads(heads_file.read_text(encoding="utf-8"))["heads"]
    verified = _cli(env, "verify-package", str(out))
    assert verified.returncode == 0, verified.stdout  # the heads are under the package's signature
    ok = _cli(env, "audit", "verify", "--sitting", str(chain), "--heads", str(heads_file))
    assert ok.returncode == 0, ok.stdout

    app = make_app(env["DATABASE_URL"], Path(env["EXAM_INSTANCE_PATH"]))
    with app.app_context():
        entries = _attempt_stream(chain)
        entries[0].reason = "viết lại"
        _rechain(entries)
    bad = _cli(env, "audit", "verify", "--sitting", str(chain), "--heads", str(heads_file))
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["kinds"] == {str(chain): ["recomputed"]}
    assert any("exported head" in p for p in report["problems"][str(chain)])

"""Verifying a sitting's log: every stream's chain, and the signed tree heads over all of it.

Each finding names its kind, so `exam-server audit verify` says what happened, not only that
something did:

* `edited`      an entry's content no longer matches its hash;
* `reordered`   entries swapped places (their content matches each other's position);
* `deleted`     entries missing inside a chain, a whole chain gone, or a tree position empty;
* `truncated`   entries removed at the end of a chain or below a signed head's size;
* `recomputed`  the chains verify, yet the entries disagree with a signed head: someone
                rewrote them and recomputed the hashes, which only the signing key could hide;
* `forged`      a tree head whose signature does not verify against a trusted certificate.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.events import merkle
from exam_server.events.log import entry_bytes
from exam_server.events.models import GENESIS, Event, EventChain, EventTreeHead
from exam_server.events.signing import head_bytes, verify_signature


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    stream: str | None = None
    entry: int | None = None  # the entry's seq

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hash_as(e: Event, **position: int) -> str:
    """The hash `e` would have with other position fields (to recognise a swap)."""
    saved = {k: getattr(e, k) for k in position}
    for k, v in position.items():
        setattr(e, k, v)
    try:
        return hashlib.sha256(entry_bytes(e)).hexdigest()
    finally:
        for k, v in saved.items():
            setattr(e, k, v)


def _content_problems(events: Sequence[Event]) -> list[Problem]:
    failing = [e for e in events if hashlib.sha256(entry_bytes(e)).hexdigest() != e.hash]
    problems: list[Problem] = []
    swapped: set[int] = set()
    if len(failing) <= 64:  # a pairwise search is cheap for a handful; a mass edit is just edits
        for i, a in enumerate(failing):
            for b in failing[i + 1:]:
                if a.id in swapped or b.id in swapped:
                    continue
                for fields in (("seq",), ("stream_seq",), ("seq", "stream_seq")):
                    if (_hash_as(a, **{f: getattr(b, f) for f in fields}) == a.hash
                            and _hash_as(b, **{f: getattr(a, f) for f in fields}) == b.hash):
                        swapped |= {a.id, b.id}
                        problems.append(Problem("reordered", f"entry {b.seq} and entry {a.seq} swapped places",
                                                a.stream, a.seq))
                        break
    problems += [Problem("edited", f"entry {e.seq}: content changed", e.stream, e.seq)
                 for e in failing if e.id not in swapped]
    return problems


def _span(first: int, last: int) -> str:
    return f"entry #{first}" if first == last else f"entries #{first}–#{last}"


def _stream_problems(stream: str, entries: list[Event], tip: EventChain | None) -> list[Problem]:
    problems: list[Problem] = []
    prev_hash, expected = GENESIS, 1
    for e in entries:
        if e.stream_seq != expected:
            if e.stream_seq > expected:
                problems.append(Problem("deleted", f"{stream}: {_span(expected, e.stream_seq - 1)} missing "
                                        f"before entry {e.seq}", stream, e.seq))
            else:
                problems.append(Problem("reordered", f"entry {e.seq}: out of order in {stream}", stream, e.seq))
        elif e.prev_hash != prev_hash:
            problems.append(Problem("edited", f"entry {e.seq}: link to previous entry broken", stream, e.seq))
        prev_hash, expected = e.hash, e.stream_seq + 1
    last = expected - 1
    if tip is None and entries:
        problems.append(Problem("deleted", f"{stream}: the chain's tip is missing (the next append would fail)",
                                stream))
    if tip is not None:
        if not entries and tip.seq > 0:
            problems.append(Problem("deleted", f"{stream}: all {tip.seq} entries deleted", stream))
        elif tip.seq > last:
            problems.append(Problem("truncated", f"{stream}: {_span(last + 1, tip.seq)} removed at the end "
                                    f"(the chain's tip is #{tip.seq})", stream))
        elif tip.seq == last and tip.hash != prev_hash:
            problems.append(Problem("edited", f"{stream}: chain tip does not match the last entry", stream))
    return problems


def leaves_of(events: Sequence[Event]) -> list[bytes]:
    return [merkle.leaf_hash(entry_bytes(e)) for e in events]


def _tree_problems(chain: int, events: list[Event], heads: Sequence[EventTreeHead],
                   certs: list[x509.Certificate] | None, chains_intact: bool) -> list[Problem]:
    problems: list[Problem] = []
    sequenced = sorted((e for e in events if e.leaf_index is not None), key=lambda e: e.leaf_index or 0)
    holes = [i for i, e in enumerate(sequenced) if e.leaf_index != i]
    if holes:
        first = holes[0]
        problems.append(Problem("deleted", f"log {chain}: tree position {first} is empty (entries deleted)"))
        sequenced = sequenced[:first]
    leaves = leaves_of(sequenced)
    good = 0
    for head in heads:
        if certs is not None and not verify_signature(
                certs, head.signer, head_bytes(chain, head.tree_size, head.root_hash, head.timestamp), head.signature):
            problems.append(Problem("forged", f"signed head at size {head.tree_size}: the signature does not verify "
                                    "with a trusted certificate"))
            continue
        if head.tree_size > len(leaves):
            problems.append(Problem("truncated" if not holes else "deleted",
                                    f"signed head at size {head.tree_size}: only {len(leaves)} entries remain"))
            break
        if merkle.root(leaves[:head.tree_size]).hex() != head.root_hash:
            kind = "recomputed" if chains_intact else "edited"
            problems.append(Problem(kind, f"signed head at size {head.tree_size} does not match the entries at "
                                    f"tree positions {good}–{head.tree_size - 1}"
                                    + (": they were rewritten and their hashes recomputed" if chains_intact else "")))
            break
        good = head.tree_size
    return problems


def load_log(session: Session, chain: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.chain == chain).order_by(Event.stream, Event.stream_seq)))


def audit_log(session: Session, chain: int, certs: list[x509.Certificate] | None = None) -> list[Problem]:
    """Every problem in one sitting's log. Signatures are checked when `certs` is given
    (the trusted certificates); without it only the heads' roots are compared."""
    events = load_log(session, chain)
    problems = _content_problems(events)
    streams: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        streams[e.stream].append(e)
    tips = {t.stream: t for t in session.scalars(select(EventChain).where(EventChain.chain == chain))}
    for stream in sorted(set(streams) | set(tips)):
        problems += _stream_problems(stream, streams.get(stream, []), tips.get(stream))
    heads = session.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)
                            .order_by(EventTreeHead.tree_size)).all()
    problems += _tree_problems(chain, events, heads, certs, chains_intact=not problems)
    return problems


def all_logs(session: Session) -> list[int]:
    found = set(session.scalars(select(Event.chain).distinct()))
    found |= set(session.scalars(select(EventChain.chain).distinct()))
    found |= set(session.scalars(select(EventTreeHead.chain).distinct()))
    return sorted(found)


def sequenced_leaves(session: Session, chain: int) -> tuple[list[Event], list[bytes]]:
    events = list(session.scalars(select(Event).where(Event.chain == chain, Event.leaf_index.is_not(None))
                                  .order_by(Event.leaf_index)))
    return events, leaves_of(events)


def head_dict(head: EventTreeHead) -> dict[str, Any]:
    return {"log": head.chain, "tree_size": head.tree_size, "root_hash": head.root_hash,
            "timestamp": head.timestamp, "signer": head.signer, "signature": head.signature}


def signed_heads(session: Session, chain: int) -> dict[str, Any]:
    """The signed heads of one log with consistency proofs between consecutive heads, as they
    travel in the results package: anyone holding it can later prove the log only grew."""
    _, leaves = sequenced_leaves(session, chain)
    heads = session.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)
                            .order_by(EventTreeHead.tree_size)).all()
    out, previous = [], 0
    for head in heads:
        item = head_dict(head)
        if previous and head.tree_size <= len(leaves):
            item["consistency_from"] = previous
            item["consistency_proof"] = [p.hex() for p in merkle.consistency_proof(leaves[:head.tree_size], previous)]
        out.append(item)
        previous = head.tree_size
    return {"format": "exam-event-tree-heads/1", "log": chain, "heads": out}


def check_exported_heads(session: Session, exported: dict[str, Any],
                         certs: list[x509.Certificate] | None) -> list[Problem]:
    """Compare heads kept outside the database (a results package) with the log as it is now:
    each must be signed, and the current tree must extend it (a consistency proof)."""
    chain = int(exported["log"])
    _, leaves = sequenced_leaves(session, chain)
    now_root = merkle.root(leaves)
    problems: list[Problem] = []
    for head in exported.get("heads", []):
        size, root_hex = int(head["tree_size"]), str(head["root_hash"])
        message = head_bytes(chain, size, root_hex, int(head["timestamp"]))
        if certs is not None and not verify_signature(certs, str(head["signer"]), message, str(head["signature"])):
            problems.append(Problem("forged", f"exported head at size {size}: the signature does not verify"))
            continue
        if size > len(leaves):
            problems.append(Problem("truncated", f"exported head at size {size}: the log now holds only "
                                    f"{len(leaves)} sequenced entries"))
            continue
        proof = merkle.consistency_proof(leaves, size)
        if not merkle.verify_consistency(size, len(leaves), bytes.fromhex(root_hex), now_root, proof):
            problems.append(Problem("recomputed", f"exported head at size {size}: the current log is not an "
                                    "extension of it (entries rewritten since)"))
    return problems


def entries_with_proofs(session: Session, chain: int, entries: Sequence[Event]) -> dict[str, Any]:
    """Entries for an appeal, each with its inclusion proof against the latest signed head, so
    the candidate's side can check them without trusting the database."""
    head = session.scalars(select(EventTreeHead).where(EventTreeHead.chain == chain)
                           .order_by(EventTreeHead.tree_size.desc()).limit(1)).first()
    _, leaves = sequenced_leaves(session, chain)
    out = []
    for e in entries:
        item: dict[str, Any] = {
            "seq": e.seq, "stream": e.stream, "stream_seq": e.stream_seq, "at": e.at.isoformat(),
            "action": e.action, "actor": e.actor, "reason": e.reason, "data": e.data,
            "prev_hash": e.prev_hash, "hash": e.hash, "leaf_index": e.leaf_index,
        }
        if head is not None and e.leaf_index is not None and e.leaf_index < head.tree_size <= len(leaves):
            item["inclusion_proof"] = [p.hex() for p in merkle.inclusion_proof(leaves[:head.tree_size], e.leaf_index)]
        out.append(item)
    return {"signed_head": head_dict(head) if head is not None else None, "entries": out}

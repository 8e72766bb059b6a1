"""Property: whatever mix of duplicates, reordering and concurrent connections the network
produces, the highest sequence number's value is what is stored, and every acknowledgement
agrees with it (saved/duplicate name their own sequence; superseded a higher one).

Second writers (issue #12): when some deliveries carry a sequence number with ANOTHER value
(two tabs that numbered their changes alike), no reply ever acknowledges a value the server
does not hold: the value first stored at a sequence wins it, every other value sent with that
sequence is answered `attempts.conflict` naming the stored one, and superseded replies name a
(seq, value) pair the server really stored."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scale.conftest import World, exam_socket, stored

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

# every example gets a (candidate, single-choice question) pair nobody used before
_slots = itertools.product(range(6), range(1, 13))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[tuple[int, str]], list[int]]:
    """Saves (seq, value) as the page numbered them, then as the network delivers them: any
    order, some repeated (journal replays), each on connection 0 or 1."""
    seqs = draw(st.lists(st.integers(1, 60), min_size=1, max_size=8, unique=True))
    values = {s: draw(st.sampled_from("ABCD")) for s in seqs}
    sent = draw(st.lists(st.sampled_from(seqs), min_size=len(seqs), max_size=2 * len(seqs)))
    sent = draw(st.permutations(sent + seqs))  # every save arrives at least once
    routes = draw(st.lists(st.integers(0, 1), min_size=len(sent), max_size=len(sent)))
    return [(s, values[s]) for s in sent], routes


@settings(max_examples=40, deadline=None)
@given(plan=deliveries())
def test_highest_sequence_wins_and_acks_agree(world: World, plan: tuple[list[tuple[int, str]], list[int]]) -> None:
    saves, routes = plan
    candidate, question = next(_slots)
    attempt = world.attempt(candidate)

    async def go() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with exam_socket(world, candidate) as a, exam_socket(world, candidate) as b:
            socks = (a, b)
            replies = await asyncio.gather(*(
                socks[route].call("save", {"attempt": attempt, "q": question, "seq": seq, "value": value})
                for (seq, value), route in zip(saves, routes, strict=True)))
            hello = await a.call("hello", {"attempt": attempt})
            return list(replies), hello

    replies, hello = asyncio.run(go())
    top = max(seq for seq, _ in saves)
    value_of = dict(saves)
    assert stored(world, attempt)[question] == (top, value_of[top])
    assert hello["answers"][str(question)] == {"value": value_of[top], "seq": top}
    assert all(r["ok"] for r in replies)
    for (seq, _), reply in zip(saves, replies, strict=True):
        assert reply["q"] == question and reply["seq"] == seq
        if reply["status"] in ("saved", "duplicate"):
            assert reply["stored_seq"] == seq
        else:
            assert reply["status"] == "superseded" and reply["stored_seq"] > seq
    # the top sequence was stored by exactly one of its deliveries; its repeats are duplicates
    top_statuses = sorted(r["status"] for (seq, _), r in zip(saves, replies, strict=True) if seq == top)
    assert top_statuses.count("saved") == 1


@st.composite
def rival_deliveries(draw: st.DrawFn) -> tuple[list[tuple[int, str]], list[int]]:
    """Like `deliveries`, but some deliveries carry their sequence number with another value."""
    saves, routes = draw(deliveries())
    rivals = draw(st.lists(st.booleans(), min_size=len(saves), max_size=len(saves)))
    if not any(rivals):
        rivals[draw(st.integers(0, len(saves) - 1))] = True
    other = {"A": "B", "B": "C", "C": "D", "D": "A"}
    return [(seq, other[value] if rival else value) for (seq, value), rival in zip(saves, rivals, strict=True)], routes


@settings(max_examples=30, deadline=None)
@given(plan=rival_deliveries())
def test_no_reply_acknowledges_a_value_the_server_does_not_hold(
        world: World, plan: tuple[list[tuple[int, str]], list[int]]) -> None:
    saves, routes = plan
    candidate, question = next(_slots)
    attempt = world.attempt(candidate)

    async def go() -> list[dict[str, Any]]:
        async with exam_socket(world, candidate) as a, exam_socket(world, candidate) as b:
            socks = (a, b)
            return list(await asyncio.gather(*(
                socks[route].call("save", {"attempt": attempt, "q": question, "seq": seq, "value": value})
                for (seq, value), route in zip(saves, routes, strict=True))))

    replies = asyncio.run(go())
    sent = defaultdict(set)
    for seq, value in saves:
        sent[seq].add(value)
    winner: dict[int, str] = {}  # the value the server stored at each sequence number
    for (seq, value), reply in zip(saves, replies, strict=True):
        assert reply["q"] == question and reply["seq"] == seq
        if reply["ok"] and reply["status"] == "saved":
            assert seq not in winner, "a sequence number was stored twice"
            winner[seq] = value
    top = max(sent)
    assert top in winner  # the highest sequence is always stored by one of its deliveries
    assert stored(world, attempt)[question] == (top, winner[top])
    for (seq, value), reply in zip(saves, replies, strict=True):
        if not reply["ok"]:
            assert reply["code"] == "attempts.conflict", reply
            assert reply["stored_seq"] == seq and reply["stored_value"] == winner[seq] != value
        elif reply["status"] == "duplicate":
            assert reply["stored_seq"] == seq and winner[seq] == value  # only the stored value is a duplicate
        elif reply["status"] == "superseded":
            assert reply["stored_seq"] > seq and reply["stored_value"] == winner[reply["stored_seq"]]
        else:
            assert reply["status"] == "saved" and reply["stored_seq"] == seq

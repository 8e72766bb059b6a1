"""Property: whatever mix of duplicates, reordering and concurrent connections the network
produces, the highest sequence number's value is what is stored, and every acknowledgement
agrees with it (saved/duplicate name their own sequence; superseded a higher one)."""

from __future__ import annotations

import asyncio
import itertools
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

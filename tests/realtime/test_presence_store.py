"""The Redis presence store against the real Redis: what `all` and `some` read is what the
connects, disconnects and SEB statuses wrote, also when `all` serves unchanged entries from its
memo of decoded entries (the overview reads a sitting's presence every second)."""

from __future__ import annotations

import uuid

from exam_server.realtime.presence import Presence, RedisPresence


def test_every_read_shows_the_latest_change_of_each_entry(redis_url: str) -> None:
    store = RedisPresence(redis_url, "test-" + uuid.uuid4().hex[:8])
    sitting = 7
    for attempt in (1, 2, 3):
        store.connected(sitting, attempt, f"sid-{attempt}")
    first = store.all(sitting)
    assert {a: p.online for a, p in first.items()} == {1: True, 2: True, 3: True}
    assert store.all(sitting) == first  # unchanged entries, from the memo

    store.disconnected(sitting, 2, "sid-2")
    store.set_seb(sitting, 3, "seb.config_key_mismatch")
    store.connected(sitting, 4, "sid-4")
    second = store.all(sitting)
    assert second[1] == first[1]
    assert second[2].online is False and second[2].since is not None
    assert second[3] == Presence(True, first[3].since, "seb.config_key_mismatch")
    assert second[4].online is True
    assert store.some(sitting, [2, 3, 99]) == {2: second[2], 3: second[3]}

    store.connected(sitting, 2, "sid-2b")  # back online: a new entry text, decoded anew
    assert store.all(sitting)[2].online is True


def test_the_memo_is_bounded(redis_url: str) -> None:
    store = RedisPresence(redis_url, "test-" + uuid.uuid4().hex[:8])
    store._MEMO_MAX = 2  # type: ignore[misc]  # a small bound to reach
    for attempt in range(1, 9):
        store.connected(1, attempt, f"sid-{attempt}")
    assert len(store.all(1)) == 8
    store._memo[b"an entry no longer stored"] = Presence()
    assert len(store._memo) > 2  # eight entries, written at different moments
    read = store.all(1)  # the memo was over its bound: emptied, then filled by this read only
    assert len(read) == 8 and b"an entry no longer stored" not in store._memo
    assert 1 <= len(store._memo) <= 8  # one per distinct stored text

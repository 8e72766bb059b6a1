"""Who is connected and since when, and their SEB status — shared by every server process.

With Redis (several processes) the facts live in one Redis hash per sitting so any process
can answer a dashboard's snapshot; without Redis one process holds them in memory. Each
candidate socket is counted per attempt so two tabs (or a reconnect that overtakes the old
socket's disconnect) never show a connected candidate as offline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any, Protocol

_DECODER = json.JSONDecoder()


@dataclass
class Presence:
    online: bool = False
    since: float | None = None  # epoch seconds of the last connect/disconnect
    seb: str = ""  # "" not required | "ok" | a seb.* reason key

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PresenceStore(Protocol):
    def connected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence: ...
    def disconnected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence: ...
    def set_seb(self, sitting_id: int, attempt_id: int, status: str) -> None: ...
    def all(self, sitting_id: int) -> dict[int, Presence]: ...
    def some(self, sitting_id: int, attempt_ids: Collection[int]) -> dict[int, Presence]:
        """`all` for these attempts only (those presence knows of)."""
    def forgotten(self, worker: str) -> bool: ...


class MemoryPresence:
    """One process, no Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[int, dict[int, Presence]] = {}
        self._sids: dict[int, set[str]] = {}

    def _get(self, sitting_id: int, attempt_id: int) -> Presence:
        return self._data.setdefault(sitting_id, {}).setdefault(attempt_id, Presence())

    def connected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence:
        with self._lock:
            sids = self._sids.setdefault(attempt_id, set())
            p = self._get(sitting_id, attempt_id)
            if not sids:
                p.online, p.since = True, time.time()
            sids.add(sid)
            return Presence(**p.to_dict())

    def disconnected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence:
        with self._lock:
            sids = self._sids.setdefault(attempt_id, set())
            sids.discard(sid)
            p = self._get(sitting_id, attempt_id)
            if not sids and p.online:
                p.online, p.since = False, time.time()
            return Presence(**p.to_dict())

    def set_seb(self, sitting_id: int, attempt_id: int, status: str) -> None:
        with self._lock:
            self._get(sitting_id, attempt_id).seb = status

    def all(self, sitting_id: int) -> dict[int, Presence]:
        with self._lock:
            return {a: Presence(**p.to_dict()) for a, p in self._data.get(sitting_id, {}).items()}

    def some(self, sitting_id: int, attempt_ids: Collection[int]) -> dict[int, Presence]:
        with self._lock:
            held = self._data.get(sitting_id, {})
            return {a: Presence(**held[a].to_dict()) for a in attempt_ids if a in held}

    def forgotten(self, worker: str) -> bool:
        return False  # lives and dies with the process that holds the connections


class RedisPresence:
    """Several processes: hash `<prefix>:presence:<sitting>` (attempt -> JSON) + a set of sids."""

    # Connect/disconnect update the JSON under a small Lua script so two processes never
    # interleave their read-modify-write.
    _CHANGE = """
    local setkey, hkey, field, sid, now, connecting = KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
    if connecting then redis.call('SADD', setkey, sid) else redis.call('SREM', setkey, sid) end
    redis.call('EXPIRE', setkey, 86400)
    local n = redis.call('SCARD', setkey)
    local raw = redis.call('HGET', hkey, field)
    local p = raw and cjson.decode(raw) or {online=false, since=cjson.null, seb=''}
    local online = n > 0
    if online ~= p.online then p.online = online; p.since = now end
    local out = cjson.encode(p)
    redis.call('HSET', hkey, field, out)
    redis.call('EXPIRE', hkey, 86400)
    return out
    """
    _PATCH = """
    local raw = redis.call('HGET', KEYS[1], ARGV[1])
    local p = raw and cjson.decode(raw) or {online=false, since=cjson.null, seb=''}
    p[ARGV[2]] = ARGV[3]
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
    redis.call('EXPIRE', KEYS[1], 86400)
    return 1
    """

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._memo: dict[bytes | str, Presence] = {}
        self._change = self._redis.register_script(self._CHANGE)
        self._patch = self._redis.register_script(self._PATCH)

    def _hkey(self, sitting_id: int) -> str:
        return f"{self._prefix}:presence:{sitting_id}"

    def _sids(self, attempt_id: int) -> str:
        return f"{self._prefix}:presence-sids:{attempt_id}"

    @staticmethod
    def _load(raw: bytes | str) -> Presence:
        # a decoder on text: `json.loads` of bytes first guesses their encoding, which was half
        # the cost of reading a sitting's 10,000 entries for each overview
        data = _DECODER.decode(raw.decode() if isinstance(raw, bytes) else raw)
        return Presence(bool(data.get("online")), data.get("since"), data.get("seb") or "")

    def connected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence:
        raw = self._change(keys=[self._sids(attempt_id), self._hkey(sitting_id)],
                           args=[attempt_id, sid, time.time(), "1"])
        return self._load(raw)

    def disconnected(self, sitting_id: int, attempt_id: int, sid: str) -> Presence:
        raw = self._change(keys=[self._sids(attempt_id), self._hkey(sitting_id)],
                           args=[attempt_id, sid, time.time(), "0"])
        return self._load(raw)

    def set_seb(self, sitting_id: int, attempt_id: int, status: str) -> None:
        self._patch(keys=[self._hkey(sitting_id)], args=[attempt_id, "seb", status])

    # Decoded entries by their stored text: a connected page's entry stays the same text from one
    # overview to the next, and decoding 10,000 of them every second was a twentieth of the
    # workers' CPU (py-spy, 10,000 writing). Shared, so never changed by a caller.
    _MEMO_MAX = 50_000

    def all(self, sitting_id: int) -> dict[int, Presence]:
        memo = self._memo
        if len(memo) > self._MEMO_MAX:
            memo.clear()
        found = {}
        for key, raw in self._redis.hgetall(self._hkey(sitting_id)).items():
            presence = memo.get(raw)
            if presence is None:
                presence = memo[raw] = self._load(raw)
            found[int(key)] = presence
        return found

    def some(self, sitting_id: int, attempt_ids: Collection[int]) -> dict[int, Presence]:
        ids = list(attempt_ids)
        if not ids:
            return {}
        found = self._redis.hmget(self._hkey(sitting_id), ids)
        return {a: self._load(raw) for a, raw in zip(ids, found, strict=True) if raw is not None}

    def forgotten(self, worker: str) -> bool:
        """True when Redis no longer holds this worker's marker: first use, or Redis restarted
        empty (it keeps nothing on disk), so the worker must register its connections again."""
        return bool(self._redis.set(f"{self._prefix}:presence-alive:{worker}", "1", nx=True))


def make_store(redis_url: str, prefix: str) -> PresenceStore:
    return RedisPresence(redis_url, prefix) if redis_url else MemoryPresence()

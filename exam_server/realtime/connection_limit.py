"""At most a few concurrent candidate sockets per attempt, across every server process.

The socket's event rate is limited per connection, so unlimited connections per attempt were
unlimited events. Two tabs and a reload that overtakes the old socket's disconnect are normal
(3 by default); the next connection is refused with `live.error.too_many_connections`.

With Redis each attempt has a sorted set of socket ids scored by an expiry time: a process that
dies without saying goodbye leaves entries that lapse after `TTL_S` (refreshed while the socket
sends events), so a crash never locks a candidate out for good. Without Redis one process counts.
"""

from __future__ import annotations

import threading
import time
from typing import Any

MAX_PER_ATTEMPT = 3
TTL_S = 30 * 60
REFRESH_S = 60

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class ConnectionLimit:
    """acquire() at the handshake, touch() on events, release() at disconnect."""

    def __init__(self, redis_url: str = "", prefix: str = "exam", limit: int = MAX_PER_ATTEMPT) -> None:
        self.limit = limit
        self._prefix = prefix
        self._lock = threading.Lock()
        self._local: dict[int, dict[str, float]] = {}  # attempt -> sid -> expiry (memory mode)
        self._touched: dict[str, float] = {}
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._acquire = self._redis.register_script(_ACQUIRE)

    def _key(self, attempt_id: int) -> str:
        return f"{self._prefix}:conns:{attempt_id}"

    def acquire(self, attempt_id: int, sid: str) -> bool:
        """True when the connection may stay; False when the attempt already holds `limit`."""
        now = time.time()
        if self._redis is not None:
            try:
                ok = self._acquire(keys=[self._key(attempt_id)],
                                   args=[now, now + TTL_S, sid, self.limit, TTL_S + 60])
            except Exception:  # Redis restarting: never lock a candidate out for it
                return True
            if ok:
                self._touched[sid] = now
            return bool(ok)
        with self._lock:
            sids = {s: exp for s, exp in self._local.get(attempt_id, {}).items() if exp > now}
            if sid not in sids and len(sids) >= self.limit:
                self._local[attempt_id] = sids
                return False
            sids[sid] = now + TTL_S
            self._local[attempt_id] = sids
            self._touched[sid] = now
            return True

    def touch(self, attempt_id: int, sid: str) -> None:
        """Keep a live socket counted (at most one store write a minute per socket)."""
        now = time.time()
        if now - self._touched.get(sid, 0.0) < REFRESH_S:
            return
        self._touched[sid] = now
        if self._redis is not None:
            try:
                self._redis.zadd(self._key(attempt_id), {sid: now + TTL_S}, xx=True)
            except Exception:  # Redis away: the entry lapses later, which only loosens the limit
                return
            return
        with self._lock:
            if sid in self._local.get(attempt_id, {}):
                self._local[attempt_id][sid] = now + TTL_S

    def release(self, attempt_id: int, sid: str) -> None:
        self._touched.pop(sid, None)
        if self._redis is not None:
            try:
                self._redis.zrem(self._key(attempt_id), sid)
            except Exception:  # lapses after TTL_S
                return
            return
        with self._lock:
            sids = self._local.get(attempt_id, {})
            sids.pop(sid, None)
            if not sids:
                self._local.pop(attempt_id, None)


def for_app(app: Any) -> ConnectionLimit:
    """The app's limiter (one per process), configured by `[security] max_connections_per_attempt`."""
    limit = app.extensions.get("exam_connection_limit")
    if limit is None:
        limit = app.extensions["exam_connection_limit"] = ConnectionLimit(
            app.config.get("REDIS_URL") or "", str(app.config.get("REDIS_PREFIX", "exam")),
            int(app.config.get("SECURITY_MAX_CONNECTIONS_PER_ATTEMPT") or MAX_PER_ATTEMPT))
    return limit

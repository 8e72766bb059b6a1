"""Simulated candidates and dashboards over the real protocol.

A candidate logs in with its one-time code (HTTP, for the session cookie), holds one socket on
`/exam`, waits for the start push, opens the paper it holds sealed since its first `hello` with the
pushed key (as the page does; `sealed=False`: fetches it with `hello` at the start), changes an answer every
`pace` seconds, and submits near the deadline. Like the browser page it keeps unacknowledged
changes in a numbered journal and replays them after every reconnect; an answer counts as
saved only when acknowledged. Every value sent and every acknowledgement is kept for the
zero-loss check against the database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from benchmarks.load.seed import Candidate
from benchmarks.load.wire import ConnectRefused, Disconnected, SocketIO


@dataclass
class Pace:
    low: float = 10.0
    high: float = 40.0
    compress: float = 1.0  # divide every think time (quick runs)

    def think(self) -> float:
        return random.uniform(self.low, self.high) / self.compress


@dataclass
class Metrics:
    ack_ms: list[float] = field(default_factory=list)
    acks: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    connect_failures: int = 0
    connect_failure_kinds: dict[str, int] = field(default_factory=dict)  # why: a refusal's code, else the error
    ack_conflicts: list[str] = field(default_factory=list)
    dashboard_lag_ms: list[float] = field(default_factory=list)
    dashboard_messages: int = 0
    ack_times: list[float] = field(default_factory=list)  # monotonic time of each ack (saves/s)


def _failure_kind(exc: BaseException) -> str:
    """A connect failure in a word: the server's refusal code, or the kind of error."""
    if isinstance(exc, ConnectRefused):
        try:
            return str(json.loads(str(exc)).get("code") or exc)[:60]
        except (ValueError, AttributeError):
            return str(exc)[:60]
    return type(exc).__name__


async def login(http: aiohttp.ClientSession, base: str, code: str | None = None,
                staff: tuple[str, str] | None = None) -> str:
    """The Cookie header of a fresh logged-in session (candidate code or staff login)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, connector=http.connector, connector_owner=False) as s:
        async with s.get(base + "/api/v1/auth/csrf") as r:
            token = (await r.json())["csrf_token"]
        if staff:
            path, body = "/api/v1/auth/login", {"username": staff[0], "password": staff[1]}
        else:
            path, body = "/api/v1/auth/candidate-login", {"code": code}
        async with s.post(base + path, json=body, headers={"X-CSRFToken": token}) as r:
            if r.status != 200:
                raise RuntimeError(f"login failed {r.status}: {await r.text()}")
        return "; ".join(f"{c.key}={c.value}" for c in jar)


def random_value(kind: str) -> Any:
    if kind == "single_choice":
        return random.choice("ABCD")
    if kind == "tf_cluster":
        return {s: random.random() < 0.5 for s in random.sample("abcd", random.randint(1, 4))}
    if kind == "short_answer4":
        return random.choice(["0,5", "-1,5", "12", "0,25", "3,14", "-2"])
    return None


class SimCandidate:
    def __init__(self, plan: Candidate, kinds: list[str], base: str, http: aiohttp.ClientSession,
                 metrics: Metrics, pace: Pace, *, clock_skew_s: float = 0.0, submits: bool = True,
                 sealed: bool = True, jitter_s: float = 2.0) -> None:
        self.plan = plan
        self.kinds = kinds
        self.base = base
        self.http = http
        self.m = metrics
        self.pace = pace
        self.skew = clock_skew_s  # this machine's clock is off by that much
        self.submits = submits
        self.cookie = ""
        self.sock: SocketIO | None = None
        self.writing = asyncio.Event()
        self.offset_ms = 0.0  # server clock - local clock, learnt from hello
        self.deadline_ms: int | None = None
        self.deadlines_seen: set[int] = set()
        self.seq = 0
        self.journal: dict[int, tuple[int, Any]] = {}  # seq -> (question, value), not yet acknowledged
        self.sent: dict[tuple[int, int], Any] = {}  # (question, seq) -> value
        self.acked: dict[tuple[int, int], Any] = {}  # (question, seq) -> value acknowledged as stored
        self.paper_at: float | None = None
        self.use_sealed = sealed  # keep the sealed paper of `hello`, open it with the pushed key
        self.jitter_s = jitter_s  # without it: fetch after a random delay up to this (as the page)
        self.sealed: dict[str, Any] | None = None
        self.opened_sealed = False  # the paper came from the sealed copy, not from a request
        self.submitted_at: float | None = None
        self.submit_sent_at: float | None = None
        self.blocked_until = 0.0  # network cut: no reconnect before
        self.finished = False
        self._lock = asyncio.Lock()
        self._retry: asyncio.Task[None] | None = None

    def local_ms(self) -> float:
        return (time.time() + self.skew) * 1000

    # -- connection -----------------------------------------------------------------------
    def _on_event(self, event: str, data: Any) -> None:
        if event == "state" and isinstance(data, dict):
            if data.get("deadline"):
                self.deadline_ms = data["deadline"]
                self.deadlines_seen.add(data["deadline"])
            if data.get("phase") == "writing":
                self._open_sealed(data.get("paper_key"))
                self.writing.set()
            elif data.get("phase") == "submitted":
                # collected (the deadline job, an invigilator): the page shows its receipt and
                # sends nothing more, as exam.js does; it does not submit again when it wakes
                self.finished = True

    def _open_sealed(self, key: Any) -> None:
        """The page's work at the start: decrypt the sealed copy with the pushed key (AES-GCM,
        the server's associated data); no request."""
        s = self.sealed
        if self.paper_at is not None or s is None or not isinstance(key, dict) or key.get("id") != s["id"]:
            return
        aad = json.dumps(["exam-paper", key["v"], key["sitting"], key["code"]], separators=(",", ":"),
                         ensure_ascii=False).encode()
        AESGCM(base64.b64decode(key["key"])).decrypt(base64.b64decode(s["nonce"]), base64.b64decode(s["ct"]), aad)
        self.paper_at = time.monotonic()
        self.opened_sealed = True

    async def connect(self) -> None:
        """Connect (retrying like socket.io-client: randomised back-off) and resynchronise."""
        delay = 0.5
        while not self.finished:
            wait = self.blocked_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            sock = SocketIO(self.http, self.base, "/exam", self.cookie, self._on_event)
            try:
                await sock.connect({"attempt": self.plan.attempt})
                self.sock = sock
                await self._hello()
                return
            except (TimeoutError, ConnectRefused, Disconnected, aiohttp.ClientError, OSError) as exc:
                self.m.connect_failures += 1
                kind = _failure_kind(exc)
                self.m.connect_failure_kinds[kind] = self.m.connect_failure_kinds.get(kind, 0) + 1
                await sock.close()
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 5.0)

    async def _hello(self) -> None:
        assert self.sock is not None
        sent = self.local_ms()
        held = self.sealed["id"] if self.use_sealed and self.sealed else None
        reply = await self.sock.call("hello", {"attempt": self.plan.attempt, "sealed": held})
        if not reply.get("ok"):
            raise Disconnected()
        if self.use_sealed and reply.get("sealed_paper"):
            self.sealed = reply["sealed_paper"]
        self.offset_ms = reply["server_time"] - (sent + self.local_ms()) / 2
        state = reply["state"]
        if state.get("deadline"):
            self.deadline_ms = state["deadline"]
            self.deadlines_seen.add(state["deadline"])
        self.seq = max(self.seq, reply.get("max_seq") or 0)
        if state["phase"] == "writing":
            if reply.get("paper") and self.paper_at is None:
                self.paper_at = time.monotonic()
            self._open_sealed(state.get("paper_key"))
            self.writing.set()
        elif state["phase"] == "submitted":
            self.finished = True

    async def supervise(self) -> None:
        """Reconnect whenever the socket drops, then replay the journal."""
        while not self.finished:
            sock = self.sock
            if sock is None:
                await self.connect()
                continue
            await sock.closed.wait()
            if self.finished:
                return
            self.m.reconnects += 1
            await asyncio.sleep(random.uniform(0.2, 1.0))
            await self.connect()
            await self.flush()

    async def cut(self, seconds: float) -> None:
        """The network goes away for `seconds` (no reconnection before it is back)."""
        self.blocked_until = time.monotonic() + seconds
        if self.sock is not None:
            await self.sock.close()

    # -- behaviour ------------------------------------------------------------------------
    async def run(self, stop_before_deadline_s: float, submit_window: tuple[float, float],
                  reconnect_p: float) -> None:
        await self.writing.wait()
        if self.paper_at is None and self.use_sealed:
            await asyncio.sleep(random.uniform(0, self.jitter_s))  # no sealed copy: jittered, as the page
        while self.paper_at is None and not self.finished:
            try:
                await self._hello()
            except (TimeoutError, Disconnected, AssertionError):
                await asyncio.sleep(0.5)
        while not self.finished:
            await asyncio.sleep(self.pace.think())
            deadline = self.deadline_ms or 0
            if self.local_ms() + self.offset_ms >= deadline - stop_before_deadline_s * 1000:
                break
            q = random.randrange(1, len(self.kinds) + 1)
            self.seq += 1
            value = random_value(self.kinds[q - 1])
            self.sent[(q, self.seq)] = value
            self.journal[self.seq] = (q, value)
            await self.flush()
            if random.random() < reconnect_p and self.sock is not None:
                await self.sock.close()  # a flaky network: the supervisor reconnects
        if not self.submits or self.finished:
            return
        # submit together at the deadline: a random moment of the last seconds (server clock)
        at = (self.deadline_ms or 0) - random.uniform(*submit_window) * 1000
        await asyncio.sleep(max(0.0, (at - self.local_ms() - self.offset_ms) / 1000))
        while not self.finished:
            await self.flush()
            try:
                assert self.sock is not None
                self.submit_sent_at = self.submit_sent_at or time.monotonic()
                reply = await self.sock.call("submit", {"attempt": self.plan.attempt})
            except (TimeoutError, Disconnected, AssertionError):
                await asyncio.sleep(0.5)
                continue
            if reply.get("ok") or reply.get("code") in ("attempts.refused_submitted", "attempts.already_submitted"):
                self.submitted_at = time.monotonic()
                self.finished = True
            else:
                self.m.refused[reply.get("code", "?")] = self.m.refused.get(reply.get("code", "?"), 0) + 1
                self.finished = True

    async def flush(self) -> None:
        """Send the journal in order; stop at the first unacknowledged entry (kept for later)."""
        async with self._lock:
            for seq in sorted(self.journal):
                q, value = self.journal[seq]
                sock = self.sock
                if sock is None or not sock.connected:
                    return
                started = time.monotonic()
                try:
                    ack = await sock.call("save", {"attempt": self.plan.attempt, "q": q, "seq": seq, "value": value})
                except (TimeoutError, Disconnected):
                    return
                now = time.monotonic()
                if ack.get("ok"):
                    self.m.ack_ms.append((now - started) * 1000)
                    self.m.ack_times.append(now)
                    self.m.acks += 1
                    self._check_ack(q, seq, value, ack)
                    del self.journal[seq]
                    continue
                code = ack.get("code", "?")
                self.m.refused[code] = self.m.refused.get(code, 0) + 1
                if ack.get("retry"):  # paused, locked, too fast, database away: send again later
                    self._retry_later()
                    return
                del self.journal[seq]

    def _retry_later(self, delay: float = 1.0) -> None:
        if self._retry is None or self._retry.done():
            async def again() -> None:
                await asyncio.sleep(delay)
                await self.flush()

            self._retry = asyncio.create_task(again())

    def _check_ack(self, q: int, seq: int, value: Any, ack: dict[str, Any]) -> None:
        if ack.get("q") != q or ack.get("seq") != seq:
            self.m.ack_conflicts.append(f"attempt {self.plan.attempt}: ack for q{ack.get('q')}/{ack.get('seq')} "
                                        f"answered q{q}/{seq}")
        if ack.get("status") in ("saved", "duplicate"):
            if ack.get("stored_seq") != seq:
                self.m.ack_conflicts.append(f"attempt {self.plan.attempt} q{q}: {ack}")
            previous = self.acked.setdefault((q, seq), value)
            if previous != value:
                self.m.ack_conflicts.append(f"attempt {self.plan.attempt} q{q} seq {seq} acked twice, different values")

    async def close(self) -> None:
        self.finished = True
        if self.sock is not None:
            await self.sock.close()


class Dashboard:
    """A monitor page: watches a sitting or a room and measures the lag of each new save it is
    shown (the row's last_save, stamped by the server at commit, against the arrival time)."""

    def __init__(self, base: str, http: aiohttp.ClientSession, cookie: str, target: dict[str, int],
                 metrics: Metrics) -> None:
        self.base, self.http, self.cookie, self.target, self.m = base, http, cookie, target, metrics
        self.last_save: dict[int, int] = {}
        self.sock: SocketIO | None = None
        self.finished = False
        self.messages_since: list[float] = []
        self.online: dict[int, tuple[bool, float]] = {}  # attempt -> (shown online, when last told)
        self.room_online: dict[int, tuple[int, float]] = {}  # sitting overview: room -> (online, when told)

    def _on_event(self, event: str, data: Any) -> None:
        if event != "rows" or not isinstance(data, dict):
            return
        now_ms = time.time() * 1000
        self.m.dashboard_messages += 1
        self.messages_since.append(time.monotonic())
        self._overview(data)
        for row in data.get("rows") or ():
            at, attempt = row.get("last_save"), row.get("attempt")
            if attempt:
                self.online[attempt] = (bool(row.get("online")), time.monotonic())
            if at and attempt and at > self.last_save.get(attempt, 0):
                if attempt in self.last_save:  # the first sighting may be an old save
                    self.m.dashboard_lag_ms.append(now_ms - at)
                self.last_save[attempt] = at

    def _overview(self, data: dict[str, Any]) -> None:
        """The sitting overview carries per-room aggregates, no rows (only changed rooms in a push)."""
        for room in data.get("overview") or ():
            if room.get("room") is not None:
                self.room_online[room["room"]] = (int(room.get("online") or 0), time.monotonic())

    async def run(self) -> None:
        while not self.finished:
            sock = SocketIO(self.http, self.base, "/monitor", self.cookie, self._on_event)
            try:
                await sock.connect({})
                self.sock = sock
                reply = await sock.call("watch", self.target)
                self._overview(reply)
                for row in reply.get("rows") or ():
                    if row.get("attempt"):
                        known = self.last_save.get(row["attempt"], 0)
                        self.last_save[row["attempt"]] = max(known, row.get("last_save") or 0)
                await sock.closed.wait()
            except (TimeoutError, ConnectRefused, Disconnected, aiohttp.ClientError, OSError):
                await sock.close()
            if not self.finished:
                self.m.reconnects += 1
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        self.finished = True
        if self.sock is not None:
            await self.sock.close()

"""A lean Socket.IO v5 / Engine.IO v4 client over one aiohttp websocket.

python-socketio's AsyncClient costs several tasks and a session per connection; thousands of
simulated candidates on the same two cores as the server need less. This speaks only what the
exam protocol uses: websocket transport, one namespace, events, acknowledgements, ping/pong.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class ConnectRefused(Exception):
    """The namespace refused the connection (CONNECT_ERROR) — the payload says why."""


class Disconnected(Exception):
    """The socket went away before the acknowledgement arrived."""


class SocketIO:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, namespace: str, cookie: str,
                 on_event: Callable[[str, Any], None] | None = None) -> None:
        self.http = http
        self.url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.namespace = namespace
        self.cookie = cookie
        self.on_event = on_event or (lambda _e, _d: None)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.pongs = 0  # Engine.IO pings answered (benchmarks/load/idle.py checks they were)

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed and not self.closed.is_set()

    async def connect(self, auth: dict[str, Any] | None = None, timeout: float = 20.0) -> None:
        self.closed.clear()
        self.ws = await self.http.ws_connect(self.url, headers={"Cookie": self.cookie},
                                             timeout=aiohttp.ClientWSTimeout(ws_close=timeout),
                                             autoping=False, max_msg_size=0)
        opened = await asyncio.wait_for(self.ws.receive(), timeout)
        if opened.type != aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
            raise ConnectRefused(f"engine.io open expected, got {opened.data!r}")
        await self.ws.send_str(f"40{self.namespace},{json.dumps(auth or {})}")
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), timeout)
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise ConnectRefused(f"socket closed during connect ({msg.type})")
            if msg.data == "2":
                await self.ws.send_str("3")
                self.pongs += 1
                continue
            if msg.data.startswith(f"40{self.namespace},"):
                break
            if msg.data.startswith(f"44{self.namespace},"):
                await self.ws.close()
                raise ConnectRefused(msg.data.split(",", 1)[1])
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        prefix = self.namespace + ","
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data: str = msg.data
                if data == "2":
                    await ws.send_str("3")
                    self.pongs += 1
                elif data.startswith("43" + prefix):
                    body = data[2 + len(prefix):]
                    i = body.index("[")
                    future = self._acks.pop(int(body[:i]), None)
                    if future is not None and not future.done():
                        args = json.loads(body[i:])
                        future.set_result(args[0] if args else None)
                elif data.startswith("42" + prefix):
                    body = data[2 + len(prefix):]
                    args = json.loads(body[body.index("["):])
                    self.on_event(args[0], args[1] if len(args) > 1 else None)
                elif data.startswith("41" + prefix) or data.startswith("1"):
                    break
        except (aiohttp.ClientError, asyncio.CancelledError, ConnectionError):
            pass
        finally:
            self._fail_pending()
            self.closed.set()
            if not ws.closed:
                await ws.close()

    def _fail_pending(self) -> None:
        for future in self._acks.values():
            if not future.done():
                future.set_exception(Disconnected())
        self._acks.clear()

    async def call(self, event: str, data: Any, timeout: float = 30.0) -> Any:
        """Emit `event` and wait for its acknowledgement."""
        if not self.connected:
            raise Disconnected()
        assert self.ws is not None
        self._next_id += 1
        ack_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        try:
            await self.ws.send_str(f"42{self.namespace},{ack_id}{json.dumps([event, data])}")
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._acks.pop(ack_id, None)
            raise Disconnected() from exc
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(ack_id, None)

    async def send_raw(self, text: str) -> None:
        """Write a frame as is (hostile-input tests)."""
        assert self.ws is not None
        await self.ws.send_str(text)

    async def close(self) -> None:
        """Drop the connection abruptly (no namespace disconnect), like a cut network cable."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.closed.set()

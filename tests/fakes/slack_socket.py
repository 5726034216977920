"""A local Socket Mode server: the websocket Slack hands out through `apps.connections.open`.

It greets a connecting client with `hello`, sends envelopes (`events_api`, `interactive`,
`slash_commands`) and collects the client's acknowledgements by `envelope_id`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_signing import event_envelope


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.port = 0
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._acked = asyncio.Condition()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test"

    async def start(self) -> FakeSocketModeServer:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_connected(self, *, within: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def send_event(self, event: dict[str, Any], *, event_id: str, retry_attempt: int = 0) -> str:
        """Send an Events API envelope; returns its envelope id."""
        payload = event_envelope(event, event_id=event_id)
        return await self.send("events_api", payload, retry_attempt=retry_attempt)

    async def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        assert self._socket is not None, "no client connected"
        envelope_id = f"env-{next(self._ids)}"
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self._socket.send_str(json.dumps(message))
        return envelope_id

    async def wait_ack(self, envelope_id: str) -> dict[str, Any]:
        async with self._acked:
            await asyncio.wait_for(self._acked.wait_for(lambda: envelope_id in self.acks), 5)
        return self.acks[envelope_id]

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._socket = socket
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self._record_ack(json.loads(message.data))
        return socket

    async def _record_ack(self, ack: dict[str, Any]) -> None:
        async with self._acked:
            self.acks[str(ack.get("envelope_id"))] = ack
            self._acked.notify_all()

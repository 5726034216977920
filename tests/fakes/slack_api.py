"""A fake Slack Web API: real HTTP (aiohttp.web) on a free 127.0.0.1 port.

Like bolt-python's tests/mock_web_api_server it answers with canned JSON and records every call
(method, parameters, headers, the client's TCP port) with counts per method. It keeps just enough
state to be believable: users by e-mail (`users.lookupByEmail`; `users.info` shows the address
in the profile), DM channels, posted messages with their `ts`, uploaded files. Tests script
failures with `fail_next` (an `ok: false` error, optionally with an HTTP status),
`rate_limit_next` (429 with Retry-After) and `drop_next` (the connection closes without an
answer), and await calls with `wait_for` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEAM_ID = "T0000TEAM"
BOT_USER_ID = "U0000BOT"
BOT_ID = "B0000BOT"


@dataclass(frozen=True)
class ApiCall:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    client_port: int
    query: str = ""


@dataclass
class _Scripted:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlackApi:
    """Start with `await api.start()`; point clients at `api.url`; `await api.stop()` at the end."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.users_by_email: dict[str, str] = {}
        self.deleted_users: set[str] = set()
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.socket_url: str | None = None
        self._scripted: dict[str, deque[_Scripted | None]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The Web API base URL (like https://slack.com/api/)."""
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scripting and inspection ---------------------------------------------------------

    def add_user(self, email: str, user_id: str, *, deleted: bool = False) -> None:
        self.users_by_email[email.lower()] = user_id
        if deleted:
            self.deleted_users.add(user_id)

    def fail_next(
        self, method: str, error: str, *, times: int = 1, status: int = 200, after: int = 0
    ) -> None:
        """Answer `times` calls of `method` with `ok: false, error`, after `after` normal answers."""
        self._scripted[method].extend([_NOT_SCRIPTED] * after)
        for _ in range(times):
            self._scripted[method].append(_Scripted(status, {"ok": False, "error": error}))

    def rate_limit_next(self, method: str, *, retry_after: int = 3, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After."""
        body = {"ok": False, "error": "ratelimited"}
        for _ in range(times):
            self._scripted[method].append(_Scripted(429, body, {"Retry-After": str(retry_after)}))

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Close the connection on the next `times` calls of `method` without answering."""
        for _ in range(times):
            self._scripted[method].append(None)

    def count(self, method: str) -> int:
        return Counter(call.method for call in self.calls)[method]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, *, within: float = 5.0) -> list[ApiCall]:
        """Wait until `method` was called `count` times (at most `within` seconds)."""
        await self.wait_until(lambda: self.count(method) >= count, within=within)
        return self.calls_to(method)

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checked after every call; fail after `within`
        seconds, a bound for a broken test, never a way to let time pass."""
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(predicate), within)
        except TimeoutError:
            summary = dict(Counter(call.method for call in self.calls))
            raise AssertionError(f"fake Slack: condition not met; calls: {summary}") from None

    def messages_to(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted to `channel`, oldest first."""
        return [message for (to, _), message in sorted(self.messages.items()) if to == channel]

    # -- the HTTP side ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = int(peer[1]) if peer else 0
        self.calls.append(ApiCall(method, params, dict(request.headers), port, request.query_string))
        scripted = self._scripted[method].popleft() if self._scripted[method] else _NOT_SCRIPTED
        if scripted is None:
            assert request.transport is not None
            request.transport.close()
            response = web.Response()
        elif scripted is not _NOT_SCRIPTED:
            response = web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        else:
            response = web.json_response(
                self._answer(method, params, request.headers.get("Authorization", ""))
            )
        async with self._changed:  # after the call's effect, so a waiting test sees it
            self._changed.notify_all()
        return response

    def _answer(self, method: str, params: dict[str, Any], authorization: str) -> dict[str, Any]:
        if not self._authorized(method, authorization):
            return {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        answer: dict[str, Any] = handler(params)
        return answer

    @staticmethod
    def _authorized(method: str, authorization: str) -> bool:
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        return authorization == f"Bearer {token}"

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        self.calls.append(ApiCall("upload", {"file_id": request.match_info["file_id"]}, {}, 0))
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    # -- canned Web API methods -----------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "coachbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = self.users_by_email.get(str(params.get("email", "")).lower())
        if user_id is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": self._user(user_id)}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if user_id not in self.users_by_email.values():
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(user_id)}

    def _user(self, user_id: str) -> dict[str, Any]:
        # The address is shown only to apps with users:read.email, which Coachbot's manifest asks.
        email = next(address for address, known in self.users_by_email.items() if known == user_id)
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "deleted": user_id in self.deleted_users,
            "is_bot": False,
            "profile": {"email": email, "real_name": "A Person"},
        }

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("users", ""))
        if not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user[1:]}}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params["channel"]), self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts, **_message(params)}
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params["channel"]), str(params["ts"]))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key].update(_message(params))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": params.get("text", "")}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": "V0001", **view}}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._file_ids):04d}"
        return {
            "ok": True,
            "file_id": file_id,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
        }

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params["files"]
        files = json.loads(files) if isinstance(files, str) else files
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1700000000 + n}.{n:06d}"


_NOT_SCRIPTED = _Scripted(0, None)


def _message(params: dict[str, Any]) -> dict[str, Any]:
    blocks = params.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    out: dict[str, Any] = {"text": params.get("text", "")}
    if blocks is not None:
        out["blocks"] = blocks
    if params.get("thread_ts"):
        out["thread_ts"] = params["thread_ts"]
    return out


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    raw = await request.read()
    if not raw:
        return params
    if request.content_type == "application/json":
        params.update(json.loads(raw))
    elif request.content_type in ("application/x-www-form-urlencoded", ""):
        params.update(parse_qsl(raw.decode()))
    return params

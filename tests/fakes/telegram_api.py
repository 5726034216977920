"""A fake Telegram Bot API: real HTTP on a free 127.0.0.1 port, for the real PTB client.

It answers the methods Coachbot uses much as Telegram does (offset semantics of getUpdates,
409 while a webhook is set, 400 for HTML Telegram cannot parse or for a text over 4,096
characters), records every call, and can be told to fail the next calls of a method (or of a
chat) with a 429, 403, 400 migrate_to_chat_id, 5xx, or a dropped connection.

Tests push updates (`push_text`, `push_start`, `push_callback`, ...) and wait for what they
expect with `wait_until`, which waits on a condition, never on a clock. A pushed message can be
a reply (`reply_to=` the id of a message in that chat, the bot's included), a group message
from a user (`push_group_text`), or a photo or document with a caption (`push_file`). The bot's
messages are kept in `messages`, as the edits left them.

    async with FakeTelegramApi() as api:
        adapter = TelegramAdapter(token=api.token, base_url=api.base_url, clock=clock)
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Coachbot",
    "username": "coachbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_DATE = 1_800_000_000  # a fixed Unix time: the fake has no clock
_TEXT_PARAMS = {"text", "caption", "callback_query_id", "url", "secret_token", "language_code", "filename"}
_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
}
_HTML_UNIT = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>|&(?:#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<&]")
CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Call:
    """One request the fake received, with its parameters decoded and the status it answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    status: int
    at: float | None = None  # the test's fake monotonic time when the call arrived, if stamped
    client_port: int | None = None  # the client's end of the TCP connection it came on

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: int | None
    remaining: int
    drop: bool = False
    after: int = 0  # calls that still pass before this failure starts

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.remaining <= 0 or self.method != method:
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class SentMessage:
    """A message the bot sent, as the fake keeps it (text without tags, like Telegram)."""

    chat_id: int
    message_id: int
    text: str | None
    html: str | None
    reply_markup: dict[str, Any] | None
    photo: Upload | None = None

    def as_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": _DATE,
            "chat": _chat(self.chat_id),
            "from": BOT_USER,
        }
        if self.text is not None:
            message["text"] = self.text
        if self.photo is not None:
            message["photo"] = [
                {"file_id": f"photo-{self.message_id}", "file_unique_id": "u", "width": 1, "height": 1}
            ]
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class FakeTelegramApi:
    """The fake server. Use as `async with`; `base_url` is scheme, host and port only."""

    token: str = TOKEN
    stamp: Callable[[], float] | None = None  # e.g. a FakeTimer's monotonic, to time calls
    # Benchmarks: (shortest, longest) seconds before each answer, drawn uniformly, as Telegram
    # takes 50-200 ms. Tests leave it None: a test never waits on the wall clock.
    latency: tuple[float, float] | None = None
    # Tests: while set and closed, every answer (but getUpdates') waits for it to open.
    answers_gate: asyncio.Event | None = None
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], SentMessage] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    usernames: dict[int, str] = field(default_factory=dict)  # user id -> @username (without @)
    base_url: str = ""
    parked_polls: int = 0
    _failures: list[_Failure] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _tick: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: bool = False
    _runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegramApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._on_request)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._notify()  # parked long polls answer [] at once
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests look at ----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """The text of every message sent (successfully), in order, optionally to one chat."""
        return [
            str(call.params["text"])
            for call in self.calls_to("sendMessage")
            if call.ok and (chat_id is None or call.chat_id == chat_id)
        ]

    @property
    def waiting_for_updates(self) -> bool:
        """A getUpdates call is parked (long polling) and nothing is pending: the bot is idle."""
        return self.parked_polls > 0 and not self.pending

    async def wait_until(self, predicate: Callable[[], bool], *, within: float = 5.0) -> None:
        """Wait until `predicate()` holds (re-checked at every call or update); fail after
        `within` seconds, a bound for a broken test, never a way to let time pass."""
        try:
            async with asyncio.timeout(within):
                await self._changes_until(predicate)
        except TimeoutError:
            raise AssertionError(f"fake Telegram: condition not met; calls: {self._summary()}") from None

    async def _changes_until(self, predicate: Callable[[], bool]) -> None:
        while True:
            tick = self._tick  # taken before the check, so no change between can be missed
            if predicate():
                return
            await tick.wait()

    def _summary(self) -> list[str]:
        return [f"{call.method}:{call.status}" for call in self.calls[-20:]]

    # --- failures --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        chat_id: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with this error,
        once `after` calls have passed normally."""
        self._failures.append(_Failure(method, status, description, parameters, chat_id, times, after=after))

    def rate_limit_next(
        self, method: str, *, retry_after: int, chat_id: int | None = None, times: int = 1
    ) -> None:
        self.fail_next(
            method,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            chat_id=chat_id,
            times=times,
        )

    def block_next(self, method: str = "sendMessage", *, chat_id: int | None = None, times: int = 1) -> None:
        self.fail_next(
            method,
            status=403,
            description="Forbidden: bot was blocked by the user",
            chat_id=chat_id,
            times=times,
        )

    def migrate_next(self, chat_id: int, *, to: int, method: str = "sendMessage") -> None:
        self.fail_next(
            method,
            status=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": to},
            chat_id=chat_id,
        )

    def server_error_next(self, method: str, *, status: int = 502, times: int = 1, after: int = 0) -> None:
        self.fail_next(method, status=status, description="Bad Gateway", times=times, after=after)

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Close the connection without answering the next `times` calls of `method`."""
        self._failures.append(_Failure(method, 0, "", None, None, times, drop=True))

    # --- updates ---------------------------------------------------------------------------

    def push_update(self, body: dict[str, Any]) -> int:
        """Queue an update (its `update_id` is assigned here) and return that id."""
        update_id = next(self._update_ids)
        for event in body.values():
            self._add_usernames(event)
        self.pending.append({"update_id": update_id, **body})
        self._notify()
        return update_id

    def _add_usernames(self, event: dict[str, Any]) -> None:
        """Fill in `usernames` where an update's sender or private chat has one."""
        for person in (event.get("from"), event.get("chat")):
            if isinstance(person, dict) and person.get("id") in self.usernames:
                person["username"] = self.usernames[person["id"]]

    def push_text(
        self, chat_id: int, text: str, *, first_name: str = "Ada", reply_to: int | None = None
    ) -> int:
        """A person writes in their private chat with the bot (chat id = user id), optionally
        as a reply to message `reply_to` of that chat."""
        user = _user(chat_id, first_name)
        message = self._incoming(_chat(chat_id, first_name), user, text, reply_to=reply_to)
        return self.push_update({"message": message})

    def push_start(self, chat_id: int, payload: str = "", *, first_name: str = "Ada") -> int:
        """A person opens a deep link (`/start <payload>`) or presses Start."""
        return self.push_update({"message": self.start_message(chat_id, payload, first_name=first_name)})

    def start_message(self, chat_id: int, payload: str = "", *, first_name: str = "Ada") -> dict[str, Any]:
        """The message Telegram makes of `/start <payload>`, for a test to deliver itself (webhook)."""
        text = f"/start {payload}".strip()
        message = self._incoming(_chat(chat_id, first_name), _user(chat_id, first_name), text)
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len("/start")}]
        return message

    def push_group_text(
        self, group_id: int, text: str, *, user_id: int, first_name: str = "Bo", reply_to: int | None = None
    ) -> int:
        """User `user_id` writes in a group, optionally as a reply to message `reply_to` there."""
        message = self._incoming(_chat(group_id), _user(user_id, first_name), text, reply_to=reply_to)
        return self.push_update({"message": message})

    def push_file(
        self,
        chat_id: int,
        *,
        kind: str = "photo",
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> int:
        """Someone sends a photo or a document (`kind`), with an optional caption, in a private
        chat (`user_id` defaults to the chat id) or a group."""
        message = self._incoming(_chat(chat_id, first_name), _user(user_id or chat_id, first_name), None)
        number = message["message_id"]
        if kind == "photo":
            message["photo"] = [
                {"file_id": f"in-photo-{number}", "file_unique_id": f"p{number}", "width": 1, "height": 1}
            ]
        else:
            message["document"] = {"file_id": f"in-doc-{number}", "file_unique_id": f"d{number}"}
        if caption is not None:
            message["caption"] = caption
        return self.push_update({"message": message})

    def push_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None, first_name: str = "Ada"
    ) -> int:
        """Someone presses a button under the bot's message `message_id`."""
        sent = self.messages.get((chat_id, message_id))
        message = (
            sent.as_json() if sent else {"message_id": message_id, "date": _DATE, "chat": _chat(chat_id)}
        )
        update_id = next(self._update_ids)
        query = {
            "id": f"cbq-{update_id}",
            "from": _user(user_id or chat_id, first_name),
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        }
        self._add_usernames(query)
        self.pending.append({"update_id": update_id, "callback_query": query})
        self._notify()
        return update_id

    def push_my_chat_member(self, chat_id: int, *, old: str, new: str, first_name: str = "Ada") -> int:
        """The bot's membership changed: "member" -> "kicked" is a person blocking the bot."""
        change = {
            "chat": _chat(chat_id, first_name),
            "from": _user(abs(chat_id), first_name),
            "date": _DATE,
            "old_chat_member": _member(old),
            "new_chat_member": _member(new),
        }
        return self.push_update({"my_chat_member": change})

    def push_migration(self, group_id: int, *, to: int) -> int:
        """The service message Telegram posts in a group that became a supergroup."""
        message = {
            "message_id": self._next_message_id(group_id),
            "date": _DATE,
            "chat": _chat(group_id),
            "from": _user(1, "Bo"),
            "migrate_to_chat_id": to,
        }
        return self.push_update({"message": message})

    def _incoming(
        self, chat: dict[str, Any], user: dict[str, Any], text: str | None, *, reply_to: int | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": _DATE,
            "chat": chat,
            "from": user,
        }
        if text is not None:
            message["text"] = text
        if reply_to is not None:
            message["reply_to_message"] = self._replied(chat, reply_to)
        return message

    def _replied(self, chat: dict[str, Any], message_id: int) -> dict[str, Any]:
        """The `reply_to_message` Telegram includes: the bot's message as it reads now."""
        sent = self.messages.get((chat["id"], message_id))
        if sent is not None:
            return sent.as_json()
        return {"message_id": message_id, "date": _DATE, "chat": chat, "text": "(someone's message)"}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    # --- the HTTP side ---------------------------------------------------------------------

    async def _on_request(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params, files = await _read_params(request)
        if request.match_info["token"] != self.token:
            return await self._record(method, params, files, _error(401, "Unauthorized"))
        failure = next((f for f in self._failures if f.matches(method, params)), None)
        if failure is not None and failure.after > 0:
            failure.after -= 1
            failure = None
        if failure is not None:
            failure.remaining -= 1
            if failure.drop:
                await self._record(method, params, files, _error(0, "dropped"))
                if request.transport is not None:
                    request.transport.close()
                return web.Response()
            return await self._record(
                method, params, files, _error(failure.status, failure.description, failure.parameters)
            )
        if method == "getUpdates":
            return await self._get_updates(params, files)
        handler = getattr(self, f"_api_{method}", None)
        response = handler(params, files) if handler else _error(404, "Not Found")
        await self._record(method, params, files, response, client_port=_client_port(request))
        if self.answers_gate is not None:
            await self.answers_gate.wait()
        if self.latency is not None:
            await asyncio.sleep(random.uniform(*self.latency))  # the answer's way back
        return response

    async def _record(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, Upload],
        response: web.Response,
        *,
        client_port: int | None = None,
    ) -> web.Response:
        self.calls.append(Call(method, params, files, response.status, self._now(), client_port))
        self._notify()
        return response

    def _now(self) -> float | None:
        return self.stamp() if self.stamp is not None else None

    def _notify(self) -> None:
        """Wake everyone waiting for a change (calls, updates): they re-check their condition."""
        self._tick.set()
        self._tick = asyncio.Event()

    async def _get_updates(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        if self.webhook is not None:
            return await self._record("getUpdates", params, files, _error(409, CONFLICT))
        offset = params.get("offset")
        if isinstance(offset, int):
            # Telegram forgets every update below the offset: they are confirmed.
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        self.calls.append(Call("getUpdates", params, files, 200, self._now()))
        if not self.pending and timeout > 0 and not self._closing:
            await self._park(timeout)
        self._notify()
        return _ok(self.pending[:limit] if not self._closing else [])

    async def _park(self, seconds: float) -> None:
        self.parked_polls += 1
        try:
            self._notify()
            async with asyncio.timeout(seconds):
                await self._changes_until(lambda: bool(self.pending) or self._closing)
        except TimeoutError:
            pass  # Telegram answers an empty list when the long poll times out
        finally:
            self.parked_polls -= 1

    # --- the methods -----------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        return _ok(BOT_USER)

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        problem = _check_text(params) or _check_markup(params.get("reply_markup"))
        if problem:
            return _error(400, problem)
        chat_id = int(params["chat_id"])
        text, markup = str(params["text"]), params.get("reply_markup")
        sent = SentMessage(chat_id, self._next_message_id(chat_id), _visible(text, params), text, markup)
        self.messages[(chat_id, sent.message_id)] = sent
        return _ok(sent.as_json())

    def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        if "photo" not in files:
            return _error(400, "Bad Request: there is no photo in the request")
        problem = _check_markup(params.get("reply_markup"))
        if problem:
            return _error(400, problem)
        chat_id = int(params["chat_id"])
        message_id = self._next_message_id(chat_id)
        sent = SentMessage(chat_id, message_id, None, None, params.get("reply_markup"), photo=files["photo"])
        self.messages[(chat_id, message_id)] = sent
        return _ok(sent.as_json())

    def _api_editMessageText(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        sent = self.messages.get((int(params.get("chat_id", 0)), int(params.get("message_id", 0))))
        if sent is None:
            return _error(400, "Bad Request: message to edit not found")
        problem = _check_text(params) or _check_markup(params.get("reply_markup"))
        if problem:
            return _error(400, problem)
        text, markup = _visible(str(params["text"]), params), params.get("reply_markup")
        if text == sent.text and markup == sent.reply_markup:
            return _error(400, NOT_MODIFIED)
        sent.text, sent.html, sent.reply_markup = text, str(params["text"]), markup
        return _ok(sent.as_json())

    def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        sent = self.messages.get((int(params.get("chat_id", 0)), int(params.get("message_id", 0))))
        if sent is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if markup == sent.reply_markup:
            return _error(400, NOT_MODIFIED)
        sent.reply_markup = markup
        return _ok(sent.as_json())

    def _api_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        self.callback_answers.append(params)
        return _ok(True)

    def _api_setMyCommands(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        self.commands[str(params.get("language_code", ""))] = list(params["commands"])
        return _ok(True)

    def _api_setWebhook(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        self.webhook = dict(params)
        return _ok(True)

    def _api_deleteWebhook(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.pending.clear()
        return _ok(True)

    def _api_getWebhookInfo(self, params: dict[str, Any], files: dict[str, Upload]) -> web.Response:
        info = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        return _ok(info)


# --- JSON shapes -------------------------------------------------------------------------------


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status or 500)


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "nl"}


def _chat(chat_id: int, first_name: str = "Ada") -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": first_name}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "Coaches"}


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _member(status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": BOT_USER}
    if status == "kicked":
        member["until_date"] = 0
    if status == "administrator":
        member |= dict.fromkeys(_ADMIN_RIGHTS, False)
    return member


def _client_port(request: web.Request) -> int | None:
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    return int(peer[1]) if peer else None


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        return dict(await request.json()), files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = Upload(value.filename, value.file.read())
        elif key in _TEXT_PARAMS:
            params[key] = str(value)
        else:
            params[key] = _decode(str(value))
    return params, files


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# --- Telegram's checks -------------------------------------------------------------------------


def _check_text(params: dict[str, Any]) -> str | None:
    """Telegram's complaint about a message text, or None if it would be accepted."""
    text = str(params.get("text", ""))
    if params.get("parse_mode") == "HTML":
        problem = html_problem(text)
        if problem:
            return f"Bad Request: can't parse entities: {problem}"
    visible = _visible(text, params)
    if not visible.strip():
        return "Bad Request: message text is empty"
    if len(visible.encode("utf-16-le")) // 2 > 4096:
        return "Bad Request: message is too long"
    return None


def _check_markup(markup: Any) -> str | None:
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _visible(text: str, params: dict[str, Any]) -> str:
    if params.get("parse_mode") != "HTML":
        return text
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` in parse mode HTML (stricter, never laxer), or None."""
    stack: list[str] = []
    for match in _HTML_UNIT.finditer(text):
        unit = match.group(0)
        if unit in ("<", "&"):
            return f"Unexpected {unit!r} at byte offset {match.start()}"
        closing, name, attributes = match.group(1), match.group(2), match.group(3)
        if name is None:
            continue  # a known entity
        name = name.lower()
        if name not in _ALLOWED_TAGS:
            return f'Unsupported start tag "{name}" at byte offset {match.start()}'
        if closing:
            if not stack or stack.pop() != name:
                return f'Unmatched end tag "{name}" at byte offset {match.start()}'
            continue
        problem = _tag_problem(name, attributes.strip(), stack)
        if problem:
            return problem
        stack.append(name)
    return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"' if stack else None


def _tag_problem(name: str, attributes: str, stack: list[str]) -> str | None:
    if name == "a" and not re.fullmatch(r'href="[^"<]*"', attributes):
        return "a tag needs one quoted href attribute"
    if name == "code" and attributes and not re.fullmatch(r'class="language-[\w+#-]+"', attributes):
        return "unsupported code attributes"
    if name not in ("a", "code", "span", "blockquote") and attributes:
        return f'unsupported attributes on "{name}"'
    if ("pre" in stack and name != "code") or "code" in stack:
        return f'"{name}" is not allowed inside pre or code'
    if name == "blockquote" and "blockquote" in stack:
        return "blockquotes can't be nested"
    return None


class FakeTimer:
    """A monotonic clock that only moves when someone sleeps on it: sleeping returns at once
    and moves time to the sleeper's wake-up moment. `sleeps` records every requested wait and
    `wakes` the moment each sleeper meant to wake (concurrent sleepers all read the latest
    `now` when they resume, so their own moment is only known here); `on_sleep` hooks run
    before time moves (to make something happen "meanwhile")."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.wakes: list[float] = []
        self.on_sleep: list[Callable[[], None]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake_at = self.now + seconds
        self.wakes.append(wake_at)
        for hook in self.on_sleep:
            hook()
        self.now = max(self.now, wake_at)
        await asyncio.sleep(0)  # a yield, not a wait: lets other tasks take their turn

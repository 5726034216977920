"""The Telegram adapter: python-telegram-bot's `Bot` over HTTP, translated to the core's messages.

Receiving runs in one of two modes:

- long polling (default): our own `getUpdates` loop, because the offset is what confirms an
  update to Telegram. The loop only moves the offset past an update after `on_inbound` for it
  returned, so a crash between fetch and handling loses nothing (PTB's `Updater` advances the
  offset as soon as updates are queued, which is why it is not used). The updates of one answer
  are handed over together, each chat's in order, so the core can commit them in one
  transaction;
- webhook: an aiohttp server that checks Telegram's secret header in constant time, awaits
  `on_inbound` and only then answers 200, so a failed update gets a non-2xx and is re-delivered.

Sending renders Markdown to Telegram HTML (`telegram_render`), sends images first, then the
text parts with the choices as an inline keyboard under the last one, each call spaced by the
process-wide `SendLimiter`. A message that `replaces` an earlier one (`<chat id>:<message id>`)
edits it instead (editMessageText: its text and keyboard); only a short text can replace one.
PTB's exceptions become `SendError`s the outbox dispatcher can act on.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import itertools
import json
import logging
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.adapters.base import InboundHandler
from bot.adapters.telegram_inbound import (
    ALLOWED_UPDATES,
    message_id,
    parse_message_id,
    telegram_identity,
    translate,
)
from bot.adapters.telegram_limits import RealTimer, SendLimiter, Timer
from bot.adapters.telegram_render import MESSAGE_LIMIT, escape, render_parts, utf16_length
from bot.domain.errors import (
    ChatMoved,
    ConfigError,
    PermanentSendError,
    RateLimited,
    RecipientBlocked,
    SendError,
)
from bot.domain.messages import (
    Choice,
    Inbound,
    InboundAck,
    MembershipChange,
    MembershipHandler,
    Outbound,
    Platform,
    SendReceipt,
)
from scheduler.clock import Clock

DEFAULT_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_LIMIT = 64
_NOTICE_LIMIT = 200  # answerCallbackQuery's text limit
# Bot API connections kept open: the dispatcher's sends in flight, edits and answers to presses.
_CONNECTIONS = 16
_MAX_BACKOFF = 30.0
_PROGRESS_LIMIT = 10_000
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Where Telegram posts updates (`url`, public) and where this process listens for them.

    `secret_token` is sent back by Telegram in every request's `X-Telegram-Bot-Api-Secret-Token`
    header; all instances behind one URL must share it. `path` defaults to the path of `url`.
    """

    url: str
    secret_token: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    path: str | None = None

    def __post_init__(self) -> None:
        if not _SECRET_TOKEN.fullmatch(self.secret_token):
            raise ConfigError("the webhook secret token must be 1-256 characters of A-Z a-z 0-9 _ -")
        if urlsplit(self.url).scheme != "https":
            raise ConfigError(f"the webhook URL must start with https:// (got {self.url!r})")

    @property
    def listen_path(self) -> str:
        return self.path or urlsplit(self.url).path or "/"


class TelegramAdapter:
    """The `ChatAdapter` for Telegram. One per bot token and process: its limiter is the
    process-wide account of Telegram's flood limits."""

    def __init__(
        self,
        *,
        token: str,
        clock: Clock,
        base_url: str = DEFAULT_BASE_URL,
        webhook: WebhookSettings | None = None,
        on_membership: MembershipHandler | None = None,
        limiter: SendLimiter | None = None,
        timer: Timer | None = None,
        poll_timeout: int = 30,
    ) -> None:
        if not token:
            raise ConfigError("the Telegram bot token is empty")
        base = base_url.rstrip("/")
        # Over plain http (a local Bot API server, the tests' fake) TLS is never used: skip
        # loading the certificate store, which costs a tenth of a second per client.
        # Over https, the certificate store is loaded once and shared by every client.
        tls = (
            {"verify": httpx.create_ssl_context()} if urlsplit(base).scheme == "https" else {"verify": False}
        )
        self._updates_request = _UpdatesRequest(connection_pool_size=1, httpx_kwargs=tls)
        _hide_unread_updates()
        self._bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=_Request(connection_pool_size=_CONNECTIONS, httpx_kwargs=tls),
            get_updates_request=self._updates_request,
        )
        self._clock = clock
        self._webhook = webhook
        self._on_membership = on_membership
        self._timer: Timer = timer or RealTimer()
        self._limiter = limiter or SendLimiter(timer=self._timer)
        self._poll_timeout = poll_timeout
        self._on_inbound: InboundHandler = _not_started
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._progress: dict[str, _Progress] = {}
        self._edits: set[asyncio.Task[None]] = set()

    @property
    def platform(self) -> Platform:
        return "telegram"

    def watch_membership(self, handler: MembershipHandler) -> None:
        """Report membership changes (blocked, unblocked, moved) to `handler` from now on."""
        self._on_membership = handler

    @property
    def limiter(self) -> SendLimiter:
        """The flood-limit account every send goes through (shared with edits)."""
        return self._limiter

    @property
    def webhook_address(self) -> tuple[str, int] | None:
        """The (host, port) the webhook server listens on, once started (port 0 -> the real one)."""
        if self._runner is None or not self._runner.addresses:
            return None
        host, port = self._runner.addresses[0][:2]
        return str(host), int(port)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, on_inbound: InboundHandler) -> None:
        """Check the token (getMe), then receive by webhook or long polling in the background."""
        if self._poller is not None or self._runner is not None:
            raise RuntimeError("the Telegram adapter is already started")
        await self._open()
        self._on_inbound = on_inbound
        self._stopping.clear()
        if self._webhook is not None:
            await self._start_webhook(self._webhook)
        else:
            await self._start_polling()

    async def stop(self) -> None:
        """Stop receiving (an update being handled is finished first) and close connections."""
        self._stopping.set()
        poller, self._poller = self._poller, None
        runner, self._runner = self._runner, None
        try:
            if poller is not None:
                await poller
            if runner is not None:
                await runner.cleanup()
            await asyncio.gather(*self._edits)
        finally:
            self._on_inbound = _not_started
            await self._bot.shutdown()

    async def username(self) -> str:
        """The bot's @username without the @, for deep links (`https://t.me/<name>?start=...`)."""
        await self._open()
        return self._bot.username

    async def register_commands(
        self,
        commands: Mapping[str, Sequence[tuple[str, str]]],
        *,
        default_language: str | None = None,
    ) -> None:
        """Set the command menu per language code (setMyCommands); `default_language`'s list is
        also set without a language, for people whose Telegram speaks another language."""
        await self._open()
        for language, entries in commands.items():
            menu = [BotCommand(name, description) for name, description in entries]
            await self._call(self._bot.set_my_commands(menu, language_code=language))
            if language == default_language:
                await self._call(self._bot.set_my_commands(menu))

    async def _open(self) -> None:
        try:
            await self._bot.initialize()
        except InvalidToken:
            # PTB's message carries the token: never let it reach a log.
            raise ConfigError("the Telegram bot token was rejected by the Bot API") from None
        except TelegramError as exc:
            raise _send_error(exc) from exc

    # --- receiving: polling ------------------------------------------------------------------

    async def _start_polling(self) -> None:
        # A webhook left from an earlier run makes getUpdates fail; deleting keeps its backlog.
        await self._call(self._bot.delete_webhook(drop_pending_updates=False))
        self._poller = asyncio.create_task(self._poll(), name="telegram-polling")

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        while not self._stopping.is_set():
            updates = await self._fetch(offset, failures=failures)
            if updates is None:
                failures += 1
                continue
            handled = await self._handle_batch(updates)
            if handled:
                offset = handled[-1] + 1
            failures = failures + 1 if len(handled) < len(updates) else 0
        await self._confirm(offset)

    async def _fetch(self, offset: int | None, *, failures: int) -> tuple[Update, ...] | None:
        """The next updates after backing off for earlier failures; None if fetching failed."""
        if failures:
            await self._until_stopped(self._timer.sleep(_backoff(failures)))
            if self._stopping.is_set():
                return ()
        fetch = self._bot.get_updates(
            offset=offset, timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        try:
            updates = await self._until_stopped(fetch) or ()
        except TelegramError as exc:  # the network, the server: back off
            _log.warning("telegram: getUpdates failed (%s)", type(exc).__name__)
            return None
        except Exception as exc:  # PTB could not read an update of the answer
            if self._updates_request.careful:  # the loop must outlive any failure; it backs off
                _log.warning("telegram: getUpdates failed (%s)", type(exc).__name__)
                return None
            self._updates_request.careful = True  # fetch the same updates again, carefully
            return ()
        self._updates_request.careful = False
        return updates

    async def _handle_batch(self, updates: Sequence[Update]) -> list[int]:
        """Handle a getUpdates answer; return the ids handled, in order, up to the first that
        failed (Telegram delivers it and those after it again; the core recognises the ones it
        handled already).

        Each chat's updates are handled one after the other, and a chat's failed update holds
        back its later ones, so a chat is never answered out of order. Different chats go side
        by side: the core commits events that arrive together in one transaction."""
        if self._stopping.is_set():
            return []
        chats: dict[tuple[str, int], list[Update]] = {}
        for update in updates:
            chat = update.effective_chat  # a group's id is negative: a key of its own kind
            key = ("chat", chat.id) if chat is not None else ("update", update.update_id)
            chats.setdefault(key, []).append(update)
        handled: set[int] = set()
        await asyncio.gather(*(self._handle_in_order(in_chat, handled) for in_chat in chats.values()))
        return list(itertools.takewhile(handled.__contains__, (update.update_id for update in updates)))

    async def _handle_in_order(self, updates: Sequence[Update], handled: set[int]) -> None:
        """One chat's updates, until one fails; the ids handled are added to `handled`."""
        for update in updates:
            if not await self._handle_logged(update):
                return
            handled.add(update.update_id)

    async def _confirm(self, offset: int | None) -> None:
        """Tell Telegram the last handled updates are done, so a restart does not refetch them."""
        if offset is None:
            return
        try:
            await self._bot.get_updates(offset=offset, limit=1, timeout=0, allowed_updates=ALLOWED_UPDATES)
        except TelegramError as exc:
            _log.info("telegram: final confirmation failed (%s)", type(exc).__name__)

    async def _until_stopped(self, work: Awaitable[_T]) -> _T | None:
        """`work`'s result, or None if `stop()` came first (then `work` is cancelled)."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None

    # --- receiving: webhook ------------------------------------------------------------------

    async def _start_webhook(self, settings: WebhookSettings) -> None:
        app = web.Application()
        app.router.add_post(settings.listen_path, functools.partial(self._on_webhook, settings.secret_token))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, settings.listen_host, settings.listen_port).start()
        # Listen first, then tell Telegram: its first POST must find us.
        await self._call(
            self._bot.set_webhook(
                url=settings.url,
                secret_token=settings.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
        )

    async def _on_webhook(self, secret_token: str, request: web.Request) -> web.Response:
        if not _same_secret(request.headers.get(SECRET_HEADER, ""), secret_token):
            return web.Response(status=403)
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            return web.Response(status=400)  # not an update: Telegram never sends that
        try:
            update = Update.de_json(body, self._bot)
        except Exception:
            # Re-delivery would not make it readable; skip it, as polling does.
            _log.warning("telegram: update %s could not be read; skipped", body["update_id"])
            return web.Response()
        if not await self._handle_logged(update):
            return web.Response(status=500)  # Telegram re-delivers it later
        return web.Response()

    # --- handling one update -----------------------------------------------------------------

    async def _handle_logged(self, update: Update) -> bool:
        try:
            await self._handle(update)
        except Exception as exc:
            # The type only: exception texts (e.g. SQL parameters) can carry personal content.
            _log.warning("telegram: update %s failed (%s)", update.update_id, type(exc).__name__)
            return False
        return True

    async def _handle(self, update: Update) -> None:
        event = translate(update, received_at=self._clock.now())
        if isinstance(event, MembershipChange):
            if self._on_membership is not None:
                await self._on_membership(event)
        elif isinstance(event, Inbound):
            ack = await self._on_inbound(event)
            if update.callback_query is not None:
                await self._acknowledge(update.callback_query, ack)

    async def _acknowledge(self, query: CallbackQuery, ack: InboundAck) -> None:
        """Answer a button press; for an accepted one, show the choice in place of the buttons.

        The press is recorded by now, so failures here are logged, never raised: raising would
        make Telegram re-deliver an update that already had its effect. The edit waits for its
        turn under the chat's rate limit in the background, so the next update is not held up.
        """
        notice = ack.notice[:_NOTICE_LIMIT] if ack.notice else None
        await self._best_effort(self._bot.answer_callback_query(query.id, text=notice))
        if ack.accepted and ack.chosen_label and query.message is not None:
            edit = asyncio.create_task(self._show_chosen(query.message, ack.chosen_label))
            self._edits.add(edit)
            edit.add_done_callback(self._edits.discard)

    async def _show_chosen(self, message: MaybeInaccessibleMessage, label: str) -> None:
        chat_id, message_id = message.chat.id, message.message_id
        try:
            await self._limiter.acquire(chat_id)
        except RateLimited:
            _log.info("telegram: chat %s busy, choice not shown on message %s", chat_id, message_id)
            return
        text = message.text_html if isinstance(message, Message) and message.text else None
        marked = f"{text}\n\n✓ {escape(label)}" if text else None
        if marked is not None and utf16_length(marked) <= MESSAGE_LIMIT:
            edit = self._bot.edit_message_text(
                marked, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
            )
        else:
            edit = self._bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        await self._best_effort(edit)

    async def _best_effort(self, call: Awaitable[object]) -> None:
        try:
            await call
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                _log.info("telegram: acknowledgement refused (%s)", exc.message)
        except TelegramError as exc:
            _log.info("telegram: acknowledgement failed (%s)", type(exc).__name__)

    # --- sending -----------------------------------------------------------------------------

    async def send(self, message: Outbound) -> SendReceipt:
        """Send images, then text parts (choices under the last), or edit the message it
        `replaces`; raise a `SendError` on failure.

        Parts already accepted by Telegram are remembered per `delivery_key`, so the outbox's
        retry after a failure half-way continues with the first part not yet sent.
        """
        if message.replaces is not None:
            return await self._replace(message, message.replaces)
        chat_id = _chat_id(message)
        steps = _steps(message)
        await self._open()
        progress = self._progress_of(message.delivery_key)
        for step in steps[progress.done :]:
            await self._limiter.acquire(chat_id)
            sent = await self._deliver(step, chat_id)
            progress.done += 1
            progress.message_id = sent.message_id
        self._progress.pop(message.delivery_key, None)
        return SendReceipt(platform_message_id=message_id(chat_id, progress.message_id))

    async def _replace(self, message: Outbound, replaced: str) -> SendReceipt:
        """Edit our message `replaced` to read as `message` (text and keyboard; none removes it)."""
        chat_id, replaced_id = _replaced_message(message, replaced, chat_id=_chat_id(message))
        html = _single_part(message)
        keyboard = _keyboard(message.choices)
        await self._open()
        await self._limiter.acquire(chat_id)
        try:
            await self._bot.edit_message_text(
                html,
                chat_id=chat_id,
                message_id=replaced_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():  # it already reads as `message`
                raise self._send_error(exc, chat_id=chat_id) from exc
        except TelegramError as exc:
            raise self._send_error(exc, chat_id=chat_id) from exc
        return SendReceipt(platform_message_id=message_id(chat_id, replaced_id))

    async def _deliver(self, step: _Step, chat_id: int) -> Message:
        try:
            if step.photo is not None:
                return await self._bot.send_photo(
                    chat_id,
                    photo=await _read_image(step.photo),
                    filename=Path(step.photo).name,
                    reply_markup=step.keyboard,
                )
            return await self._bot.send_message(
                chat_id, step.html, parse_mode=ParseMode.HTML, reply_markup=step.keyboard
            )
        except TelegramError as exc:
            raise self._send_error(exc, chat_id=chat_id) from exc

    async def _call(self, call: Awaitable[_T]) -> _T:
        """A call that sends no message (commands, webhook): errors mapped, no chat to pause."""
        try:
            return await call
        except TelegramError as exc:
            raise self._send_error(exc, chat_id=None) from exc

    def _send_error(self, exc: TelegramError, *, chat_id: int | None) -> SendError:
        if isinstance(exc, _FloodControl):
            # Telegram does not say which limit was hit. Our limiter keeps the bot under the
            # global rate, so a 429 on a send is that chat's; one without a chat is global.
            self._limiter.pause(seconds=exc.retry_after, chat_id=chat_id)
        return _send_error(exc, chat_id=chat_id)

    def _progress_of(self, delivery_key: str) -> _Progress:
        if delivery_key not in self._progress and len(self._progress) >= _PROGRESS_LIMIT:
            del self._progress[next(iter(self._progress))]  # the oldest unfinished send
        return self._progress.setdefault(delivery_key, _Progress())


# --- sending: plan and errors ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    """One Bot API call of a send: a photo (a local path) or a text part (HTML)."""

    photo: str | None = None
    html: str = ""
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(slots=True)
class _Progress:
    done: int = 0
    message_id: int = 0


def _steps(message: Outbound) -> list[_Step]:
    keyboard = _keyboard(message.choices)
    steps = [_Step(photo=path) for path in message.images]
    steps += [_Step(html=part) for part in _rendered(message.text)]
    if not steps:
        raise PermanentSendError(f"telegram: delivery {message.delivery_key} has nothing to send")
    if keyboard is not None:
        steps[-1] = replace(steps[-1], keyboard=keyboard)
    return steps


@functools.lru_cache(maxsize=512)
def _rendered(markdown: str) -> tuple[str, ...]:
    """`render_parts`, kept for the texts sent again and again (a nudge to a whole cohort, the
    same answer to many learners): parsing the Markdown is most of preparing a send."""
    return tuple(render_parts(markdown))


def _keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    for choice in choices:
        if not 1 <= len(choice.value.encode()) <= CALLBACK_DATA_LIMIT:
            raise PermanentSendError(
                f"telegram: a choice value must be 1-{CALLBACK_DATA_LIMIT} bytes (got {choice.value!r})"
            )
    return InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.value)] for c in choices])


def _replaced_message(message: Outbound, replaced: str, *, chat_id: int) -> tuple[int, int]:
    """(chat id, message id) of the message to edit. An id without a chat (a receipt from before
    ids named their chat) names a message in the recipient's chat."""
    try:
        return (chat_id, int(replaced)) if replaced.isdigit() else parse_message_id(replaced)
    except ValueError:
        raise PermanentSendError(
            f"telegram: delivery {message.delivery_key} replaces {replaced!r}, not a Telegram message id"
        ) from None


def _single_part(message: Outbound) -> str:
    """The HTML of a message that replaces another: one text message, no images."""
    parts = _rendered(message.text)
    if message.images or len(parts) != 1:
        raise PermanentSendError(
            f"telegram: delivery {message.delivery_key} cannot replace a message: "
            "only a text of one message, without images, can (an edit changes one message)"
        )
    return parts[0]


def _chat_id(message: Outbound) -> int:
    recipient = message.recipient
    try:
        if recipient.platform == "telegram":
            return int(recipient.external_id)
    except ValueError:
        pass
    raise PermanentSendError(f"telegram: delivery {message.delivery_key} is not for a Telegram chat")


async def _read_image(path: str) -> bytes:
    try:
        return await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise PermanentSendError(f"telegram: cannot read image {path} ({type(exc).__name__})") from exc


def _send_error(exc: TelegramError, *, chat_id: int | None = None) -> SendError:
    """The `SendError` for a PTB exception: what the outbox dispatcher needs to decide."""
    if isinstance(exc, _FloodControl):
        return RateLimited(
            f"telegram: flood control ({exc.retry_after} s)",
            retry_after=exc.retry_after,
            scope="global" if chat_id is None else "chat",
        )
    if isinstance(exc, ChatMigrated):
        return ChatMoved(
            f"telegram: chat {chat_id} moved to {exc.new_chat_id}",
            moved_to=telegram_identity(exc.new_chat_id),
        )
    if isinstance(exc, Forbidden):
        return RecipientBlocked(f"telegram: {exc.message}")
    if isinstance(exc, BadRequest):
        return PermanentSendError(f"telegram: {exc.message}")
    if isinstance(exc, InvalidToken):
        return SendError("telegram: the bot token was rejected")
    # NetworkError, TimedOut, 5xx, Conflict: try again later.
    return SendError(f"telegram: {type(exc).__name__}: {exc.message}")


async def _not_started(inbound: Inbound) -> InboundAck:
    raise RuntimeError("the Telegram adapter received an update before start()")


def _backoff(failures: int) -> float:
    return float(min(_MAX_BACKOFF, 2 ** (failures - 1)))


def _same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


# --- transport ---------------------------------------------------------------------------------


class _FloodControl(TelegramError):
    """A 429 (or any error naming `retry_after`), seconds as a float.

    Raised by `_Request` before PTB builds its `RetryAfter`, whose `retry_after` attribute
    issues a deprecation warning on every access in PTB 22.
    """

    __slots__ = ("retry_after",)

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Flood control exceeded. Retry in {retry_after} seconds")
        self.retry_after = retry_after


class _Request(HTTPXRequest):
    """PTB's httpx transport, reading `retry_after` off error responses itself."""

    __slots__ = ()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code >= 400:
            retry_after = _retry_after(payload)
            if retry_after is not None:
                raise _FloodControl(retry_after)
        return code, payload


class _UpdatesRequest(_Request):
    """getUpdates' transport. PTB parses a whole batch at once, so one update it cannot read
    (a field it does not know to be required) would fail every poll from then on. After such a
    failure the adapter sets `careful`, and fetches the same updates again: this transport then
    reduces an unreadable update to its id, the adapter skips it like any update it has no use
    for, and polling goes on. Only then: reading every answer twice cost a tenth of an inbound
    message's time (docs/performance.md). PTB logs the answer it could not read, content and
    all; `_HideUnreadUpdates` drops that record."""

    __slots__ = ("careful",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.careful = False

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        return code, (_readable_updates(payload) if code == 200 and self.careful else payload)


class _HideUnreadUpdates(logging.Filter):
    """Drops python-telegram-bot's log record of a getUpdates answer it could not read: the
    record holds the whole answer, messages and names included (nothing personal in logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error while parsing updates")


def _hide_unread_updates() -> None:
    logger = logging.getLogger("telegram.Bot")
    if not any(isinstance(known, _HideUnreadUpdates) for known in logger.filters):
        logger.addFilter(_HideUnreadUpdates())


def _readable_updates(payload: bytes) -> bytes:
    try:
        pristine = json.loads(payload)["result"]
        probed = json.loads(payload)["result"]  # a second copy: parsing consumes what it reads
    except (ValueError, KeyError, TypeError):
        return payload  # PTB reports a malformed answer itself
    if not isinstance(pristine, list):
        return payload
    readable = [_readable(update) for update in probed]
    if all(readable):
        return payload
    kept = [update if ok else _unreadable(update) for update, ok in zip(pristine, readable, strict=True)]
    return json.dumps({"ok": True, "result": kept}).encode()


def _readable(update: Any) -> bool:
    try:
        Update.de_json(update, None)
    except Exception:
        return False
    return True


def _unreadable(update: Any) -> dict[str, Any]:
    update_id = update.get("update_id") if isinstance(update, dict) else None
    _log.warning("telegram: update %s could not be read; skipped", update_id)
    return {"update_id": update_id}


def _retry_after(payload: bytes) -> float | None:
    try:
        parameters = json.loads(payload).get("parameters") or {}
        value = parameters.get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None

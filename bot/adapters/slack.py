"""The Slack adapter: bolt (HTTP or Socket Mode) in, the Web API out. It translates only.

Inbound: see `slack_inbound` for what becomes an `Inbound` and `slack_listeners` for the bolt
app. HTTP mode (no app token) serves `POST {path}` for events, interactivity and slash commands
on `host:port`, signature-checked; Socket Mode (an `xapp-` token) needs no public URL.

Outbound: `send` renders Markdown to Block Kit (`slack_render`), opens the learner's DM channel
once (`conversations.open`, cached), uploads local images with `files_upload_v2` (before the
text), posts each part paced per channel, and returns `<channel>:<ts>` of the last part, which
carries the buttons. Parts posted before a failure are remembered per delivery key (in memory),
so the outbox's retry posts only the rest. A message that `replaces` an earlier one
(`<channel>:<ts>`) is a `chat.update` of it instead, paced like a post; only a text that renders
as one message without uploaded images can replace one. Web API calls share one aiohttp session and have the
SDK's built-in retries switched off: the outbox decides about retries (see `slack_errors`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.base import HomeOpenedHandler, InboundHandler
from bot.adapters.slack_errors import AUTH_BROKEN, error_code, to_send_error
from bot.adapters.slack_home import render_home
from bot.adapters.slack_inbound import (
    Address,
    clicked_message_id,
    message_id,
    parse_address,
    parse_message_id,
)
from bot.adapters.slack_listeners import Listeners, build_bolt_app, library_logger
from bot.adapters.slack_pacer import ChannelPacer
from bot.adapters.slack_render import SlackMessage, answered_blocks, escape, render_message
from bot.adapters.slack_settings import DEFAULT_API_URL, SlackSettings
from bot.domain.errors import ConfigError, PermanentSendError, RateLimited
from bot.domain.home import HomeView
from bot.domain.messages import Identity, InboundAck, Outbound, Platform, SendReceipt
from scheduler.clock import Clock

_log = logging.getLogger(__name__)
_CALL_ERRORS = (SlackApiError, SlackRequestError, aiohttp.ClientError, asyncio.TimeoutError)
_PARTIAL_SENDS_KEPT = 1000
_NO_SUCH_USER = frozenset({"users_not_found", "user_not_found"})
_Step = tuple[Path, str] | SlackMessage  # an image upload (file, alt text) or a message part


class SlackAdapter:
    """A `ChatAdapter` for Slack that `ShowsHome` and is an `EmailDirectory`."""

    def __init__(
        self,
        *,
        bot_token: str,
        clock: Clock,
        signing_secret: str | None = None,
        app_token: str | None = None,
        api_url: str = DEFAULT_API_URL,
        host: str = "0.0.0.0",
        port: int = 3000,
        path: str = "/slack/events",
        session: aiohttp.ClientSession | None = None,
        pacer: ChannelPacer | None = None,
        on_home_opened: HomeOpenedHandler | None = None,
        timeout: float = 30.0,
        socket_ping_interval: float = 10.0,
    ) -> None:
        if app_token is None and not signing_secret:
            raise ConfigError("Config 'SLACK_SIGNING_SECRET' is missing: HTTP mode needs it")
        self._bot_token = bot_token
        self._clock = clock
        self._signing_secret = signing_secret or ""
        self._app_token = app_token
        self._api_url = api_url
        self._host, self._port, self._path = host, port, path
        self._given_session = session
        self._pacer = pacer or ChannelPacer()
        self._on_home_opened = on_home_opened
        self._timeout = timeout
        self._socket_ping_interval = socket_ping_interval
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._authorization: AuthorizeResult | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._dm_channels: dict[str, str] = {}
        self._partial: OrderedDict[str, list[str]] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(
        cls,
        settings: SlackSettings,
        *,
        clock: Clock,
        host: str = "0.0.0.0",
        port: int = 3000,
    ) -> SlackAdapter:
        """The adapter for `load_slack_settings(environ)` and the CLI's `--host`/`--port`; the
        App connects its home view (`watch_home_opened`)."""
        return cls(
            bot_token=settings.bot_token,
            signing_secret=settings.signing_secret,
            app_token=settings.app_token,
            api_url=settings.api_url,
            clock=clock,
            host=host,
            port=port,
        )

    @property
    def platform(self) -> Platform:
        return "slack"

    @property
    def bound_port(self) -> int | None:
        """The TCP port HTTP mode listens on (useful with port 0), None when not serving HTTP."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    @property
    def bot_user_id(self) -> str | None:
        """Our bot's own user id (from `auth.test` at start)."""
        return None if self._authorization is None else self._authorization.bot_user_id

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, on_inbound: InboundHandler) -> None:
        """Check the token (`auth.test`), then serve HTTP or connect Socket Mode; returns once
        receiving."""
        client = self._web_client()
        auth = await _checked_token("SLACK_BOT_TOKEN", "auth.test", client.auth_test)
        self._authorization = AuthorizeResult.from_auth_test_response(
            auth_test_response=auth, bot_token=self._bot_token
        )
        listeners = Listeners(
            on_inbound=on_inbound,
            clock=self._clock,
            bot_user_id=self._authorization.bot_user_id,
            on_click_answered=self._click_answered,
            on_direct_channel=self._dm_channels.__setitem__,
            on_home_opened=self._on_home_opened,
        )
        bolt = build_bolt_app(
            client=self._bolt_client(),
            signing_secret=self._signing_secret,
            authorization=self._authorization,
            listeners=listeners,
        )
        if self._app_token:
            await self._connect_socket_mode(bolt, self._app_token)
        else:
            await self._serve_http(bolt)

    async def stop(self) -> None:
        """Stop receiving, finish message updates under way, close the HTTP session."""
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await _close_socket_mode(socket)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._session is not None and self._given_session is None:
            await self._session.close()
        self._session = None
        self._client = None

    async def _serve_http(self, bolt: AsyncApp) -> None:
        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

        web_app = web.Application()
        web_app.router.add_post(self._path, handle)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        _log.info("slack: HTTP mode on port %s", self.bound_port)

    async def _connect_socket_mode(self, bolt: AsyncApp, app_token: str) -> None:
        # Ask for the websocket URL ourselves: a bad app token then fails start() with a clear
        # error, where the SDK's connect() would retry forever.
        opened = await _checked_token(
            "SLACK_APP_TOKEN",
            "apps.connections.open",
            lambda: bolt.client.apps_connections_open(app_token=app_token),
        )
        self._socket = AsyncSocketModeHandler(
            bolt, app_token=app_token, web_client=bolt.client, ping_interval=self._socket_ping_interval
        )
        self._socket.client.wss_uri = str(opened["url"])
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        _log.info("slack: Socket Mode connected")

    # -- outbound ---------------------------------------------------------------------------

    async def send(self, message: Outbound) -> SendReceipt:
        """Post one message (images first, then text parts, buttons on the last part), or update
        the message it `replaces` to read as this one."""
        address = _address(message.recipient.external_id)
        rendered = render_message(message.text, message.choices)
        if message.replaces is not None:
            return await self._replace(message, rendered.messages, message.replaces)
        images = _image_files(message.images, rendered.image_alts)
        steps: list[_Step] = [*images, *rendered.messages]
        if not steps:
            raise PermanentSendError("slack: empty message")
        channel = await self._channel_for(address)
        posted = self._posted_parts(message.delivery_key)
        for step in steps[len(posted) :]:  # parts posted by an earlier attempt are not re-sent
            posted.append(await self._post_step(step, channel=channel, thread_ts=address.thread_ts))
        self._partial.pop(message.delivery_key, None)
        return SendReceipt(platform_message_id=message_id(channel, posted[-1]))

    async def _replace(
        self, message: Outbound, parts: tuple[SlackMessage, ...], replaced: str
    ) -> SendReceipt:
        try:
            channel, ts = parse_message_id(replaced)
        except ValueError:
            raise PermanentSendError(f"slack: {replaced!r} is not a Slack message id to replace") from None
        if message.images or len(parts) != 1:
            raise PermanentSendError(
                "slack: only a text of one message, without uploaded images, can replace a message"
            )
        (part,) = parts
        await self._pacer.wait_turn(channel)
        client = self._web_client()
        await self._call(
            "chat.update",
            lambda: client.chat_update(channel=channel, ts=ts, text=part.text, blocks=list(part.blocks)),
            channel=channel,
        )
        return SendReceipt(platform_message_id=message_id(channel, ts))

    async def lookup_user_by_email(self, email: str) -> str | None:
        """The Slack user id for an e-mail address (`users.lookupByEmail`), None if no one."""
        # POSTed, not the SDK's GET: an address in a URL ends up in proxies' access logs.
        user = await self._user_call("users.lookupByEmail", {"email": email})
        return None if user is None else str(user["id"])

    async def email_of(self, external_id: str) -> str | None:
        """The e-mail address of a Slack user (`users.info`, scope `users:read.email`), None for
        a channel, an unknown, deleted or bot account, or when Slack does not show the address."""
        try:
            address = parse_address(external_id)
        except ValueError:
            return None
        if address.user is None:
            return None
        user = await self._user_call("users.info", {"user": address.user})
        email = ((user or {}).get("profile") or {}).get("email")
        return str(email) if email and not (user or {}).get("is_bot") else None

    async def _user_call(self, method: str, data: dict[str, str]) -> Mapping[str, Any] | None:
        """A `users.*` call's user, None when Slack has no such active user."""
        client = self._web_client()
        try:
            response = await client.api_call(method, data=data)
        except SlackApiError as error:
            if error_code(error) in _NO_SUCH_USER:
                return None
            raise to_send_error(error, method=method) from error
        except _CALL_ERRORS as error:
            raise to_send_error(error, method=method) from error
        user: Mapping[str, Any] = response.get("user") or {}
        return None if not user or user.get("deleted") else user

    def watch_home_opened(self, handler: HomeOpenedHandler) -> None:
        """Call `handler` whenever a user opens the App Home tab (set before `start`)."""
        self._on_home_opened = handler

    async def publish_home(self, recipient: Identity, view: HomeView) -> None:
        """Show `view` on a user's App Home tab (`views.publish`); `recipient` must be a user."""
        user = _address(recipient.external_id).user
        if user is None:
            raise PermanentSendError("slack: only a user has an App Home")
        client = self._web_client()
        blocks = render_home(view)
        await self._call("views.publish", lambda: client.views_publish(user_id=user, view=blocks))

    async def _post_step(self, step: _Step, *, channel: str, thread_ts: str | None) -> str:
        await self._pacer.wait_turn(channel)
        if isinstance(step, SlackMessage):
            return await self._post_message(step, channel=channel, thread_ts=thread_ts)
        return await self._upload(step, channel=channel, thread_ts=thread_ts)

    async def _post_message(self, part: SlackMessage, *, channel: str, thread_ts: str | None) -> str:
        client = self._web_client()
        response = await self._call(
            "chat.postMessage",
            lambda: client.chat_postMessage(
                channel=channel,
                text=part.text,
                blocks=list(part.blocks),
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            ),
            channel=channel,
        )
        return str(response["ts"])

    async def _upload(self, image: tuple[Path, str], *, channel: str, thread_ts: str | None) -> str:
        client = self._web_client()
        path, alt = image
        response = await self._call(
            "files.completeUploadExternal",
            lambda: client.files_upload_v2(
                file=str(path), filename=path.name, alt_txt=alt or None, channel=channel, thread_ts=thread_ts
            ),
            channel=channel,
        )
        return f"file-{(response.get('file') or {}).get('id', '')}"

    async def _channel_for(self, address: Address) -> str:
        if address.channel is not None:
            return address.channel
        user = str(address.user)
        if user not in self._dm_channels:
            client = self._web_client()
            response = await self._call("conversations.open", lambda: client.conversations_open(users=user))
            self._dm_channels[user] = str(response["channel"]["id"])
        return self._dm_channels[user]

    def _posted_parts(self, delivery_key: str) -> list[str]:
        posted = self._partial.setdefault(delivery_key, [])
        self._partial.move_to_end(delivery_key)
        while len(self._partial) > _PARTIAL_SENDS_KEPT:
            self._partial.popitem(last=False)
        return posted

    async def _call(
        self,
        method: str,
        call: Callable[[], Awaitable[AsyncSlackResponse]],
        *,
        channel: str | None = None,
    ) -> AsyncSlackResponse:
        """One Web API call, its failure translated into the `SendError` family."""
        try:
            return await call()
        except _CALL_ERRORS as error:
            failure = to_send_error(error, method=method)
            if isinstance(failure, RateLimited) and channel is not None and failure.retry_after:
                self._pacer.hold(channel, failure.retry_after)
            raise failure from error

    # -- after a click ----------------------------------------------------------------------

    def _click_answered(self, payload: Mapping[str, Any], answer: InboundAck) -> None:
        """Show the answer on the clicked message (in the background: the ack goes out now)."""
        clicked = clicked_message_id(payload)
        if clicked is None:
            return
        channel, _, ts = clicked.partition(":")
        message = payload.get("message") or {}
        # Without the message's blocks an update would erase its text: then leave it as it is.
        if answer.accepted and answer.chosen_label and message.get("blocks"):
            blocks = answered_blocks(message["blocks"], answer.chosen_label)
            text = str(message.get("text") or answer.chosen_label)
            self._spawn(self._update(channel=channel, ts=ts, text=text, blocks=blocks))
        if answer.notice:
            user = str((payload.get("user") or {}).get("id", ""))
            self._spawn(self._notify(channel=channel, user=user, notice=answer.notice))

    async def _update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        client = self._web_client()
        await self._call(
            "chat.update", lambda: client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        )

    async def _notify(self, *, channel: str, user: str, notice: str) -> None:
        client = self._web_client()
        await self._call(
            "chat.postEphemeral",
            lambda: client.chat_postEphemeral(channel=channel, user=user, text=escape(notice)),
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(_logged(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- the shared HTTP session ------------------------------------------------------------

    def _web_client(self) -> AsyncWebClient:
        if self._client is None:
            self._client = AsyncWebClient(
                token=self._bot_token,
                base_url=self._api_url,
                session=self._shared_session(),
                retry_handlers=[],  # the outbox decides about retries
                logger=library_logger("bot.adapters.slack.web"),
            )
        return self._client

    def _bolt_client(self) -> AsyncWebClient:
        # Bolt gets no token: it authorizes with our auth.test result (see build_bolt_app).
        return AsyncWebClient(
            base_url=self._api_url,
            session=self._shared_session(),
            retry_handlers=[],
            logger=library_logger("bot.adapters.slack.web"),
        )

    def _shared_session(self) -> aiohttp.ClientSession:
        if self._given_session is not None:
            return self._given_session
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._session


async def _checked_token(
    key: str, method: str, call: Callable[[], Awaitable[AsyncSlackResponse]]
) -> AsyncSlackResponse:
    """A start-up call whose refusal means the token in `key` is wrong: a ConfigError naming it."""
    try:
        return await call()
    except SlackApiError as error:
        if error_code(error) in AUTH_BROKEN:
            raise ConfigError(f"Config '{key}' was refused by Slack ({error_code(error)})") from None
        raise to_send_error(error, method=method) from error
    except _CALL_ERRORS as error:
        raise to_send_error(error, method=method) from error


def _address(external_id: str) -> Address:
    try:
        return parse_address(external_id)
    except ValueError:
        raise PermanentSendError("slack: recipient is not a Slack user or conversation id") from None


def _image_files(images: tuple[str, ...], alts: Mapping[str, str]) -> list[tuple[Path, str]]:
    files = []
    for image in images:
        path = Path(image)
        if not path.is_file():
            raise PermanentSendError(f"slack: image file not found: {path.name}")
        alt = alts.get(image) or next((a for src, a in alts.items() if src and image.endswith(src)), "")
        files.append((path, alt))
    return files


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception as error:
        # A message update is cosmetic: the choice is already recorded.
        _log.warning("slack: updating a message failed: %s", error)


async def _close_socket_mode(socket: AsyncSocketModeHandler) -> None:
    await socket.close_async()  # type: ignore[no-untyped-call]
    client = socket.client
    tasks = [client.message_processor, client.current_session_monitor, client.message_receiver]
    # close() cancels the client's tasks without waiting; wait so none outlives the loop.
    await asyncio.gather(*(t for t in tasks if t is not None), return_exceptions=True)

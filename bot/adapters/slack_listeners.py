"""The bolt app behind the Slack adapter: which Slack requests exist and how each becomes an
`Inbound`. Matching (bolt's listeners) is kept apart from translation (`slack_inbound`).

Every request is answered only after `on_inbound` returned (`process_before_response=True`), so
an event is acknowledged once its effects are committed; if `on_inbound` raises, Slack gets a 500
and retries. Every event type the manifest subscribes to has a listener, so none gets a 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import HomeOpenedHandler, InboundHandler
from bot.adapters.slack_inbound import (
    action_to_inbound,
    command_to_inbound,
    dm_channel_of,
    home_opened_user,
    message_to_inbound,
)
from bot.adapters.slack_render import escape
from bot.domain.messages import Identity, InboundAck
from scheduler.clock import Clock

ClickAnswered = Callable[[Mapping[str, Any], InboundAck], None]
DirectChannelSeen = Callable[[str, str], None]

_log = logging.getLogger(__name__)
_ANY = re.compile(r".*")


@dataclass(frozen=True, slots=True)
class Listeners:
    """Bolt listeners (bolt passes `body` and `ack` by name) that translate and hand over."""

    on_inbound: InboundHandler
    clock: Clock
    bot_user_id: str | None
    on_click_answered: ClickAnswered
    on_direct_channel: DirectChannelSeen
    on_home_opened: HomeOpenedHandler | None = None

    async def message(self, body: dict[str, Any]) -> None:
        seen = dm_channel_of(body)
        if seen is not None:
            self.on_direct_channel(*seen)
        inbound = message_to_inbound(body, received_at=self.clock.now(), bot_user_id=self.bot_user_id)
        if inbound is not None:
            await self.on_inbound(inbound)

    async def home_opened(self, body: dict[str, Any]) -> None:
        user = home_opened_user(body)
        if user is not None and self.on_home_opened is not None:
            await self.on_home_opened(Identity("slack", user))

    async def other_event(self, body: dict[str, Any]) -> None:
        # app_mention repeats a message that also arrives as message.channels; passing both on
        # would turn one message into two Inbounds with different event ids.
        _log.debug("slack event acknowledged without effect: %s", (body.get("event") or {}).get("type"))

    async def action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        inbound = action_to_inbound(body, received_at=self.clock.now())
        if inbound is None:
            await ack()
            return
        answer = await self.on_inbound(inbound)
        await ack()
        self.on_click_answered(body, answer)

    async def command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        answer = await self.on_inbound(command_to_inbound(body, received_at=self.clock.now()))
        if answer.notice:
            # A slash command's response body is shown to its user only: the place for a notice.
            await ack(text=escape(answer.notice), response_type="ephemeral")
        else:
            await ack()

    async def error(self, error: Exception, body: dict[str, Any]) -> None:
        # Type and ids only: an exception's message may quote personal content (SQL parameters).
        _log.error("slack request failed: %s (request %s)", type(error).__name__, _request_ref(body))


def build_bolt_app(
    *, client: AsyncWebClient, signing_secret: str, authorization: AuthorizeResult, listeners: Listeners
) -> AsyncApp:
    """A bolt AsyncApp that verifies signatures and routes every subscribed request to `listeners`.

    `authorization` comes from the adapter's own `auth.test` at start-up: bolt then never calls
    auth.test per request, so a failing auth.test cannot answer an event 200 and lose it.
    """

    async def authorize() -> AuthorizeResult:
        return authorization

    logger = library_logger("bot.adapters.slack.bolt")
    if not any(isinstance(f, _TokenNoticeFilter) for f in logger.filters):
        logger.addFilter(_TokenNoticeFilter())
    app = AsyncApp(
        name="coachbot",
        logger=logger,
        client=client,
        signing_secret=signing_secret,
        authorize=authorize,
        process_before_response=True,
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
    )
    app.event("message")(listeners.message)
    app.event("app_home_opened")(listeners.home_opened)
    app.event(_ANY)(listeners.other_event)
    app.action(_ANY)(listeners.action)
    app.command(_ANY)(listeners.command)  # /coach, or whatever name an admin gave it
    app.error(listeners.error)
    return app


def library_logger(name: str) -> logging.Logger:
    """A logger for bolt or slack_sdk, at WARNING unless configured: their INFO and DEBUG lines
    quote request bodies, which hold personal content."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


class _TokenNoticeFilter(logging.Filter):
    """Drops bolt's notice that SLACK_BOT_TOKEN from the environment goes unused: it does, on
    purpose (bolt authorizes with our auth.test result), so the notice would only alarm."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _request_ref(body: Mapping[str, Any]) -> str:
    for key in ("event_id", "trigger_id", "envelope_id"):
        if isinstance(body.get(key), str):
            return f"{key}={body[key]}"
    return "unknown"

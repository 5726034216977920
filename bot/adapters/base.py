"""The small interface every chat adapter implements: start, stop, send, and a callback.

Adapters translate only. They never decide what to say, whom to answer, or whether an event
is a duplicate: they turn platform events into `Inbound`, hand them to the callback, and
turn `Outbound` into platform calls, raising `SendError` subclasses on failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from bot.domain.home import HomeView
from bot.domain.messages import (
    Identity,
    Inbound,
    InboundAck,
    MembershipHandler,
    Outbound,
    Platform,
    SendReceipt,
)

InboundHandler = Callable[[Inbound], Awaitable[InboundAck]]
HomeOpenedHandler = Callable[[Identity], Awaitable[None]]


class ChatAdapter(Protocol):
    @property
    def platform(self) -> Platform: ...

    async def start(self, on_inbound: InboundHandler) -> None:
        """Begin receiving; every event becomes one `on_inbound` call, awaited before it is
        confirmed to the platform (so an event is never lost between fetch and handling)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections. Safe to call twice."""
        ...

    async def send(self, message: Outbound) -> SendReceipt:
        """Send one message or raise a `SendError` (RateLimited, RecipientBlocked, ...)."""
        ...


@runtime_checkable
class ReportsMembership(Protocol):
    """An adapter that also reports membership changes (blocked, unblocked, chat moved)."""

    def watch_membership(self, handler: MembershipHandler) -> None:
        """Call `handler` for every membership change from now on (set before `start`)."""
        ...


@runtime_checkable
class ShowsHome(Protocol):
    """An adapter whose platform shows each person a home view (Slack's App Home tab)."""

    def watch_home_opened(self, handler: HomeOpenedHandler) -> None:
        """Call `handler` whenever someone opens their home (set before `start`)."""
        ...

    async def publish_home(self, recipient: Identity, view: HomeView) -> None:
        """Show `view` as the recipient's home, replacing what it showed; raise a `SendError`
        on failure."""
        ...

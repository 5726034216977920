"""Fixtures for the Slack adapter tests (import them explicitly into a test module).

`slack_api` is the fake Web API, `core` a stand-in for the core's `on_inbound`, `http_adapter`
a started SlackAdapter in HTTP mode on a free port, `poster` posts signed requests to it, and
`fake_time` drives the channel pacer without real waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack_pacer import ChannelPacer
from bot.domain.messages import Identity, Inbound, InboundAck
from scheduler.clock import FrozenClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi
from tests.fakes.slack_signing import SIGNING_SECRET, SignedPoster

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class RecordingCore:
    """Records every Inbound and answers with `answer`; `fail_next` makes the next calls raise."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []
        self.answer = InboundAck(accepted=True)
        self.fail_next = 0
        self.failed = asyncio.Event()
        self.homes_opened: list[Identity] = []

    async def __call__(self, inbound: Inbound) -> InboundAck:
        if self.fail_next > 0:
            self.fail_next -= 1
            self.failed.set()
            raise RuntimeError("the database is unavailable")
        self.inbound.append(inbound)
        return self.answer

    async def home_opened(self, identity: Identity) -> None:
        self.homes_opened.append(identity)


class FakeTime:
    """A monotonic clock whose sleep only moves it forward, recording each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = await FakeSlackApi().start()
    yield api
    await api.stop()


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_adapter(
    api: FakeSlackApi,
    *,
    clock: FrozenClock,
    fake_time: FakeTime,
    core: RecordingCore | None = None,
    app_token: str | None = None,
    session: aiohttp.ClientSession | None = None,
    api_url: str | None = None,
) -> SlackAdapter:
    return SlackAdapter(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        app_token=app_token,
        api_url=api_url or api.url,
        clock=clock,
        host="127.0.0.1",
        port=0,
        session=session,
        pacer=ChannelPacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep),
        on_home_opened=core.home_opened if core else None,
        socket_ping_interval=1.0,
    )


@pytest.fixture
async def http_adapter(
    slack_api: FakeSlackApi, core: RecordingCore, clock: FrozenClock, fake_time: FakeTime
) -> AsyncIterator[SlackAdapter]:
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time, core=core)
    await adapter.start(core)
    yield adapter
    await adapter.stop()


@pytest.fixture
async def sender(
    slack_api: FakeSlackApi, clock: FrozenClock, fake_time: FakeTime
) -> AsyncIterator[SlackAdapter]:
    """An adapter used only to send (not started: sending needs no receiving)."""
    adapter = make_adapter(slack_api, clock=clock, fake_time=fake_time)
    yield adapter
    await adapter.stop()


@pytest.fixture
async def poster(http_adapter: SlackAdapter) -> AsyncIterator[SignedPoster]:
    async with aiohttp.ClientSession() as session:
        yield SignedPoster(session, f"http://127.0.0.1:{http_adapter.bound_port}/slack/events")

"""Benchmark: inbound Telegram messages handled per second by the full Coachbot, next to a bare
python-telegram-bot echo bot on the same fake Bot API, in one run; prints both and the ratio.

1. Coachbot: the real App (conversation chain, outbox, dispatcher, scheduler) with the real
   TelegramAdapter in long-polling mode on a real database (a fresh SQLite file, or
   `--database-url`). N learners are imported with a roster, each linked to their own
   Telegram chat and started; each sends one free-text message, which the bot answers (its
   short fallback answer) through the outbox. The adapter's flood limits (30 messages/s per
   bot, 1/s per chat) are LIFTED (`RateLimits.lifted()`): the bare bot has no limiter, and
   with them Coachbot would measure 30/s by construction. `--with-limits` adds a run with
   Telegram's limits on.
2. The bare bot: a PTB `Application` polling, one `MessageHandler` echoing the text back, no
   rate limiter, against a fresh fake with the same N messages queued. It runs in a fresh
   process of its own that imports only python-telegram-bot (bench/echo_apps.py).

The fake (tests/fakes/telegram_api.py) runs in a second process with all N updates queued
before the bot starts; it measures from the bot's first getUpdates to the N-th answer it
recorded (sendMessage). Both bots answer one message per chat. Each bot's process CPU during
its run is printed per answer.

Run: `.venv/bin/python bench/telegram_inbound.py [--messages N] [--database-url URL]
[--with-limits]`. A PostgreSQL URL must name an EMPTY database (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from inbound_common import (
    LEARNER_TEXT,
    EchoApp,
    PlatformProcess,
    Run,
    coachbot_app,
    describe_database,
    describe_machine,
    inbound_parser,
    prepare_learners,
    report_ratio,
    report_run,
    run_bench,
    until_stopped,
)

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_limits import RateLimits, SendLimiter
from bot.settings import BUNDLED_CONTENT
from content.loader import load_programs
from content.model import Program
from scheduler.clock import SystemClock
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi, Upload

FIRST_CHAT = 700_000_000  # private chats have positive ids
TIMEOUT = 600.0  # seconds the fake waits for all answers before it reports what it has


def chat_of(n: int) -> int:
    return FIRST_CHAT + n


# --- the fake, in its own process ----------------------------------------------------------


@dataclass
class _TimedTelegramApi(FakeTelegramApi):
    """The fake Bot API, stamping the first getUpdates and counting answers as they arrive."""

    expected: int = 0
    first_poll_at: float | None = None
    last_answer_at: float | None = None
    answered: int = 0
    chats: set[int] = field(default_factory=set)
    failed: int = 0
    all_answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def _get_updates(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        if self.first_poll_at is None:
            self.first_poll_at = time.perf_counter()
        return await super()._get_updates(params, files)

    def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        response = super()._api_sendMessage(params, files)
        if response.status != 200:
            self.failed += 1
            return response
        self.answered += 1
        self.chats.add(int(params["chat_id"]))
        if self.answered == self.expected:
            self.last_answer_at = time.perf_counter()
            self.all_answered.set()
        return response


def serve_fake(connection: Connection, count: int) -> None:
    """The platform process: a fresh fake with `count` messages queued, one per chat."""
    asyncio.run(_serve_fake(connection, count))


async def _serve_fake(connection: Connection, count: int) -> None:
    async with _TimedTelegramApi(expected=count) as api:
        for n in range(count):
            api.push_text(chat_of(n), LEARNER_TEXT)
        connection.send(api.base_url)
        with contextlib.suppress(TimeoutError):  # then the report says what is missing
            await asyncio.wait_for(api.all_answered.wait(), TIMEOUT)
        end = api.last_answer_at or time.perf_counter()
        seconds = end - (api.first_poll_at or end)
        connection.send(
            Run(answered=api.answered, chats=len(api.chats), seconds=seconds, failed_requests=api.failed)
        )
        await until_stopped(connection)


# --- the two bots ------------------------------------------------------------------------------


async def measure_coachbot(
    count: int, programs: dict[str, Program], *, database_url: str | None, limits: RateLimits
) -> tuple[Run, float]:
    """Coachbot against a fresh fake; returns the run and the seconds the set-up took."""
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        setup = await prepare_learners(
            url,
            programs,
            count=count,
            platform="telegram",
            external_id=lambda n: str(chat_of(n)),
            now=clock.now(),
            folder=Path(folder),
        )
        async with PlatformProcess(serve_fake, count) as platform:
            base_url = await platform.receive()
            limiter = SendLimiter(limits=limits)
            adapter = TelegramAdapter(token=TOKEN, base_url=base_url, clock=clock, limiter=limiter)
            app = coachbot_app(url, adapter, programs, clock=clock)
            cpu_at_start = time.process_time()  # polling, and so the run, starts with the app
            async with app:
                run: Run = await platform.receive()
                cpu = time.process_time() - cpu_at_start
    return dataclasses.replace(run, cpu_seconds=cpu), setup


async def measure_echo_bot(count: int) -> Run:
    """The bare PTB echo bot (bench/echo_apps.py), in its own process, against a fresh fake."""
    async with PlatformProcess(serve_fake, count) as platform:
        base_url = await platform.receive()
        async with EchoApp("telegram", base_url, TOKEN) as echo:
            run: Run = await platform.receive()
            cpu = await echo.cpu_used()
    return dataclasses.replace(run, cpu_seconds=cpu)


# --- the bench ---------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    count = args.messages
    programs = load_programs(BUNDLED_CONTENT)
    print(f"telegram inbound: {count} messages from {count} learners, one each ({describe_machine()})")
    print(f"  database: {describe_database(args.database_url)}; the fake Bot API runs in a second process")
    coachbot, setup = await measure_coachbot(
        count, programs, database_url=args.database_url, limits=RateLimits.lifted()
    )
    print(f"  set-up (untimed): roster import, identities linked, learners started: {setup:.1f} s")
    report_run("Coachbot (App + TelegramAdapter polling, flood limits LIFTED)", coachbot, expected=count)
    echo = await measure_echo_bot(count)
    report_run("bare PTB echo bot (Application polling, no limiter)        ", echo, expected=count)
    report_ratio(coachbot, echo, bare_name="bare echo bot")
    if args.with_limits:
        limited, _ = await measure_coachbot(count, programs, database_url=None, limits=RateLimits())
        report_run("Coachbot with Telegram's limits on (30/s, SQLite)          ", limited, expected=count)


def parse_args() -> argparse.Namespace:
    parser = inbound_parser(__doc__.split("\n\n")[0], unit="messages")
    parser.add_argument(
        "--with-limits", action="store_true", help="also run Coachbot with Telegram's flood limits on (slow)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    run_bench(lambda: main(arguments))

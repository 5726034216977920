"""Benchmark: signed Slack message events handled per second by the full Coachbot, next to a
bare slack-bolt echo app on the same fake Web API, in one run; prints both and the ratio.

1. Coachbot: the real App (conversation chain, outbox, dispatcher, scheduler) with the real
   SlackAdapter in HTTP mode (bolt behind aiohttp, signatures checked, each event
   acknowledged once its effects are committed) on a free port, on a real database (a fresh
   SQLite file, or `--database-url`). N learners are imported with a roster, each linked to
   their own Slack user id and started; each sends one direct message (`message.im`), which
   the bot answers (its short fallback answer) through the outbox with chat.postMessage.
   The adapter's per-channel pacer (about one post per second per channel) stays ON: every
   learner has their own DM channel and gets one answer, so it never makes a post wait.
2. The bare app: a slack-bolt `AsyncApp` with one `message` listener that `say()`s the text
   back, served by bolt's own aiohttp app (`AsyncApp.web_app`), its Web API client on one
   shared aiohttp session as Coachbot's is, against a fresh fake with the same N events. It
   runs in a fresh process of its own that imports only aiohttp and bolt (bench/echo_apps.py).

Slack's side runs in a second process: the fake Web API (tests/fakes/slack_api.py) and an
aiohttp client posting the N signed event callbacks (distinct event ids) with at most
`--in-flight` requests open at once. It measures from the first POST to the N-th answer it
recorded (chat.postMessage). Each bot's process CPU during its run is printed per answer.

The two apps run in turn, `--rounds` times (default 3), each Coachbot round on a fresh copy of
the prepared database (a copy of the SQLite file; on PostgreSQL a database created from the
prepared one as its template, on the same server, and dropped after the round); the verdict is
the median of the rounds' ratios (one pair of runs on a shared machine can land either way).

Run: `.venv/bin/python bench/slack_inbound.py [--messages N] [--in-flight K] [--rounds R]
[--database-url URL]`. A PostgreSQL URL must name an EMPTY database (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from inbound_common import (
    LEARNER_TEXT,
    EchoApp,
    PlatformProcess,
    Run,
    coachbot_app,
    describe_database,
    describe_machine,
    inbound_parser,
    positive,
    prepare_learners,
    report_median_ratio,
    report_ratio,
    report_run,
    run_bench,
    until_stopped,
)
from sqlalchemy.engine import make_url

from bot.adapters.slack import SlackAdapter
from bot.settings import BUNDLED_CONTENT
from content.loader import load_programs
from content.model import Program
from scheduler.clock import SystemClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi
from tests.fakes.slack_signing import SIGNING_SECRET, SignedPoster, dm_event, event_envelope

EVENTS_PATH = "/slack/events"
TIMEOUT = 600.0  # seconds Slack's side waits for all answers before it reports what it has


def user_of(n: int) -> str:
    return f"U{n:09d}"


# --- Slack's side, in its own process ------------------------------------------------------------


class _TimedSlackApi(FakeSlackApi):
    """The fake Web API, counting answers (chat.postMessage) as they arrive."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.answered = 0
        self.channels: set[str] = set()
        self.last_answer_at: float | None = None
        self.all_answered = asyncio.Event()

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_postMessage(params)
        self.answered += 1
        self.channels.add(str(params["channel"]))
        if self.answered == self.expected:
            self.last_answer_at = time.perf_counter()
            self.all_answered.set()
        return answer


def play_slack(connection: Connection, count: int, in_flight: int) -> None:
    """Slack's process: the fake Web API, then `count` signed DM events posted to the app."""
    asyncio.run(_play_slack(connection, count, in_flight))


async def _play_slack(connection: Connection, count: int, in_flight: int) -> None:
    api = await _TimedSlackApi(count).start()
    try:
        connection.send(api.url)
        events_url = await asyncio.to_thread(connection.recv)
        envelopes = [_envelope(n) for n in range(count)]
        connector = aiohttp.TCPConnector(limit=in_flight)
        async with aiohttp.ClientSession(connector=connector) as session:
            poster = SignedPoster(session, events_url)
            started = time.perf_counter()
            acks, failed = await _post_all(poster, envelopes, in_flight=in_flight)
            with contextlib.suppress(TimeoutError):  # then the report says what is missing
                await asyncio.wait_for(api.all_answered.wait(), TIMEOUT)
        seconds = (api.last_answer_at or time.perf_counter()) - started
        run = Run(
            answered=api.answered,
            chats=len(api.channels),
            seconds=seconds,
            failed_requests=failed,
            ack_seconds=tuple(acks),
        )
        connection.send(run)
    finally:
        await api.stop()
    await until_stopped(connection)


def _envelope(n: int) -> dict[str, Any]:
    event = dm_event(user_of(n), LEARNER_TEXT, ts=f"{1_700_000_000 + n}.000100")
    return event_envelope(event, event_id=f"EvBENCH{n:09d}")


async def _post_all(
    poster: SignedPoster, envelopes: list[dict[str, Any]], *, in_flight: int
) -> tuple[list[float], int]:
    """Post every envelope, at most `in_flight` at a time; returns how long each took to be
    answered, and how many answers were not 200."""
    queue = iter(envelopes)
    acks: list[float] = []
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for envelope in queue:  # workers share one iterator: each envelope is posted once
            posted = time.perf_counter()
            answer = await poster.envelope(envelope)
            acks.append(time.perf_counter() - posted)
            failed += answer.status != 200

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return acks, failed


# --- the two apps ------------------------------------------------------------------------------


async def prepare(url: str, count: int, programs: dict[str, Program], folder: Path) -> float:
    """The learners, imported and started in the database at `url`; the seconds it took."""
    now = SystemClock().now()
    return await prepare_learners(
        url, programs, count=count, platform="slack", external_id=user_of, now=now, folder=folder
    )


async def measure_coachbot(count: int, in_flight: int, programs: dict[str, Program], *, url: str) -> Run:
    """Coachbot, on the prepared database at `url`, against a fresh fake."""
    clock = SystemClock()
    async with PlatformProcess(play_slack, count, in_flight) as slack:
        api_url = await slack.receive()
        adapter = SlackAdapter(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            api_url=api_url,
            clock=clock,
            host="127.0.0.1",
            port=0,
            path=EVENTS_PATH,
        )
        async with coachbot_app(url, adapter, programs, clock=clock):
            cpu_at_start = time.process_time()
            slack.send(f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}")
            run: Run = await slack.receive()
            cpu = time.process_time() - cpu_at_start
    return dataclasses.replace(run, cpu_seconds=cpu)


async def measure_bolt_echo(count: int, in_flight: int) -> Run:
    """The bare bolt echo app (bench/echo_apps.py), in its own process, against a fresh fake."""
    async with PlatformProcess(play_slack, count, in_flight) as slack:
        api_url = await slack.receive()
        async with EchoApp("slack", api_url, BOT_TOKEN, SIGNING_SECRET, EVENTS_PATH) as echo:
            slack.send(f"http://127.0.0.1:{echo.port}{EVENTS_PATH}")
            run: Run = await slack.receive()
            cpu = await echo.cpu_used()
    return dataclasses.replace(run, cpu_seconds=cpu)


# --- the bench ---------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    count, in_flight = args.messages, args.in_flight
    programs = load_programs(BUNDLED_CONTENT)
    print(f"slack inbound: {count} DM events from {count} learners, one each ({describe_machine()})")
    print(
        f"  database: {describe_database(args.database_url)}; Slack's side (fake Web API and the client "
        f"posting signed events, {in_flight} in flight) runs in a second process"
    )
    rounds = args.rounds
    with tempfile.TemporaryDirectory() as folder:
        prepared = args.database_url or sqlite_url(Path(folder) / "learners.db")
        setup = await prepare(prepared, count, programs, Path(folder))
        print(f"  set-up (untimed): roster import, identities linked, learners started: {setup:.1f} s")
        ratios = []
        for number in range(1, rounds + 1):
            if rounds > 1:
                print(f"  round {number} of {rounds}:")
            async with copy_of(prepared, Path(folder) / f"round{number}.db") as url:
                coachbot = await measure_coachbot(count, in_flight, programs, url=url)
            report_run("Coachbot (App + SlackAdapter HTTP mode, pacer on)", coachbot, expected=count)
            echo = await measure_bolt_echo(count, in_flight)
            report_run("bare bolt echo app (AsyncApp, say())             ", echo, expected=count)
            ratios.append(report_ratio(coachbot, echo, bare_name="bare bolt app", verdict=rounds == 1))
    if rounds > 1:
        report_median_ratio(ratios)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@contextlib.asynccontextmanager
async def copy_of(prepared: str, file: Path) -> AsyncIterator[str]:
    """A fresh copy of the prepared database for one round (its URL): the SQLite file copied to
    `file`, or a PostgreSQL database made from it as a template and dropped after the round."""
    if not prepared.startswith("postgresql"):
        yield sqlite_url(shutil.copy(make_url(prepared).database or "", file))
        return
    source = make_url(prepared)
    copy = f"{source.database}_round_{uuid.uuid4().hex[:8]}"
    # Connected to the server's maintenance database: a template must have no other sessions.
    server = source.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{source.database}"')
        try:
            yield source.set(database=copy).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    finally:
        await admin.close()


def parse_args() -> argparse.Namespace:
    parser = inbound_parser(__doc__.split("\n\n")[0], unit="events")
    parser.add_argument("--in-flight", type=positive, default=32, help="requests open at once, default 32")
    parser.add_argument(
        "--rounds",
        type=positive,
        default=3,
        help="Coachbot and the bare app in turn, this many times, each Coachbot round on a fresh "
        "copy of the prepared database; the verdict is the median ratio. Default 3",
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    run_bench(lambda: main(arguments))

"""What bench/telegram_inbound.py and bench/slack_inbound.py share.

- `prepare_learners`: a cohort of N learners imported with the real `import_roster` (so the
  outbox holds their planned deliveries, as in production), each linked to one chat identity
  and marked started, as if they had joined and done the kick-off; their next free text gets
  the bot's short fallback answer. On PostgreSQL the tables are then analysed, as autovacuum
  would have by the time learners write (bench/planner_statistics.py).
- `PlatformProcess`: the fake platform (and, for Slack, the client posting the events) runs in
  a second process, so the bot under test has its event loop and a CPU to itself, as it would
  next to the real Telegram or Slack. The fake measures: from the first request of the run to
  the moment it recorded the last expected answer.
- `EchoApp`: the bare app to compare with (bench/echo_apps.py), in a fresh process of its own.
- `Run` and `report`: the figures the fake measured, the CPU the bot used, and the printed
  comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from planner_statistics import analyze  # bench/, the script's own folder
from sqlmodel import col, select

from bot.adapters.base import ChatAdapter
from bot.app import App
from bot.cohorts import import_roster
from bot.domain.errors import ConfigError
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Enrolment, Identity, Person
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import Clock

REPOSITORY = Path(__file__).resolve().parent.parent
# The benches import the fakes from tests/fakes, after this module: Python puts only the
# script's own folder (bench/) on the path.
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

COHORT_TIMEZONE = "Europe/Amsterdam"
LEARNER_TEXT = "Hoe geef ik feedback aan een collega die steeds te laat komt?"
TARGET_RATIO = 0.5
SLACK_ACK_DEADLINE = 3.0  # seconds: Slack retries an event not acknowledged within this


@dataclass(frozen=True)
class Run:
    """What the fake platform saw of one bot: `answered` answers to `chats` distinct chats,
    `seconds` from the run's first request to the last expected answer."""

    answered: int
    chats: int
    seconds: float
    failed_requests: int = 0
    ack_seconds: tuple[float, ...] = ()  # Slack: how long each event's POST took to be answered
    cpu_seconds: float | None = None  # the bot's process during the run (set by the bench)

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0


# --- the learners ----------------------------------------------------------------------------


def roster_text(count: int, *, cohort_id: str, now: datetime) -> str:
    """A roster of `count` learners of feedback-geven, sessions two, five and eight weeks out,
    so nothing planned falls due while the bench runs."""
    local = now.astimezone(ZoneInfo(COHORT_TIMEZONE)).date()
    s1, s2, s3 = (local + timedelta(weeks=weeks) for weeks in (2, 5, 8))
    people = "\n".join(f"  - {{email: {learner_email(n)}, name: Learner {n}}}" for n in range(count))
    return (
        f"id: {cohort_id}\nprogram: feedback-geven\ntimezone: {COHORT_TIMEZONE}\n"
        f"sessions: {{s1: {s1}T09:00, s2: {s2}T09:00, s3: {s3}T09:00}}\n"
        f"participants:\n{people}\n"
    )


def learner_email(n: int) -> str:
    return f"learner{n}@acme.example"


async def prepare_learners(
    url: str,
    programs: dict[str, Program],
    *,
    count: int,
    platform: str,
    external_id: Callable[[int], str],
    now: datetime,
    folder: Path,
) -> float:
    """Import `count` learners into the database at `url`, link learner n to `external_id(n)`
    on `platform` and start them; returns the seconds it took."""
    started = time.perf_counter()
    roster_file = folder / "roster.yaml"
    roster_file.write_text(roster_text(count, cohort_id="bench-inbound", now=now), encoding="utf-8")
    roster = parse_roster(roster_file, programs)
    async with Database(url) as database:
        async with database.transaction() as session:
            if (await session.exec(select(Person.id).limit(1))).first() is not None:
                raise SystemExit(f"bench: the database {database.url} is not empty; give it an empty one")
        await import_roster(database, roster, programs, now=now)
        async with database.transaction() as session:
            people = {p.email: p for p in (await session.exec(select(Person))).all()}
            enrolments = {e.person_id: e for e in (await session.exec(select(Enrolment))).all()}
            for n in range(count):
                person = people[learner_email(n)]
                assert person.id is not None
                identity = Identity(
                    person_id=person.id, platform=platform, external_id=external_id(n), created_at=now
                )
                session.add(identity)
                enrolment = enrolments[person.id]
                enrolment.started_at = enrolment.active_since = now
                session.add(enrolment)
        async with database.transaction() as session:
            linked = (await session.exec(select(Identity.id).where(col(Identity.platform) == platform))).all()
            if len(linked) != count:
                raise SystemExit(f"bench: {len(linked)} identities linked, expected {count}")
        await analyze(database)
    return time.perf_counter() - started


def coachbot_app(url: str, adapter: ChatAdapter, programs: dict[str, Program], *, clock: Clock) -> App:
    """Coachbot's app on the prepared database at `url` with `adapter` (enter it to start)."""
    return App(
        settings=Settings(database_url=url),
        clock=clock,
        adapters=[adapter],
        programs=programs,
        run_scheduler=True,
    )


# --- the fake platform in a second process ----------------------------------------------------


class PlatformProcess:
    """Runs `target(connection, *args)` in a spawned process; messages go both ways over a pipe.

    Use as `async with`: leaving sends "stop", then waits for the process (and ends it if it
    does not stop in time)."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, *args), daemon=True)
        self._child = child

    async def __aenter__(self) -> PlatformProcess:
        self._process.start()
        self._child.close()  # the child holds its own end; a dead child then ends our recv
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError):  # the process is gone already
            self._connection.send("stop")
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.terminate()
            await asyncio.to_thread(self._process.join, 10)
        self._connection.close()

    def send(self, message: Any) -> None:
        self._connection.send(message)

    async def receive(self) -> Any:
        """The platform's next message; SystemExit if the process died."""
        try:
            return await asyncio.to_thread(self._connection.recv)
        except EOFError:
            code = self._process.exitcode
            raise SystemExit(f"bench: the fake platform process ended (exit code {code})") from None


class EchoApp:
    """A bare echo app (bench/echo_apps.py `arguments`) in a fresh process, which imports only
    its own library. Use as `async with`; `port` is where it serves (Slack), `cpu_used()` the
    CPU seconds its process spent since it began receiving."""

    def __init__(self, *arguments: str) -> None:
        self._arguments = arguments
        self._process: asyncio.subprocess.Process | None = None
        self._cpu_at_start = 0.0
        self.port = 0

    async def __aenter__(self) -> EchoApp:
        script = Path(__file__).with_name("echo_apps.py")
        pipe = asyncio.subprocess.PIPE
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, str(script), *self._arguments, stdin=pipe, stdout=pipe
        )
        ready, port, cpu = (await self._line()).split()
        if ready != "ready":
            raise SystemExit(f"bench: the echo app said {ready!r} instead of 'ready'")
        self.port, self._cpu_at_start = int(port), float(cpu)
        return self

    async def cpu_used(self) -> float:
        process = self._running()
        assert process.stdin is not None
        process.stdin.write(b"cpu\n")
        await process.stdin.drain()
        return float(await self._line()) - self._cpu_at_start

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._running()
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def _line(self) -> str:
        process = self._running()
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode().strip()
        if not line:
            raise SystemExit(f"bench: the echo app ended (exit code {await process.wait()})")
        return line

    def _running(self) -> asyncio.subprocess.Process:
        if self._process is None:
            raise RuntimeError("EchoApp is not started")
        return self._process


async def until_stopped(connection: Connection) -> None:
    """In the platform process: wait for the bench's "stop"."""
    with contextlib.suppress(EOFError):
        await asyncio.to_thread(connection.recv)


def run_bench(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a bench's `main`; a bad setting (e.g. the database URL) ends it with one line."""
    try:
        asyncio.run(main())
    except ConfigError as error:
        raise SystemExit(f"bench: {error}") from None


# --- the report --------------------------------------------------------------------------------


def describe_machine() -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} at the start"


def describe_database(url: str | None) -> str:
    return "SQLite (a fresh file)" if url is None else Database(url).url  # the password masked


def report_run(label: str, run: Run, *, expected: int) -> None:
    complete = "" if run.answered >= expected and run.chats >= expected else "  INCOMPLETE"
    print(
        f"  {label}: {run.answered} answers to {run.chats} chats in {run.seconds:.2f} s "
        f"= {run.per_second:.0f}/s{complete}"
    )
    if run.cpu_seconds is not None and run.answered:
        print(f"    CPU used by the bot's process: {run.cpu_seconds * 1000 / run.answered:.2f} ms per answer")
    if run.failed_requests:
        print(f"    {run.failed_requests} requests were not answered 200")
    if run.ack_seconds:
        acks = sorted(run.ack_seconds)
        median, p99 = acks[len(acks) // 2], acks[min(len(acks) - 1, len(acks) * 99 // 100)]
        late = sum(1 for ack in acks if ack > SLACK_ACK_DEADLINE)
        print(
            f"    acknowledged in: median {median * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"slowest {acks[-1] * 1000:.0f} ms; {late} over Slack's {SLACK_ACK_DEADLINE:.0f} s"
        )


def report_ratio(coachbot: Run, bare: Run, *, bare_name: str, verdict: bool = True) -> float:
    """Print (and return) Coachbot's rate as a share of the bare app's; with the verdict on the
    target unless this is one round of several (`report_median_ratio` gives it then)."""
    ratio = coachbot.per_second / bare.per_second if bare.per_second else 0.0
    target = f" (target >= 50%: {_verdict(ratio)})" if verdict else ""
    print(f"  ratio: Coachbot handles {ratio:.0%} of the {bare_name}'s rate{target}")
    return ratio


def report_median_ratio(ratios: list[float]) -> None:
    """The verdict over rounds that ran the two apps in turn: their median ratio. Other tenants of
    a shared machine change its speed within seconds, so one pair of runs can land either way."""
    median = statistics.median(ratios)
    each = ", ".join(f"{ratio:.0%}" for ratio in ratios)
    verdict = _verdict(median)
    print(f"  median ratio of {len(ratios)} rounds ({each}): {median:.0%} (target >= 50%: {verdict})")


def _verdict(ratio: float) -> str:
    return "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"


def inbound_parser(description: str, *, unit: str) -> argparse.ArgumentParser:
    """The options both inbound benches take: how many messages, and which database."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--messages", type=positive, default=2000, help=f"{unit} (= learners), default 2000")
    parser.add_argument(
        "--database-url", help="postgresql+asyncpg://... of an EMPTY database (default: a fresh SQLite file)"
    )
    return parser


def positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"a whole number greater than 0, not {text!r}")
    return int(text)

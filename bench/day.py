"""Benchmark: a day's load on one process (issue 14). A nudge to every learner of a 10,000-learner
organisation goes out at Telegram's ceiling while learners write to the bot at a realistic peak
of 20 messages a second; prints the send rate against the ceiling, how long learners waited for
an answer, the bot's CPU and peak memory, and what was lost or sent twice.

Set-up, not timed (in a process of its own, so the bot's peak memory is the bot's): a real
database (a temporary SQLite file, or --database-url), a cohort of the bundled program
`feedback-geven` cut down to its tip `sbi-model`, N learners each with a linked Telegram chat,
started the day before, and the tip's planned outbox row (the key and time the planner gives it)
due now, as in bench/telegram_fanout.py. On PostgreSQL the tables are then analysed.

The platform: the fake Telegram Bot API of the tests (tests/fakes/telegram_api.py) in a second
process, answering each call after 50-100 ms (--latency-ms), next to a load generator that makes
learners write at --rate messages/s (alternately a question in plain text and /progress; each
learner in a shuffled order, then again) from the moment the bot is up until the fake has
received the nudge for every learner. The fake times everything on its side.

The bot: Coachbot's own composition root, `App` with the real `TelegramAdapter` polling (its real
flood limits: 30 messages/s for the bot, 1/s per chat) and its scheduler, on a simulated clock
that starts when the nudge is due and then runs with real time. It sends the nudges (the
scheduler's dispatch job) and answers the learners through the same send path and the same
ceiling: at 20 answers/s, about 10 nudges/s are left, so 10,000 nudges take about 17 minutes.

Printed: the nudges/s and all sends/s (nudges and answers) from the first nudge to the last,
against the ceiling (target: at least 95%); each answer's latency, from the fake receiving the
learner's message to the fake receiving the first message the bot sent that chat after it
(p50/p99/max; target: p99 under 1 s); the bot process's CPU seconds and peak memory
(getrusage); lost (a learner without the nudge, a message without an answer) and doubled (two
nudges to one chat, the same answer twice to one message, an answer to no message). Exit status
1 when anything was lost or doubled.

Run: .venv/bin/python bench/day.py [--learners N] [--rate 20] [--database-url URL]
         [--latency-ms 50-100]
(--database-url: a `postgresql+asyncpg://` URL of an EMPTY database, to measure PostgreSQL.)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from planner_statistics import analyze  # bench/, the script's own folder
from sqlalchemy import insert
from sqlmodel import select

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_limits import RateLimits
from bot.app import App
from bot.domain.errors import ConfigError
from bot.flows.planning import planned_key
from bot.settings import BUNDLED_CONTENT, Settings
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Cohort, Delivery, Enrolment, Identity, Person
from content.loader import load_programs
from content.model import Program
from scheduler.clock import SimulatedClock
from scheduler.planner import PlanInput, plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake Bot API lives in tests/
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegramApi

CEILING = RateLimits().per_second
PROGRAM, NUDGE, COHORT = "feedback-geven", "sbi-model", "day-bench"
TIMEZONE = "Europe/Amsterdam"
SESSIONS = {"s1": "2027-01-12T09:00", "s2": "2027-02-02T09:00", "s3": "2027-02-23T09:00"}
ACTIVE_SINCE = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # the learners started the day before s1
START = datetime(2027, 1, 13, 12, 0, tzinfo=UTC)  # the simulated "now": the nudge is due
FIRST_CHAT = 700_000_001
ROWS_PER_INSERT = 500
QUESTION = "Hoe geef ik feedback aan een collega die steeds te laat komt?"
PROGRESS = "/progress"
SHUFFLE_SEED = 14
ANSWER_GRACE = 30.0  # seconds the fake waits, after the last nudge, for answers still due
QUIET = 2.0  # seconds it then listens on, so that a late second answer is counted
TARGET_SHARE, TARGET_P99 = 0.95, 1.0


@dataclass(frozen=True, slots=True)
class Options:
    learners: int
    rate: float
    database_url: str | None
    latency: tuple[float, float]

    @property
    def deadline(self) -> float:
        """Seconds after which the fake stops waiting for the fan-out: twice what it should take."""
        return 2 * self.learners / max(CEILING - self.rate, 1.0) + 120


@dataclass(frozen=True, slots=True)
class Written:
    """A learner's message, as the fake received it (its monotonic time)."""

    chat: int
    at: float
    command: bool


@dataclass(frozen=True, slots=True)
class Received:
    """A message the bot sent, as the fake received it; `text` is a digest for comparing."""

    chat: int
    at: float
    nudge: bool
    text: int


@dataclass(frozen=True, slots=True)
class Record:
    """What the fake saw: every learner's message and every message the bot sent (accepted)."""

    written: tuple[Written, ...]
    received: tuple[Received, ...]
    timed_out: bool


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description="A nudge to N Telegram learners while they write.")
    parser.add_argument("--learners", type=int, default=10_000, help="how many (default 10000)")
    parser.add_argument("--rate", type=float, default=20.0, help="learners' messages per second (20)")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--latency-ms", default="50-100", help="the fake's answer time, LOW-HIGH ms")
    args = parser.parse_args(argv)
    if args.learners < 1 or args.rate <= 0:
        parser.error("--learners must be at least 1 and --rate above 0")
    try:
        low, high = (float(part) / 1000 for part in args.latency_ms.split("-"))
    except ValueError:
        parser.error(f"--latency-ms: expected LOW-HIGH in ms, e.g. 50-100 (got {args.latency_ms!r})")
    if not 0 <= low <= high:
        parser.error("--latency-ms: expected 0 <= LOW <= HIGH")
    return Options(args.learners, args.rate, args.database_url, (low, high))


# --- the learners and their nudge (a process of its own) ---------------------------------------


def bench_program() -> Program:
    """The bundled program with one intervention: the tip everyone gets."""
    program = load_programs(BUNDLED_CONTENT)[PROGRAM]
    return replace(program, id=COHORT, interventions=(program.intervention(NUDGE),))


def nudge_due_at(program: Program) -> datetime:
    """When the planner sends the tip to a learner of the bench cohort (one learner stands for
    all: same timezone, same start); checks that the tip is the one message due."""
    planned = plan(
        PlanInput(
            program=program,
            sessions={sid: datetime.fromisoformat(at) for sid, at in SESSIONS.items()},
            cohort_timezone=TIMEZONE,
            learner_timezone=TIMEZONE,
            chosen=frozenset(),
            active_since=ACTIVE_SINCE,
            paused=False,
            history={},
            catch_up_offered=frozenset(),
            now=START,
        )
    )
    due = [delivery.due_at for delivery in planned.deliveries]
    if planned.catch_up or len(due) != 1 or not ACTIVE_SINCE < due[0] <= START:
        raise SystemExit(f"the bench cohort's plan is not one due tip: {planned}")
    return due[0]


def seed_database(url: str, learners: int) -> str | None:
    """Fill the empty database at `url` (run in a process of its own); a problem, or None."""
    return asyncio.run(_seed_database(url, learners))


async def _seed_database(url: str, learners: int) -> str | None:
    due_at = nudge_due_at(bench_program())
    async with Database(url) as db:
        async with db.transaction() as session:
            if (await session.exec(select(Person.id).limit(1))).first() is not None:
                return f"the database {db.url} is not empty; give an empty one"
        await seed(db, learners=learners, due_at=due_at)
        await analyze(db)
    return None


async def seed(db: Database, *, learners: int, due_at: datetime) -> None:
    """The cohort, its learners with a Telegram chat each, and one due row per learner."""
    numbers = range(learners)
    async with db.transaction() as session:
        session.add(
            Cohort(id=COHORT, program_id=COHORT, timezone=TIMEZONE, sessions=SESSIONS, imported_at=START)
        )
        await insert_rows(session, Person, [person_row(n) for n in numbers])
        people = dict((await session.exec(select(Person.email, Person.id))).all())
        person_ids = [people[person_row(n)["email"]] for n in numbers]
        chats = [identity_row(person, FIRST_CHAT + n) for n, person in zip(numbers, person_ids, strict=True)]
        await insert_rows(session, Identity, chats)
        await insert_rows(session, Enrolment, [enrolment_row(person) for person in person_ids])
        enrolments = dict((await session.exec(select(Enrolment.person_id, Enrolment.id))).all())
        nudges = [nudge_row(person, enrolments[person], due_at) for person in person_ids]
        await insert_rows(session, Delivery, nudges)


async def insert_rows(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await session.exec(insert(table).values(rows[start : start + ROWS_PER_INSERT]))


def person_row(n: int) -> dict[str, Any]:
    return {"email": f"learner{n}@bench.example", "name": f"Learner {n}", "created_at": START}


def identity_row(person_id: int, chat_id: int) -> dict[str, Any]:
    return {"person_id": person_id, "platform": "telegram", "external_id": str(chat_id), "created_at": START}


def enrolment_row(person_id: int) -> dict[str, Any]:
    return {
        "cohort_id": COHORT,
        "person_id": person_id,
        "started_at": ACTIVE_SINCE,
        "active_since": ACTIVE_SINCE,
        "chosen": [],
        "development_points": [],
        "catch_up_offered": [],
        "created_at": START,
    }


def nudge_row(person_id: int, enrolment_id: int, due_at: datetime) -> dict[str, Any]:
    return {
        "key": planned_key(enrolment_id, NUDGE, ""),
        "person_id": person_id,
        "enrolment_id": enrolment_id,
        "kind": outbox.INTERVENTION,
        "intervention_id": NUDGE,
        "occurrence": "",
        "due_at": due_at,
        "status": outbox.PLANNED,
        "attempts": 0,
        "payload": {},
        "created_at": START,
    }


# --- the platform and the learners (a second process) ------------------------------------------


class Tally:
    """Reads the fake's calls as they come (each once): who got the nudge, how many others."""

    def __init__(self, api: FakeTelegramApi, marker: str) -> None:
        self._api, self._marker = api, marker
        self._seen = 0
        self.nudged: set[int] = set()
        self.others = 0

    def update(self) -> None:
        calls = self._api.calls
        for call in itertools.islice(calls, self._seen, None):
            if call.method == "sendMessage" and call.ok and call.chat_id is not None:
                if is_nudge(call, self._marker):
                    self.nudged.add(call.chat_id)
                else:
                    self.others += 1
        self._seen = len(calls)


def is_nudge(call: Call, marker: str) -> bool:
    return marker in str(call.params.get("text", ""))


def serve_platform(connection: Connection, options: Options, marker: str) -> None:
    """The platform process: the fake Bot API and the learners writing to it."""
    asyncio.run(_serve_platform(connection, options, marker))


async def _serve_platform(connection: Connection, options: Options, marker: str) -> None:
    async with FakeTelegramApi(latency=options.latency, stamp=time.monotonic) as api:
        connection.send(api.base_url)
        await asyncio.to_thread(connection.recv)  # "go": the bot is up
        tally = Tally(api, marker)
        written, timed_out = await learners_write(api, tally, options)
        await answers_arrive(tally, expected=len(written))
        connection.send(Record(tuple(written), received(api, marker), timed_out))
        with contextlib.suppress(EOFError):
            await asyncio.to_thread(connection.recv)  # "stop"


async def learners_write(api: FakeTelegramApi, tally: Tally, options: Options) -> tuple[list[Written], bool]:
    """Learners write at `options.rate` until every learner has the nudge (or the deadline
    passes: then True); alternately a question and /progress, each learner in turn."""
    order = random.Random(SHUFFLE_SEED).sample(range(options.learners), options.learners)
    written: list[Written] = []
    started = time.monotonic()
    for n in itertools.count():
        tally.update()
        if len(tally.nudged) == options.learners:
            return written, False
        if time.monotonic() - started > options.deadline:
            return written, True
        await asyncio.sleep(max(0.0, started + n / options.rate - time.monotonic()))
        chat, command = FIRST_CHAT + order[n % options.learners], n % 2 == 1
        api.push_text(chat, PROGRESS if command else QUESTION)
        written.append(Written(chat, time.monotonic(), command))
    raise AssertionError("unreachable")


async def answers_arrive(tally: Tally, *, expected: int) -> None:
    """Wait (a while) for as many answers as messages written, then listen on for a moment."""
    waited = time.monotonic()
    while tally.others < expected and time.monotonic() - waited < ANSWER_GRACE:
        await asyncio.sleep(0.1)
        tally.update()
    await asyncio.sleep(QUIET)


def received(api: FakeTelegramApi, marker: str) -> tuple[Received, ...]:
    return tuple(
        Received(call.chat_id, call.at or 0.0, is_nudge(call, marker), hash(str(call.params["text"])))
        for call in api.calls_to("sendMessage")
        if call.ok and call.chat_id is not None
    )


class PlatformProcess:
    """`serve_platform` in a spawned process, so the bot has its event loop to itself, as next
    to the real Telegram. Use as `async with`; leaving says "stop" and waits for the process."""

    def __init__(self, options: Options, marker: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve_platform, args=(child, options, marker), daemon=True)
        self._child = child

    async def __aenter__(self) -> PlatformProcess:
        self._process.start()
        self._child.close()  # a dead child then ends our recv
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self._connection.send("stop")
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.terminate()
        self._connection.close()

    def send(self, message: Any) -> None:
        self._connection.send(message)

    async def receive(self) -> Any:
        try:
            return await asyncio.to_thread(self._connection.recv)
        except EOFError:
            raise SystemExit(f"day: the platform process ended ({self._process.exitcode})") from None


# --- the bot (this process) ---------------------------------------------------------------------


async def run_day(options: Options, url: str) -> tuple[Record, float]:
    """Coachbot's App on the seeded database while the platform process plays the day; the
    fake's record and the CPU seconds this process spent meanwhile."""
    program = bench_program()
    marker = program.intervention(NUDGE).title
    async with PlatformProcess(options, marker) as platform:
        base_url = await platform.receive()
        clock = SimulatedClock(START)
        adapter = TelegramAdapter(token=TOKEN, base_url=base_url, clock=clock)
        app = App(
            settings=Settings(database_url=url),
            clock=clock,
            adapters=[adapter],
            programs={program.id: program},
            run_scheduler=True,
        )
        cpu_at_start = cpu_seconds()
        async with app:
            platform.send("go")
            record: Record = await platform.receive()
        return record, cpu_seconds() - cpu_at_start


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FanOut:
    nudges: int
    silent: int  # learners without the nudge
    doubled: int  # learners with more than one
    seconds: float  # from the first nudge to the last
    sends: int  # everything the bot sent in that time, nudges included


@dataclass(frozen=True, slots=True)
class Answers:
    latencies: list[float]  # seconds, sorted
    unanswered: int
    doubled: int  # messages answered twice with the same text
    unasked: int  # answers to a chat before it wrote anything


def fan_out(record: Record, learners: int) -> FanOut:
    nudges = sorted(message.at for message in record.received if message.nudge)
    per_chat = Counter(message.chat for message in record.received if message.nudge)
    silent = sum(1 for n in range(learners) if per_chat[FIRST_CHAT + n] == 0)
    if not nudges:
        return FanOut(0, silent, 0, 0.0, 0)
    first, last = nudges[0], nudges[-1]
    sends = sum(1 for message in record.received if first <= message.at <= last)
    doubled = sum(1 for count in per_chat.values() if count > 1)
    return FanOut(len(nudges), silent, doubled, last - first, sends)


def answers(record: Record) -> Answers:
    """Each message's answer: what the bot sent its chat (not the nudge) before the chat wrote
    again; the latency is to the first of it."""
    written: dict[int, list[float]] = defaultdict(list)
    for message in record.written:
        written[message.chat].append(message.at)
    replies: dict[tuple[int, float], list[Received]] = defaultdict(list)
    unasked = 0
    for message in sorted(record.received, key=lambda message: message.at):
        asked = [at for at in written.get(message.chat, []) if at <= message.at]
        if message.nudge:
            continue
        if not asked:
            unasked += 1
            continue
        replies[(message.chat, asked[-1])].append(message)
    latencies, unanswered, doubled = [], 0, 0
    for message in record.written:
        answer = replies.get((message.chat, message.at), [])
        if not answer:
            unanswered += 1
            continue
        latencies.append(answer[0].at - message.at)
        doubled += any(count > 1 for count in Counter(reply.text for reply in answer).values())
    return Answers(sorted(latencies), unanswered, doubled, unasked)


def quantile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def report(options: Options, dialect: str, record: Record, cpu: float) -> int:
    """Print the figures; the exit status: 1 when anything was lost or doubled."""
    sent = fan_out(record, options.learners)
    answered = answers(record)
    low, high = (round(seconds * 1000) for seconds in options.latency)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"a day's load: {options.learners:,} learners, {dialect}, learners writing {options.rate:g}/s, "
        f"fake Bot API answering in {low}-{high} ms ({os.cpu_count()} CPUs, load average {load} at the end)"
    )
    report_fan_out(sent)
    report_answers(answered, written=len(record.written))
    messages = len(record.received)
    print(
        f"bot process: {cpu:.1f} s CPU ({cpu * 1000 / max(messages, 1):.1f} ms per message sent), "
        f"peak memory {peak_megabytes():.0f} MB"
    )
    print(
        f"lost: {sent.silent} learners without the nudge, {answered.unanswered} messages without an answer"
        + (" (the fan-out did not finish in time)" if record.timed_out else "")
    )
    print(
        f"doubled: {sent.doubled} learners with two nudges, {answered.doubled} messages answered twice, "
        f"{answered.unasked} answers to no message"
    )
    faults = sent.silent + answered.unanswered + sent.doubled + answered.doubled + answered.unasked
    return 1 if faults else 0


def report_fan_out(sent: FanOut) -> None:
    if sent.seconds <= 0:
        print(f"fan-out: {sent.nudges} nudges, too few to time")
        return
    nudges, everything = (sent.nudges - 1) / sent.seconds, (sent.sends - 1) / sent.seconds
    share = everything / CEILING
    verdict = "ok" if share >= TARGET_SHARE else "BELOW TARGET"
    print(f"fan-out: {sent.nudges:,} nudges in {sent.seconds:.1f} s (first to last): {nudges:.1f} nudges/s")
    print(
        f"  all sends meanwhile (nudges and answers): {everything:.1f}/s = {share:.1%} of the "
        f"{CEILING:.0f}/s ceiling (target >= {TARGET_SHARE:.0%}: {verdict})"
    )


def report_answers(answered: Answers, *, written: int) -> None:
    latencies = answered.latencies
    p50, p99 = quantile(latencies, 0.50), quantile(latencies, 0.99)
    slowest = latencies[-1] if latencies else float("nan")
    verdict = "ok" if p99 < TARGET_P99 else "ABOVE TARGET"
    print(
        f"answers: {len(latencies):,} of {written:,} messages answered; latency p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {slowest * 1000:.0f} ms (target p99 < {TARGET_P99:g} s: {verdict})"
    )


# --- the bench ----------------------------------------------------------------------------------


async def seed_in_own_process(url: str, learners: int) -> None:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        problem = await asyncio.get_running_loop().run_in_executor(pool, seed_database, url, learners)
    if problem:
        raise SystemExit(f"day: {problem}")


def quiet_logging() -> None:
    """As `coachbot run` logs: warnings, but not APScheduler's "skipped" while a long send run
    outlasts the dispatch interval."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


async def main(argv: Sequence[str]) -> int:
    options = parse_options(argv)
    quiet_logging()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'day.db'}"
        try:
            await seed_in_own_process(url, options.learners)
            record, cpu = await run_day(options, url)
        except ConfigError as error:
            raise SystemExit(f"day: {error}") from None
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite (a temporary file)"
    return report(options, dialect, record, cpu)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))

"""Benchmark: one nudge to 5,000 Telegram learners through the real send path; prints the rate
achieved against Telegram's ceiling of 30 messages/s, and any losses or duplicates.

Set-up, not timed: the fake Telegram Bot API of the tests (tests/fakes/telegram_api.py) on a
free 127.0.0.1 port, answering each call after 50-100 ms (as Telegram takes 50-200 ms); a real
database (a temporary SQLite file, or --database-url); a cohort of the bundled program
`feedback-geven` cut down to one tip (`sbi-model`, 900 characters with two buttons); N learners,
each with a linked Telegram chat, started a day before the tip's time, each with the tip's
planned outbox row (the key and time the planner gives it) due now. On PostgreSQL the tables
are then analysed, as autovacuum would have done by the time a planned nudge falls due.

Timed: the real Dispatcher, with the real TelegramAdapter and its real SendLimiter (real time,
Telegram's limits), sends until nothing in the outbox is unsent. Then the fake's record of
sendMessage calls is checked against the learners: every chat must have exactly one message.
Also printed: the process's CPU seconds meanwhile (all threads, the fake's share included: it
runs in this process) per message sent, the figure to compare on a shared machine.

Run: .venv/bin/python bench/telegram_fanout.py [--learners N] [--database-url URL]
         [--latency-ms 50-100] [--concurrency 16]
(--database-url: a `postgresql+asyncpg://` URL of an EMPTY database to measure PostgreSQL.)
Exit status 1 when a message was lost or sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner_statistics import analyze  # bench/, the script's own folder
from sqlalchemy import func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_limits import RateLimits
from bot.dispatcher import DEFAULT_CONCURRENCY, Dispatcher
from bot.domain.errors import ConfigError
from bot.flows.kinds import journey_kinds
from bot.flows.planning import planned_key
from bot.kinds import DeliveryKinds
from bot.settings import BUNDLED_CONTENT
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import Cohort, Delivery, Enrolment, Identity, Person
from content.loader import load_programs
from content.model import Program
from scheduler.clock import SimulatedClock
from scheduler.planner import PlanInput, plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake Bot API lives in tests/
from tests.fakes.telegram_api import FakeTelegramApi

CEILING = RateLimits().per_second
PROGRAM, NUDGE, COHORT = "feedback-geven", "sbi-model", "fanout-bench"
TIMEZONE = "Europe/Amsterdam"
SESSIONS = {"s1": "2027-01-12T09:00", "s2": "2027-02-02T09:00", "s3": "2027-02-23T09:00"}
ACTIVE_SINCE = datetime(2027, 1, 11, 8, 0, tzinfo=UTC)  # the learners started the day before s1
START = datetime(2027, 1, 13, 12, 0, tzinfo=UTC)  # the simulated "now": the nudge is due
FIRST_CHAT = 700_000_001
ROWS_PER_INSERT = 500


@dataclass(frozen=True, slots=True)
class Options:
    learners: int
    database_url: str | None
    latency: tuple[float, float]
    concurrency: int


@dataclass(frozen=True, slots=True)
class Result:
    elapsed: float
    cpu: float  # process CPU seconds while sending, the fake's included
    statuses: Counter[str]
    messages_per_chat: Counter[int]
    busiest_second: int
    flood_answers: int


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description="Time one nudge to N Telegram learners.")
    parser.add_argument("--learners", type=int, default=5_000, help="how many (default 5000)")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--latency-ms", default="50-100", help="the fake's answer time, LOW-HIGH ms")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="sends in flight")
    args = parser.parse_args(argv)
    if args.learners < 1 or args.concurrency < 1:
        parser.error("--learners and --concurrency must be at least 1")
    try:
        low, high = (float(part) / 1000 for part in args.latency_ms.split("-"))
    except ValueError:
        parser.error(f"--latency-ms: expected LOW-HIGH in ms, e.g. 50-100 (got {args.latency_ms!r})")
    if not 0 <= low <= high:
        parser.error("--latency-ms: expected 0 <= LOW <= HIGH")
    return Options(args.learners, args.database_url, (low, high), args.concurrency)


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


async def seed(db: Database, *, learners: int, due_at: datetime) -> None:
    """The cohort, its learners with a Telegram chat each, and one due row per learner, inserted
    500 rows per statement."""
    numbers = range(learners)
    async with db.transaction() as session:
        cohort = Cohort(id=COHORT, program_id=COHORT, timezone=TIMEZONE, sessions=SESSIONS, imported_at=START)
        session.add(cohort)
        await _insert(session, Person, [_person(n) for n in numbers])
        people = dict((await session.exec(select(Person.email, Person.id))).all())
        person_ids = [people[_person(n)["email"]] for n in numbers]
        chats = [_identity(person, FIRST_CHAT + n) for n, person in zip(numbers, person_ids, strict=True)]
        await _insert(session, Identity, chats)
        await _insert(session, Enrolment, [_enrolment(person) for person in person_ids])
        enrolments = dict((await session.exec(select(Enrolment.person_id, Enrolment.id))).all())
        rows = [_nudge(person, enrolments[person], due_at) for person in person_ids]
        await _insert(session, Delivery, rows)


async def _insert(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await session.exec(insert(table).values(rows[start : start + ROWS_PER_INSERT]))


def _person(n: int) -> dict[str, Any]:
    return {"email": f"learner{n}@bench.example", "name": f"Learner {n}", "created_at": START}


def _identity(person_id: int, chat_id: int) -> dict[str, Any]:
    return {"person_id": person_id, "platform": "telegram", "external_id": str(chat_id), "created_at": START}


def _enrolment(person_id: int) -> dict[str, Any]:
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


def _nudge(person_id: int, enrolment_id: int, due_at: datetime) -> dict[str, Any]:
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


async def unsent(db: Database) -> int:
    async with db.transaction() as session:
        statement = select(func.count()).select_from(Delivery).where(col(Delivery.status) != outbox.SENT)
        return (await session.exec(statement)).one()


async def send_all(db: Database, dispatcher: Dispatcher, *, deadline: float) -> float:
    """Run the dispatcher until every row is sent (or `deadline` seconds pass); the time taken."""
    started = time.perf_counter()
    while await unsent(db) and time.perf_counter() - started < deadline:
        if not await dispatcher.run_due():
            await asyncio.sleep(0.1)  # what is left waits for a retry time
    return time.perf_counter() - started


async def statuses(db: Database) -> Counter[str]:
    async with db.transaction() as session:
        statement = select(Delivery.status, func.count()).group_by(col(Delivery.status))
        return Counter(dict((await session.exec(statement)).all()))


def busiest_second(moments: list[float]) -> int:
    """The most calls that arrived within any one second."""
    moments = sorted(moments)
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


async def measure(options: Options, url: str) -> Result:
    program = bench_program()
    due_at = nudge_due_at(program)
    async with FakeTelegramApi(latency=options.latency, stamp=time.monotonic) as api, Database(url) as db:
        await seed(db, learners=options.learners, due_at=due_at)
        await analyze(db)
        clock = SimulatedClock(START)
        adapter = TelegramAdapter(token=api.token, base_url=api.base_url, clock=clock)
        await adapter.username()  # getMe once, before the clock starts
        dispatcher = Dispatcher(
            database=db,
            adapters={"telegram": adapter},
            kinds=DeliveryKinds(journey_kinds({program.id: program})),
            clock=clock,
            concurrency=options.concurrency,
        )
        cpu_at_start = time.process_time()
        try:
            elapsed = await send_all(db, dispatcher, deadline=3 * options.learners / CEILING + 60)
        finally:
            cpu = time.process_time() - cpu_at_start
            await adapter.stop()
        sends = api.calls_to("sendMessage")
        return Result(
            elapsed=elapsed,
            cpu=cpu,
            statuses=await statuses(db),
            messages_per_chat=Counter(call.chat_id for call in sends if call.ok and call.chat_id is not None),
            busiest_second=busiest_second([call.at for call in sends if call.at is not None]),
            flood_answers=sum(1 for call in sends if call.status == 429),
        )


def report(options: Options, dialect: str, result: Result) -> int:
    """Print the figures; the exit status: 1 when anything was lost or duplicated."""
    chats = range(FIRST_CHAT, FIRST_CHAT + options.learners)
    sent = sum(result.messages_per_chat.values())
    rate = sent / result.elapsed
    not_sent = sum(count for status, count in result.statuses.items() if status != outbox.SENT)
    silent = sum(1 for chat in chats if result.messages_per_chat[chat] == 0)
    twice = sum(1 for count in result.messages_per_chat.values() if count > 1)
    low, high = (round(seconds * 1000) for seconds in options.latency)
    print(
        f"fan-out of one nudge to {options.learners:,} learners: {dialect}, fake Bot API answering in "
        f"{low}-{high} ms, concurrency {options.concurrency}"
    )
    print(
        f"sent {sent:,} messages in {result.elapsed:.1f} s: {rate:.1f} messages/s, "
        f"{rate / CEILING:.1%} of the {CEILING:.0f}/s ceiling"
    )
    print(f"busiest second: {result.busiest_second} messages; 429 answers: {result.flood_answers}")
    per_message = result.cpu * 1000 / max(sent, 1)
    print(f"CPU while sending: {result.cpu:.1f} s, {per_message:.1f} ms a message (the fake's included)")
    print(f"losses: {not_sent} rows not sent, {silent} chats without the nudge")
    print(f"duplicates: {twice} chats with more than one message")
    return 1 if not_sent or silent or twice else 0


async def main(argv: Sequence[str]) -> int:
    options = parse_options(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'fanout.db'}"
        try:
            result = await measure(options, url)
        except ConfigError as error:
            raise SystemExit(f"telegram_fanout: {error}") from None
        except IntegrityError:
            raise SystemExit("telegram_fanout: the database is not empty; give an empty one") from None
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    return report(options, dialect, result)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))

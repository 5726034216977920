"""The command line: `coachbot content check`, `cohort import|list`, `plan`, `outbox`, `chat`,
`demo`, `invites`, `run`.

The only place that exits the process; every expected error becomes one clear message.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from dotenv import load_dotenv

from bot import reports
from bot.adapters.base import ChatAdapter
from bot.adapters.console import ConsoleAdapter
from bot.adapters.email import EmailAdapter
from bot.adapters.slack import SlackAdapter
from bot.adapters.slack_settings import SlackSettings, load_slack_settings
from bot.adapters.telegram import TelegramAdapter, WebhookSettings
from bot.app import App
from bot.cohorts import ImportReport, import_roster
from bot.console import ConsoleChat, find_person
from bot.domain.errors import CoachbotError, ConfigError
from bot.i18n import CATALOGUES, translate
from bot.joining import InviteLink, InviteRole, issue_links
from bot.settings import BUNDLED_CONTENT, Settings, load_settings
from bot.storage.db import Database
from bot.storage.repository import last_sent_at, person_by_email
from content.check import ContentError, check_tree, summary_line
from content.loader import load_programs
from content.model import Program
from content.roster import parse_roster
from scheduler.clock import Clock, SimulatedClock, SystemClock

T = TypeVar("T")
DEMO_ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"
DEMO_LEARNER = "demo@coachbot.example"
# Slack's HTTP mode sits behind an HTTPS proxy or load balancer: only it need reach the process.
SLACK_HOST = "127.0.0.1"
SLACK_PORT = 3000
TELEGRAM_WEBHOOK_PORT = 8443

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Coachbot: a chat-bot coach between classroom sessions."
)
content_app = typer.Typer(no_args_is_help=True, help="Check trainers' programs.")
cohort_app = typer.Typer(no_args_is_help=True, help="Import and list cohorts.")
app.add_typer(content_app, name="content")
app.add_typer(cohort_app, name="cohort")


def main() -> None:
    """Entry point of the `coachbot` script and `python -m bot`."""
    app()


@content_app.command("check")
def content_check(
    directory: Annotated[Path, typer.Argument(help="Folder of programs")] = BUNDLED_CONTENT,
) -> None:
    """Validate programs: one `path:line: message` per problem, exit 1 if any."""
    result = check_tree(directory)
    for problem in result.problems:
        typer.echo(str(problem))
    if result.problems:
        typer.echo(f"{len(result.problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    for program in result.programs:
        typer.echo(summary_line(program))


@cohort_app.command("import")
def cohort_import(roster_file: Annotated[Path, typer.Argument(help="Roster YAML")]) -> None:
    """Import or update a cohort from its roster: all or nothing, safe to repeat."""
    settings = _settings()
    programs = _programs(settings)
    roster = _or_exit(lambda: parse_roster(roster_file, programs))

    async def imported(database: Database) -> ImportReport:
        return await import_roster(database, roster, programs, now=SystemClock().now())

    report = _run(_with_database(settings, imported))
    for line in report.lines or [f"cohort {report.cohort_id}: nothing changed"]:
        typer.echo(line)


@cohort_app.command("list")
def cohort_list() -> None:
    """The cohorts with their program, sessions and participants."""
    settings = _settings()
    for line in _run(_with_database(settings, reports.cohort_lines)):
        typer.echo(line)


@app.command("plan")
def plan(
    cohort: Annotated[str, typer.Argument(help="Cohort id")],
    person: Annotated[str | None, typer.Option("--person", help="Only this learner (e-mail)")] = None,
) -> None:
    """Each learner's timeline: when (learner's local time), what, status."""
    settings = _settings()
    programs = _programs(settings)

    async def lines(database: Database) -> list[str]:
        return await reports.plan_lines(database, programs, cohort_id=cohort, email=person)

    for line in _run(_with_database(settings, lines)):
        typer.echo(line)


@app.command("outbox")
def outbox(
    cohort: Annotated[str | None, typer.Option("--cohort", help="Only this cohort's learners")] = None,
) -> None:
    """Rows per kind and status, the oldest due row's age and the last errors (their class and
    code): what to look at when a message did not arrive."""
    settings = _settings()

    async def lines(database: Database) -> list[str]:
        return await reports.outbox_lines(database, now=SystemClock().now(), cohort_id=cohort)

    for line in _run(_with_database(settings, lines)):
        typer.echo(line)


@app.command("cases")
def cases(
    cohort: Annotated[str | None, typer.Option("--cohort", help="Only this cohort's cases")] = None,
    unfinished: Annotated[bool, typer.Option("--open", help="Only cases not closed yet")] = False,
    output: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
) -> None:
    """Coach cases: who asked, when, who claimed it, how soon a coach answered, status and
    rating. Never what was written."""
    if output not in ("table", "csv"):
        typer.echo("coachbot: --format must be table or csv", err=True)
        raise typer.Exit(2)
    settings = _settings()

    async def rows(database: Database) -> list[list[str]]:
        return await reports.case_rows(database, cohort_id=cohort, unfinished=unfinished)

    _print_rows(_run(_with_database(settings, rows)), reports.CASE_COLUMNS, reports.render_cases, output)


@app.command("peers")
def peers_command(
    cohort: Annotated[str, typer.Argument(help="The cohort's id")],
    output: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
) -> None:
    """Peer-feedback rounds of a cohort: who gives whom feedback and how far each got
    (introduced, given, received, rating, reported). Never the feedback itself."""
    if output not in ("table", "csv"):
        typer.echo("coachbot: --format must be table or csv", err=True)
        raise typer.Exit(2)
    settings = _settings()

    async def rows(database: Database) -> list[list[str]]:
        return await reports.peer_rows(database, cohort_id=cohort)

    _print_rows(_run(_with_database(settings, rows)), reports.PEER_COLUMNS, reports.render_peers, output)


def _print_rows(
    found: list[list[str]],
    columns: tuple[str, ...],
    render: Callable[[list[list[str]]], list[str]],
    output: str,
) -> None:
    """A table's rows as CSV (with a header) or aligned for a terminal."""
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows([list(columns), *found])
        return
    for line in render(found):
        typer.echo(line)


# The commands shown in Telegram's menu, in this order; descriptions are i18n `command.<name>`.
MENU_COMMANDS = ("start", "menu", "progress", "journal", "coach", "pause", "resume", "language", "help")


@dataclass(frozen=True, slots=True)
class _Platforms:
    """What `coachbot run` serves, with each platform's settings checked."""

    telegram_token: str | None = None
    webhook: WebhookSettings | None = None
    slack: SlackSettings | None = None
    slack_host: str = SLACK_HOST
    slack_port: int = SLACK_PORT


@app.command("run")
def run(
    telegram: Annotated[bool, typer.Option("--telegram", help="Serve Telegram (TELEGRAM_BOT_TOKEN)")] = False,
    slack: Annotated[
        bool,
        typer.Option(
            "--slack",
            help="Serve Slack (SLACK_BOT_TOKEN; SLACK_APP_TOKEN: Socket Mode, else HTTP mode with "
            "SLACK_SIGNING_SECRET)",
        ),
    ] = False,
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Telegram: receive by webhook at this https URL")
    ] = None,
    listen: Annotated[str, typer.Option("--listen", help="Telegram webhook: the address to listen on")] = (
        "127.0.0.1"
    ),
    host: Annotated[str, typer.Option("--host", help="Slack HTTP mode: the address to listen on")] = (
        SLACK_HOST
    ),
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            help=f"Slack HTTP mode's port (default {SLACK_PORT}); without it, the Telegram "
            f"webhook's (default {TELEGRAM_WEBHOOK_PORT})",
        ),
    ] = None,
    webhook_port: Annotated[
        int | None,
        typer.Option(
            "--webhook-port",
            help=f"Telegram webhook's port beside Slack's HTTP mode (default {TELEGRAM_WEBHOOK_PORT})",
        ),
    ] = None,
) -> None:
    """Run the bot on Telegram and/or Slack, with the scheduler, until SIGINT or SIGTERM."""
    settings = _settings()
    if not (telegram or slack):
        typer.echo("coachbot: choose what to serve: --telegram and/or --slack", err=True)
        raise typer.Exit(2)
    platforms = _or_exit(
        lambda: _platforms(
            settings,
            telegram=telegram,
            slack=slack,
            webhook_url=webhook_url,
            listen=listen,
            host=host,
            ports=(port, webhook_port),
        )
    )
    _configure_logging(settings)
    _run(_serve(settings, platforms))


def _platforms(
    settings: Settings,
    *,
    telegram: bool,
    slack: bool,
    webhook_url: str | None,
    listen: str,
    host: str,
    ports: tuple[int | None, int | None],
) -> _Platforms:
    slack_settings = load_slack_settings(os.environ) if slack else None
    slack_listens = slack_settings is not None and slack_settings.mode == "http"
    port, webhook_port = ports
    slack_port = port if port is not None and slack_listens else SLACK_PORT
    if webhook_port is None:
        webhook_port = port if port is not None and not slack_listens else TELEGRAM_WEBHOOK_PORT
    webhook = _webhook(settings, webhook_url, listen, webhook_port) if telegram else None
    if webhook is not None and slack_listens and webhook_port == slack_port:
        raise ConfigError(f"Slack and the Telegram webhook cannot both listen on port {slack_port}")
    return _Platforms(
        telegram_token=settings.require_telegram_token() if telegram else None,
        webhook=webhook,
        slack=slack_settings,
        slack_host=host,
        slack_port=slack_port,
    )


def _webhook(settings: Settings, url: str | None, listen: str, port: int) -> WebhookSettings | None:
    if url is None:
        return None
    if not settings.telegram_webhook_secret:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is required with --webhook-url")
    return WebhookSettings(
        url=url, secret_token=settings.telegram_webhook_secret, listen_host=listen, listen_port=port
    )


# Coachbot's own loggers: their records carry ids, never content, at every level.
_OWN_LOGGERS = ("bot", "scheduler", "content")


def _configure_logging(settings: Settings) -> None:
    """COACHBOT_LOG_LEVEL for Coachbot's own loggers; libraries log warnings and errors only,
    because below that they print the bot token in URLs (httpx), message texts in request
    bodies (python-telegram-bot) and SQL parameters (aiosqlite)."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    logging.basicConfig(
        level=max(level, logging.WARNING), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in _OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # Its warning "skipped: maximum number of running instances" is the normal state while a
    # long send run (a fan-out) outlasts the dispatch interval; job errors still show.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


async def _serve(settings: Settings, platforms: _Platforms) -> None:
    clock = SystemClock()
    telegram = _telegram_adapter(settings, platforms, clock)
    slack = _slack_adapter(platforms, clock)
    adapters: list[ChatAdapter] = [adapter for adapter in (telegram, slack) if adapter is not None]
    if settings.smtp_url:
        adapters.append(EmailAdapter(*settings.require_smtp()))
    stop = _stop_on_signals()
    app = App(settings=settings, clock=clock, adapters=adapters, run_scheduler=True)
    async with app as running:
        if telegram is not None:
            await telegram.register_commands(_menu_commands(), default_language="en")
        await running.dispatcher.run_due()  # what fell due while the bot was down
        await stop.wait()


def _telegram_adapter(settings: Settings, platforms: _Platforms, clock: Clock) -> TelegramAdapter | None:
    if platforms.telegram_token is None:
        return None
    return TelegramAdapter(
        token=platforms.telegram_token,
        clock=clock,
        base_url=settings.telegram_api_base_url,
        webhook=platforms.webhook,
    )


def _slack_adapter(platforms: _Platforms, clock: Clock) -> SlackAdapter | None:
    if platforms.slack is None:
        return None
    return SlackAdapter.from_settings(
        platforms.slack, clock=clock, host=platforms.slack_host, port=platforms.slack_port
    )


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: `coachbot run` then stops cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    return stop


def _menu_commands() -> dict[str, list[tuple[str, str]]]:
    return {
        language: [(name, translate(language, f"command.{name}")) for name in MENU_COMMANDS]
        for language in CATALOGUES
    }


@app.command("invites")
def invites(
    cohort: Annotated[str, typer.Argument(help="Cohort id")],
    output: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
    coaches: Annotated[bool, typer.Option("--coaches", help="Links for the cohort's coaches")] = False,
    managers: Annotated[bool, typer.Option("--managers", help="Links for the cohort's managers")] = False,
) -> None:
    """A personal Telegram join link per participant (or, with --coaches or --managers, per
    coach or manager). Each run issues new links: a person's earlier unused link stops working,
    so send the newest one."""
    if output not in ("table", "csv"):
        typer.echo("coachbot: --format must be table or csv", err=True)
        raise typer.Exit(2)
    if coaches and managers:
        typer.echo("coachbot: choose --coaches or --managers, not both", err=True)
        raise typer.Exit(2)
    role: InviteRole = "coach" if coaches else "manager" if managers else "learner"
    settings = _settings()
    token = _or_exit(settings.require_telegram_token)
    links = _run(_invite_links(settings, token, cohort, role))
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["email", "name", "link", "expires_at"])
        writer.writerows([link.email, link.name, link.link, link.expires_at.isoformat()] for link in links)
    else:
        for line in _invite_table(links):
            typer.echo(line)
    who = {"learner": "participants", "coach": "coaches", "manager": "managers"}[role]
    typer.echo(f"{len(links)} new link(s); earlier unused links of these {who} no longer work.", err=True)


async def _invite_links(settings: Settings, token: str, cohort: str, role: InviteRole) -> list[InviteLink]:
    clock = SystemClock()
    telegram = TelegramAdapter(token=token, clock=clock, base_url=settings.telegram_api_base_url)
    try:
        username = await telegram.username()
    finally:
        await telegram.stop()
    async with Database(settings.database_url) as database:
        return await issue_links(
            database,
            cohort_id=cohort,
            bot_username=username,
            now=clock.now(),
            valid_for=timedelta(days=settings.invite_days),
            role=role,
        )


def _invite_table(links: list[InviteLink]) -> list[str]:
    rows = [(link.email, link.name, link.link, link.expires_at.date().isoformat()) for link in links]
    rows.insert(0, ("email", "name", "link", "expires"))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
        for row in rows
    ]


@app.command("chat")
def chat(
    email: Annotated[
        str, typer.Option("--as", help="The e-mail of a learner, coach or manager on an imported roster")
    ],
    clock: Annotated[
        str | None, typer.Option("--clock", help="Simulated start, e.g. 2027-01-10T08:00 (their local time)")
    ] = None,
) -> None:
    """Chat in the terminal as a learner, coach or manager, in simulated time (/wait 3h moves
    it). Two terminals on one database can play a learner and their coach."""
    settings = _settings()
    _run(_chat(settings, email.strip().lower(), clock))


@app.command("demo")
def demo() -> None:
    """Import the demo cohort (first time only) and chat as the demo learner."""
    settings = _settings()
    programs = _programs(settings)
    roster = _or_exit(lambda: parse_roster(DEMO_ROSTER, programs))

    async def prepare(database: Database) -> str:
        report = await import_roster(database, roster, programs, now=SystemClock().now())
        if report.created:
            typer.echo(f"Imported the demo cohort {roster.id} into {settings.database_url}.")
        resume = await _last_activity(database, DEMO_LEARNER)
        first_session = min(at for _, at in roster.sessions)
        start = datetime.combine(first_session.date() - timedelta(days=8), time(9, 0))
        return (resume or start.replace(tzinfo=ZoneInfo(roster.timezone))).isoformat()

    start = _run(_with_database(settings, prepare))
    typer.echo("Type /help for the commands, /wait 1d to let a day pass, /quit to stop.\n")
    _run(_chat(settings, DEMO_LEARNER, start))


async def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async with Database(settings.database_url) as database:
        return await work(database)


async def _last_activity(database: Database, email: str) -> datetime | None:
    async with database.transaction() as session:
        person = await person_by_email(session, email)
        if person is None or person.id is None:
            return None
        return await last_sent_at(session, person.id)


async def _chat(settings: Settings, email: str, clock_text: str | None) -> None:
    async with Database(settings.database_url) as database:
        person = await find_person(database, email)
    timezone = person.timezone or ZoneInfo("Europe/Amsterdam")
    start = _parse_clock(clock_text, timezone) if clock_text else SystemClock().now()
    clock = SimulatedClock(start)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    adapter = ConsoleAdapter(email=email, output=sys.stdout, clock=clock, timezone=timezone, rich=interactive)
    async with App(
        settings=settings,
        clock=clock,
        adapters=[adapter],
        run_scheduler=True,
        sole_sender=True,
        only_person=person.person_id,
    ) as running:
        session = ConsoleChat(
            adapter=adapter,
            dispatcher=running.dispatcher,
            database=running.database,
            clock=clock,
            output=sys.stdout,
            person_id=person.person_id,
        )
        await session.run(sys.stdin)


def _parse_clock(text: str, timezone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--clock: {text!r} is not a date and time like 2027-01-10T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone)


def _settings() -> Settings:
    load_dotenv(Path.cwd() / ".env")
    return _or_exit(lambda: load_settings(os.environ))


def _programs(settings: Settings) -> dict[str, Program]:
    return _or_exit(lambda: load_programs(settings.content_dir))


def _or_exit(make: Callable[[], T]) -> T:
    try:
        return make()
    except ContentError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    except (CoachbotError, ZoneInfoNotFoundError) as error:
        typer.echo(f"coachbot: {error}", err=True)
        raise typer.Exit(2) from None


def _run(work: Coroutine[Any, Any, T]) -> T:
    return _or_exit(lambda: asyncio.run(work))

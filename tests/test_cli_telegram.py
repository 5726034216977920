"""`coachbot invites` and `coachbot run --telegram` as real processes against the fake Bot API."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import aiohttp
import pytest

from bot.adapters.telegram import SECRET_HEADER
from bot.cohorts import import_roster
from bot.joining import issue_links
from bot.storage.db import Database
from content.model import Program
from content.roster import parse_roster
from tests.fakes.telegram_api import FakeTelegramApi
from tests.test_cli import DEMO_ROSTER, ROOT, coachbot

pytestmark = pytest.mark.slow
CHAT = 4242
HOOK_URL = "https://example.test/hook"
SECRET = "a-long-random-webhook-secret_for-tests"
WELCOME = "Welkom bij <b>Feedback geven en ontvangen</b>"


def _env(tmp_path: Path, api: FakeTelegramApi) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "COACHBOT_DISPATCH_INTERVAL": "1",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
    }


async def _spawn(
    *args: str, env: dict[str, str], cwd: Path, output: int | IO[bytes] = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """`python -m bot *args`, its stdout and stderr to `output` (pipes, by default)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=output, stderr=output
    )


async def _coachbot(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await _spawn(*args, env=env, cwd=cwd)
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class Stopped:
    """How a `coachbot run` process ended: filled in when its `async with` block is left."""

    returncode: int | None = None
    output: str = ""  # stdout and stderr


@asynccontextmanager
async def _running(
    *args: str, env: dict[str, str], cwd: Path, stop: signal.Signals
) -> AsyncIterator[Stopped]:
    """`coachbot run --telegram *args` while the block runs; then `stop` is sent and the
    process is awaited (a bounded wait). Its output goes to a file: a pipe nobody reads
    while it runs would block the process once full (as at COACHBOT_LOG_LEVEL=DEBUG)."""
    log = cwd / "run.log"
    with log.open("wb") as output:
        process = await _spawn("run", "--telegram", *args, env=env, cwd=cwd, output=output)
    stopped = Stopped()
    try:
        yield stopped
    finally:
        if process.returncode is None:
            process.send_signal(stop)
        async with asyncio.timeout(30):
            await process.wait()
        stopped.returncode, stopped.output = process.returncode, log.read_text(encoding="utf-8")


async def _anna_token(tmp_path: Path, api: FakeTelegramApi) -> str:
    code, out, err = await _coachbot(
        "invites", "fb-2027-q1", "--format", "csv", env=_env(tmp_path, api), cwd=tmp_path
    )
    assert code == 0, err
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 5
    assert "no longer work" in err
    link = rows["anna@acme.example"]["link"]
    assert link.startswith("https://t.me/coachbot_test_bot?start=")
    return link.rsplit("=", 1)[1]


async def test_run_telegram_answers_an_invite_and_stops_cleanly(tmp_path: Path) -> None:
    assert coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path).returncode == 0
    async with FakeTelegramApi() as api:
        token = await _anna_token(tmp_path, api)
        async with _running(env=_env(tmp_path, api), cwd=tmp_path, stop=signal.SIGTERM) as stopped:
            # Polling starts with the App; the command menu is registered just after it.
            await api.wait_until(lambda: api.waiting_for_updates and len(api.commands) >= 3, within=60)
            assert set(api.commands) == {"nl", "en", ""}  # "": the default, English
            assert api.commands["en"][-1] == {"command": "help", "description": "What I can do"}
            api.push_start(CHAT, token, first_name="Anna")
            await api.wait_until(lambda: len(api.sent_texts(CHAT)) >= 2, within=30)
            assert api.sent_texts(CHAT)[0].startswith(WELCOME)
        assert stopped.returncode == 0, stopped.output
        assert "Traceback" not in stopped.output
        assert api.token not in stopped.output


async def test_run_telegram_by_webhook_answers_only_with_the_secret(
    tmp_path: Path, programs: dict[str, Program]
) -> None:
    token = await _imported_with_anna_invited(tmp_path, programs)  # in-process: `invites` is tested above
    async with FakeTelegramApi() as api:
        port = _free_port()
        # At its most talkative, the log must still carry no secret and no message content.
        env = _env(tmp_path, api) | {"TELEGRAM_WEBHOOK_SECRET": SECRET, "COACHBOT_LOG_LEVEL": "DEBUG"}
        hook = ("--webhook-url", HOOK_URL, "--listen", "127.0.0.1", "--port", str(port))
        async with _running(*hook, env=env, cwd=tmp_path, stop=signal.SIGINT) as stopped:
            # The webhook is set once the listener is up; the command menu just after the App.
            await api.wait_until(lambda: api.webhook is not None and len(api.commands) >= 3, within=60)
            assert api.webhook is not None
            assert (api.webhook["url"], api.webhook["secret_token"]) == (HOOK_URL, SECRET)
            assert api.calls_to("getUpdates") == []

            start = api.start_message(CHAT, token, first_name="Annabel")
            assert await _post(port, {"update_id": 1, "message": start}, secret="not-the-secret") == 403
            assert await _post(port, {"update_id": 2, "message": start}, secret=None) == 403
            assert await _post(port, {"update_id": 3, "message": start}, secret=SECRET) == 200
            # The refused posts linked nothing: the invite still works.
            await api.wait_until(lambda: len(api.sent_texts(CHAT)) >= 2, within=30)
            assert api.sent_texts(CHAT)[0].startswith(WELCOME)
        assert stopped.returncode == 0, stopped.output
        assert "Traceback" not in stopped.output
        # Other instances may serve the same URL: stopping one leaves the webhook in place.
        assert api.calls_to("deleteWebhook") == []
        for secret in (api.token, SECRET, token, "Annabel", "Welkom"):
            assert secret not in stopped.output


async def _imported_with_anna_invited(tmp_path: Path, programs: dict[str, Program]) -> str:
    """The demo cohort in the database `_env` names; Anna's invite token."""
    now = datetime.now(UTC)
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}") as database:
        roster = parse_roster(DEMO_ROSTER, programs)
        await import_roster(database, roster, programs, now=now)
        links = await issue_links(
            database,
            cohort_id=roster.id,
            bot_username="coachbot_test_bot",
            now=now,
            valid_for=timedelta(days=1),
        )
    return next(link.link for link in links if link.email == "anna@acme.example").rsplit("=", 1)[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _post(port: int, update: dict[str, object], *, secret: str | None) -> int:
    """POST `update` to the bot's webhook listener as Telegram would; the HTTP status."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers) as response,
    ):
        return response.status


def test_run_without_a_platform_or_token_is_one_line(tmp_path: Path) -> None:
    result = coachbot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "--telegram" in result.stderr
    result = coachbot("run", "--telegram", cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == "coachbot: TELEGRAM_BOT_TOKEN is not set (the token BotFather gave you)"
    webhook = coachbot(
        "run",
        "--telegram",
        "--webhook-url",
        "https://bot.example/tg",
        cwd=tmp_path,
        env={"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": ""},
    )
    assert webhook.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in webhook.stderr

"""`coachbot invites` and `coachbot run --telegram` as real processes against the fake Bot API."""

from __future__ import annotations

import csv
import io
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.telegram import SECRET_HEADER
from bot.cohorts import import_roster
from bot.joining import issue_links
from bot.storage.db import Database
from content.model import Program
from content.roster import parse_roster
from tests.cli_process import DEMO_ROSTER, coachbot, coachbot_async, free_port, start, stop
from tests.fakes.telegram_api import FakeTelegramApi

pytestmark = pytest.mark.slow
CHAT = 4242
HOOK_URL = "https://example.test/hook"
SECRET = "a-long-random-webhook-secret_for-tests"
WELCOME = "Welkom bij <b>Feedback geven en ontvangen</b>"


def _env(api: FakeTelegramApi) -> dict[str, str]:
    return {
        "COACHBOT_DISPATCH_INTERVAL": "1",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
    }


async def _anna_token(tmp_path: Path, api: FakeTelegramApi) -> str:
    code, out, err = await coachbot_async(
        "invites", "fb-2027-q1", "--format", "csv", env=_env(api), cwd=tmp_path
    )
    assert code == 0, err
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(out))}
    assert len(rows) == 5
    assert "no longer work" in err
    link = rows["anna@acme.example"]["link"]
    assert link.startswith("https://t.me/coachbot_test_bot?start=")
    return link.rsplit("=", 1)[1]


async def test_invites_for_the_coaches_or_the_managers(tmp_path: Path) -> None:
    assert coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path).returncode == 0
    async with FakeTelegramApi() as api:
        code, out, err = await coachbot_async(
            "invites", "fb-2027-q1", "--coaches", "--format", "csv", env=_env(api), cwd=tmp_path
        )
        assert code == 0, err
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [(row["email"], row["name"]) for row in rows] == [("coach@acme.example", "Carla Coach")]
        assert rows[0]["link"].startswith("https://t.me/coachbot_test_bot?start=")
        assert err.strip() == "1 new link(s); earlier unused links of these coaches no longer work."
        code, out, err = await coachbot_async(
            "invites", "fb-2027-q1", "--managers", env=_env(api), cwd=tmp_path
        )
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split() == ["email", "name", "link", "expires"]
        assert [line.split()[0] for line in lines[1:]] == ["mark@acme.example", "lotte@acme.example"]
        code, out, err = await coachbot_async(
            "invites", "fb-2027-q1", "--coaches", "--managers", env=_env(api), cwd=tmp_path
        )
        assert (code, out, err.strip()) == (2, "", "coachbot: choose --coaches or --managers, not both")


async def test_run_telegram_answers_an_invite_and_stops_cleanly(tmp_path: Path) -> None:
    assert coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path).returncode == 0
    async with FakeTelegramApi() as api:
        token = await _anna_token(tmp_path, api)
        process = await start("run", "--telegram", cwd=tmp_path, env=_env(api))
        try:
            # Polling starts with the App; the command menu is registered just after it.
            await api.wait_until(lambda: api.waiting_for_updates and len(api.commands) >= 3, within=60)
            assert set(api.commands) == {"nl", "en", ""}  # "": the default, English
            assert api.commands["en"][-1] == {"command": "help", "description": "What I can do"}
            api.push_start(CHAT, token, first_name="Anna")
            await api.wait_until(lambda: len(api.sent_texts(CHAT)) >= 2, within=30)
            assert api.sent_texts(CHAT)[0].startswith(WELCOME)
        finally:
            code, out, err = await stop(process)
        assert code == 0, err
        assert "Traceback" not in err
        assert api.token not in out + err


async def test_run_telegram_by_webhook_answers_only_with_the_secret(
    tmp_path: Path, programs: dict[str, Program]
) -> None:
    token = await _imported_with_anna_invited(tmp_path, programs)  # in-process: `invites` is tested above
    async with FakeTelegramApi() as api:
        port = free_port()
        # At its most talkative, the log must still carry no secret and no message content.
        env = _env(api) | {"TELEGRAM_WEBHOOK_SECRET": SECRET, "COACHBOT_LOG_LEVEL": "DEBUG"}
        hook = ("--webhook-url", HOOK_URL, "--listen", "127.0.0.1", "--port", str(port))
        process = await start("run", "--telegram", *hook, cwd=tmp_path, env=env)
        try:
            # The webhook is set once the listener is up; the command menu just after the App.
            await api.wait_until(lambda: api.webhook is not None and len(api.commands) >= 3, within=60)
            assert api.webhook is not None
            assert (api.webhook["url"], api.webhook["secret_token"]) == (HOOK_URL, SECRET)
            assert api.calls_to("getUpdates") == []

            message = api.start_message(CHAT, token, first_name="Annabel")
            assert await _post(port, {"update_id": 1, "message": message}, secret="not-the-secret") == 403
            assert await _post(port, {"update_id": 2, "message": message}, secret=None) == 403
            assert await _post(port, {"update_id": 3, "message": message}, secret=SECRET) == 200
            # The refused posts linked nothing: the invite still works.
            await api.wait_until(lambda: len(api.sent_texts(CHAT)) >= 2, within=30)
            assert api.sent_texts(CHAT)[0].startswith(WELCOME)
        finally:
            if process.process.returncode is None:
                process.process.send_signal(signal.SIGINT)  # Ctrl-C, as an operator stops it
            code, out, err = await process.finished(within=30)
        assert code == 0, err
        assert "Traceback" not in out + err
        # Other instances may serve the same URL: stopping one leaves the webhook in place.
        assert api.calls_to("deleteWebhook") == []
        for secret in (api.token, SECRET, token, "Annabel", "Welkom"):
            assert secret not in out + err


async def _imported_with_anna_invited(tmp_path: Path, programs: dict[str, Program]) -> str:
    """The demo cohort in the database the CLI processes use; Anna's invite token."""
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
    assert result.stderr.strip() == "coachbot: choose what to serve: --telegram and/or --slack"
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

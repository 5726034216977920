"""`coachbot invites` and `coachbot run --telegram` as real processes against the fake Bot API."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.cli_process import DEMO_ROSTER, coachbot, coachbot_async, start, stop
from tests.fakes.telegram_api import FakeTelegramApi

pytestmark = pytest.mark.slow
CHAT = 4242


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
            assert api.sent_texts(CHAT)[0].startswith("Welkom bij <b>Feedback geven en ontvangen</b>")
        finally:
            code, out, err = await stop(process)
        assert code == 0, err
        assert api.token not in out + err


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

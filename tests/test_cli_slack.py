"""`coachbot run --slack` as a real process against the fake Slack Web API: HTTP mode with signed
requests, Socket Mode beside Telegram in one process, clean stops, and one-line errors."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.settings import BUNDLED_CONTENT
from tests.cli_process import DEMO_ROSTER, coachbot, coachbot_async, free_port, start, stop
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlackApi
from tests.fakes.slack_signing import SIGNING_SECRET, SignedPoster, dm_event
from tests.fakes.slack_socket import FakeSocketModeServer
from tests.fakes.telegram_api import FakeTelegramApi

pytestmark = pytest.mark.slow
ANNA, BRAM = "anna@acme.example", "bram@acme.example"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    api = await FakeSlackApi().start()
    yield api
    await api.stop()


@pytest.fixture
def always_open(tmp_path: Path) -> str:
    """The bundled programmes with a send window open all day, every day (to the minute before
    midnight): `coachbot run` keeps real time, and a welcome found by e-mail waits for the window."""
    programs = tmp_path / "programs"
    shutil.copytree(BUNDLED_CONTENT, programs)
    for header in programs.glob("*/program.md"):
        text = header.read_text(encoding="utf-8")
        opened = text.replace('send_window: "08:30-17:30"', 'send_window: "00:00-23:59"')
        opened = opened.replace("workdays: mon-fri", "workdays: mon-sun")
        assert opened.count("00:00-23:59") == opened.count("mon-sun") == 1, header  # both replaced
        header.write_text(opened, encoding="utf-8")
    return str(programs)


def _env(api: FakeSlackApi, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": api.url,
        "COACHBOT_LOG_LEVEL": "DEBUG",  # the most it would ever log: still nothing personal
        **extra,
    }


def _sent_to(api: FakeSlackApi, channel: str) -> list[str]:
    return [str(message["text"]) for message in api.messages_to(channel)]


async def test_run_slack_in_http_mode_links_answers_and_stops_cleanly(
    tmp_path: Path, slack_api: FakeSlackApi, always_open: str
) -> None:
    content = {"COACHBOT_CONTENT_DIR": always_open}
    assert coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path, env=content).returncode == 0
    slack_api.add_user(ANNA, "U0ANNA")
    slack_api.add_user(BRAM, "U0BRAM")
    port = free_port()
    env = _env(slack_api, **content)
    process = await start("run", "--slack", "--port", str(port), cwd=tmp_path, env=env)
    try:
        # The start-up sweep begins once the adapters are receiving, and finds Anna by e-mail.
        await slack_api.wait_until(lambda: bool(_sent_to(slack_api, "D0ANNA")), within=60)
        assert _sent_to(slack_api, "D0ANNA")[0].startswith("Welkom bij *Feedback geven")
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/slack/events"
            answer = await SignedPoster(session, url).event(dm_event("U0BRAM", "hello"))
            assert answer.status == 200
            # Bram is linked by his message (or the sweep, whichever comes first) and welcomed.
            await slack_api.wait_until(lambda: len(_sent_to(slack_api, "D0BRAM")) >= 2, within=30)
            forged = await SignedPoster(session, url, secret="not-the-secret").event(dm_event("U0BRAM", "x"))
            assert forged.status == 401
    finally:
        code, out, err = await stop(process)
    assert code == 0, err
    assert "Traceback" not in err
    for secret in (BOT_TOKEN, SIGNING_SECRET, ANNA, BRAM, "hello"):
        assert secret not in out + err


async def test_run_telegram_and_slack_in_socket_mode_in_one_process(
    tmp_path: Path, slack_api: FakeSlackApi
) -> None:
    assert coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path).returncode == 0
    socket_server = await FakeSocketModeServer().start()
    slack_api.socket_url = socket_server.url
    try:
        async with FakeTelegramApi() as telegram:
            env = _env(
                slack_api,
                SLACK_APP_TOKEN=APP_TOKEN,
                SLACK_SIGNING_SECRET="",
                TELEGRAM_BOT_TOKEN=telegram.token,
                TELEGRAM_API_BASE_URL=telegram.base_url,
            )
            process = await start("run", "--telegram", "--slack", cwd=tmp_path, env=env)
            try:
                await socket_server.wait_connected(within=60)
                await telegram.wait_until(lambda: telegram.waiting_for_updates, within=30)
                envelope = await socket_server.send_event(dm_event("U0STRANGER", "hoi"), event_id="Ev01")
                await socket_server.wait_ack(envelope)
                await slack_api.wait_until(lambda: bool(_sent_to(slack_api, "D0STRANGER")), within=30)
                assert "participant list" in _sent_to(slack_api, "D0STRANGER")[0]
            finally:
                code, _, err = await stop(process)
    finally:
        await socket_server.stop()
    assert code == 0, err
    assert "Traceback" not in err


async def test_a_token_slack_refuses_is_one_line(tmp_path: Path, slack_api: FakeSlackApi) -> None:
    code, _, err = await coachbot_async(
        "run",
        "--slack",
        "--port",
        "0",
        cwd=tmp_path,
        env=_env(slack_api, SLACK_BOT_TOKEN="xoxb-wrong", COACHBOT_LOG_LEVEL="WARNING"),
    )
    assert code == 2
    assert err.strip() == "coachbot: Config 'SLACK_BOT_TOKEN' was refused by Slack (invalid_auth)"


def test_missing_slack_settings_are_one_line(tmp_path: Path) -> None:
    no_token = coachbot("run", "--slack", cwd=tmp_path, env={"SLACK_BOT_TOKEN": ""})
    assert no_token.returncode == 2
    assert no_token.stderr.strip() == "coachbot: Config 'SLACK_BOT_TOKEN' is missing, and has no default."
    no_secret = coachbot(
        "run",
        "--slack",
        cwd=tmp_path,
        env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": ""},
    )
    assert no_secret.returncode == 2
    assert no_secret.stderr.strip().startswith("coachbot: Config 'SLACK_SIGNING_SECRET' is missing")
    assert len(no_secret.stderr.strip().splitlines()) == 1


def test_slack_and_a_telegram_webhook_need_two_ports(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "TELEGRAM_BOT_TOKEN": "1:x",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
    }
    args = ("run", "--telegram", "--slack", "--webhook-url", "https://bot.example/tg")
    result = coachbot(*args, "--port", "8443", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "coachbot: Slack and the Telegram webhook cannot both listen on port 8443"

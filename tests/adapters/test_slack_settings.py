"""Slack settings from the environment: the connection mode, defaults, and errors naming the key."""

from __future__ import annotations

import pytest

from bot.adapters.slack_settings import DEFAULT_API_URL, load_slack_settings
from bot.domain.errors import ConfigError


def test_settings_for_http_mode() -> None:
    settings = load_slack_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )

    assert (settings.mode, settings.api_url, settings.app_token) == ("http", "http://127.0.0.1:9/api/", None)


def test_settings_for_socket_mode_need_no_signing_secret() -> None:
    settings = load_slack_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})

    assert (settings.mode, settings.api_url) == ("socket", DEFAULT_API_URL)


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xapp-wrong"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "ftp://x"},
            "SLACK_API_URL",
        ),
    ],
)
def test_bad_settings_name_their_key(environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_slack_settings(environ)

"""Settings come from an injectable environment; a bad value is named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.errors import ConfigError
from bot.settings import BUNDLED_CONTENT, DEFAULT_DATABASE_URL, load_settings

MAIL_FROM = "Coachbot <coach@acme.example>"


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.content_dir == BUNDLED_CONTENT
    assert (BUNDLED_CONTENT / "feedback-geven" / "program.md").is_file()


def test_values_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "COACHBOT_DATABASE_URL": "postgresql+asyncpg://coach@db/coachbot",
            "COACHBOT_CONTENT_DIR": str(tmp_path),
            "COACHBOT_DISPATCH_INTERVAL": "2.5",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://coach@db/coachbot"
    assert settings.content_dir == tmp_path
    assert settings.dispatch_interval_seconds == 2.5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"COACHBOT_DATABASE_URL": "mysql://x"}, "COACHBOT_DATABASE_URL"),
        ({"COACHBOT_DATABASE_URL": "sqlite:///sync.db"}, "COACHBOT_DATABASE_URL"),
        ({"COACHBOT_CONTENT_DIR": "/no/such/folder"}, "COACHBOT_CONTENT_DIR"),
        ({"COACHBOT_DISPATCH_INTERVAL": "soon"}, "COACHBOT_DISPATCH_INTERVAL"),
        ({"COACHBOT_DISPATCH_INTERVAL": "-1"}, "COACHBOT_DISPATCH_INTERVAL"),
        ({"COACHBOT_LOG_LEVEL": "LOUD"}, "COACHBOT_LOG_LEVEL"),
        ({"COACHBOT_INVITE_DAYS": "0"}, "COACHBOT_INVITE_DAYS"),
        ({"COACHBOT_INVITE_DAYS": "a month"}, "COACHBOT_INVITE_DAYS"),
        ({"TELEGRAM_API_BASE_URL": "api.telegram.org"}, "TELEGRAM_API_BASE_URL"),
        ({"TELEGRAM_API_BASE_URL": "https://api.telegram.org/bot123"}, "TELEGRAM_API_BASE_URL"),
        ({"COACHBOT_SMTP_URL": "smtp://mail.acme.example"}, "COACHBOT_MAIL_FROM"),
        (
            {"COACHBOT_SMTP_URL": "http://mail.acme.example", "COACHBOT_MAIL_FROM": MAIL_FROM},
            "COACHBOT_SMTP_URL",
        ),
        (
            {"COACHBOT_SMTP_URL": "mail.acme.example:587", "COACHBOT_MAIL_FROM": MAIL_FROM},
            "COACHBOT_SMTP_URL",
        ),
        ({"COACHBOT_SMTP_URL": "smtp://:587", "COACHBOT_MAIL_FROM": MAIL_FROM}, "COACHBOT_SMTP_URL"),
        (
            {"COACHBOT_SMTP_URL": "smtp://mail.acme.example:0", "COACHBOT_MAIL_FROM": MAIL_FROM},
            "COACHBOT_SMTP_URL",
        ),
        (
            {"COACHBOT_SMTP_URL": "smtp://mail.acme.example/x", "COACHBOT_MAIL_FROM": MAIL_FROM},
            "COACHBOT_SMTP_URL",
        ),
        (
            {"COACHBOT_SMTP_URL": "smtp://user@mail.acme.example", "COACHBOT_MAIL_FROM": MAIL_FROM},
            "COACHBOT_SMTP_URL",
        ),
        (
            {"COACHBOT_SMTP_URL": "smtp://mail.acme.example", "COACHBOT_MAIL_FROM": "coachbot"},
            "COACHBOT_MAIL_FROM",
        ),
    ],
)
def test_a_bad_value_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named) as raised:
        load_settings(environ)
    assert "\n" not in str(raised.value)


def test_telegram_settings_are_read_and_the_token_is_required_only_when_used() -> None:
    assert load_settings({}).invite_days == 30
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({}).require_telegram_token()
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret",
            "COACHBOT_INVITE_DAYS": "7",
        }
    )
    assert settings.require_telegram_token() == "123:abc"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081"
    assert settings.telegram_webhook_secret == "s3cret"
    assert settings.invite_days == 7


def test_smtp_settings_are_read_and_required_only_when_used() -> None:
    assert (load_settings({}).smtp_url, load_settings({}).mail_from) == (None, None)
    with pytest.raises(ConfigError, match="COACHBOT_SMTP_URL"):
        load_settings({}).require_smtp()
    url = "smtps://coach%40acme:p%40ss@mail.acme.example:2465"
    settings = load_settings({"COACHBOT_SMTP_URL": url, "COACHBOT_MAIL_FROM": MAIL_FROM})
    assert settings.require_smtp() == (url, MAIL_FROM)


@pytest.mark.parametrize(
    "url",
    [
        "https://coach:hunter2@mail.acme.example",
        "smtp://coach:hunter2@mail.acme.example:port",
        "smtp://coach:hunter2@mail.acme.example/path",
        "smtp://coach:hunter2@",
    ],
)
def test_a_bad_smtp_url_never_shows_its_password(url: str) -> None:
    with pytest.raises(ConfigError, match="COACHBOT_SMTP_URL") as raised:
        load_settings({"COACHBOT_SMTP_URL": url, "COACHBOT_MAIL_FROM": MAIL_FROM})
    assert "hunter2" not in str(raised.value)

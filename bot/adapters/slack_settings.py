"""Slack settings, read once from an injectable environment; a bad value names its key.

- `SLACK_BOT_TOKEN` (required, `xoxb-…`): the bot token for the Web API.
- `SLACK_APP_TOKEN` (`xapp-…`): when set, Socket Mode (no public URL needed).
- `SLACK_SIGNING_SECRET`: required without an app token (HTTP mode checks every request with it).
- `SLACK_API_URL` (default `https://slack.com/api/`): the Web API base URL (proxies, test fakes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.domain.errors import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str
    app_token: str | None = None
    signing_secret: str | None = None
    api_url: str = DEFAULT_API_URL

    @property
    def mode(self) -> Literal["socket", "http"]:
        """Socket Mode when an app token is given, else HTTP mode."""
        return "socket" if self.app_token else "http"


def load_slack_settings(environ: Mapping[str, str]) -> SlackSettings:
    """Build the Slack settings from `environ` (e.g. `os.environ`); fail fast on a bad value."""
    bot_token = _token(environ, "SLACK_BOT_TOKEN", "xoxb-", required=True)
    app_token = _token(environ, "SLACK_APP_TOKEN", "xapp-", required=False)
    signing_secret = environ.get("SLACK_SIGNING_SECRET", "").strip() or None
    if app_token is None and signing_secret is None:
        raise ConfigError(
            "Config 'SLACK_SIGNING_SECRET' is missing: HTTP mode needs it "
            "(or set SLACK_APP_TOKEN for Socket Mode)"
        )
    return SlackSettings(
        bot_token=bot_token or "",
        app_token=app_token,
        signing_secret=signing_secret,
        api_url=_api_url(environ),
    )


def _token(environ: Mapping[str, str], key: str, prefix: str, *, required: bool) -> str | None:
    value = environ.get(key, "").strip()
    if not value:
        if required:
            raise ConfigError(f"Config '{key}' is missing, and has no default.")
        return None
    if not value.startswith(prefix):
        raise ConfigError(f"Config '{key}' must start with {prefix!r}")
    return value


def _api_url(environ: Mapping[str, str]) -> str:
    url = environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not url.startswith(("https://", "http://")):
        raise ConfigError("Config 'SLACK_API_URL' must be an http(s) URL")
    return url if url.endswith("/") else url + "/"

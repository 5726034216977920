"""Settings, read once from an injectable environment (the process's, plus an optional `.env`).

A missing or malformed setting raises `ConfigError` naming the key, in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from bot.domain.errors import ConfigError

BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content" / "programs"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coachbot.db"
DEFAULT_TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    content_dir: Path = BUNDLED_CONTENT
    dispatch_interval_seconds: float = 5.0
    log_level: str = "WARNING"
    invite_days: int = 30
    telegram_bot_token: str | None = None  # required by `run --telegram` and `invites` only
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API
    telegram_webhook_secret: str | None = None  # required with --webhook-url only
    smtp_url: str | None = None  # e-mail is sent only when it is set
    mail_from: str | None = None  # set whenever smtp_url is

    def require_telegram_token(self) -> str:
        if not self.telegram_bot_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set (the token BotFather gave you)")
        return self.telegram_bot_token

    def require_smtp(self) -> tuple[str, str]:
        """The SMTP URL and the sender address, for sending e-mail."""
        if not self.smtp_url or not self.mail_from:
            raise ConfigError("COACHBOT_SMTP_URL is not set (like smtp://user:password@mail.example:587)")
        return self.smtp_url, self.mail_from


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from `environ` (e.g. `os.environ`); fail fast on a bad value."""
    return Settings(
        database_url=_database_url(environ),
        content_dir=_content_dir(environ),
        dispatch_interval_seconds=_positive_float(environ, "COACHBOT_DISPATCH_INTERVAL", 5.0),
        log_level=_choice(environ, "COACHBOT_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "WARNING"),
        invite_days=_positive_int(environ, "COACHBOT_INVITE_DAYS", 30),
        telegram_bot_token=environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        telegram_api_base_url=_base_url(environ, "TELEGRAM_API_BASE_URL", DEFAULT_TELEGRAM_API),
        telegram_webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None,
        smtp_url=_smtp_url(environ),
        mail_from=_mail_from(environ),
    )


def _database_url(environ: Mapping[str, str]) -> str:
    url = environ.get("COACHBOT_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "COACHBOT_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
            f"(got a URL starting with {url.split(':', 1)[0]!r})"
        )
    return url


def _content_dir(environ: Mapping[str, str]) -> Path:
    raw = environ.get("COACHBOT_CONTENT_DIR", "").strip()
    if not raw:
        return BUNDLED_CONTENT
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"COACHBOT_CONTENT_DIR: {raw} is not a directory")
    return path


def _positive_float(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number of seconds (got {raw!r})") from None
    if value <= 0:
        raise ConfigError(f"{key} must be greater than 0 (got {raw!r})")
    return value


def _choice(environ: Mapping[str, str], key: str, allowed: tuple[str, ...], default: str) -> str:
    raw = environ.get(key, "").strip().upper()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)} (got {raw!r})")
    return raw


def _positive_int(environ: Mapping[str, str], key: str, default: int) -> int:
    raw = environ.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{key} must be a whole number greater than 0 (got {raw!r})")
    return int(raw)


def _base_url(environ: Mapping[str, str], key: str, default: str) -> str:
    """Scheme, host and port only: the client appends `/bot<token>/<method>` itself."""
    raw = environ.get(key, "").strip().rstrip("/")
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ConfigError(f"{key} must be scheme, host and port only, like {default} (got {raw!r})")
    return raw


def _smtp_url(environ: Mapping[str, str]) -> str | None:
    """`smtp://` (STARTTLS) or `smtps://` (TLS), optional credentials, a host and a port.
    The messages name the part that is wrong but never repeat the URL: it may hold a password."""
    key = "COACHBOT_SMTP_URL"
    raw = environ.get(key, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("smtp", "smtps"):
        raise ConfigError(f"{key} must start with smtp:// (STARTTLS) or smtps:// (TLS)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigError(f"{key} has a port that is not a number from 1 to 65535")
    if not parts.hostname:
        raise ConfigError(f"{key} names no host (like smtp://user:password@mail.example:587)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"{key} must be smtp[s]://[user:password@]host[:port], without a path or query "
            "(percent-encode / ? # in the password)"
        )
    if bool(parts.username) != (parts.password is not None):
        raise ConfigError(f"{key} must give both a user name and a password, or neither")
    return raw


def _mail_from(environ: Mapping[str, str]) -> str | None:
    """The sender of every e-mail: `coach@acme.example` or `Coachbot <coach@acme.example>`."""
    key = "COACHBOT_MAIL_FROM"
    raw = environ.get(key, "").strip()
    if not raw:
        if environ.get("COACHBOT_SMTP_URL", "").strip():
            raise ConfigError(f"Config '{key}' is missing: COACHBOT_SMTP_URL needs a sender address")
        return None
    _, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or raw.count("@") != 1:
        raise ConfigError(f"{key} must be an e-mail address like Coachbot <coach@acme.example> (got {raw!r})")
    return raw

"""Settings, read once from an injectable environment (the process's, plus an optional `.env`).

A missing or malformed setting raises `ConfigError` naming the key, in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.domain.errors import ConfigError

BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content" / "programs"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coachbot.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    content_dir: Path = BUNDLED_CONTENT
    dispatch_interval_seconds: float = 5.0
    log_level: str = "WARNING"


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from `environ` (e.g. `os.environ`); fail fast on a bad value."""
    return Settings(
        database_url=_database_url(environ),
        content_dir=_content_dir(environ),
        dispatch_interval_seconds=_positive_float(environ, "COACHBOT_DISPATCH_INTERVAL", 5.0),
        log_level=_choice(environ, "COACHBOT_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "WARNING"),
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

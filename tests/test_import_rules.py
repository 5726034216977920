"""DESIGN.md's dependency rules, checked by reading every import of the packages.

Arrows: bot -> scheduler -> content, bot -> content; nothing imports bot. Only the Telegram
adapter imports telegram, only the Slack adapter slack_bolt/slack_sdk, only the e-mail adapter
aiosmtplib/jinja2/markupsafe, only bot/storage sqlmodel/sqlalchemy/alembic, only
scheduler/jobs.py apscheduler.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "scheduler", "content")

# (top-level module imported, the only places allowed to import it)
RESTRICTED: dict[str, tuple[str, ...]] = {
    "telegram": ("bot/adapters/telegram",),
    "slack_bolt": ("bot/adapters/slack",),
    "slack_sdk": ("bot/adapters/slack",),
    "aiosmtplib": ("bot/adapters/email",),
    "jinja2": ("bot/adapters/email",),
    "markupsafe": ("bot/adapters/email",),
    "sqlmodel": ("bot/storage/",),
    "sqlalchemy": ("bot/storage/",),
    "alembic": ("bot/storage/",),
    "asyncpg": ("bot/storage/",),
    "aiosqlite": ("bot/storage/",),
    "apscheduler": ("scheduler/jobs.py",),
    "bot": ("bot/",),
    "scheduler": ("bot/", "scheduler/"),
}


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _imports(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def violations(relative: str, source: str) -> list[str]:
    return [
        f"{relative} imports {module}"
        for module in sorted(_imports(source))
        if module in RESTRICTED and not relative.startswith(RESTRICTED[module])
    ]


def test_the_packages_have_sources() -> None:
    assert len(_sources()) > 20


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_follow_the_dependency_rules(path: Path) -> None:
    assert violations(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("content/x.py", "from bot.app import App", ["content/x.py imports bot"]),
        ("scheduler/x.py", "import bot.flows", ["scheduler/x.py imports bot"]),
        ("content/x.py", "from scheduler.clock import Clock", ["content/x.py imports scheduler"]),
        ("bot/flows/x.py", "import telegram", ["bot/flows/x.py imports telegram"]),
        ("bot/flows/x.py", "from sqlmodel import select", ["bot/flows/x.py imports sqlmodel"]),
        ("scheduler/planner.py", "import apscheduler", ["scheduler/planner.py imports apscheduler"]),
        ("bot/adapters/telegram.py", "from telegram import Bot", []),
        ("bot/adapters/slack_render.py", "from slack_sdk import WebClient", []),
        ("bot/adapters/email_render.py", "from jinja2 import Environment", []),
        ("bot/flows/x.py", "import aiosmtplib", ["bot/flows/x.py imports aiosmtplib"]),
        ("bot/storage/db.py", "from sqlalchemy import text", []),
        ("bot/flows/x.py", "from scheduler.planner import plan\nfrom content.model import Program", []),
    ],
)
def test_the_rules_catch_what_they_should(relative: str, source: str, expected: list[str]) -> None:
    assert violations(relative, source.replace("\\n", "\n")) == expected

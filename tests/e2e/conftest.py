"""Fixtures for the Telegram end-to-end tests: the bot running against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from content.model import Program
from tests.e2e.telegram_chat import TelegramChat, telegram_chat


@pytest.fixture
async def telegram(tmp_path: Path, programs: dict[str, Program]) -> AsyncIterator[TelegramChat]:
    """The Dutch programme `feedback-geven` (cohort fb-2027-q1) in Telegram."""
    async with telegram_chat(tmp_path, programs, roster_file="feedback-geven-demo.yaml") as chat:
        yield chat


@pytest.fixture
async def telegram_en(tmp_path: Path, programs: dict[str, Program]) -> AsyncIterator[TelegramChat]:
    """The English programme `delegation` (cohort dlg-2027-q1) in Telegram."""
    async with telegram_chat(tmp_path, programs, roster_file="delegation-demo.yaml") as chat:
        yield chat

"""The garbage collector's settings a running bot gives itself (bot/process.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.process import YOUNG_COLLECTION_THRESHOLD, settle_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_lives_and_collects_young_objects_less_often() -> None:
    gc.unfreeze()
    _, older, oldest = gc.get_threshold()
    long_lived = {"programs": [object() for _ in range(100)]}

    settle_heap()

    assert gc.get_freeze_count() >= len(long_lived["programs"])
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, older, oldest)


@pytest.mark.usefixtures("restored_gc")
def test_settling_frees_startup_garbage_instead_of_freezing_it() -> None:
    gc.unfreeze()
    cycle: list[object] = []
    cycle.append(cycle)
    tracked = len(gc.get_objects())
    del cycle

    settle_heap()

    assert gc.get_freeze_count() < tracked  # the unreachable cycle was collected, not frozen

"""Benchmark: one pairing round of 10,000 learners after ten earlier rounds; print time and memory.

Run with `.venv/bin/python bench/pairing.py`. Target from issue 16: under 0.5 s on the 2-core
VM. The cohort has 40 teams and managers with about 8 reports each; one manager in three takes
part. The history is built untimed by running `pair` ten times with other seeds, each round's
pairs added to it, as the bot would. Then one more round is timed several times (best and
median), and its peak of Python allocations measured in a separate traced run (tracemalloc),
so tracing does not slow the timed ones. Both group modes are measured.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import tracemalloc
from itertools import combinations

from bot.flows.pairing import Candidate, GroupMode, Pairing, pair

LEARNERS = 10_000
REPORTS_PER_MANAGER = 8
TEAMS = 40
PARTICIPATING_MANAGERS = 1 / 3
EARLIER_ROUNDS = 10
REPETITIONS = 7
SEED = 20270301
TARGET_SECONDS = 0.5


def main() -> None:
    candidates = build_cohort(random.Random(SEED))
    managers = sum(1 for person in candidates if person.person_id >= LEARNERS)
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs")
    print(f"cohort: {len(candidates)} candidates ({managers} of them managers), {TEAMS} teams")
    for mode in ("pairs", "trios"):
        report(candidates, mode)


def report(candidates: list[Candidate], mode: GroupMode) -> None:
    started = time.perf_counter()
    history = earlier_rounds(candidates, mode)
    setup = time.perf_counter() - started
    times = []
    for _ in range(REPETITIONS):
        started = time.perf_counter()
        result = pair(candidates, history=history, group=mode, seed="round-11")
        times.append(time.perf_counter() - started)
    peak_mb = traced_peak_mb(candidates, history, mode)
    repeats, same_team, with_manager = counts(result, history, candidates)
    verdict = "ok" if min(times) < TARGET_SECONDS else "OVER TARGET"
    print(
        f"{mode}: history of {len(history)} pairs from {EARLIER_ROUNDS} rounds ({setup:.1f} s untimed); "
        f"best {min(times):.3f} s, median {statistics.median(times):.3f} s of {REPETITIONS}, "
        f"tracemalloc peak {peak_mb:.1f} MB; {len(result.groups)} groups, {len(result.left_out)} left out, "
        f"{repeats} repeats, {same_team} same-team pairs, {with_manager} with their manager ({verdict})"
    )


def build_cohort(rng: random.Random) -> list[Candidate]:
    """Learners 0..9,999 under managers 10,000 and up; a manager's reports share a team."""
    candidates = []
    manager_count = LEARNERS // REPORTS_PER_MANAGER
    for manager in range(manager_count):
        team = f"team-{manager % TEAMS}"
        manager_id = LEARNERS + manager
        for report in range(manager * REPORTS_PER_MANAGER, (manager + 1) * REPORTS_PER_MANAGER):
            candidates.append(Candidate(report, manager_id=manager_id, team=team))
        if rng.random() < PARTICIPATING_MANAGERS:
            candidates.append(Candidate(manager_id, team=team))
    return candidates


def earlier_rounds(candidates: list[Candidate], mode: GroupMode) -> set[frozenset[int]]:
    history: set[frozenset[int]] = set()
    for round_number in range(1, EARLIER_ROUNDS + 1):
        result = pair(candidates, history=history, group=mode, seed=f"round-{round_number}")
        history.update(frozenset(two) for members in result.groups for two in combinations(members, 2))
    return history


def traced_peak_mb(candidates: list[Candidate], history: set[frozenset[int]], mode: GroupMode) -> float:
    tracemalloc.start()
    try:
        pair(candidates, history=history, group=mode, seed="round-11")
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def counts(
    result: Pairing, history: set[frozenset[int]], candidates: list[Candidate]
) -> tuple[int, int, int]:
    """Repeated pairs, same-team pairs, and pairs of a manager and a report (must be 0)."""
    by_id = {person.person_id: person for person in candidates}
    pairs = [(by_id[a], by_id[b]) for members in result.groups for a, b in combinations(members, 2)]
    repeats = sum(1 for a, b in pairs if frozenset((a.person_id, b.person_id)) in history)
    same_team = sum(1 for a, b in pairs if a.team == b.team)
    with_manager = sum(1 for a, b in pairs if b.person_id == a.manager_id or a.person_id == b.manager_id)
    return repeats, same_team, with_manager


if __name__ == "__main__":
    main()

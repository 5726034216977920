"""Benchmark: plan a cohort of 1,000 learners with the pure planner; print time and memory.

Run with `.venv/bin/python bench/plan.py` (or `make bench`). Target from the issue: a cohort
planned in under 5 s and 300 MB. Two passes are timed:

- enrolment: every learner planned once with no history (what importing a cohort does);
- re-plan: mid-cohort, with each learner's history of delivered and done items (what pauses,
  menu choices and follow-ups trigger), learners late, paused, or with options chosen.

Memory: the peak of Python allocations (tracemalloc, in a separate traced run so tracing does
not slow the timed one) and the process's maximum resident set size (ru_maxrss).
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TypeVar

from content.model import Intervention, Program, Session
from content.when import AfterIntervention, AtSession, Every, OnEnrol, Relative, When
from scheduler.planner import ItemHistory, Plan, PlanInput, plan

LEARNERS = 1_000
SEED = 20270112
COHORT_TIMEZONE = "Europe/Amsterdam"
SESSIONS = {
    "s1": datetime(2027, 1, 12, 9, 0),
    "s2": datetime(2027, 2, 2, 9, 0),
    "s3": datetime(2027, 2, 23, 9, 0),
}
ENROLMENT_NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
REPLAN_NOW = datetime(2027, 2, 4, 12, 0, tzinfo=UTC)
REPOSITORY = Path(__file__).resolve().parent.parent
PROGRAM_FOLDER = REPOSITORY / "content" / "programs" / "feedback-geven"
TARGET_SECONDS = 5.0
TARGET_MB = 300.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cohort:
    """The inputs of both passes, built before timing starts."""

    enrolment: tuple[PlanInput, ...]
    replan: tuple[PlanInput, ...]
    london: int
    late: int
    paused: int
    with_options: int


def main() -> None:
    program, origin = load_program()
    setup_seconds, cohort = timed(lambda: build_cohort(program, random.Random(SEED)))
    print(f"program: {program.id} ({len(program.interventions)} interventions, {origin})")
    print(
        f"cohort: {LEARNERS} learners in {COHORT_TIMEZONE}; {cohort.london} in Europe/London, "
        f"{cohort.late} late joiners, {cohort.paused} paused, {cohort.with_options} with options chosen"
    )
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs")
    print(f"setup (untimed below): {setup_seconds:.1f} s replaying the dispatcher to build histories")
    for name, inputs in (("enrolment", cohort.enrolment), ("re-plan", cohort.replan)):
        report(name, inputs)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ru_maxrss (whole run): {maxrss_mb:.1f} MB (target < {TARGET_MB:.0f} MB)")


def report(name: str, inputs: Sequence[PlanInput]) -> None:
    seconds, plans = timed(lambda: [plan(data) for data in inputs])
    peak_mb = traced_peak_mb(lambda: [plan(data) for data in inputs])
    deliveries = sum(len(result.deliveries) for result in plans)
    catch_ups = sum(1 for result in plans if result.catch_up)
    verdict = "ok" if seconds < TARGET_SECONDS and peak_mb < TARGET_MB else "OVER TARGET"
    print(
        f"{name}: {seconds:.3f} s wall, tracemalloc peak {peak_mb:.1f} MB, "
        f"{deliveries} deliveries, {catch_ups} catch-up offers ({verdict})"
    )


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def traced_peak_mb(work: Callable[[], list[Plan]]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def load_program() -> tuple[Program, str]:
    """The bundled `feedback-geven` program, or a synthetic one when it cannot be loaded."""
    try:
        from content.loader import load_program as load
    except ImportError:
        return synthetic_program(), "synthetic: content.loader is missing"
    try:
        program = load(PROGRAM_FOLDER)
    except Exception as error:  # any content problem: fall back rather than stop the bench
        return synthetic_program(), f"synthetic: loading failed ({type(error).__name__})"
    return program, f"loaded from {PROGRAM_FOLDER.relative_to(REPOSITORY)}"


def build_cohort(program: Program, rng: random.Random) -> Cohort:
    optional = [item.id for item in program.interventions if not item.required]
    enrolment, replan, counts = [], [], {"london": 0, "late": 0, "paused": 0, "options": 0}
    for _ in range(LEARNERS):
        timezone = "Europe/London" if rng.random() < 0.2 else COHORT_TIMEZONE
        late = rng.random() < 0.2
        chosen = frozenset(rng.sample(optional, k=rng.randint(0, min(3, len(optional)))))
        paused = rng.random() < 0.05
        counts["london"] += timezone != COHORT_TIMEZONE
        counts["late"] += late
        counts["paused"] += paused
        counts["options"] += bool(chosen)
        base = PlanInput(
            program=program,
            sessions=SESSIONS,
            cohort_timezone=COHORT_TIMEZONE,
            learner_timezone=timezone,
            chosen=chosen,
            active_since=None,
            paused=False,
            history={},
            catch_up_offered=frozenset(),
            now=ENROLMENT_NOW,
        )
        enrolment.append(base)
        replan.append(mid_cohort(base, rng=rng, late=late, paused=paused))
    return Cohort(
        enrolment=tuple(enrolment),
        replan=tuple(replan),
        london=counts["london"],
        late=counts["late"],
        paused=counts["paused"],
        with_options=counts["options"],
    )


def mid_cohort(base: PlanInput, *, rng: random.Random, late: bool, paused: bool) -> PlanInput:
    """The learner at REPLAN_NOW: what was planned and due has been delivered (most of it done)."""
    if late:  # first contact in the two days before the re-plan, after s2
        started = REPLAN_NOW - timedelta(minutes=rng.randint(0, 2 * 24 * 60))
    else:  # first contact in the week before s1
        started = datetime(2027, 1, 4, 8, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 6 * 24 * 60))
    data = replace(base, active_since=started, now=started)
    history: dict[tuple[str, str], ItemHistory] = {}
    # Replay the dispatcher: follow-ups and "days after" items appear once their parent is done.
    for _ in range(4):
        due = [d for d in plan(replace(data, history=history)).deliveries if d.due_at < REPLAN_NOW]
        for delivery in due:
            done = delivery.due_at + timedelta(hours=2) if rng.random() < 0.7 else None
            history[(delivery.intervention_id, delivery.occurrence)] = ItemHistory(delivery.due_at, done)
    # Late joiners came in just now: their catch-up is still to be offered; the others had theirs.
    offered = frozenset() if late else frozenset(plan(replace(data, history=history)).catch_up)
    return replace(data, history=history, catch_up_offered=offered, paused=paused, now=REPLAN_NOW)


def synthetic_program() -> Program:
    """25 interventions shaped like a real program: sessions, relative, follow-ups, weekly."""
    whens: list[tuple[str, When | None, bool, str | None]] = [
        ("kickoff", OnEnrol(), True, None),
        ("goal", AfterIntervention(1, "kickoff"), True, None),
        ("weekly", Every(4, "s1", "s3", clock_time(15, 0)), True, None),
    ]
    for number, session in enumerate(("s1", "s2", "s3"), start=1):
        whens += [
            (f"prep-{number}", Relative(2, "days", "before", session, clock_time(9, 0)), True, None),
            (f"at-{number}", AtSession(session), True, None),
            (f"tip-{number}", Relative(1, "days", "after", session, clock_time(9, 0)), True, None),
            (f"practice-{number}", Relative(3, "days", "after", session), True, f"report-{number}"),
            (f"report-{number}", None, True, None),
            (f"quiz-{number}", Relative(1, "weeks", "after", session, clock_time(13, 0)), True, None),
            (f"extra-{number}", Relative(6, "days", "after", session, clock_time(11, 0)), False, None),
        ]
    whens.append(("closing", Relative(2, "weeks", "after", "s3"), True, None))
    return Program(
        id="synthetic",
        title="Synthetic",
        language="en",
        sessions=tuple(Session(id=sid, title=sid) for sid in SESSIONS),
        welcome="",
        interventions=tuple(_intervention(*spec) for spec in whens),
        source=Path("synthetic"),
    )


def _intervention(item_id: str, when: When | None, required: bool, follow_up: str | None) -> Intervention:
    return Intervention(
        id=item_id,
        title=item_id,
        type="tip",
        when=when,
        body="",
        source=Path(f"{item_id}.md"),
        required=required,
        follow_up=follow_up,
    )


if __name__ == "__main__":
    main()

"""Raw times of `when` expressions and follow-ups, before window and cap (scheduler/timing.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time

import pytest

from content.model import Intervention
from scheduler.timing import LearnerFacts, RawOccurrence, follow_up_parents, raw_occurrences
from tests.scheduler.planning_kit import AMSTERDAM, LONDON, SESSIONS, item, program, utc

# Dates around the 2027 DST changes (Amsterdam, cohort-local).
DST_SESSIONS = {
    "s1": datetime(2027, 3, 22, 9, 0),  # Mon, CET
    "s2": datetime(2027, 4, 1, 9, 0),  # Thu, CEST
    "s3": datetime(2027, 4, 5, 9, 0),  # Mon, CEST
    "s4": datetime(2027, 11, 2, 9, 0),  # Tue, CET
}


def facts(
    *,
    sessions: Mapping[str, datetime] = SESSIONS,
    learner_timezone: str = AMSTERDAM,
    active_since: datetime | None = None,
    delivered_at: Mapping[str, datetime] | None = None,
    done_at: Mapping[str, datetime] | None = None,
) -> LearnerFacts:
    return LearnerFacts(
        sessions=sessions,
        cohort_timezone=AMSTERDAM,
        learner_timezone=learner_timezone,
        default_time=time(8, 30),
        active_since=active_since,
        delivered_at=delivered_at or {},
        done_at=done_at or {},
    )


def times(*items: Intervention, learner: LearnerFacts) -> list[tuple[str, str, datetime]]:
    return [(r.intervention_id, r.occurrence, r.due_at) for r in raw_occurrences(program(*items), learner)]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("at s1", utc(2027, 1, 12, 8, 0)),
        ("2 days before s2", utc(2027, 1, 31, 8, 0)),
        ("1 week after s1", utc(2027, 1, 19, 8, 0)),
        ("3 hours after s1", utc(2027, 1, 12, 11, 0)),
        ("2 hours before s1", utc(2027, 1, 12, 6, 0)),
        ("2 days before s2 at 10:00", utc(2027, 1, 31, 9, 0)),
        ("1 day after s1 at 16:45", utc(2027, 1, 13, 15, 45)),
    ],
)
def test_session_based_times_in_an_amsterdam_cohort(when: str, expected: datetime) -> None:
    assert times(item("a", when), learner=facts()) == [("a", "", expected)]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Across the spring change: still 09:00 on the wall clock, so one hour earlier in UTC.
        ("1 week before s2", utc(2027, 3, 25, 8, 0)),
        ("at s2", utc(2027, 4, 1, 7, 0)),
        ("10 days after s1", utc(2027, 4, 1, 7, 0)),
        # Across the autumn change.
        ("1 week before s4", utc(2027, 10, 26, 7, 0)),
        ("at s4", utc(2027, 11, 2, 8, 0)),
        # Wall-clock hours: 24 hours after Sat 27 Mar 09:00 CET is Sun 28 Mar 09:00 CEST.
        ("120 hours before s2", utc(2027, 3, 27, 8, 0)),
        ("96 hours before s2", utc(2027, 3, 28, 7, 0)),
    ],
)
def test_relative_times_count_cohort_wall_time_across_dst(when: str, expected: datetime) -> None:
    assert times(item("a", when), learner=facts(sessions=DST_SESSIONS)) == [("a", "", expected)]


def test_at_time_is_the_learners_local_time_on_the_cohort_date() -> None:
    london = facts(learner_timezone=LONDON)
    assert times(item("a", "1 day after s1 at 09:00"), learner=london) == [("a", "", utc(2027, 1, 13, 9))]
    # A plain session time stays the cohort's moment: 09:00 Amsterdam is 08:00 in London.
    assert times(item("b", "at s1"), learner=london) == [("b", "", utc(2027, 1, 12, 8))]
    summer = facts(sessions={"s1": datetime(2027, 7, 13, 9)}, learner_timezone=LONDON)
    assert times(item("c", "1 day after s1 at 09:00"), learner=summer) == [("c", "", utc(2027, 7, 14, 8))]


def test_a_session_without_a_date_gives_no_time() -> None:
    assert times(item("a", "at s5"), item("b", "every mon from s1 until s5"), learner=facts()) == []


def test_an_aware_session_time_is_read_on_the_cohort_wall_clock() -> None:
    aware = facts(sessions={"s1": utc(2027, 1, 12, 8, 0)})
    assert times(item("a", "1 day after s1"), learner=aware) == [("a", "", utc(2027, 1, 13, 8, 0))]


def test_on_enrol_is_immediate_at_first_contact_and_absent_before() -> None:
    onboarding = item("welcome", "on enrol")
    assert times(onboarding, learner=facts()) == []
    started = facts(active_since=utc(2027, 1, 16, 21, 0))
    assert raw_occurrences(program(onboarding), started) == (
        RawOccurrence("welcome", "", utc(2027, 1, 16, 21, 0), immediate=True),
    )


def test_after_intervention_counts_learner_local_days_from_delivery() -> None:
    tip = item("tip", "at s1")
    quiz = item("quiz", "2 days after tip")
    pinned = item("pinned", "1 days after tip at 14:00")
    assert times(tip, quiz, pinned, learner=facts())[1:] == []
    # Delivered Thu 14 Jan 23:30 Amsterdam (22:30 UTC): "1 day after" is Fri 15 Jan local.
    learner = facts(delivered_at={"tip": utc(2027, 1, 14, 22, 30)})
    assert times(tip, quiz, pinned, learner=learner)[1:] == [
        ("quiz", "", utc(2027, 1, 16, 22, 30)),
        ("pinned", "", utc(2027, 1, 15, 13, 0)),
    ]
    # The same instant is still Thu 14 Jan in London, so London's "1 day after" is Fri at 14:00 GMT.
    london = facts(learner_timezone=LONDON, delivered_at={"tip": utc(2027, 1, 14, 22, 30)})
    assert times(pinned, learner=london) == [("pinned", "", utc(2027, 1, 15, 14, 0))]


def test_after_intervention_across_dst_keeps_the_wall_time() -> None:
    learner = facts(delivered_at={"tip": utc(2027, 3, 26, 9, 0)})  # Fri 10:00 CET
    assert times(item("quiz", "3 days after tip"), learner=learner) == [
        ("quiz", "", utc(2027, 3, 29, 8, 0))  # Mon 10:00 CEST
    ]


def test_every_gives_each_weekday_between_the_sessions_inclusive() -> None:
    weekly = item("check-in", "every tue at 10:00 from s1 until s2")
    assert times(weekly, learner=facts()) == [
        ("check-in", "2027-01-12", utc(2027, 1, 12, 9)),
        ("check-in", "2027-01-19", utc(2027, 1, 19, 9)),
        ("check-in", "2027-01-26", utc(2027, 1, 26, 9)),
        ("check-in", "2027-02-02", utc(2027, 2, 2, 9)),
    ]


def test_every_without_at_uses_the_window_start_in_the_learners_timezone_across_dst() -> None:
    weekly = item("check-in", "every monday from s1 until s3")
    assert times(weekly, learner=facts(sessions=DST_SESSIONS, learner_timezone=LONDON)) == [
        ("check-in", "2027-03-22", utc(2027, 3, 22, 8, 30)),  # GMT
        ("check-in", "2027-03-29", utc(2027, 3, 29, 7, 30)),  # BST
        ("check-in", "2027-04-05", utc(2027, 4, 5, 7, 30)),
    ]


def test_every_starting_after_the_first_weekday() -> None:
    weekly = item("check-in", "every fri at 12:00 from s1 until s2")  # s1 Tue 12 Jan, s2 Tue 2 Feb
    assert [occurrence for _, occurrence, _ in times(weekly, learner=facts())] == [
        "2027-01-15",
        "2027-01-22",
        "2027-01-29",
    ]


def test_a_follow_up_waits_until_its_intervention_is_done() -> None:
    practice = item("practice", "at s1", follow_up="report")
    report = item("report", None)
    assert times(practice, report, learner=facts())[1:] == []
    done = facts(done_at={"practice": utc(2027, 1, 20, 15, 0)})
    assert times(practice, report, learner=done)[1:] == [("report", "", utc(2027, 1, 20, 15, 0))]


def test_a_follow_up_with_its_own_time_is_not_sent_before_either() -> None:
    practice = item("practice", "at s1", follow_up="report")
    report = item("report", "1 week after s1")  # Tue 19 Jan 08:00 UTC
    early = facts(done_at={"practice": utc(2027, 1, 13, 10)})
    late = facts(done_at={"practice": utc(2027, 1, 25, 10)})
    assert times(practice, report, learner=early)[1:] == [("report", "", utc(2027, 1, 19, 8))]
    assert times(practice, report, learner=late)[1:] == [("report", "", utc(2027, 1, 25, 10))]


def test_a_follow_up_counted_from_delivery_still_waits_for_done() -> None:
    practice = item("practice", "at s1", follow_up="report")
    report = item("report", "2 days after practice")
    delivered = {"practice": utc(2027, 1, 12, 8)}
    not_done = facts(delivered_at=delivered)
    assert times(practice, report, learner=not_done)[1:] == []
    quick = facts(delivered_at=delivered, done_at={"practice": utc(2027, 1, 12, 9)})
    assert times(practice, report, learner=quick)[1:] == [("report", "", utc(2027, 1, 14, 8))]
    slow = facts(delivered_at=delivered, done_at={"practice": utc(2027, 1, 18, 9)})
    assert times(practice, report, learner=slow)[1:] == [("report", "", utc(2027, 1, 18, 9))]


def test_a_follow_up_of_two_interventions_follows_the_first_done() -> None:
    a = item("a", "at s1", follow_up="shared")
    b = item("b", "at s2", follow_up="shared")
    shared = item("shared", None)
    assert follow_up_parents(program(a, b, shared)) == {"shared": ("a", "b")}
    learner = facts(done_at={"b": utc(2027, 2, 2, 10), "a": utc(2027, 2, 3, 10)})
    assert times(a, b, shared, learner=learner)[2:] == [("shared", "", utc(2027, 2, 2, 10))]


def test_an_orphan_without_when_is_not_timed() -> None:
    assert times(item("lost", None), learner=facts()) == []

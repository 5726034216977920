"""The planner's rules with concrete 2027 dates (scheduler/planner.py).

Cohort in Europe/Amsterdam: s1 Tue 12 Jan, s2 Tue 2 Feb, s3 Tue 23 Feb, all at 09:00 (08:00 UTC).
Default send window 08:30-17:30 on Mon-Fri, max 2 planned messages a day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

import pytest

from content.model import SendWindow
from scheduler.planner import (
    EMPTY_PLAN,
    ItemHistory,
    Plan,
    PlannedDelivery,
    moved_by_delivery,
    next_free_slot,
    plan,
)
from tests.scheduler.planning_kit import LONDON, delivered, item, plan_input, program, utc, with_history

BEFORE_START = utc(2027, 1, 1, 12)


def dues(result: Plan) -> list[tuple[str, str, datetime]]:
    return [(d.intervention_id, d.occurrence, d.due_at) for d in result.deliveries]


def one(when: str, **kwargs: Any) -> list[tuple[str, str, datetime]]:
    data = plan_input(program(item("a", when)), now=BEFORE_START, **kwargs)
    return dues(plan(data))


# Rule 3: send window and workdays ----------------------------------------------------------------


def test_a_session_time_inside_the_window_is_kept() -> None:
    assert one("at s1") == [("a", "", utc(2027, 1, 12, 8))]


def test_before_the_window_moves_to_the_window_start() -> None:
    assert one("1 hours before s1") == [("a", "", utc(2027, 1, 12, 7, 30))]  # 08:00 -> 08:30


def test_after_the_window_moves_to_the_next_workday() -> None:
    assert one("9 hours after s1") == [("a", "", utc(2027, 1, 13, 7, 30))]  # Tue 18:00 -> Wed 08:30


def test_a_weekend_moves_to_monday() -> None:
    assert one("4 days after s1") == [("a", "", utc(2027, 1, 18, 7, 30))]  # Sat 16 -> Mon 18 08:30


def test_a_dst_sunday_moves_to_monday_in_summer_time() -> None:
    sessions = {"s1": datetime(2027, 3, 30, 9, 0)}  # Tue 30 Mar
    # 2 days before: Sun 28 Mar, the day of the change -> Mon 29 Mar 08:30 CEST (06:30 UTC).
    assert one("2 days before s1", sessions=sessions) == [("a", "", utc(2027, 3, 29, 6, 30))]


def test_a_fall_back_sunday_moves_to_monday_in_winter_time() -> None:
    sessions = {"s1": datetime(2027, 11, 2, 9, 0)}  # Tue 2 Nov
    assert one("2 days before s1 at 10:00", sessions=sessions) == [("a", "", utc(2027, 11, 1, 7, 30))]


def test_a_london_learner_in_an_amsterdam_cohort_gets_londons_window() -> None:
    # s1 09:00 Amsterdam is 08:00 London: before London's 08:30 window start.
    assert one("at s1", learner_timezone=LONDON) == [("a", "", utc(2027, 1, 12, 8, 30))]
    # "at 17:00" is London time: GMT, so 17:00 UTC, inside London's window (not Amsterdam's).
    assert one("1 day after s1 at 17:00", learner_timezone=LONDON) == [("a", "", utc(2027, 1, 13, 17))]
    # Across the spring change London is UTC+1: 08:30 BST is 07:30 UTC.
    summer = {"s1": datetime(2027, 3, 26, 9, 0)}  # Fri 26 Mar; +3 days is Mon 29 Mar, BST
    assert one("3 days after s1 at 07:00", sessions=summer, learner_timezone=LONDON) == [
        ("a", "", utc(2027, 3, 29, 7, 30))
    ]


def test_other_workdays_and_windows_come_from_the_program() -> None:
    prog = program(
        item("a", "at s1"),
        send_window=SendWindow(start=time(10, 0), end=time(12, 0)),
        workdays=frozenset({3}),  # Thursdays only
    )
    result = plan(plan_input(prog, now=BEFORE_START))
    assert dues(result) == [("a", "", utc(2027, 1, 14, 9, 0))]  # Thu 14 Jan 10:00 CET


# Rule 1: on enrol, follow-ups, recurring --------------------------------------------------------


def test_on_enrol_is_not_planned_before_first_contact() -> None:
    assert one("on enrol") == []


def test_on_enrol_is_immediate_outside_the_window_and_uncounted() -> None:
    prog = program(item("welcome", "on enrol"), item("a", "at s1"), item("b", "1 hours after s1"))
    saturday_night = utc(2027, 1, 9, 21, 0)
    result = plan(plan_input(prog, now=saturday_night, active_since=saturday_night))
    assert result.deliveries == (
        PlannedDelivery("welcome", "", saturday_night, immediate=True),
        PlannedDelivery("a", "", utc(2027, 1, 12, 8)),
        PlannedDelivery("b", "", utc(2027, 1, 12, 9)),
    )
    # Delivered on-enrol items do not take a place under the cap either.
    same_day = {("welcome", ""): delivered(utc(2027, 1, 12, 7, 45))}
    later = plan(plan_input(prog, now=saturday_night, active_since=saturday_night, history=same_day))
    assert dues(later) == [("a", "", utc(2027, 1, 12, 8)), ("b", "", utc(2027, 1, 12, 9))]


def test_a_follow_up_is_planned_once_done_and_slotted() -> None:
    prog = program(item("practice", "at s1", follow_up="report"), item("report", None))
    base = plan_input(prog, now=BEFORE_START, active_since=BEFORE_START)
    assert dues(plan(base)) == [("practice", "", utc(2027, 1, 12, 8))]
    history = {("practice", ""): ItemHistory(delivered_at=utc(2027, 1, 12, 8), done_at=utc(2027, 1, 15, 19))}
    done = replace(base, now=utc(2027, 1, 15, 19), history=history)
    assert dues(plan(done)) == [("report", "", utc(2027, 1, 18, 7, 30))]  # Fri evening -> Mon 08:30


def test_after_intervention_waits_for_the_delivery() -> None:
    prog = program(item("tip", "at s1"), item("quiz", "2 days after tip"))
    base = plan_input(prog, now=BEFORE_START, active_since=BEFORE_START)
    assert dues(plan(base)) == [("tip", "", utc(2027, 1, 12, 8))]
    sent = with_history(base, {("tip", ""): delivered(utc(2027, 1, 12, 8, 1))})
    assert dues(plan(sent)) == [("quiz", "", utc(2027, 1, 14, 8, 1))]


def test_after_a_test_counts_from_its_completion_not_its_delivery() -> None:
    test = replace(item("kickoff", "at s1"), type="assessment")
    prog = program(test, item("goal", "1 day after kickoff"))
    base = plan_input(prog, now=BEFORE_START, active_since=BEFORE_START)
    sent = with_history(base, {("kickoff", ""): delivered(utc(2027, 1, 12, 8, 1))})
    assert dues(plan(sent)) == []  # sent, not finished: what builds on its result waits
    finished = ItemHistory(delivered_at=utc(2027, 1, 12, 8, 1), done_at=utc(2027, 1, 13, 9, 30))
    done = replace(sent, now=utc(2027, 1, 13, 9, 30), history={("kickoff", ""): finished})
    assert dues(plan(done)) == [("goal", "", utc(2027, 1, 14, 9, 30))]


def test_recurring_occurrences_skip_the_delivered_ones() -> None:
    prog = program(item("check-in", "every wed at 12:00 from s1 until s2"))
    base = plan_input(prog, now=BEFORE_START, active_since=BEFORE_START)
    assert [occ for _, occ, _ in dues(plan(base))] == ["2027-01-13", "2027-01-20", "2027-01-27"]
    sent = with_history(base, {("check-in", "2027-01-13"): delivered(utc(2027, 1, 13, 11))})
    assert dues(plan(sent)) == [
        ("check-in", "2027-01-20", utc(2027, 1, 20, 11)),
        ("check-in", "2027-01-27", utc(2027, 1, 27, 11)),
    ]


def test_a_recurring_weekend_item_keeps_its_occurrence_key_when_moved() -> None:
    prog = program(item("check-in", "every sat at 10:00 from s1 until s2"))
    result = plan(plan_input(prog, now=BEFORE_START))
    assert dues(result)[0] == ("check-in", "2027-01-16", utc(2027, 1, 18, 7, 30))


# Rule 2: exclusions ------------------------------------------------------------------------------


def test_optional_items_only_when_chosen() -> None:
    prog = program(item("a", "at s1"), item("extra", "1 day after s1", required=False))
    assert dues(plan(plan_input(prog, now=BEFORE_START))) == [("a", "", utc(2027, 1, 12, 8))]
    chosen = plan(plan_input(prog, now=BEFORE_START, chosen=frozenset({"extra"})))
    assert dues(chosen) == [("a", "", utc(2027, 1, 12, 8)), ("extra", "", utc(2027, 1, 13, 8))]


def test_delivered_items_are_not_planned_again() -> None:
    prog = program(item("a", "at s1"), item("b", "at s2"))
    history = {("a", ""): delivered(utc(2027, 1, 12, 8))}
    result = plan(plan_input(prog, now=utc(2027, 1, 13), active_since=BEFORE_START, history=history))
    assert dues(result) == [("b", "", utc(2027, 2, 2, 8))]


def test_paused_gives_an_empty_plan() -> None:
    prog = program(item("welcome", "on enrol"), item("a", "at s1"), item("b", "at s2"))
    data = plan_input(prog, now=utc(2027, 1, 20), active_since=BEFORE_START, paused=True)
    assert plan(data) == EMPTY_PLAN
    assert plan(data) == Plan(deliveries=(), catch_up=(), catch_up_at=None, skipped=())


# Rule 5: max_per_day ----------------------------------------------------------------------------


def test_overflow_moves_to_the_next_day_in_order() -> None:
    prog = program(
        item("a", "at s1"),  # Tue 09:00
        item("b", "1 hours after s1"),  # Tue 10:00
        item("c", "2 hours after s1"),  # Tue 11:00 -> Wed 08:30
    )
    assert dues(plan(plan_input(prog, now=BEFORE_START))) == [
        ("a", "", utc(2027, 1, 12, 8)),
        ("b", "", utc(2027, 1, 12, 9)),
        ("c", "", utc(2027, 1, 13, 7, 30)),
    ]


def test_overflow_cascades_and_keeps_order_over_the_weekend() -> None:
    prog = program(
        item("t1", "3 days after s1 at 09:00"),  # Fri 15 Jan
        item("t2", "3 days after s1 at 10:00"),
        item("t3", "3 days after s1 at 11:00"),  # -> Mon 08:30
        item("t4", "3 days after s1 at 12:00"),  # -> Mon, second place
        item("m1", "6 days after s1 at 08:30"),  # Mon 18 Jan 08:30, but Monday is full -> Tue
        item("t5", "3 days after s1 at 13:00"),  # Fri, so before m1: Monday is full -> Tue
    )
    assert dues(plan(plan_input(prog, now=BEFORE_START))) == [
        ("t1", "", utc(2027, 1, 15, 8)),
        ("t2", "", utc(2027, 1, 15, 9)),
        ("t3", "", utc(2027, 1, 18, 7, 30)),
        ("t4", "", utc(2027, 1, 18, 7, 30)),
        ("t5", "", utc(2027, 1, 19, 7, 30)),
        ("m1", "", utc(2027, 1, 19, 7, 30)),
    ]


def test_same_time_items_follow_program_order() -> None:
    prog = program(item("z", "at s1"), item("y", "at s1"), item("x", "at s1"))
    assert [i for i, _, _ in dues(plan(plan_input(prog, now=BEFORE_START)))] == ["z", "y", "x"]


def test_messages_delivered_that_day_count_toward_the_cap() -> None:
    prog = program(item("a", "at s1"), item("b", "1 hours after s1"), item("c", "2 hours after s1"))
    history = {("a", ""): delivered(utc(2027, 1, 12, 8))}
    data = plan_input(prog, now=utc(2027, 1, 12, 8, 5), active_since=BEFORE_START, history=history)
    assert dues(plan(data)) == [("b", "", utc(2027, 1, 12, 9)), ("c", "", utc(2027, 1, 13, 7, 30))]


def test_messages_outside_the_plan_take_their_days_places_first() -> None:
    # A colleague's feedback due Tue 12:00 (sent or not): a and b cannot both go on Tuesday.
    prog = program(item("a", "at s1"), item("b", "1 hours after s1"))
    data = replace(plan_input(prog, now=BEFORE_START), other_messages=(utc(2027, 1, 12, 11),))
    assert dues(plan(data)) == [("a", "", utc(2027, 1, 12, 8)), ("b", "", utc(2027, 1, 13, 7, 30))]


def test_a_message_outside_the_plan_goes_in_the_window_on_a_day_with_room() -> None:
    prog = program(item("a", "at s1"))
    sunday_night = utc(2027, 1, 10, 22)
    data = plan_input(prog, now=sunday_night, active_since=sunday_night)
    assert next_free_slot(data, sunday_night) == utc(2027, 1, 11, 7, 30)  # Monday's window start
    # Tuesday: a delivered and a colleague's feedback due: the next message waits for Wednesday.
    tuesday = replace(
        data,
        history={("a", ""): delivered(utc(2027, 1, 12, 8))},
        other_messages=(utc(2027, 1, 12, 9),),
    )
    assert next_free_slot(tuesday, utc(2027, 1, 12, 10)) == utc(2027, 1, 13, 7, 30)
    # Planned items still waiting do not hold it back: a re-plan moves them on.
    assert next_free_slot(data, utc(2027, 1, 12, 10)) == utc(2027, 1, 12, 10)


def test_the_cap_counts_learner_local_days() -> None:
    # 23:30 UTC on Mon 11 Jan is already Tue 12 Jan in Amsterdam, still Monday in London.
    prog = program(item("a", "at s1"), item("b", "1 hours after s1"))
    history = {("other", ""): delivered(utc(2027, 1, 11, 23, 30))}
    amsterdam = plan(plan_input(prog, now=BEFORE_START, active_since=BEFORE_START, history=history))
    assert dues(amsterdam)[1] == ("b", "", utc(2027, 1, 13, 7, 30))
    london = plan(
        plan_input(
            prog, now=BEFORE_START, active_since=BEFORE_START, history=history, learner_timezone=LONDON
        )
    )
    assert dues(london) == [("a", "", utc(2027, 1, 12, 8, 30)), ("b", "", utc(2027, 1, 12, 9))]


def test_a_cap_of_one() -> None:
    prog = program(item("a", "at s1"), item("b", "at s1"), max_per_day=1)
    assert dues(plan(plan_input(prog, now=BEFORE_START))) == [
        ("a", "", utc(2027, 1, 12, 8)),
        ("b", "", utc(2027, 1, 13, 7, 30)),
    ]


# Rule 4: late joiners and resumed learners --------------------------------------------------------

LATE_PROGRAM = program(
    item("kickoff", "on enrol"),
    item("prep", "2 days before s1"),  # Sun 10 Jan -> Mon 11 Jan 08:30
    item("recap", "1 day after s1"),  # Wed 13 Jan 09:00
    item("extra", "2 days after s1", required=False),  # Thu 14 Jan 09:00
    item("check-in", "every fri at 12:00 from s1 until s2"),  # 15, 22, 29 Jan
    item("before-s2", "1 day before s2"),  # Mon 1 Feb 09:00
    item("at-s2", "at s2"),
)


def test_a_late_joiner_gets_required_misses_as_one_catch_up_and_skips_optional_ones() -> None:
    joined = utc(2027, 1, 20, 19, 0)  # Wed 20 Jan 20:00 Amsterdam, outside the window
    data = plan_input(LATE_PROGRAM, now=joined, active_since=joined, chosen=frozenset({"extra"}))
    result = plan(data)
    assert result.catch_up == ("prep", "recap", "check-in")
    assert result.skipped == ("extra",)
    assert result.catch_up_at == utc(2027, 1, 21, 7, 30)  # next slot: Thu 08:30
    assert dues(result) == [
        ("kickoff", "", joined),
        ("check-in", "2027-01-22", utc(2027, 1, 22, 11)),
        ("check-in", "2027-01-29", utc(2027, 1, 29, 11)),
        ("before-s2", "", utc(2027, 2, 1, 8)),
        ("at-s2", "", utc(2027, 2, 2, 8)),
    ]


def test_a_catch_up_is_offered_once() -> None:
    joined = utc(2027, 1, 20, 19, 0)
    offered = frozenset({"prep", "recap", "check-in"})
    data = plan_input(LATE_PROGRAM, now=utc(2027, 1, 21, 9), active_since=joined, catch_up_offered=offered)
    result = plan(data)
    assert result.catch_up == ()
    assert result.catch_up_at is None
    assert "prep" not in {d.intervention_id for d in result.deliveries}


def test_items_due_between_first_contact_and_now_keep_their_time() -> None:
    joined = utc(2027, 1, 13, 7, 0)  # Wed 08:00, before recap at 09:00
    later = utc(2027, 1, 13, 10, 0)
    result = plan(plan_input(LATE_PROGRAM, now=later, active_since=joined))
    assert result.catch_up == ("prep",)
    assert dues(result)[:2] == [("kickoff", "", joined), ("recap", "", utc(2027, 1, 13, 8))]
    # The catch-up offer goes at the next slot after now (Wed 11:00 Amsterdam).
    assert result.catch_up_at == later


def test_a_learner_who_has_not_started_is_projected_from_now() -> None:
    result = plan(plan_input(LATE_PROGRAM, now=utc(2027, 1, 14, 12)))
    assert result.catch_up == ("prep", "recap")
    assert result.catch_up_at == utc(2027, 1, 14, 12)
    assert dues(result)[0] == ("check-in", "2027-01-15", utc(2027, 1, 15, 11))
    assert "kickoff" not in {d.intervention_id for d in result.deliveries}


def test_the_catch_up_offer_counts_toward_the_days_cap() -> None:
    joined = utc(2027, 1, 14, 6, 0)  # Thu 07:00; catch-up at 08:30
    prog = program(
        item("missed", "at s1"),
        item("a", "2 days after s1 at 10:00"),  # Thu 14 Jan 10:00
        item("b", "2 days after s1 at 11:00"),  # Thu 11:00 -> Fri: the offer took a place
    )
    result = plan(plan_input(prog, now=joined, active_since=joined))
    assert result.catch_up == ("missed",)
    assert result.catch_up_at == utc(2027, 1, 14, 7, 30)
    assert dues(result) == [("a", "", utc(2027, 1, 14, 9)), ("b", "", utc(2027, 1, 15, 7, 30))]


def test_the_catch_up_offer_moves_when_its_day_is_full() -> None:
    joined = utc(2027, 1, 14, 10, 0)
    prog = program(item("missed", "at s1"), item("a", "2 days after s1 at 12:00"))
    history = {
        ("x", ""): delivered(utc(2027, 1, 14, 8)),
        ("y", ""): delivered(utc(2027, 1, 14, 9)),
    }
    result = plan(plan_input(prog, now=joined, active_since=joined, history=history))
    assert result.catch_up_at == utc(2027, 1, 15, 7, 30)  # Fri 08:30, before a
    assert dues(result) == [("a", "", utc(2027, 1, 15, 7, 30))]


def test_resume_offers_only_what_was_missed_during_the_pause() -> None:
    prog = program(
        item("kickoff", "on enrol"),
        item("prep", "2 days before s1"),  # Mon 11 Jan: missed at the late join, offered then
        item("recap", "1 day after s1"),  # Wed 13 Jan: delivered
        item("check-in", "every fri at 12:00 from s1 until s2"),  # 15 sent, 22 missed, 29 ahead
        item("reading", "1 week after s1", required=False),  # Tue 19 Jan: missed, optional
        item("practice", "9 days after s1"),  # Thu 21 Jan: missed, required
        item("at-s2", "at s2"),
    )
    joined = utc(2027, 1, 12, 9)
    history = {
        ("kickoff", ""): delivered(joined),
        ("recap", ""): delivered(utc(2027, 1, 13, 8)),
        ("check-in", "2027-01-15"): delivered(utc(2027, 1, 15, 11)),
    }
    resumed = utc(2027, 1, 26, 9)  # paused Sat 16 Jan, resumed Tue 26 Jan 10:00 Amsterdam
    result = plan(
        plan_input(
            prog,
            now=resumed,
            active_since=resumed,
            history=history,
            chosen=frozenset({"reading"}),
            catch_up_offered=frozenset({"prep"}),
        )
    )
    assert result.catch_up == ("check-in", "practice")
    assert result.skipped == ("reading",)
    assert result.catch_up_at == resumed
    assert dues(result) == [
        ("check-in", "2027-01-29", utc(2027, 1, 29, 11)),
        ("at-s2", "", utc(2027, 2, 2, 8)),
    ]


# Rule 6: determinism ----------------------------------------------------------------------------


def test_the_same_input_gives_the_same_plan() -> None:
    joined = utc(2027, 1, 20, 19, 0)
    data = plan_input(LATE_PROGRAM, now=joined, active_since=joined, chosen=frozenset({"extra"}))
    assert plan(data) == plan(data)
    assert plan(data) == plan(replace(data, history=dict(data.history), sessions=dict(data.sessions)))


def test_replanning_after_each_delivery_keeps_the_rest_of_the_plan() -> None:
    """Play the dispatcher: send each delivery at its time, record it, re-plan; nothing moves."""
    prog = program(
        item("kickoff", "on enrol"),
        item("a", "at s1"),
        item("b", "1 hours after s1"),
        item("c", "2 hours after s1"),  # overflows to Wed
        item("d", "1 day after s1 at 12:00"),  # Wed, second place
        item("e", "1 day after s1 at 13:00"),  # overflows to Thu
        item("weekly", "every fri from s1 until s3"),
        item("late", "5 days after s1"),  # Sun -> Mon
    )
    start = utc(2027, 1, 11, 12)
    data = plan_input(prog, now=start, active_since=start)
    expected = plan(data).deliveries
    assert len(expected) == 13
    for index, delivery in enumerate(expected):
        sent = delivered(delivery.due_at)
        data = replace(
            with_history(data, {(delivery.intervention_id, delivery.occurrence): sent}), now=delivery.due_at
        )
        assert plan(data).deliveries == expected[index + 1 :]
        assert not moved_by_delivery(data, (delivery.intervention_id, delivery.occurrence))


def test_a_delivery_at_its_time_moves_nothing_else() -> None:
    prog = program(item("a", "at s1"), item("b", "1 hours after s1"), item("c", "2 hours after s1"))
    data = plan_input(prog, now=utc(2027, 1, 12, 8, 1), active_since=BEFORE_START)
    assert not moved_by_delivery(
        with_history(data, {("a", ""): delivered(utc(2027, 1, 12, 8, 1))}), ("a", "")
    )


def test_a_delivery_moves_what_counts_from_it_but_not_from_a_tests_delivery() -> None:
    prog = program(item("tip", "at s1"), item("quiz", "2 days after tip"))
    data = plan_input(prog, now=utc(2027, 1, 12, 8, 1), active_since=BEFORE_START)
    sent = {("tip", ""): delivered(utc(2027, 1, 12, 8, 1))}
    assert moved_by_delivery(with_history(data, sent), ("tip", ""))
    test = replace(item("tip", "at s1"), type="assessment")  # what follows waits for its completion
    assert not moved_by_delivery(
        with_history(replace(data, program=program(test, prog.interventions[1])), sent), ("tip", "")
    )


def test_a_delivery_on_another_day_than_planned_moves_that_days_cap() -> None:
    prog = program(
        item("a", "at s1"), item("b", "1 day after s1 at 10:00"), item("c", "1 day after s1 at 11:00")
    )
    data = plan_input(prog, now=utc(2027, 1, 13, 8), active_since=BEFORE_START)  # cap 2: b and c on Wed
    held_a_day = with_history(data, {("a", ""): delivered(utc(2027, 1, 13, 8))})
    assert moved_by_delivery(held_a_day, ("a", ""))
    assert dues(plan(held_a_day))[-1] == ("c", "", utc(2027, 1, 14, 7, 30))  # Wed is full: Thu 08:30


def test_a_delivery_before_first_contact_is_taken_to_move_the_plan() -> None:
    data = plan_input(program(item("a", "at s1")), now=utc(2027, 1, 12, 8, 1))
    assert moved_by_delivery(with_history(data, {("a", ""): delivered(utc(2027, 1, 12, 8, 1))}), ("a", ""))


# Input checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"now": datetime(2027, 1, 12)},
        {"active_since": datetime(2027, 1, 12)},
        {"history": {("a", ""): ItemHistory(delivered_at=datetime(2027, 1, 12))}},
        {"other_messages": (datetime(2027, 1, 12),)},
    ],
)
def test_naive_datetimes_are_refused(change: dict[str, Any]) -> None:
    data = replace(plan_input(program(item("a", "at s1")), now=BEFORE_START), **change)
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(data)


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_per_day"):
        plan(plan_input(program(item("a", "at s1"), max_per_day=0), now=BEFORE_START))

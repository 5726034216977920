"""Pairing peers for a round (`bot.flows.pairing.pair`): every rule checked on generated cohorts,
small ones against an independent brute force, large ones with the previous round as history."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.pairing import EXACT_LIMIT, Candidate, GroupMode, Pairing, pair

MODES: tuple[GroupMode, ...] = ("pairs", "trios")
OUTSIDER = 0  # a manager who is not among the candidates
History = set[frozenset[int]]


def build_cohort(rng: random.Random, size: int, *, manager_rate: float, teams: int) -> list[Candidate]:
    """Distinct ids in random order; a manager is an earlier person (or an outsider): no cycles.

    Managers are drawn from the first few people, so some have many reports.
    """
    ids = rng.sample(range(1, 10 * size + 10), size)
    candidates = []
    for position, person in enumerate(ids):
        manager = None
        if rng.random() < manager_rate:
            manager = rng.choice([OUTSIDER, *ids[: min(position, 1 + size // 4)]])
        team = f"t{rng.randrange(teams)}" if teams and rng.random() < 0.9 else None
        candidates.append(Candidate(person, manager_id=manager, team=team))
    return candidates


def random_history(rng: random.Random, candidates: Sequence[Candidate], count: int) -> set[frozenset[int]]:
    ids = [candidate.person_id for candidate in candidates] + [OUTSIDER, 999_999]
    return {frozenset(rng.sample(ids, 2)) for _ in range(count)}


@st.composite
def rounds(draw: st.DrawFn, *, min_size: int = 0, max_size: int) -> tuple[list[Candidate], History]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    size = draw(st.integers(min_size, max_size))
    manager_rate = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    candidates = build_cohort(rng, size, manager_rate=manager_rate, teams=draw(st.integers(0, 4)))
    return candidates, random_history(rng, candidates, draw(st.integers(0, 2 * size)))


def forbidden(one: Candidate, other: Candidate) -> bool:
    return one.manager_id == other.person_id or other.manager_id == one.person_id


def group_pairs(groups: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    return [(a, b) for members in groups for a, b in combinations(members, 2)]


def cost(
    groups: Sequence[Sequence[int]],
    left_out: int,
    candidates: Sequence[Candidate],
    history: set[frozenset[int]],
) -> tuple[int, int, int]:
    """(left out, repeated pairs, same-team pairs): what `pair` minimises, in that order."""
    teams = {candidate.person_id: candidate.team for candidate in candidates}
    pairs = group_pairs(groups)
    repeats = sum(1 for a, b in pairs if frozenset((a, b)) in history)
    same_team = sum(1 for a, b in pairs if teams[a] is not None and teams[a] == teams[b])
    return left_out, repeats, same_team


def sizes_allowed(groups: Sequence[Sequence[int]], mode: GroupMode) -> bool:
    placed = sum(len(members) for members in groups)
    sizes = sorted(len(members) for members in groups)
    if mode == "pairs":
        trios = placed % 2
        return sizes == [2] * ((placed - 3 * trios) // 2) + [3] * trios
    pairs = {0: 0, 1: 2, 2: 1}[placed % 3]
    return sizes == [2] * pairs + [3] * ((placed - 2 * pairs) // 3)


def assert_valid(result: Pairing, candidates: Sequence[Candidate], mode: GroupMode) -> None:
    everyone = sorted(candidate.person_id for candidate in candidates)
    placed = [person for members in result.groups for person in members]
    assert sorted(placed + list(result.left_out)) == everyone
    assert sizes_allowed(result.groups, mode)
    assert all(list(members) == sorted(members) for members in result.groups)
    assert list(result.groups) == sorted(result.groups)
    assert list(result.left_out) == sorted(result.left_out)
    by_id = {candidate.person_id: candidate for candidate in candidates}
    assert not any(forbidden(by_id[a], by_id[b]) for a, b in group_pairs(result.groups))


def blocks(people: list[int]) -> Iterator[list[tuple[int, ...]]]:
    """Every partition of `people` into blocks of one, two or three."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for size in (0, 1, 2):
        for others in combinations(rest, size):
            remaining = [person for person in rest if person not in others]
            for partition in blocks(remaining):
                yield [(first, *others), *partition]


def brute_force(
    candidates: Sequence[Candidate], history: set[frozenset[int]], mode: GroupMode
) -> tuple[int, int, int]:
    """The least cost over all partitions; a block of one is a person left out."""
    by_id = {candidate.person_id: candidate for candidate in candidates}
    best = (len(candidates), 0, 0)  # everyone left out is always allowed
    for partition in blocks(sorted(by_id)):
        groups = [block for block in partition if len(block) > 1]
        if not sizes_allowed(groups, mode):
            continue
        if any(forbidden(by_id[a], by_id[b]) for a, b in group_pairs(groups)):
            continue
        best = min(best, cost(groups, len(partition) - len(groups), candidates, history))
    return best


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=150, deadline=None)
@given(data=rounds(max_size=40), seed=st.text(max_size=8))
def test_every_candidate_placed_once_in_groups_of_the_mode_never_with_their_manager(
    data: tuple[list[Candidate], set[frozenset[int]]], seed: str, mode: GroupMode
) -> None:
    candidates, history = data
    assert_valid(pair(candidates, history=history, group=mode, seed=seed), candidates, mode)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=60, deadline=None)
@given(data=rounds(max_size=40), seed=st.text(max_size=8), order=st.randoms(use_true_random=False))
def test_the_same_inputs_and_seed_give_the_same_groups(
    data: tuple[list[Candidate], set[frozenset[int]]], seed: str, order: random.Random, mode: GroupMode
) -> None:
    candidates, history = data
    first = pair(candidates, history=history, group=mode, seed=seed)
    shuffled = list(candidates)
    order.shuffle(shuffled)
    assert pair(candidates, history=history, group=mode, seed=seed) == first
    assert pair(shuffled, history=list(history), group=mode, seed=seed) == first


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=120, deadline=None)
@given(data=rounds(max_size=8), seed=st.text(max_size=8))
def test_small_cohorts_leave_out_then_repeat_then_share_teams_as_little_as_possible(
    data: tuple[list[Candidate], set[frozenset[int]]], seed: str, mode: GroupMode
) -> None:
    candidates, history = data
    result = pair(candidates, history=history, group=mode, seed=seed)
    found = cost(result.groups, len(result.left_out), candidates, history)
    assert found == brute_force(candidates, history, mode)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=8, deadline=None)
@given(data=rounds(min_size=9, max_size=10), seed=st.text(max_size=8))
def test_nine_and_ten_are_optimal_too(
    data: tuple[list[Candidate], set[frozenset[int]]], seed: str, mode: GroupMode
) -> None:
    candidates, history = data
    result = pair(candidates, history=history, group=mode, seed=seed)
    found = cost(result.groups, len(result.left_out), candidates, history)
    assert found == brute_force(candidates, history, mode)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25, deadline=None)
@given(
    random_seed=st.integers(0, 2**32),
    size=st.integers(150, 400),
    manager_rate=st.floats(0.0, 1.0),
    teams=st.integers(0, 30),
)
def test_large_cohorts_do_not_repeat_the_previous_round(
    random_seed: int, size: int, manager_rate: float, teams: int, mode: GroupMode
) -> None:
    rng = random.Random(random_seed)
    candidates = build_cohort(rng, size, manager_rate=manager_rate, teams=teams)
    previous = pair(candidates, history=set(), group=mode, seed="round-1")
    history = {frozenset(two) for two in group_pairs(previous.groups)}
    result = pair(candidates, history=history, group=mode, seed="round-2")
    assert_valid(result, candidates, mode)
    assert cost(result.groups, 0, candidates, history)[1] == 0
    # Only someone who may join nobody (a manager of every other candidate) is left out.
    assert set(result.left_out) == {
        one.person_id
        for one in candidates
        if all(forbidden(one, other) for other in candidates if other != one)
    }


def test_the_heuristic_starts_where_the_exact_search_stops() -> None:
    assert 9 <= EXACT_LIMIT <= 14  # the brute-force properties above cover the exact range's top


def test_a_cohort_of_five_gives_one_trio_and_one_pair() -> None:
    candidates = [Candidate(person) for person in range(1, 6)]
    result = pair(candidates, history=set(), seed="r1")
    assert sorted(len(members) for members in result.groups) == [2, 3]
    assert result.left_out == ()


def test_trios_of_seven_are_one_trio_and_two_pairs() -> None:
    result = pair([Candidate(person) for person in range(1, 8)], history=set(), group="trios", seed="r1")
    assert sorted(len(members) for members in result.groups) == [2, 2, 3]


def test_a_manager_is_never_grouped_with_a_report() -> None:
    manager, reports, other = 1, [2, 3], 4
    candidates = [Candidate(manager), *(Candidate(r, manager_id=manager) for r in reports), Candidate(other)]
    for seed in map(str, range(20)):
        assert pair(candidates, history=set(), seed=seed).groups == ((1, 4), (2, 3))


def test_a_manager_and_their_only_fellow_candidate_are_both_left_out() -> None:
    result = pair([Candidate(1), Candidate(2, manager_id=1)], history=set(), seed="r1")
    assert result == Pairing(groups=(), left_out=(1, 2))


def test_a_manager_of_everyone_else_is_left_out_and_the_rest_grouped() -> None:
    candidates = [Candidate(1), *(Candidate(person, manager_id=1) for person in range(2, 30))]
    result = pair(candidates, history=set(), seed="r1")
    assert result.left_out == (1,)
    assert len(result.groups) == 14


def test_pairs_take_one_repeat_rather_than_a_second_trio() -> None:
    # Everyone was grouped with the other three before: only two trios would be free of repeats.
    history = {frozenset({a, b}) for a in (1, 2, 3) for b in (4, 5, 6)}
    result = pair([Candidate(person) for person in range(1, 7)], history=history, seed="r1")
    assert sorted(len(members) for members in result.groups) == [2, 2, 2]
    assert cost(result.groups, 0, [Candidate(person) for person in range(1, 7)], history)[1] == 1


@pytest.mark.parametrize("mode", MODES)
def test_in_a_large_cohort_a_manager_of_nearly_all_gets_the_one_partner_left(mode: GroupMode) -> None:
    manager, partner = 1, 2
    reports = [Candidate(person, manager_id=manager) for person in range(3, 201)]
    candidates = [Candidate(manager), Candidate(partner), *reports]
    for seed in map(str, range(5)):
        result = pair(candidates, history=set(), group=mode, seed=seed)
        assert (manager, partner) in result.groups
        assert result.left_out == ()


@pytest.mark.parametrize(("people", "left_out"), [([], ()), ([7], (7,))])
def test_fewer_than_two_candidates_form_no_group(people: list[int], left_out: tuple[int, ...]) -> None:
    assert pair([Candidate(p) for p in people], history=set(), seed="r1") == Pairing((), left_out)


def test_people_paired_before_are_not_paired_again_while_others_are_free() -> None:
    history = {frozenset({1, 2}), frozenset({3, 4})}
    result = pair([Candidate(person) for person in range(1, 5)], history=history, seed="r1")
    assert not any(frozenset(members) in history for members in result.groups)


def test_partners_come_from_another_team_when_they_can() -> None:
    candidates = [Candidate(1, team="sales"), Candidate(2, team="sales"), Candidate(3, team="hr")]
    candidates.append(Candidate(4, team="hr"))
    for seed in map(str, range(10)):
        groups = pair(candidates, history=set(), seed=seed).groups
        assert all(len({candidates[p - 1].team for p in members}) == 2 for members in groups)


def test_different_seeds_usually_give_different_groups() -> None:
    candidates = [Candidate(person) for person in range(1, 21)]
    small = candidates[:8]
    assert len({pair(candidates, history=set(), seed=str(seed)) for seed in range(5)}) > 1
    assert len({pair(small, history=set(), seed=str(seed)) for seed in range(5)}) > 1


def test_a_person_twice_among_the_candidates_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        pair([Candidate(1), Candidate(1)], history=set(), seed="r1")

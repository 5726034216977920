"""Forming peer-feedback groups for one pairing round of a cohort: a pure function.

`pair` takes the round's candidates, every pair of people grouped in an earlier round (of any
cohort) and the round's id as a seed, and returns the groups and who could not be placed.
No database, no clock, no I/O: the caller loads the candidates and the history, and writes
the result.

Rules, in priority order:
1. every candidate is in exactly one group or left out; `pairs` makes groups of two (one group
   of three when the number placed is odd), `trios` groups of three (one or two pairs for the
   remainder);
2. never a person with their own manager or a direct report; when that leaves no grouping of
   everyone, as few people as possible are left out;
3. as few pairs as possible that were grouped before;
4. as few pairs as possible from the same team.

Small cohorts get the exact optimum; large ones a fast heuristic (see `EXACT_LIMIT`).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence, Set
from dataclasses import dataclass
from typing import Literal

GroupMode = Literal["pairs", "trios"]

# A cohort up to this size is solved exactly by dynamic programming over subsets. Its work grows
# as 2**n states times the n**2/2 groups tried in each: on the 2-core development VM 12 people
# take 30-45 ms, and every further person doubles that (14: 0.1-0.2 s). Above it a greedy
# heuristic with local repairs takes about linear time (10,000 learners: see bench/pairing.py).
EXACT_LIMIT = 12

# Costs are one integer whose weights keep the rules' priority: any number of lesser costs
# never outweighs one of a greater rule, as long as a cohort has fewer than 2**20 pairs.
SAME_TEAM = 1
REPEAT = 1 << 20
FORBIDDEN = 1 << 40
LEFT_OUT = 1 << 60

# How many unplaced people the greedy compares as a partner before taking the cheapest; with
# a history of ten rounds nearly every first look is already free of repeats.
WINDOW = 12
# Random partner groups tried per costly group in the local repair, and the total budget per
# person, so that a cohort whose costs cannot be lowered (everyone in one team) stays linear.
SWAP_TRIES = 16
SWAP_BUDGET_PER_PERSON = 2


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person who takes part in the round."""

    person_id: int
    manager_id: int | None = None  # the person id of their manager on the roster, if any
    team: str | None = None  # the roster's `team:`, if given


@dataclass(frozen=True, slots=True)
class Pairing:
    """The groups of a round (each sorted, in sorted order) and who could not be placed."""

    groups: tuple[tuple[int, ...], ...]
    left_out: tuple[int, ...]


def pair(
    candidates: Sequence[Candidate],
    *,
    history: Collection[frozenset[int]],
    group: GroupMode = "pairs",
    seed: str,
) -> Pairing:
    """Group the candidates for one round; the same inputs and seed give the same result."""
    people = sorted(candidates, key=lambda candidate: candidate.person_id)
    if len({candidate.person_id for candidate in people}) != len(people):
        raise ValueError("pairing: a person is among the candidates more than once")
    costs = _Costs(people, history)
    rng = random.Random(seed)
    if len(people) <= EXACT_LIMIT:
        groups = _exact_groups(costs, rng, group)
    else:
        groups = _heuristic_groups(costs, rng, group)
    return _as_pairing(people, groups)


class _Costs:
    """What it costs to put two candidates (by index) in one group."""

    __slots__ = ("ids", "managers", "past", "teams")

    def __init__(self, people: Sequence[Candidate], history: Collection[frozenset[int]]) -> None:
        index = {candidate.person_id: position for position, candidate in enumerate(people)}
        self.ids = [candidate.person_id for candidate in people]
        self.teams = [candidate.team for candidate in people]
        self.managers = [index.get(c.manager_id, -1) if c.manager_id is not None else -1 for c in people]
        # Membership tests on a list would be linear; a set is taken as it is.
        self.past = history if isinstance(history, Set) else frozenset(history)

    def __len__(self) -> int:
        return len(self.ids)

    def forbidden(self, one: int, other: int) -> bool:
        return self.managers[one] == other or self.managers[other] == one

    def pair_cost(self, one: int, other: int) -> int:
        if self.forbidden(one, other):
            return FORBIDDEN
        cost = REPEAT if frozenset((self.ids[one], self.ids[other])) in self.past else 0
        team = self.teams[one]
        return cost + SAME_TEAM if team is not None and team == self.teams[other] else cost

    def group_cost(self, members: Sequence[int]) -> int:
        if len(members) == 2:
            return self.pair_cost(members[0], members[1])
        return sum(self.pair_cost(a, b) for i, a in enumerate(members) for b in members[i + 1 :])

    def conflicts(self) -> list[int]:
        """For each candidate, how many other candidates they may not be grouped with."""
        # Counted over distinct pairs: two people named as each other's manager conflict once.
        links = {(min(p, m), max(p, m)) for p, m in enumerate(self.managers) if m >= 0 and m != p}
        counts = [0] * len(self.ids)
        for one, other in links:
            counts[one] += 1
            counts[other] += 1
        return counts


def _slot_counts(placed: int, mode: GroupMode) -> tuple[int, int]:
    """How many pairs and trios `placed` people (at least two) form in this mode."""
    if mode == "pairs":
        trios = placed % 2
        return (placed - 3 * trios) // 2, trios
    pairs = (0, 2, 1)[placed % 3]
    return pairs, (placed - 2 * pairs) // 3


def _exact_groups(costs: _Costs, rng: random.Random, mode: GroupMode) -> list[tuple[int, ...]]:
    """The cheapest grouping, by dynamic programming over the set of people still to place.

    Each state takes its lowest person and leaves them out, or groups them with one or two
    others. Group sizes come down to one count: `pairs` allows at most one trio, `trios` at
    most two pairs (the number placed then fixes how many). People are numbered in a seeded
    order, so among equally cheap groupings the seed decides.
    """
    order = list(range(len(costs)))
    rng.shuffle(order)
    odd_size, odd_limit = (3, 1) if mode == "pairs" else (2, 2)
    memo: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}

    def best(remaining: int, odd_used: int) -> int:
        if remaining == 0:
            return 0
        known = memo.get((remaining, odd_used))
        if known is not None:
            return known[0]
        first = (remaining & -remaining).bit_length() - 1
        rest = remaining & ~(1 << first)
        choice: tuple[int, ...] = (first,)
        cheapest = LEFT_OUT + best(rest, odd_used)
        for members in _groups_starting_with(first, rest):
            used = odd_used + (len(members) == odd_size)
            cost = costs.group_cost([order[bit] for bit in members])
            if used > odd_limit or cost >= FORBIDDEN:
                continue
            cost += best(rest & ~_mask(members[1:]), used)
            if cost < cheapest:
                cheapest, choice = cost, members
        memo[(remaining, odd_used)] = (cheapest, choice)
        return cheapest

    best((1 << len(order)) - 1, 0)
    return _follow_choices(memo, order, odd_size)


def _groups_starting_with(first: int, rest: int) -> list[tuple[int, ...]]:
    others = [bit for bit in range(rest.bit_length()) if rest >> bit & 1]
    pairs: list[tuple[int, ...]] = [(first, other) for other in others]
    return pairs + [(first, a, b) for i, a in enumerate(others) for b in others[i + 1 :]]


def _mask(bits: Sequence[int]) -> int:
    return sum(1 << bit for bit in bits)


def _follow_choices(
    memo: dict[tuple[int, int], tuple[int, tuple[int, ...]]], order: Sequence[int], odd_size: int
) -> list[tuple[int, ...]]:
    """The groups (by candidate index) along the best choices; a lone person is left out."""
    groups, remaining, odd_used = [], (1 << len(order)) - 1, 0
    while remaining:
        members = memo[(remaining, odd_used)][1]
        if len(members) > 1:
            groups.append(tuple(order[bit] for bit in members))
            odd_used += len(members) == odd_size
        remaining &= ~_mask(members)
    return groups


def _heuristic_groups(costs: _Costs, rng: random.Random, mode: GroupMode) -> list[tuple[int, ...]]:
    """A cheap grouping for a large cohort: seeded greedy, local repair, and a safety net.

    Whoever may be grouped with no other candidate (a manager whose every fellow candidate is
    a report) is left out from the start. The rest is grouped greedily in a seeded order, and
    costly groups are repaired by swapping members with random other groups. A group that
    still breaks the hard rule is left out as a whole, which keeps the group sizes right.
    """
    conflicts = costs.conflicts()
    placeable = [person for person, count in enumerate(conflicts) if count < len(costs) - 1]
    if len(placeable) < 2:
        return []
    rng.shuffle(placeable)
    # People who may join fewer than half the cohort go first, while their partners are free;
    # the others keep the seeded order, so nobody is matched by their role.
    scarce = len(costs) // 2
    placeable.sort(key=lambda person: -conflicts[person] if conflicts[person] >= scarce else 0)
    groups = _Greedy(costs, placeable, mode).groups()
    _repair(groups, costs, rng, budget=SWAP_BUDGET_PER_PERSON * len(placeable))
    return [tuple(members) for members in groups if costs.group_cost(members) < FORBIDDEN]


class _Greedy:
    """Groups people in the given order, each with the cheapest partners among the next few."""

    def __init__(self, costs: _Costs, order: list[int], mode: GroupMode) -> None:
        self.costs, self.order, self.mode = costs, order, mode
        self.placed = bytearray(len(costs))
        self.cursor = 0
        self.pairs, self.trios = _slot_counts(len(order), mode)

    def groups(self) -> list[list[int]]:
        groups = []
        while self.pairs + self.trios:
            groups.append(self.next_group())
        return groups

    def next_group(self) -> list[int]:
        while self.placed[self.order[self.cursor]]:
            self.cursor += 1
        members = [self.order[self.cursor]]
        self.placed[members[0]] = 1
        self.add(members, self.cheapest_addition(members)[0])
        if self.closes_as_pair(members):
            self.pairs -= 1
        else:
            self.trios -= 1
            self.add(members, self.cheapest_addition(members)[0])
        return members

    def closes_as_pair(self, members: list[int]) -> bool:
        if self.mode == "pairs" or not self.trios:
            return self.pairs > 0
        # A trios round keeps its one or two pairs for people who cannot join a trio.
        return self.pairs > 0 and self.cheapest_addition(members)[1] >= FORBIDDEN

    def add(self, members: list[int], person: int) -> None:
        members.append(person)
        self.placed[person] = 1

    def cheapest_addition(self, members: list[int]) -> tuple[int, int]:
        """The cheapest of the next WINDOW unplaced people (further on while all are forbidden)."""
        best, best_cost, looked = -1, LEFT_OUT, 0
        for person in self.order[self.cursor + 1 :]:
            if self.placed[person]:
                continue
            cost = sum(self.costs.pair_cost(member, person) for member in members)
            if cost < best_cost:
                best, best_cost = person, cost
            looked += 1
            if best_cost == 0 or (looked >= WINDOW and best_cost < FORBIDDEN):
                break
        return best, best_cost


def _repair(groups: list[list[int]], costs: _Costs, rng: random.Random, *, budget: int) -> None:
    """Swap members of costly groups with random other groups while that lowers the total."""
    group_costs = [costs.group_cost(members) for members in groups]
    costly = sorted((g for g, cost in enumerate(group_costs) if cost), key=lambda g: group_costs[g])
    while costly and budget > 0:
        g = costly.pop()  # the costliest first: broken hard rules, then repeats
        for _ in range(min(SWAP_TRIES, budget)):
            budget -= 1
            other = rng.randrange(len(groups))
            if other != g and _swap_if_cheaper(groups, group_costs, g, other, costs):
                if group_costs[other]:
                    costly.insert(0, other)
                if not group_costs[g]:
                    break


def _swap_if_cheaper(groups: list[list[int]], group_costs: list[int], g: int, h: int, costs: _Costs) -> bool:
    """Make the cheapest exchange of one member between groups g and h, if any is cheaper."""
    cheapest, best = group_costs[g] + group_costs[h], None
    for i, one in enumerate(groups[g]):
        for j, other in enumerate(groups[h]):
            new_g = [*groups[g][:i], other, *groups[g][i + 1 :]]
            new_h = [*groups[h][:j], one, *groups[h][j + 1 :]]
            cost_g, cost_h = costs.group_cost(new_g), costs.group_cost(new_h)
            if cost_g + cost_h < cheapest:
                cheapest, best = cost_g + cost_h, (new_g, new_h, cost_g, cost_h)
    if best is None:
        return False
    groups[g], groups[h], group_costs[g], group_costs[h] = best
    return True


def _as_pairing(people: Sequence[Candidate], groups: Sequence[tuple[int, ...]]) -> Pairing:
    ids = [candidate.person_id for candidate in people]
    placed = {member for members in groups for member in members}
    return Pairing(
        groups=tuple(sorted(tuple(sorted(ids[member] for member in members)) for members in groups)),
        left_out=tuple(ids[person] for person in range(len(ids)) if person not in placed),
    )

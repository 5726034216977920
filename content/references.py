"""Checks across the interventions of one program: ids, `when` and `follow_up` references,
cycles among them, and the kickoff/closing assessments."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from content.intervention import Draft
from content.model import Intervention
from content.problems import FileProblems, Problem
from content.when import AfterIntervention, Every, When, WhenError, referenced_sessions, resolve_references


@dataclass(frozen=True, slots=True)
class _Edge:
    """`waiter` is sent only after `waited_for`; declared by `draft` under `key`."""

    waiter: str
    waited_for: str
    draft: Draft
    key: str


class _Checker:
    """The program-wide checks, sharing the session ids and the problem list."""

    def __init__(
        self, *, sessions: tuple[str, ...] | None, unreadable: frozenset[str], sink: list[Problem]
    ) -> None:
        self.sessions = sessions
        self.unreadable = unreadable
        self.sink = sink

    def report(self, draft: Draft, key: str, message: str) -> None:
        FileProblems(path=draft.intervention.source, sink=self.sink).add(draft.line(key), message)

    def unique(self, drafts: Sequence[Draft]) -> dict[str, Draft]:
        first: dict[str, Draft] = {}
        for draft in drafts:
            if draft.id in first:
                other = first[draft.id]
                where = f"{other.intervention.source}:{other.line('id')}"
                self.report(draft, "id", f"duplicate id `{draft.id}`; {where} has it too")
            else:
                first[draft.id] = draft
            if self.sessions is not None and draft.id in self.sessions:
                self.report(draft, "id", f"id `{draft.id}` is also a session id; rename the intervention")
        return first

    def resolve(self, draft: Draft, known: Mapping[str, Draft]) -> When | None:
        when = draft.intervention.when
        if when is None or self.sessions is None:
            return when  # without the program's sessions, a name cannot be told apart
        try:
            when = resolve_references(when, frozenset(self.sessions))
        except WhenError as error:
            self.report(draft, "when", str(error))
            return None
        for session in referenced_sessions(when):
            if session not in self.sessions:
                self.report(
                    draft, "when", f"unknown session `{session}`; the program has {', '.join(self.sessions)}"
                )
        if isinstance(when, AfterIntervention) and not self.exists(when.intervention, known):
            self.report(draft, "when", f"unknown intervention `{when.intervention}`")
        if isinstance(when, Every) and _after(when.start_session, when.end_session, self.sessions):
            self.report(draft, "when", f"`from {when.start_session}` comes after `until {when.end_session}`")
        return when

    def exists(self, intervention_id: str, known: Mapping[str, Draft]) -> bool:
        # A file too broken to read still owns its file name: do not call references to it unknown.
        return intervention_id in known or intervention_id in self.unreadable

    def follow_ups(self, known: Mapping[str, Draft]) -> None:
        targets = {draft.intervention.follow_up for draft in known.values()}
        for draft in known.values():
            target = draft.intervention.follow_up
            if target is not None and not self.exists(target, known):
                self.report(draft, "follow_up", f"unknown intervention `{target}`")
            if "when" not in draft.lines and draft.id not in targets:
                self.report(
                    draft,
                    "when",
                    "missing `when`; only an intervention that is another's `follow_up` may omit it",
                )

    def cycles(self, known: Mapping[str, Draft], resolved: Mapping[str, When | None]) -> None:
        edges = list(_edges(known, resolved))
        for cycle in _cycles(edges):
            names = ", which waits for ".join(f"`{edge.waited_for}`" for edge in cycle)
            first = cycle[0]
            self.report(first.draft, first.key, f"circular order: `{first.waiter}` waits for {names}")

    def assessments(self, known: Mapping[str, Draft]) -> None:
        kickoff = self.single(known, "kickoff")
        closing = self.single(known, "closing")
        if kickoff is None or closing is None:
            return
        before = {statement.competency for statement in kickoff.intervention.statements}
        for statement in closing.intervention.statements:
            if statement.competency not in before:
                self.report(
                    closing,
                    "closing",
                    f"the closing test scores `{statement.competency}`, which the kickoff test "
                    f"({kickoff.intervention.source}) does not",
                )
                before.add(statement.competency)  # once per competency

    def single(self, known: Mapping[str, Draft], key: str) -> Draft | None:
        marked = [
            draft
            for draft in known.values()
            if getattr(draft.intervention, key) and draft.intervention.type == "assessment"
        ]
        for extra in marked[1:]:
            where = f"{marked[0].intervention.source}:{marked[0].line(key)}"
            self.report(extra, key, f"a second {key} test; the first is {where}")
        return marked[0] if marked else None


def check_references(
    drafts: Sequence[Draft],
    *,
    sessions: tuple[str, ...] | None,
    unreadable: frozenset[str],
    sink: list[Problem],
) -> tuple[Intervention, ...]:
    """Check what the interventions say about each other; return them with `when` resolved
    against the program's `sessions` (ids in program order; None when program.md has none)."""
    checker = _Checker(sessions=sessions, unreadable=unreadable, sink=sink)
    known = checker.unique(drafts)
    resolved = {draft_id: checker.resolve(draft, known) for draft_id, draft in known.items()}
    checker.follow_ups(known)
    checker.cycles(known, resolved)
    checker.assessments(known)
    return tuple(
        dataclasses.replace(draft.intervention, when=resolved.get(draft.id, draft.intervention.when))
        for draft in drafts
    )


def _after(first: str, second: str, sessions: tuple[str, ...]) -> bool:
    """Whether session `first` comes after `second` (unknown sessions are reported elsewhere)."""
    return first in sessions and second in sessions and sessions.index(first) > sessions.index(second)


def _edges(known: Mapping[str, Draft], resolved: Mapping[str, When | None]) -> Iterator[_Edge]:
    for draft_id, draft in known.items():
        target = draft.intervention.follow_up
        if target is not None and target in known:
            yield _Edge(waiter=target, waited_for=draft_id, draft=draft, key="follow_up")
        when = resolved.get(draft_id)
        if isinstance(when, AfterIntervention) and when.intervention in known:
            yield _Edge(waiter=draft_id, waited_for=when.intervention, draft=draft, key="when")


def _cycles(edges: list[_Edge]) -> list[tuple[_Edge, ...]]:
    """Each cycle once, as the chain of edges starting at its smallest id."""
    graph: dict[str, list[_Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.waiter, []).append(edge)
    found: dict[tuple[str, ...], tuple[_Edge, ...]] = {}
    done: set[str] = set()

    def visit(node: str, path: list[_Edge], on_path: dict[str, int]) -> None:
        on_path[node] = len(path)
        for edge in graph.get(node, []):
            if edge.waited_for in on_path:
                cycle = (*path[on_path[edge.waited_for] :], edge)
                canonical = _rotate(cycle)
                found.setdefault(tuple(e.waiter for e in canonical), canonical)
            elif edge.waited_for not in done:
                visit(edge.waited_for, [*path, edge], on_path)
        del on_path[node]
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            visit(node, [], {})
    return list(found.values())


def _rotate(cycle: tuple[_Edge, ...]) -> tuple[_Edge, ...]:
    start = min(range(len(cycle)), key=lambda index: cycle[index].waiter)
    return cycle[start:] + cycle[:start]

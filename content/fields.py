"""Typed reading of a YAML mapping that remembers each key's line.

Readers ask for one key at a time (`text`, `flag`, `number`, `texts`, `items`); a value of the
wrong shape is recorded as a problem at the key's line and read as absent, so one pass over a
file finds everything wrong with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from content.problems import FileProblems

Choice = TypeVar("Choice", bound=str)

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"


@dataclass(frozen=True, slots=True)
class Entry:
    """One key of a mapping: its file line and its (still uninterpreted) value."""

    key: str
    line: int
    node: yaml.Node


class Fields:
    """A YAML mapping read key by key; problems go to the file's collector."""

    def __init__(self, node: yaml.Node | None, *, offset: int, line: int, problems: FileProblems) -> None:
        """`line` is where missing keys are reported (the mapping's own line or the file's top)."""
        self.offset = offset
        self.line = line
        self.problems = problems
        self._entries: dict[str, Entry] = {}
        self.is_mapping = node is None or isinstance(node, yaml.MappingNode)
        if node is None:
            return
        if not isinstance(node, yaml.MappingNode):
            problems.add(self.line_of(node), "expected `key: value` lines here")
            return
        for key_node, value_node in node.value:
            self._add(key_node, value_node)

    def _add(self, key_node: yaml.Node, value_node: yaml.Node) -> None:
        line = self.line_of(key_node)
        if not isinstance(key_node, yaml.ScalarNode) or not key_node.value:
            self.problems.add(line, "a key must be a plain word")
            return
        key = str(key_node.value)
        if key in self._entries:
            self.problems.add(line, f"duplicate key `{key}` (first at line {self._entries[key].line})")
            return
        self._entries[key] = Entry(key=key, line=line, node=value_node)

    def line_of(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + self.offset

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def key_line(self, key: str) -> int:
        """The line of `key`, or the mapping's line when the key is absent."""
        entry = self._entries.get(key)
        return entry.line if entry is not None else self.line

    def allow(self, known: Iterable[str], *, elsewhere: Mapping[str, str] | None = None) -> None:
        """Record every key that is not in `known`, suggesting the nearest known one. A key in
        `elsewhere` is known in other places: its own message says why it does not belong here."""
        known = tuple(known)
        elsewhere = elsewhere or {}
        for entry in self._entries.values():
            if entry.key in elsewhere:
                self.problems.add(entry.line, elsewhere[entry.key])
            elif entry.key not in known:
                self.problems.add(entry.line, f"unknown key `{entry.key}`{_suggestion(entry.key, known)}")

    def require(self, *keys: str) -> None:
        """Record each missing key (not again when the whole mapping was not a mapping)."""
        if not self.is_mapping:
            return
        for key in keys:
            if key not in self._entries:
                self.problems.add(self.line, f"missing required key `{key}`")

    def _value(self, key: str) -> Entry | None:
        """The entry of `key` when it has a value; an explicit empty value is a problem."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if isinstance(entry.node, yaml.ScalarNode) and entry.node.tag == _NULL:
            self.problems.add(entry.line, f"`{key}` has no value")
            return None
        return entry

    def text(self, key: str, *, one_line: bool = False) -> str | None:
        """A non-empty text. YAML's own typing is ignored: `title: 2024` is the text "2024"."""
        entry = self._value(key)
        if entry is None:
            return None
        value = self._scalar_text(entry.node, line=entry.line, label=f"`{key}`")
        if value is not None and one_line and "\n" in value:
            self.problems.add(entry.line, f"`{key}` must be one line")
            return None
        return value

    def _scalar_text(self, node: yaml.Node, *, line: int, label: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.problems.add(line, f"{label} must be text, not a list or mapping")
            return None
        value = str(node.value).strip()
        if not value or node.tag == _NULL:
            self.problems.add(line, f"{label} is empty")
            return None
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        """A yes/no value (`true`/`false`); the default when absent or invalid."""
        entry = self._value(key)
        if entry is None:
            return default
        if not isinstance(entry.node, yaml.ScalarNode) or entry.node.tag != _BOOL:
            self.problems.add(entry.line, f"`{key}` must be `true` or `false`")
            return default
        return bool(SafeConstructor().construct_yaml_bool(entry.node))

    def number(self, key: str) -> int | None:
        """A whole number, or None when absent or invalid."""
        entry = self._value(key)
        if entry is None:
            return None
        if isinstance(entry.node, yaml.ScalarNode) and entry.node.tag == _INT:
            try:
                return int(SafeConstructor().construct_yaml_int(entry.node))
            except (ConstructorError, ValueError):
                pass
        self.problems.add(entry.line, f"`{key}` must be a whole number")
        return None

    def one_of(self, key: str, allowed: tuple[Choice, ...], *, noun: str) -> Choice | None:
        """The value of `key` if it is one of `allowed`; otherwise a problem naming the choices."""
        value = self.text(key)
        for choice in allowed:
            if value == choice:
                return choice
        if value is not None:
            self.problems.add(
                self.key_line(key), f"unknown {noun} `{value}`; use one of {', '.join(allowed)}"
            )
        return None

    def texts(self, key: str) -> tuple[str, ...] | None:
        """A list of non-empty texts (`[a, b]` or one `- item` per line)."""
        entry = self._value(key)
        if entry is None:
            return None
        if not isinstance(entry.node, yaml.SequenceNode):
            self.problems.add(entry.line, f"`{key}` must be a list, like `[a, b]`")
            return None
        values = []
        for item in entry.node.value:
            value = self._scalar_text(item, line=self.line_of(item), label=f"an item of `{key}`")
            if value is None:
                return None
            values.append(value)
        return tuple(values)

    def items(self, key: str) -> tuple[Fields, ...] | None:
        """A list of mappings (like `sessions:`), each read with the same collector."""
        entry = self._value(key)
        if entry is None:
            return None
        if not isinstance(entry.node, yaml.SequenceNode):
            self.problems.add(entry.line, f"`{key}` must be a list of `key: value` mappings")
            return None
        return tuple(self.nested(item) for item in entry.node.value)

    def mapping(self, key: str) -> Fields | None:
        """A nested mapping (like a roster's `sessions:`)."""
        entry = self._value(key)
        if entry is None:
            return None
        if not isinstance(entry.node, yaml.MappingNode):
            self.problems.add(entry.line, f"`{key}` must be a mapping of `key: value` pairs")
            return None
        return self.nested(entry.node)

    def nested(self, node: yaml.Node) -> Fields:
        return Fields(node, offset=self.offset, line=self.line_of(node), problems=self.problems)

    def raw(self, key: str) -> Entry | None:
        """The entry itself, for values with their own grammar (dates, weekday lists)."""
        return self._value(key)


def _suggestion(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"; did you mean `{close[0]}`?"
    return f"; known keys: {', '.join(known)}"

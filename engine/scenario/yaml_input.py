"""YAML read with bounds: what a scenario file, a `--set` value or a sweep value may be.

Scenario YAML is small and plain, so the reader refuses what only a mistake or an attack needs:
aliases (`*name`; nine-fold aliases nested nine deep expand to 387 million nodes from a few
hundred bytes), nesting deeper than `MAX_DEPTH`, a key repeated in one mapping (YAML would keep the
last value silently), and files that are not UTF-8 or larger than `MAX_SCENARIO_BYTES`. Each
refusal is one `InputError` naming the file (or option) and what is wrong, quoting at most a short
prefix of any value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, short

MAX_SCENARIO_BYTES = 1 << 20
"""Largest scenario file read (bytes); the shipped scenarios are under 4 KiB."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists (the schema itself is 5 deep)."""


class InputYAMLError(yaml.YAMLError):
    """A bound the reader enforces (the message says which), at a line of the text."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader without aliases, with a nesting bound, refusing repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise InputYAMLError(
                f"uses the alias *{short(str(event.anchor))}: aliases are not allowed in a "
                "scenario (write the value out)",
                event.start_mark.line + 1,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise InputYAMLError(
                    f"nests deeper than {MAX_DEPTH} levels of mappings and lists", mark.line + 1
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader reports it below
                continue
            if repeated:
                raise InputYAMLError(
                    f"repeats the key {short(str(key))!r} in one mapping (YAML would keep the "
                    "last value silently)",
                    key_node.start_mark.line + 1,
                )
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the bounds above; raises `InputYAMLError` for a bound, and PyYAML's
    errors (or ValueError, for a date-like value YAML cannot make a date of) for bad YAML."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_text_bounded(path: Path) -> str:
    """A scenario file's text: at most `MAX_SCENARIO_BYTES`, UTF-8; `InputError` naming the file
    otherwise (or when it cannot be read)."""
    field, value = "scenario", str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise InputError(
                field,
                value,
                f"is {size:,} bytes: a scenario file is at most {MAX_SCENARIO_BYTES:,}",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(field, value, f"cannot be read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        reason = f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}); save it as UTF-8"
        raise InputError(field, value, reason) from None

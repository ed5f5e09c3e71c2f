"""Dotted-key overrides of scenario data: `--set KEY=VALUE` and the points of a sweep."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from engine.errors import InputError, short
from engine.scenario.yaml_input import InputYAMLError, load_yaml


def parse_override(text: str) -> tuple[str, Any]:
    """`KEY=VALUE` with a dotted key; the value is read as YAML (`5` -> 5, `v3` -> 'v3')."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("--set", text, "expected KEY=VALUE, e.g. hedge.leverage=5")
    try:
        value = load_yaml(raw) if raw.strip() else None
    except InputYAMLError as exc:
        raise InputError(key, short(raw), f"value {exc.reason}") from None
    except (yaml.YAMLError, ValueError):  # ValueError: a date-like value such as 2022-13-01
        raise InputError(key, short(raw), "value is not valid YAML") from None
    return key, value


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of `data` with each dotted key set to its value. A part that is a whole
    number indexes a list already in the data (`shocks.0.move`: the first shock's move)."""
    out: dict[str, Any] = copy.deepcopy(data)  # YAML data may hold dates: no JSON round trip
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                index = _list_index(node, part, ".".join(parts[: depth + 1]))
                if last:
                    node[index] = value
                else:
                    node = node[index]
                continue
            if part.isdigit() and part not in node:  # no schema key is a number
                raise InputError(".".join(parts[: depth + 1]), part, "indexes no list here")
            if last:
                node[part] = value
                continue
            child = node.setdefault(part, {})
            if not isinstance(child, dict | list):
                raise InputError(".".join(parts[: depth + 1]), child, "is a value, not a section")
            node = child
    return out


def _list_index(items: list[Any], part: str, field: str) -> int:
    """The list position named by one part of a dotted key."""
    if not part.isdigit() or int(part) >= len(items):
        raise InputError(field, part, f"is not an index of this list (it has {len(items)} items)")
    return int(part)

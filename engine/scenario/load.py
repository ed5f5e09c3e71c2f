"""Loading a scenario: shipped scenarios by name, YAML files, dotted-key overrides, data paths
made absolute, then validation (every sweep point included).

A relative data path is taken from the folder of the scenario file that holds it (from the current
folder for a value given with --set or in a mapping).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from engine.errors import InputError, short
from engine.scenario.overrides import apply_overrides, parse_override
from engine.scenario.root import Scenario
from engine.scenario.sweep import sweep_points
from engine.scenario.validate import validate_point
from engine.scenario.yaml_input import InputYAMLError, load_yaml, read_text_bounded


def shipped_scenarios_dir() -> Path:
    """Folder of the scenarios shipped with lphedge.

    In an installed wheel they live in the package (`engine/_scenarios`, copied from the project's
    top-level `scenarios/` at build time); in a source checkout they are the top-level folder.
    """
    packaged = Path(str(resources.files("engine"))) / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names to their files: the file stem for the top folder, `folder/stem` for
    a subfolder (the stress library: `stress/2022-11-ftx`). Top-level scenarios come first."""
    root = shipped_scenarios_dir()
    top = {p.stem: p for p in sorted(root.glob("*.yaml"))}
    nested = {
        p.relative_to(root).with_suffix("").as_posix(): p for p in sorted(root.glob("*/**/*.yaml"))
    }
    return {**top, **nested}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path to an existing file, or the name of a shipped scenario."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    if path.exists():
        raise InputError("scenario", str(name_or_path), "is not a file")
    raise InputError(
        "scenario",
        str(name_or_path),
        f"no such file, and not a shipped scenario (shipped: {', '.join(shipped) or 'none'})",
    )


def read_scenario_file(path: Path) -> dict[str, Any]:
    """Parse a YAML scenario file into a mapping (no validation yet), within the reader's bounds
    (`engine.scenario.yaml_input`: size, UTF-8, no aliases, nesting, no repeated keys)."""
    text = read_text_bounded(path)
    try:
        data = load_yaml(text)
    except InputYAMLError as exc:
        raise InputError("scenario", str(path), f"{exc.reason} (line {exc.line})") from None
    except ValueError as exc:  # a date-like value YAML cannot make a date of, e.g. 2022-13-01
        raise InputError("scenario", str(path), f"is not valid YAML ({short(str(exc))})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError("scenario", str(path), f"is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("scenario", str(path), "must be a YAML mapping of keys to values")
    return data


def validate_scenario(data: Mapping[str, Any]) -> Scenario:
    """Validate a plain mapping into a frozen `Scenario` (every sweep point included)."""
    scenario = validate_point(data)
    if scenario.sweep:
        sweep_points(scenario)  # raises InputError naming the key and the value
    return scenario


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    `source` is a YAML file, the name of a shipped scenario, a mapping, a `Scenario`, or None for the
    built-in default. `overrides` maps dotted keys to values (`{"hedge.leverage": 5}`) or is a list
    of `KEY=VALUE` strings as on the command line.
    """
    if source is None:
        data: dict[str, Any] = {}
    elif isinstance(source, Scenario):
        data = source.to_dict()
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        path = resolve_scenario_path(source)
        data = resolve_data_paths(read_scenario_file(path), path.parent)
    if overrides:
        if isinstance(overrides, Mapping):
            pairs = dict(overrides)
        else:
            pairs = dict(parse_override(item) for item in overrides)
        data = apply_overrides(data, pairs)
    return validate_scenario(resolve_data_paths(data, Path.cwd()))


DATA_PATH_KEYS = ("market.price.history.prices", "market.price.history.funding")
"""Scenario keys holding file paths (docs/model-notes.md: historical data)."""


def resolve_data_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """`data` (a new mapping if anything changed) with every data path made absolute: `~` and
    environment variables (`$VAR`, `${VAR}`) expanded, then a relative path taken from `base`
    (the scenario file's folder, or the current folder). An unset variable is an `InputError`
    naming the key."""
    out = data
    for dotted in DATA_PATH_KEYS:
        node: Any = data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, str):
            continue
        expanded = os.path.expanduser(os.path.expandvars(node))
        if "$" in expanded:
            unset = re.findall(r"\$\{?(\w+)", expanded)
            raise InputError(
                dotted,
                node,
                f"environment variable {', '.join(unset)} is not set (for the shipped "
                "data-driven scenarios: the folder of the historical CSV files)",
            )
        resolved = str((base / expanded).resolve())
        if resolved != node:
            out = apply_overrides(out, {dotted: resolved})
    return out

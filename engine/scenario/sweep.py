"""Parameter sweeps: the one place that splits a scenario's sweep into its points."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

import yaml

from engine.errors import InputError, short
from engine.scenario.overrides import apply_overrides
from engine.scenario.root import Scenario
from engine.scenario.validate import validate_point
from engine.scenario.yaml_input import InputYAMLError, load_yaml

SWEEP_FORBIDDEN = {
    "paths": "every sweep point has the same paths",
    "seed": "every sweep point uses the same seed (common random numbers)",
    "sweep": "a sweep cannot sweep itself",
    "name": "the name labels the whole run",
    "description": "the description labels the whole run",
}


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """`KEY=V1,V2,...` (the `--grid` option): a dotted key and its values, each read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("--grid", text, "expected KEY=V1,V2,..., e.g. hedge.leverage=2,3,5")
    items = [item.strip() for item in raw.split(",")]
    if not raw.strip() or any(not item for item in items):
        raise InputError(f"--grid {key}", raw, "needs a comma-separated list of values")
    values = []
    for item in items:
        try:
            values.append(load_yaml(item))
        except InputYAMLError as exc:
            raise InputError(f"--grid {key}", short(item), f"value {exc.reason}") from None
        except (yaml.YAMLError, ValueError):  # ValueError: a date-like value such as 2022-13-01
            raise InputError(f"--grid {key}", short(item), "value is not valid YAML") from None
    return key, values


def _point_label(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def point_key(point: Mapping[str, Any]) -> str:
    """The label of a sweep point: `hedge.ratio=0.5,hedge.leverage=3` (the `--grid` syntax)."""
    return ",".join(f"{k}={_point_label(v)}" for k, v in point.items())


def _check_sweep_keys(sweep: Mapping[str, Any]) -> None:
    """Each swept key may be swept, with a non-empty list of distinct scalar values."""
    for key, values in sweep.items():
        field = f"sweep.{key}"
        if key.split(".")[0] in SWEEP_FORBIDDEN:
            raise InputError(
                field, values, f"cannot be swept: {SWEEP_FORBIDDEN[key.split('.')[0]]}"
            )
        if not isinstance(values, list) or not values:
            raise InputError(field, values, "needs a non-empty list of values")
        for value in values:
            if isinstance(value, dict | list) or value is None:
                raise InputError(field, value, "sweep values must be numbers, strings or booleans")
        if len({json.dumps(v) for v in values}) != len(values):
            raise InputError(field, values, "repeats a value")


def sweep_points(scenario: Scenario) -> list[tuple[dict[str, Any], Scenario]]:
    """Every point of the scenario's sweep, in C order of its keys (the last key varies fastest):
    (the point's {dotted key: value}, the point's scenario without a sweep). A scenario without a
    sweep has one point, `({}, scenario)`.

    Raises `InputError` naming the key and the value for an empty list, a value that is not a
    scalar, a repeated value, an unknown key, a value of the wrong type or out of range, a key
    that cannot be swept, and points whose outputs would not have the same shape.
    """
    if not scenario.sweep:
        return [({}, scenario)]
    base = scenario.to_dict()
    del base["sweep"]
    _check_sweep_keys(scenario.sweep)
    points = []
    keys = list(scenario.sweep)
    for combo in itertools.product(*(scenario.sweep[k] for k in keys)):
        point = dict(zip(keys, combo, strict=True))
        try:
            point_scenario = validate_point(apply_overrides(base, point))
        except InputError as exc:
            raise InputError(
                "sweep",
                point_key(point),
                str(exc),
                message=f"sweep point {point_key(point)}: {exc}",
            ) from None
        points.append((point, point_scenario))
    first = points[0][1]
    shape = _output_shape(first)
    for point, point_scenario in points[1:]:
        if _output_shape(point_scenario) != shape:
            raise InputError(
                "sweep",
                point_key(point),
                "changes the shape of the outputs (the number of steps or of sampled paths, or "
                "the observation grid); sweep those keys in separate runs",
            )
    return points


def _output_shape(scenario: Scenario) -> tuple[Any, ...]:
    every = scenario.output.observe_every_hours
    return (scenario.n_steps, scenario.step_hours, every, scenario.output.sample_paths)

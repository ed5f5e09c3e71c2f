"""Whether the lane (SIMD) kernel supports a scenario: its kinds compared with the set the lane
kernel declares, in one place.

`supports` is a whitelist. The lane kernel (`engine.kernels.lanes`) implements the model of
`engine.kernels.driver` for the keys in `engine.kernels.lane_kinds.LANE_KEYS`, each with the values
listed there (None: any value). Every other key of the scenario must keep its schema default, or
the scenario goes to the general kernel; the `sweep` section never reaches a kernel. Both kernels
give bit-identical per-path results where both apply (tests/test_lanes.py), so the choice
(`engine.block.run_block`) changes speed only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.kernels.lane_kinds import LANE_KEYS
from engine.scenario import Scenario

# whole sections that never reach a kernel
_ANY_SECTIONS = ("sweep",)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted not in _ANY_SECTIONS:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def unsupported_keys(scenario: Scenario) -> list[str]:
    """The keys that keep `scenario` off the lane kernel: a listed key with a value the lane
    kernel does not implement, or an unlisted key away from its default."""
    values = _flatten(scenario.model_dump(mode="json"))
    defaults = _flatten(type(scenario)().model_dump(mode="json"))
    blocking = []
    for key, value in values.items():
        if key in _ANY_SECTIONS:
            continue
        if key in LANE_KEYS:
            allowed = LANE_KEYS[key]
            if allowed is not None and value not in allowed:
                blocking.append(key)
        elif key not in defaults or value != defaults[key]:
            blocking.append(key)
    return blocking


def supports(scenario: Scenario) -> bool:
    """Whether the lane kernel runs `scenario` (see the module doc)."""
    return not unsupported_keys(scenario)

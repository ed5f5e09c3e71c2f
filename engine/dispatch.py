"""Which kernel runs a scenario: the lane (SIMD) kernel when it supports every feature in use,
the general path-by-path kernel otherwise.

`supports` is a whitelist. The lane kernel (`engine.kernels.lanes`) implements the model of
`engine.kernels.driver` for the keys in `LANE_KEYS`, each with the values listed there (None: any
value). Every other key of the scenario -- including keys added to the schema after this list was
written -- must keep its schema default, or the scenario goes to the general kernel. Keys that do
not reach the kernels (name, description, paths, seed, output, sweep) are listed as any-value.
Both kernels give bit-identical per-path results where both apply (tests/test_lanes.py), so the
choice changes speed only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scenario import Scenario

# dotted key -> allowed values (None: any value)
LANE_KEYS: dict[str, frozenset[Any] | None] = {
    "name": None,
    "description": None,
    "horizon_days": None,
    "step_hours": None,
    "paths": None,
    "seed": None,
    "capital": None,
    "market.spot": None,
    "market.price.model": frozenset({"gbm", "merton"}),
    "market.price.drift": None,
    "market.price.vol": None,
    "market.price.jump_intensity": None,
    "market.price.jump_mean": None,
    "market.price.jump_vol": None,
    "market.funding.model": frozenset({"ou", "constant", "none"}),
    "market.funding.interval_hours": None,
    "market.funding.initial": None,
    "market.funding.mean": None,
    "market.funding.reversion": None,
    "market.funding.vol": None,
    "market.funding.corr_with_price": None,
    "market.funding.cap": None,
    "pool.type": frozenset({"v2", "v3"}),
    "pool.range.lower": None,
    "pool.range.upper": None,
    "pool.fees.model": frozenset({"apr", "arbitrage", "none"}),
    "pool.fees.apr": None,
    "pool.fees.fee_tier": None,
    "pool.fees.noise_volume_to_tvl_per_day": None,
    "hedge.ratio": None,
    "hedge.leverage": None,
    "hedge.maintenance_margin": None,
    "hedge.liquidation_penalty": None,
    "hedge.taker_fee": None,
    "hedge.slippage_bps": None,
    "hedge.rebalance.policy": frozenset({"none", "periodic", "band"}),
    "hedge.rebalance.every_hours": None,
    "hedge.rebalance.band": None,
    "output.sample_paths": None,
    "output.observe_every_hours": None,
}
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

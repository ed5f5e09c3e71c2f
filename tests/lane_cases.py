"""The lane kernel's case table: every feature value the lane kernel supports and the rare events
its scalar fix-ups handle, each a (shipped scenario, dotted-key overrides) pair run over
`LANE_HORIZON_DAYS`. Drives the lane/general bit-identity tests and the golden digests."""

from __future__ import annotations

from typing import Any

LANE_HORIZON_DAYS = 20.0

# (shipped scenario, overrides): every feature value the lane kernel supports, and the rare events
# its scalar fix-ups handle (liquidations by bridge, jump and funding; band and periodic trades;
# v3 out of range; the ziggurat's slow paths, ~3 % of steps)
LANE_CASES: dict[str, tuple[str | None, dict[str, Any]]] = {
    "default": (None, {}),
    "v3-apr": ("v3-range", {}),
    "v3-arbitrage-noise": (
        "v3-range",
        {"pool.fees.model": "arbitrage", "pool.fees.noise_volume_to_tvl_per_day": 0.4},
    ),
    "v2-arbitrage-periodic": (
        None,
        {"pool.fees.model": "arbitrage", "hedge.rebalance.policy": "periodic"},
    ),
    "merton-jumps": ("merton-jumps", {}),
    "merton-many-jumps-band": (
        None,
        {
            "market.price.model": "merton",
            "market.price.jump_intensity": 400.0,
            "market.price.jump_mean": 0.02,
            "hedge.rebalance.band": 0.02,
        },
    ),
    "high-leverage": ("high-leverage", {}),
    "unhedged": ("unhedged", {}),
    "constant-funding-periodic": (
        None,
        {"market.funding.model": "constant", "hedge.rebalance.policy": "periodic"},
    ),
    "funding-liquidations": (
        None,
        {
            "market.funding.vol": 0.2,
            "market.funding.cap": None,
            "market.funding.interval_hours": 1.0,
            "hedge.leverage": 8.0,
            "hedge.rebalance.policy": "none",
        },
    ),
    "no-funding-no-fees-static": (
        None,
        {
            "market.funding.model": "none",
            "pool.fees.model": "none",
            "hedge.rebalance.policy": "none",
        },
    ),
    "zero-vol": (None, {"market.price.vol": 0.0, "market.price.drift": 0.5}),
    "four-hour-steps": (None, {"step_hours": 4.0, "hedge.rebalance.every_hours": 24.0}),
}

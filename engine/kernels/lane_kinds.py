"""What the lane kernel (`engine.kernels.lanes`) implements, declared beside it: plain Python.

`LANE_KEYS` maps every scenario key the lane kernel implements (dotted, as in the scenario file) to
the values it supports (None: any value). Every other key of a scenario -- including keys added to
the schema after this list was written -- must keep its schema default for the lane kernel to run
it (`engine.dispatch.supports` compares). Keys that do not reach the kernels (name, description,
paths, seed, output) are listed as any-value. A feature added to the general kernel is either
added to the lane kernel, with its keys here, or stays off this list.
"""

from __future__ import annotations

from typing import Any

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

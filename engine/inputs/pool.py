"""Kernel constants of the LP position: liquidity, range, holdings and fee model."""

from __future__ import annotations

from engine.inputs.capital import range_sqrt_bounds
from engine.kernels.lp import FEES_APR, FEES_ARBITRAGE, FEES_NONE, PoolParams
from engine.modelmath.capital import CapitalSplit
from engine.scenario.root import Scenario

_FEE_MODELS = {"none": FEES_NONE, "apr": FEES_APR, "arbitrage": FEES_ARBITRAGE}


def pool_params(scenario: Scenario, split: CapitalSplit) -> PoolParams:
    """The opening liquidity, range bounds and holdings (MODEL.md §2), and the fee model's
    per-step constants."""
    fees = scenario.pool.fees
    sqrt_lower, sqrt_upper = range_sqrt_bounds(scenario)
    step_days = scenario.step_hours / 24.0
    return PoolParams(
        liquidity=split.liquidity,
        sqrt_lower=sqrt_lower,
        sqrt_upper=sqrt_upper,
        x0=split.x0,
        y0=split.y0,
        value0=split.lp_value,
        fee_model=_FEE_MODELS[fees.model],
        fee_apr_dt=fees.apr * scenario.dt_years,
        fee_tier=float(fees.fee_tier),
        noise_fee_dt=fees.fee_tier * fees.noise_volume_to_tvl_per_day * step_days,
    )

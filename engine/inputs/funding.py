"""Kernel constants of the funding model: its kind, jumps of the OU state, the premium clamp."""

from __future__ import annotations

from engine.kernels.funding import (
    FUNDING_CONSTANT,
    FUNDING_NONE,
    FUNDING_OU,
    FUNDING_PREMIUM,
    FundingParams,
)
from engine.modelmath.steps import jump_count_cdf
from engine.scenario.root import Scenario

_FUNDING_MODELS = {
    "ou": FUNDING_OU,
    "premium": FUNDING_PREMIUM,
    "constant": FUNDING_CONSTANT,
    "none": FUNDING_NONE,
    "historical": FUNDING_OU,  # the state is the rate, set from the data at each step
}


def funding_params(scenario: Scenario) -> FundingParams:
    """The funding model's kind, the Poisson CDF of the OU state's jumps per step, and the
    premium model's interest and clamp (rates per interval)."""
    funding = scenario.market.funding
    intensity = funding.jump_intensity
    return FundingParams(
        kind=_FUNDING_MODELS[funding.model],
        jumps=intensity > 0.0,
        jump_cdf=jump_count_cdf(intensity * scenario.dt_years),
        jump_mean=float(funding.jump_mean),
        jump_vol=float(funding.jump_vol),
        interest=float(funding.interest),
        clamp=float(funding.clamp),
    )

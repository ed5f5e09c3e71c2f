"""Kernel constants of the short perpetual: size, costs, rebalancing and maintenance brackets."""

from __future__ import annotations

import math

import numpy as np

from engine.kernels.perp import POLICY_BAND, POLICY_NONE, POLICY_PERIODIC, HedgeParams
from engine.scenario.root import Scenario

_POLICIES = {"none": POLICY_NONE, "periodic": POLICY_PERIODIC, "band": POLICY_BAND}


def maintenance_tiers(scenario: Scenario) -> np.ndarray:
    """The (n_brackets, 3) table (notional cap, maintenance rate, maintenance amount) the kernel
    reads (`engine.kernels.perp`); the flat maintenance_margin m is the one bracket (inf, m, 0)."""
    hedge = scenario.hedge
    if not hedge.tiers:
        return np.array([[math.inf, float(hedge.maintenance_margin), 0.0]])
    return np.array(
        [[t.notional_cap, t.maintenance_rate, t.maintenance_amount] for t in hedge.tiers],
        dtype=np.float64,
    )


def hedge_params(scenario: Scenario) -> HedgeParams:
    """The short's size (ratio x delta), liquidation penalty, trading cost per unit notional,
    rebalancing policy and the maintenance brackets."""
    hedge = scenario.hedge
    tiers = maintenance_tiers(scenario)
    return HedgeParams(
        ratio=float(hedge.ratio),
        maintenance=float(tiers[0, 1]),
        penalty=float(hedge.liquidation_penalty),
        cost_rate=hedge.trade_cost_rate,
        policy=_POLICIES[hedge.rebalance.policy],
        band=float(hedge.rebalance.band),
        tiers=tiers,
    )

"""Kernel constants of margin management, re-hedging, re-ranging and gas."""

from __future__ import annotations

import math

from engine.kernels.management import (
    AFTER_LIQUIDATION_REHEDGE,
    AFTER_LIQUIDATION_UNHEDGED,
    ManagementParams,
)
from engine.scenario.root import Scenario


def management_params(scenario: Scenario) -> ManagementParams:
    """The pool <-> perp moves, re-ranging and gas as kernel constants."""
    margin, hedge, rerange = scenario.margin, scenario.hedge, scenario.pool.rerange
    if rerange.trigger == "none":
        rerange_steps = 0
    elif rerange.trigger == "exit":
        rerange_steps = 1
    else:
        rerange_steps = round(rerange.out_for_hours / scenario.step_hours)
    if rerange.width is None:
        lower, upper = scenario.pool.range.lower, scenario.pool.range.upper
        sqrt_lower, sqrt_upper = math.sqrt(1.0 + lower), math.sqrt(1.0 + upper)
    else:
        sqrt_lower, sqrt_upper = math.exp(-rerange.width / 4.0), math.exp(rerange.width / 4.0)
    after = (
        AFTER_LIQUIDATION_REHEDGE
        if hedge.after_liquidation == "rehedge"
        else AFTER_LIQUIDATION_UNHEDGED
    )
    return ManagementParams(
        topup_below=-math.inf if margin.topup_below is None else float(margin.topup_below),
        topup_to=math.nan if margin.topup_to is None else float(margin.topup_to),
        sweep_above=math.inf if margin.sweep_above is None else float(margin.sweep_above),
        after_liquidation=after,
        rehedge_steps=round(hedge.rehedge_cooldown_hours / scenario.step_hours),
        collateral_rate=1.0 / hedge.leverage,
        rerange_steps=rerange_steps,
        rerange_sqrt_lower=sqrt_lower,
        rerange_sqrt_upper=sqrt_upper,
        swap_cost=scenario.pool.swap_cost_rate,
        gas_lp=float(scenario.gas.lp_operation),
        gas_perp=float(scenario.gas.perp_transaction),
    )

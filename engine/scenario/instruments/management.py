"""The pool <-> perp management: margin top-ups and sweeps from the pool (`margin`), re-ranging a
v3 position (`pool.rerange`), re-hedging after a liquidation (`hedge.after_liquidation`,
`hedge.rehedge_cooldown_hours`) and the gas they cost (`gas`). Its sections, its checks, its
kernel parameters (`ManagementParams`), its outputs, its P&L parts and its lines of the terminal
summary."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from engine.declarations import OutputSpec, Part, SummaryMean
from engine.kernels.management import (
    AFTER_LIQUIDATION_REHEDGE,
    AFTER_LIQUIDATION_UNHEDGED,
    ManagementParams,
)
from engine.modelmath.grid import is_whole_multiple
from engine.scenario.base import Spec
from engine.scenario.instruments.base import Instrument


class RerangeSpec(Spec):
    """Re-centring a v3 range that the price has left: withdraw everything, swap to
    the new range's composition (paying the pool's fee tier and `pool.swap_slippage_bps` on the
    amount swapped), mint the new range around the price. The hedge follows the new delta at once.

    `none`: never (default). `exit`: at the first grid point with the price out of range.
    `out_for_hours`: once the price has been out of range at every grid point for that long.
    """

    trigger: Literal["none", "exit", "out_for_hours"] = "none"
    out_for_hours: float = Field(24.0, gt=0.0)
    """Hours out of range (at consecutive grid points) before re-ranging; a multiple of step_hours."""
    width: float | None = Field(None, gt=0.0)
    """Log-width ln(Pb / Pa) of the new range, centred in log on the price (Pa = P e^{-w/2},
    Pb = P e^{w/2}); null: the original relative range, Pa = P (1 + lower), Pb = P (1 + upper)."""


class MarginSpec(Spec):
    """Margin management of the short from the pool. The margin ratio is
    equity / (q P). Below `topup_below` liquidity is withdrawn from the pool (pro rata, so the
    delta falls too; the risky part sold at the pool's fee tier + swap slippage) to bring the
    ratio back to `topup_to`; above `sweep_above` the excess over `topup_to` goes back to the pool.
    Decided at grid points, after the rebalancing policy. null: off (default)."""

    topup_below: float | None = Field(None, gt=0.0)
    topup_to: float | None = Field(None, gt=0.0)
    sweep_above: float | None = Field(None, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> MarginSpec:
        if (self.topup_below is not None or self.sweep_above is not None) and self.topup_to is None:
            raise ValueError(
                "topup_to = None: top-ups and sweeps need the ratio they restore (topup_to)"
            )
        if self.topup_to is not None and self.topup_below is None and self.sweep_above is None:
            raise ValueError(
                f"topup_to = {self.topup_to!r}: has no effect without topup_below or sweep_above"
            )
        if self.topup_below is not None and self.topup_to is not None:
            if self.topup_to <= self.topup_below:
                raise ValueError(
                    f"topup_to = {self.topup_to!r}: must exceed topup_below ({self.topup_below!r})"
                )
        if self.sweep_above is not None and self.topup_to is not None:
            if self.sweep_above <= self.topup_to:
                raise ValueError(
                    f"sweep_above = {self.sweep_above!r}: must exceed topup_to ({self.topup_to!r})"
                )
        return self


class GasSpec(Spec):
    """Gas, quote units per transaction. An LP operation: the opening mint, each
    withdrawal or deposit (top-up, sweep, re-hedge funding) and each re-range. A perp transaction:
    the opening trade, each rebalance, each margin top-up or sweep and each re-hedge."""

    lp_operation: float = Field(0.0, ge=0.0)
    perp_transaction: float = Field(0.0, ge=0.0)


def check(scenario: Any) -> None:
    """Top-up ratios above the maintenance margin the short opens with, and the re-hedge and
    re-range clocks on whole steps."""
    # with tiers: MM / notional = rate - amount / notional is below the rate of the bracket in
    # force; the trigger must exceed the opening bracket's rate (a position that grows into a
    # higher bracket meets that bracket's rate, which the user's trigger may not clear)
    hedge, margin, step_hours = scenario.hedge, scenario.margin, scenario.step_hours
    m = hedge.maintenance_margin
    what = "hedge.maintenance_margin"
    if hedge.tiers and hedge.ratio > 0.0:
        notional = scenario.opening_notional
        bracket = next((t for t in hedge.tiers if t.notional_cap >= notional), hedge.tiers[-1])
        m = bracket.maintenance_rate
        what = "the maintenance_rate of the opening notional's hedge.tiers bracket"
    for field, ratio in (
        ("margin.topup_below", margin.topup_below),
        ("margin.topup_to", margin.topup_to),
    ):
        if ratio is not None and ratio <= m:
            raise ValueError(f"{field} = {ratio!r}: must exceed {what} {m!r}")
    clocks = [("hedge.rehedge_cooldown_hours", hedge.rehedge_cooldown_hours, 0)]
    rerange = scenario.pool.rerange
    if rerange.trigger == "out_for_hours":
        clocks.append(("pool.rerange.out_for_hours", rerange.out_for_hours, 1))
    for field, hours, least in clocks:
        if not is_whole_multiple(hours, step_hours, least):
            raise ValueError(
                f"{field} = {hours!r}: must be a whole multiple of step_hours {step_hours!r}"
            )


def kernel_params(scenario: Any) -> ManagementParams:
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


OUTPUTS = {
    "gas": OutputSpec("quote", "gas paid for LP operations and perp transactions", np.float64),
    "swap_costs": OutputSpec(
        "quote", "pool fee tier + slippage on the swaps of re-ranges and margin moves", np.float64
    ),
    "topped_up": OutputSpec(
        "quote",
        "quote moved from the pool into the margin (top-ups, re-hedge collateral)",
        np.float64,
    ),
    "swept": OutputSpec("quote", "quote moved from the margin back to the pool", np.float64),
    "n_topups": OutputSpec("1", "number of margin top-ups from the pool", np.int32),
    "n_sweeps": OutputSpec("1", "number of sweeps of excess margin to the pool", np.int32),
    "n_reranges": OutputSpec("1", "number of v3 re-ranges", np.int32),
    "n_rehedges": OutputSpec("1", "number of re-hedges after a liquidation", np.int32),
    "n_liquidations": OutputSpec("1", "number of liquidations of the short", np.int32),
}

PARTS = (
    Part("swap_costs", "pool swap costs", "swap_costs", -1.0),
    Part("gas", "gas", "gas", -1.0),
)

SUMMARY = (
    SummaryMean("gas", "mean gas"),
    SummaryMean("swap_costs", "mean swap costs"),
    SummaryMean("topped_up", "mean pool -> margin"),
    SummaryMean("swept", "mean margin -> pool"),
    SummaryMean("n_topups", "mean top-ups per path", 3),
    SummaryMean("n_reranges", "mean re-ranges per path", 3),
    SummaryMean("n_rehedges", "mean re-hedges per path", 3),
)

INSTRUMENT = Instrument(
    name="management",
    kernel_field="manage",
    build=kernel_params,
    check=check,
    outputs=OUTPUTS,
    parts=PARTS,
    summary=SUMMARY,
)

"""A validated scenario as the kernel inputs: every section's constants, built once per run, so
that the inner loop recomputes nothing. The hedge instruments' parameters come from their
registered builders (`engine.scenario.instruments.registry`)."""

from __future__ import annotations

from typing import Any, NamedTuple

from engine.dispatch import supports
from engine.inputs.capital import split_capital
from engine.inputs.funding import funding_params
from engine.inputs.grid import grid_params
from engine.inputs.hedge import hedge_params
from engine.inputs.pool import pool_params
from engine.inputs.price import market_params
from engine.inputs.shocks import shock_params
from engine.kernels.funding import FundingParams
from engine.kernels.layout import GridParams
from engine.kernels.lp import PoolParams
from engine.kernels.management import ManagementParams
from engine.kernels.market import MarketParams
from engine.kernels.options import OptionParams
from engine.kernels.perp import HedgeParams
from engine.kernels.shocks import ShockParams
from engine.kernels.venue import VenueParams
from engine.scenario.instruments.registry import INSTRUMENTS
from engine.scenario.root import Scenario


class KernelInputs(NamedTuple):
    """Everything a kernel takes for one scenario, one parameter tuple per section."""

    market: MarketParams
    pool: PoolParams
    hedge: HedgeParams
    grid: GridParams
    manage: ManagementParams
    funding: FundingParams
    shocks: ShockParams
    options: OptionParams
    venue: VenueParams
    # whether the lane (SIMD) kernel supports the scenario (engine.dispatch.supports)
    lanes: bool = False


def kernel_inputs(scenario: Scenario) -> KernelInputs:
    """The kernel inputs of a validated scenario (one point: a sweep is split before)."""
    split = split_capital(scenario)
    instruments: dict[str, Any] = {i.kernel_field: i.build(scenario) for i in INSTRUMENTS.values()}
    return KernelInputs(
        market=market_params(scenario),
        pool=pool_params(scenario, split),
        hedge=hedge_params(scenario),
        grid=grid_params(scenario, split),
        funding=funding_params(scenario),
        shocks=shock_params(scenario),
        lanes=supports(scenario),
        **instruments,
    )

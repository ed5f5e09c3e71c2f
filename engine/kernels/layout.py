"""The kernels' shared layouts: the time grid, the per-path outputs and the sampled-path record.

Both kernels (`engine.kernels.driver`, `engine.kernels.lanes`) write the same `PathOutputs` and
the same record, field for field; neither imports the other.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

# Fields of the sampled-path record, last axis of `record`.
REC_PRICE = 0
REC_VALUE = 1
REC_LP_VALUE = 2
REC_PERP_EQUITY = 3
REC_HEDGE_SIZE = 4
REC_FUNDING_RATE = 5
REC_REGIME = 6
RECORD_FIELDS = (
    "price",
    "value",
    "lp_value",
    "perp_equity",
    "hedge_size",
    "funding_rate",
    "regime",
)


class GridParams(NamedTuple):
    """The time grid, shared by all paths.

    step_days: the step in days. capital: K, quote units. collateral: C0, the perp margin at t = 0.
    funding_events[k]: funding settlements at the end of step k (t_k, t_k+1].
    rebalance_clock[k]: the periodic policy trades at the end of step k.
    observe_index[k]: index on the observation grid of the state after step k, or -1.
    """

    n_steps: int
    step_days: float
    capital: float
    collateral: float
    funding_events: np.ndarray
    rebalance_clock: np.ndarray
    observe_index: np.ndarray


class PathOutputs(NamedTuple):
    """Per-path results (MODEL.md §7); one array per field, indexed by path within the block.
    Money in quote units, times in days, drawdown as a fraction of the running peak."""

    pnl: np.ndarray
    final_value: np.ndarray
    lp_value: np.ndarray
    il: np.ndarray
    fees: np.ndarray
    funding: np.ndarray
    trading_costs: np.ndarray
    perp_pnl: np.ndarray
    liquidation_loss: np.ndarray
    liquidated: np.ndarray
    liquidation_time: np.ndarray
    max_drawdown: np.ndarray
    n_rebalances: np.ndarray
    final_price: np.ndarray
    final_hedge: np.ndarray
    stressed_share: np.ndarray
    # pool <-> perp moves, re-ranging, gas (engine/kernels/management.py)
    unhedged_pnl: np.ndarray
    gas: np.ndarray
    swap_costs: np.ndarray
    topped_up: np.ndarray
    swept: np.ndarray
    n_topups: np.ndarray
    n_sweeps: np.ndarray
    n_reranges: np.ndarray
    n_rehedges: np.ndarray
    n_liquidations: np.ndarray
    # options hedge, venue failure / insurance, auto-deleveraging (options.py, venue.py)
    option_premium: np.ndarray
    option_payoff: np.ndarray
    option_value: np.ndarray
    pool_exploit_loss: np.ndarray
    perp_venue_loss: np.ndarray
    insurance_premium: np.ndarray
    insurance_payout: np.ndarray
    pool_exploited: np.ndarray
    perp_venue_failed: np.ndarray
    adl_events: np.ndarray
    adl_cascades: np.ndarray


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_record(
    record, i, slot, price, wealth, value_lp, perp_equity, q, f, regime
):  # pragma: no cover - compiled
    """The state of path i (in the block) at observation `slot`: price (quote/risky), W, V_LP and
    perp equity (quote), the short's size (risky units), the funding rate, the regime's index."""
    record[i, slot, REC_PRICE] = price
    record[i, slot, REC_VALUE] = wealth
    record[i, slot, REC_LP_VALUE] = value_lp
    record[i, slot, REC_PERP_EQUITY] = perp_equity
    record[i, slot, REC_HEDGE_SIZE] = q
    record[i, slot, REC_FUNDING_RATE] = f
    record[i, slot, REC_REGIME] = regime


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_path_outputs(
    out,
    i,
    pool,
    grid,
    wealth,
    price,
    q,
    value_lp,
    fees,
    funding,
    costs,
    perp_pnl,
    liquidation_loss,
    liquidation_time,
    n_rebalances,
    n_liquidations,
    max_drawdown,
    stressed_steps,
    unhedged_value,
    unhedged_fees,
    unhedged_gas,
    moved_to_margin,
    swap_costs,
    exploit_loss,
):  # pragma: no cover - compiled
    """Path i's outputs of MODEL.md §7 from its final state and totals (money in quote units):
    W_T, P_T, the short's size q, V_LP,T and the fees, funding, trading costs, perp P&L,
    liquidation loss and time (days), counts, the maximum drawdown (a fraction), the steps spent in
    stressed regimes, and the unhedged benchmark's V_LP,T, fees and gas (all of K in the pool: the
    P&L scales by K / V0). The impermanent loss adds back the quote moved to the margin (net of
    sweeps), the swap costs and the exploit loss, each its own output. The instruments' outputs are
    written by their own modules."""
    out.pnl[i] = wealth - grid.capital
    out.final_value[i] = wealth
    out.lp_value[i] = value_lp
    out.il[i] = value_lp - (pool.x0 * price + pool.y0) + moved_to_margin + swap_costs + exploit_loss
    out.fees[i] = fees
    out.funding[i] = funding
    out.trading_costs[i] = costs
    out.perp_pnl[i] = perp_pnl
    out.liquidation_loss[i] = liquidation_loss
    out.liquidated[i] = n_liquidations > 0
    out.liquidation_time[i] = liquidation_time
    out.max_drawdown[i] = max_drawdown
    out.n_rebalances[i] = n_rebalances
    out.final_price[i] = price
    out.final_hedge[i] = q
    out.stressed_share[i] = stressed_steps / grid.n_steps
    # LP value and fees are linear in L; gas is per operation (the opening mint, the re-ranges)
    scale = grid.capital / pool.value0
    out.unhedged_pnl[i] = scale * ((unhedged_value - pool.value0) + unhedged_fees) - unhedged_gas
    out.n_liquidations[i] = n_liquidations

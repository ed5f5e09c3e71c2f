"""The lane kernel's scalar fix-ups: the driver's code for the rare events, lane by lane.

Each runs right after the vectorised stage of `engine.kernels.lanes` that detected its lanes
(`F_FLAG`, a bit mask, or a test per lane): the step's Merton jumps, the liquidation test of the
lanes near or past the barrier, rebalancing trades, liquidation executions, sampled-path records,
and the per-path outputs. They call the general kernel's functions (`perp`, `market`, `lp`,
`layout`) with the same operands in the same order, so the results are the driver's to the bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64
from numba.cpython.unsafe.numbers import trailing_zeros

from engine.kernels.lane_layout import (
    F_ACCOUNT,
    F_COSTS,
    F_DD_DROP,
    F_DD_PEAK,
    F_FEES,
    F_FLAG,
    F_FUND_RATE,
    F_FUNDING,
    F_HEDGE,
    F_JUMP,
    F_LIQ_LOSS,
    F_LIQ_PRICE,
    F_LIQ_TIME,
    F_LIQUIDATED,
    F_LOG_BARRIER,
    F_LOG_DIFFUSED,
    F_LOG_NEW,
    F_LOG_P,
    F_LP_VALUE,
    F_PERP_PNL,
    F_PRICE,
    F_PRICE_NEW,
    F_REBALANCES,
    F_SQRT_NEW,
    F_U_BRIDGE,
    F_U_JUMP,
    F_WEALTH,
    F_Z_JUMP,
    LANES,
)
from engine.kernels.layout import write_path_outputs, write_record
from engine.kernels.lp import risky_amount
from engine.kernels.market import log_jump
from engine.kernels.perp import (
    is_below_maintenance,
    liquidate,
    liquidation_over_step,
    log_liquidation_price,
    trade_to,
)


@njit(nogil=True, cache=True, error_model="numpy")
def fix_jumps(v, jump_cdf0, market):  # pragma: no cover - compiled
    """The step's log-jump on the lanes whose u_jump has a jump (market.log_jump)."""
    for lane in range(LANES):
        if v[F_U_JUMP + lane] > jump_cdf0:
            v[F_JUMP + lane] = log_jump(v[F_U_JUMP + lane], v[F_Z_JUMP + lane], market)


@njit(nogil=True, cache=True, error_model="numpy")
def fix_crossings(v, bridge_scale):  # pragma: no cover - compiled
    """The driver's liquidation test over the step (`perp.liquidation_over_step`; the diffusive
    leg's top is its end), on the lanes near or past the barrier."""
    for lane in range(LANES):
        if v[F_FLAG + lane] == 0.0:
            continue
        v[F_LIQ_PRICE + lane] = liquidation_over_step(
            v[F_LOG_BARRIER + lane],
            v[F_LOG_P + lane],
            v[F_LOG_DIFFUSED + lane],
            v[F_LOG_DIFFUSED + lane],
            v[F_LOG_NEW + lane],
            v[F_PRICE_NEW + lane],
            bridge_scale,
            v[F_U_BRIDGE + lane],
        )


@njit(nogil=True, cache=True, error_model="numpy")
def trade_lanes(v, trading, pool, hedge):  # pragma: no cover - compiled
    """The driver's rebalancing trade on the lanes set in the bit mask `trading`, lane by lane:
    the new size, the account and costs, then liquidation at the step's price if the account is
    below maintenance, or the new barrier. Returns the number of lanes liquidated so."""
    breached = 0
    while trading != 0:
        lane = np.intp(trailing_zeros(trading))
        trading &= trading - uint64(1)
        q = v[F_HEDGE + lane]
        price_new = v[F_PRICE_NEW + lane]
        target = hedge.ratio * risky_amount(v[F_SQRT_NEW + lane], pool)
        account, cost = trade_to(v[F_ACCOUNT + lane], q, target, price_new, hedge.cost_rate)
        v[F_ACCOUNT + lane] = account
        v[F_COSTS + lane] += cost
        v[F_HEDGE + lane] = target
        v[F_REBALANCES + lane] += 1.0
        if is_below_maintenance(account, target, price_new, hedge.tiers):
            v[F_LIQ_PRICE + lane] = price_new
            breached += 1
        else:
            v[F_LOG_BARRIER + lane] = log_liquidation_price(account, target, hedge.tiers)
    return breached


@njit(nogil=True, cache=True, error_model="numpy")
def fix_liquidations(v, penalty, time_days):  # pragma: no cover - compiled
    """The driver's liquidation execution at the step's liquidation price."""
    for lane in range(LANES):
        liquidation_price = v[F_LIQ_PRICE + lane]
        if liquidation_price > 0.0:
            account = v[F_ACCOUNT + lane]
            q = v[F_HEDGE + lane]
            recovered, loss = liquidate(account, q, liquidation_price, penalty)
            v[F_LIQ_LOSS + lane] += loss
            v[F_ACCOUNT + lane] = recovered
            v[F_HEDGE + lane] = 0.0
            v[F_LOG_BARRIER + lane] = np.inf
            v[F_LIQUIDATED + lane] = 1.0
            v[F_LIQ_TIME + lane] = time_days


@njit(nogil=True, cache=True, error_model="numpy")
def record_lanes(v, record, first, real, slot):  # pragma: no cover - compiled
    """Sampled paths: the first `real` lanes (not padding) whose path index in the block
    (first + lane) is below record's."""
    for lane in range(min(real, record.shape[0] - first)):
        price = v[F_PRICE + lane]
        q = v[F_HEDGE + lane]
        perp_equity = v[F_ACCOUNT + lane] - q * price
        wealth = v[F_WEALTH + lane]
        # a single regime: the regime model is not in this kernel
        write_record(
            record,
            first + lane,
            slot,
            price,
            wealth,
            v[F_LP_VALUE + lane],
            perp_equity,
            q,
            v[F_FUND_RATE + lane],
            0,
        )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def write_outputs(v, lane, out, i, pool, grid, manage):  # pragma: no cover - compiled
    """The driver's outputs (`layout.write_path_outputs`) of lane `lane` into path i of `out`. The
    pool <-> perp moves (top-ups, sweeps, re-hedging, re-ranging, gas), the options and the venue
    are off in every scenario this kernel runs (`engine.kernels.lane_kinds`): their totals are
    zero, the unhedged benchmark is the position itself (its gas the opening mint's), and their
    own outputs keep the zeros `out` is allocated with."""
    liquidated = v[F_LIQUIDATED + lane] != 0.0
    write_path_outputs(
        out,
        i,
        pool,
        grid,
        v[F_WEALTH + lane],
        v[F_PRICE + lane],
        v[F_HEDGE + lane],
        v[F_LP_VALUE + lane],
        v[F_FEES + lane],
        v[F_FUNDING + lane],
        v[F_COSTS + lane],
        v[F_PERP_PNL + lane],
        v[F_LIQ_LOSS + lane],
        v[F_LIQ_TIME + lane],
        np.int64(v[F_REBALANCES + lane]),
        1 if liquidated else 0,
        v[F_DD_DROP + lane] / v[F_DD_PEAK + lane],
        0,
        v[F_LP_VALUE + lane],
        v[F_FEES + lane],
        manage.gas_lp,
        0.0 - 0.0,
        0.0,
        0.0,
    )

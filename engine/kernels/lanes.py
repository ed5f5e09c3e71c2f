"""The lane kernel: the path model run on groups of paths side by side, for SIMD.

`simulate_block_lanes` computes exactly what `engine.kernels.driver.simulate_block` computes, path
by path and bit for bit, for the scenarios whose kinds it declares (`engine.kernels.lane_kinds`,
compared by `engine.dispatch.supports`). Instead of one path after another, it runs a group of LANES
consecutive paths at once: every per-path quantity is a row of a small (field, lane) array, and each
stage of a step is a loop over the lanes that LLVM turns into SIMD instructions (8 doubles or 64-bit
integers per AVX-512 register; see `engine.kernels.codegen` for the two code-generation preferences
this relies on). The work per step is split into

* vectorised stages that every path goes through: the xoshiro256++ update and the ziggurat's fast
  path (a table lookup and one comparison, 98.5 % of normals), uniforms, the price step with the
  deterministic exponential of `engine.kernels.detmath`, the funding step and its settlements
  (with the new liquidation barrier, by the deterministic logarithm), LP fees and revaluation, and
  the running statistics; branches become selects. The exponentials and logarithms are evaluated
  four SIMD registers of lanes at a time (`detmath.exp4`, `log4`): one is a chain of dependent
  multiplies and adds, four side by side overlap their latencies;
* the rebalancing test (band/periodic policy) on every lane, with its trades made lane by lane
  on the lanes that trade (a bit mask, as for the redraws below): 0.12 % of path-steps in the
  default scenario, 9 % on a v3 range. Making the trade on every lane under selects costs 3-4 %
  of the default kernel's time (measured: LLVM leaves that loop scalar);
* scalar fix-ups, lane by lane, for the rare events (`engine.kernels.lane_fixups`), run right
  after the stage that detected them:
  a step where one of a lane's normals needs the ziggurat's wedge or tail (3 % of GBM steps) is
  redrawn from that lane's stream state at the start of the step by the scalar generator
  (`engine.kernels.lane_draws`, in the order of `draws.gbm_step_draws`), so each path's draws are
  exactly the scalar generator's; steps with Merton jumps; possible liquidations (the barrier
  touched, or close enough for the Brownian-bridge test); liquidation executions; sampled-path
  records.

The fix-ups call the same inline functions as the general kernel (`engine.kernels.perp`, `market`,
`lp`, `draws`, `layout`) with the same operands in the same order, and the vectorised stages spell
out the same IEEE operations in the same order (no fast-math; fused multiply-adds only where
written out, by `detmath.fma`, which is correctly rounded), so the results do not depend on which
kernel ran, on the lane width, or on which paths share a group. A block whose size
is not a multiple of the lane width is padded with the paths that follow it; their results are
discarded.

Layout: `engine.kernels.lane_layout`. The loops are written out in the kernel itself or in
`inline="always"` helpers, never behind a call per step: each call of a numba function that takes
arrays costs more than a lane loop's work (measured). The vectorised stages call the shared
functions where they return values (`lp.range_fees`, `position_value`, `market.ou_funding_step`,
`perp.rebalance_due`, ...); a stage that writes one out instead says why beside it (the
xoshiro256++ step and the ziggurat's fast path in `lane_draws`, the flat maintenance barrier, the
v2 value and band test, the v3 band test).
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from engine.kernels.detmath import exp4 as det_exp4
from engine.kernels.detmath import log4 as det_log4
from engine.kernels.lane_draws import draw_gbm, draw_merton, redraw_step, seed_lanes
from engine.kernels.lane_fixups import (
    fix_crossings,
    fix_jumps,
    fix_liquidations,
    record_lanes,
    trade_lanes,
    write_outputs,
)
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
    F_LOG,
    F_LOG_BARRIER,
    F_LOG_DIFFUSED,
    F_LOG_NEW,
    F_LOG_P,
    F_LP_VALUE,
    F_MOVES,
    F_PEAK,
    F_PERP_PNL,
    F_PRICE,
    F_PRICE_NEW,
    F_REBALANCES,
    F_SQRT_NEW,
    F_SQRT_P,
    F_U_JUMP,
    F_WEALTH,
    F_Z_FUNDING,
    F_Z_PRICE,
    LANES,
    N_FIELDS,
    QUARTER,
    S_ROWS,
    S_WORDS,
    aligned_empty,
)
from engine.kernels.lp import (
    FEES_APR,
    apr_fees,
    clipped_sqrt_price,
    position_value,
    range_fees,
    risky_amount,
    risky_times_sqrt_price,
)
from engine.kernels.market import MERTON, ou_funding_step, paid_rate
from engine.kernels.perp import (
    BRIDGE_NEGLIGIBLE,
    POLICY_NONE,
    band_tested_without_target,
    is_below_maintenance_flat,
    open_short,
    rebalance_due,
)

# --------------------------------------------------------------------------------------------
# Vectorised helpers of the model step (the scalar fix-ups: engine.kernels.lane_fixups)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _sqrt_prices(v):  # pragma: no cover - compiled
    """sqrt(P_k+1) = exp(ln P_k+1 / 2) and P_k+1 on every lane, four registers of lanes at a time
    (detmath.exp4: the four Horner chains overlap)."""
    for j in range(QUARTER):
        a, b, c, d = det_exp4(
            0.5 * v[F_LOG_NEW + j],
            0.5 * v[F_LOG_NEW + QUARTER + j],
            0.5 * v[F_LOG_NEW + 2 * QUARTER + j],
            0.5 * v[F_LOG_NEW + 3 * QUARTER + j],
        )
        v[F_SQRT_NEW + j] = a
        v[F_SQRT_NEW + QUARTER + j] = b
        v[F_SQRT_NEW + 2 * QUARTER + j] = c
        v[F_SQRT_NEW + 3 * QUARTER + j] = d
        v[F_PRICE_NEW + j] = a * a
        v[F_PRICE_NEW + QUARTER + j] = b * b
        v[F_PRICE_NEW + 2 * QUARTER + j] = c * c
        v[F_PRICE_NEW + 3 * QUARTER + j] = d * d


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _log_lanes(v):  # pragma: no cover - compiled
    """F_LOG <- det_log(F_LOG) on every lane, four registers of lanes at a time (detmath.log4)."""
    for j in range(QUARTER):
        a, b, c, d = det_log4(
            v[F_LOG + j],
            v[F_LOG + QUARTER + j],
            v[F_LOG + 2 * QUARTER + j],
            v[F_LOG + 3 * QUARTER + j],
        )
        v[F_LOG + j] = a
        v[F_LOG + QUARTER + j] = b
        v[F_LOG + 2 * QUARTER + j] = c
        v[F_LOG + 3 * QUARTER + j] = d


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _barrier_ratio(account, q, maintenance):  # pragma: no cover - compiled
    """The ratio whose logarithm perp.log_liquidation_price returns for the flat table [[inf, m,
    0]] (when q and the account are positive; see _barrier): perp.liquidation_price's candidate
    (account + 0) / (q (1 + m)) and max(candidate, 0 / q) are this float. Written out for the
    vectorised settlement loop, where the bracket search's loop would keep the loop scalar."""
    return account / (q * (1.0 + maintenance))


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _barrier(log_ratio, account, q):  # pragma: no cover - compiled
    """perp.log_liquidation_price(account, q, [[inf, m, 0]]), the same float, from the logarithm
    of _barrier_ratio(account, q, m)."""
    if q <= 0.0 or account <= 0.0:
        return np.inf if q <= 0.0 else -np.inf
    return log_ratio


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _move_barrier(v, lane):  # pragma: no cover - compiled
    """The new barrier of a lane marked in F_MOVES, from the logarithm in F_LOG (after
    _settle or _after_trade: F_ACCOUNT and F_HEDGE hold that lane's new account and size)."""
    barrier = _barrier(v[F_LOG + lane], v[F_ACCOUNT + lane], v[F_HEDGE + lane])
    v[F_LOG_BARRIER + lane] = barrier if v[F_MOVES + lane] != 0.0 else v[F_LOG_BARRIER + lane]


# --------------------------------------------------------------------------------------------
# The kernel


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block_lanes(inputs, seed, first_path, out, record):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 of the scenario whose kernel
    inputs (`engine.inputs.KernelInputs`) are `inputs` into `out` (and `record`), in
    groups of LANES paths (the last group padded with the paths that follow, whose results are
    dropped); the same results as driver.simulate_block. The option, venue, insurance and ADL
    outputs are not written: those features are off in every scenario dispatched here
    (engine.dispatch.supports), so they keep the zeros `out` is allocated with."""
    market = inputs.market
    pool = inputs.pool
    hedge = inputs.hedge
    grid = inputs.grid
    manage = inputs.manage
    n_paths = out.pnl.shape[0]
    s = aligned_empty(S_ROWS * LANES, np.uint64)
    v = aligned_empty(N_FIELDS * LANES, np.float64)
    scratch = np.empty(S_WORDS, np.uint64)
    for first in range(0, n_paths, LANES):
        seed_lanes(s, seed, first_path + first, scratch)
        real = min(LANES, n_paths - first)
        _simulate_group(s, v, scratch, market, pool, hedge, grid, real, first, record)
        for lane in range(real):
            write_outputs(v, lane, out, first + lane, pool, grid, manage)


@njit(nogil=True, cache=True, error_model="numpy")
def _start_group(v, market, pool, hedge, grid):  # pragma: no cover - compiled
    """Every lane at t = 0 (the driver's opening state, the same for every path)."""
    log_p = np.log(market.spot)
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    x = risky_amount(sqrt_p, pool)
    value_lp = pool.value0
    q, costs, account, log_barrier = open_short(x, price, grid.collateral, hedge)
    wealth = value_lp + account - q * price
    peak = max(grid.capital, wealth)
    for lane in range(LANES):
        v[F_LOG_P + lane] = log_p
        v[F_SQRT_P + lane] = sqrt_p
        v[F_PRICE + lane] = price
        v[F_FUND_RATE + lane] = market.funding_initial
        v[F_LP_VALUE + lane] = value_lp
        v[F_HEDGE + lane] = q
        v[F_ACCOUNT + lane] = account
        v[F_LOG_BARRIER + lane] = log_barrier
        v[F_FEES + lane] = 0.0
        v[F_FUNDING + lane] = 0.0
        v[F_PERP_PNL + lane] = 0.0
        v[F_COSTS + lane] = costs
        v[F_LIQ_LOSS + lane] = 0.0
        v[F_LIQUIDATED + lane] = 0.0
        v[F_LIQ_TIME + lane] = np.nan
        v[F_PEAK + lane] = peak
        v[F_DD_DROP + lane] = peak - wealth
        v[F_DD_PEAK + lane] = peak
        v[F_WEALTH + lane] = wealth
        v[F_REBALANCES + lane] = 0.0
        v[F_JUMP + lane] = 0.0


@njit(nogil=True, cache=True, error_model="numpy")
def _simulate_group(
    s, v, scratch, market, pool, hedge, grid, real, first, record
):  # pragma: no cover - compiled
    merton = market.model == MERTON
    rebalancing = hedge.policy != POLICY_NONE
    band_test = band_tested_without_target(hedge)
    # a v2 (full-range) position: the LP value and the band test with their constant parts known
    full_range = pool.sqrt_lower == 0.0 and pool.sqrt_upper == np.inf
    full_range_target = hedge.ratio * pool.liquidity  # h x s for v2
    full_range_band = hedge.band * full_range_target
    apr = pool.fee_model == FEES_APR
    liquidity = pool.liquidity
    lower = pool.sqrt_lower
    upper = pool.sqrt_upper
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index
    jump_cdf0 = market.jump_cdf[0]
    log_drift = market.log_drift
    diffusion = market.diffusion
    bridge_scale = market.bridge_scale
    maintenance = hedge.maintenance
    cap = market.funding_cap
    funding_mean = market.funding_mean
    funding_decay = market.funding_decay
    funding_load_price = market.funding_load_price
    funding_load_own = market.funding_load_own
    keep = first < record.shape[0]

    _start_group(v, market, pool, hedge, grid)
    if keep:
        record_lanes(v, record, first, real, 0)

    for k in range(grid.n_steps):
        # 1. the step's random numbers: the fast path of every draw, vectorised (the same loop as
        # draw_floor's); the lanes where a normal needs the ziggurat's slow path are redrawn
        rejected = draw_merton(s, v) if merton else draw_gbm(s, v)
        if rejected != 0:
            redraw_step(s, v, merton, scratch, rejected)
        if merton:
            jumps = 0
            for lane in range(LANES):
                v[F_JUMP + lane] = 0.0
                jumps += np.int64(v[F_U_JUMP + lane] > jump_cdf0)
            if jumps > 0:
                fix_jumps(v, jump_cdf0, market)

        # 2. price move; lanes that may be liquidated over the step are marked
        near = 0
        for lane in range(LANES):
            log_p = v[F_LOG_P + lane]
            log_diffused = log_p + log_drift + diffusion * v[F_Z_PRICE + lane]
            log_new = log_diffused + v[F_JUMP + lane] if merton else log_diffused
            v[F_LOG_DIFFUSED + lane] = log_diffused
            v[F_LOG_NEW + lane] = log_new
            v[F_LIQ_PRICE + lane] = 0.0
            log_barrier = v[F_LOG_BARRIER + lane]
            exponent = (log_barrier - log_p) * (log_barrier - log_diffused) * bridge_scale
            mark = v[F_HEDGE + lane] > 0.0 and (
                log_diffused >= log_barrier
                or log_new >= log_barrier
                or exponent <= BRIDGE_NEGLIGIBLE
            )
            v[F_FLAG + lane] = 1.0 if mark else 0.0
            near += np.int64(mark)
        _sqrt_prices(v)
        if near > 0:
            fix_crossings(v, bridge_scale)

        # 3. mark to market, funding, settlements
        settlements = funding_events[k]
        for lane in range(LANES):
            liquidation_price = v[F_LIQ_PRICE + lane]
            price_new = v[F_PRICE_NEW + lane]
            q = v[F_HEDGE + lane]
            mark_price = liquidation_price if liquidation_price > 0.0 else price_new
            v[F_PERP_PNL + lane] += q * (v[F_PRICE + lane] - mark_price)
            # the OU step (market.next_funding_to's), with the market's constants in locals
            v[F_FUND_RATE + lane] = ou_funding_step(
                v[F_FUND_RATE + lane],
                funding_mean,
                funding_decay,
                funding_load_price,
                funding_load_own,
                v[F_Z_PRICE + lane],
                v[F_Z_FUNDING + lane],
            )
        breached = 0
        if settlements > 0:
            for lane in range(LANES):
                q = v[F_HEDGE + lane]
                liquidation_price = v[F_LIQ_PRICE + lane]
                price_new = v[F_PRICE_NEW + lane]
                pays = q > 0.0 and liquidation_price == 0.0
                payment = settlements * q * price_new * paid_rate(v[F_FUND_RATE + lane], cap)
                account = v[F_ACCOUNT + lane] + payment
                funding = v[F_FUNDING + lane] + payment
                below = pays and is_below_maintenance_flat(account, q, price_new, maintenance)
                v[F_ACCOUNT + lane] = account if pays else v[F_ACCOUNT + lane]
                v[F_FUNDING + lane] = funding if pays else v[F_FUNDING + lane]
                v[F_LIQ_PRICE + lane] = price_new if below else liquidation_price
                v[F_MOVES + lane] = 1.0 if pays and not below else 0.0
                v[F_LOG + lane] = _barrier_ratio(account, q, maintenance)
                breached += np.int64(below)
            _log_lanes(v)
            for lane in range(LANES):
                _move_barrier(v, lane)

        # 4. LP fees over the step, then revalue (without a division: lp.position_value); one
        # loop per fee model and pool kind, written out: in one loop, LLVM computed range_fees'
        # arbitrage volume on every lane for the APR model too (the kernel ran 7 % slower so),
        # and behind inlined helpers that update `v` it vectorised the v3 loop worse (measured)
        # v2: position_value's floats for a finite price, V = L s + L s, written out so that the
        # terms that vanish for Pa = 0, Pb = inf are not computed (without fast-math the compiler
        # may not drop them: 0 x is not 0 for an infinite x)
        if apr and full_range:
            for lane in range(LANES):
                v[F_FEES + lane] += apr_fees(
                    v[F_SQRT_P + lane], v[F_LP_VALUE + lane], lower, upper, pool
                )
                half = pool.liquidity * v[F_SQRT_NEW + lane]
                v[F_LP_VALUE + lane] = half + half
        elif full_range:
            for lane in range(LANES):
                sqrt_new = v[F_SQRT_NEW + lane]
                v[F_FEES + lane] += range_fees(
                    v[F_SQRT_P + lane],
                    sqrt_new,
                    v[F_LP_VALUE + lane],
                    liquidity,
                    lower,
                    upper,
                    pool,
                )
                half = pool.liquidity * sqrt_new
                v[F_LP_VALUE + lane] = half + half
        elif apr:
            for lane in range(LANES):
                v[F_FEES + lane] += apr_fees(
                    v[F_SQRT_P + lane], v[F_LP_VALUE + lane], lower, upper, pool
                )
                v[F_LP_VALUE + lane] = position_value(
                    v[F_SQRT_NEW + lane],
                    v[F_PRICE_NEW + lane],
                    pool.liquidity,
                    pool.sqrt_lower,
                    pool.sqrt_upper,
                )
        else:
            for lane in range(LANES):
                sqrt_new = v[F_SQRT_NEW + lane]
                v[F_FEES + lane] += range_fees(
                    v[F_SQRT_P + lane],
                    sqrt_new,
                    v[F_LP_VALUE + lane],
                    liquidity,
                    lower,
                    upper,
                    pool,
                )
                v[F_LP_VALUE + lane] = position_value(
                    sqrt_new,
                    v[F_PRICE_NEW + lane],
                    pool.liquidity,
                    pool.sqrt_lower,
                    pool.sqrt_upper,
                )

        # 5. rebalancing policy: the band test without the target (perp.band_exceeded), so the
        # target's division is made on the steps that trade only
        if rebalancing:
            clock = rebalance_clock[k]
            trading = uint64(0)
            if band_test and full_range:  # v2: band_exceeded's floats, x s = L (as the v2 value)
                for lane in range(LANES):
                    trades = (
                        v[F_LIQUIDATED + lane] == 0.0
                        and v[F_LIQ_PRICE + lane] == 0.0
                        and abs(v[F_HEDGE + lane] * v[F_SQRT_NEW + lane] - full_range_target)
                        > full_range_band
                    )
                    trading |= uint64(trades) << uint64(lane)
            elif band_test:
                # perp.band_exceeded, written out: behind an inlined call LLVM left this loop
                # scalar (measured 1.3x slower in all)
                for lane in range(LANES):
                    sqrt_new = v[F_SQRT_NEW + lane]
                    sqrt_clipped = clipped_sqrt_price(sqrt_new, pool)
                    target_times_s = hedge.ratio * risky_times_sqrt_price(
                        sqrt_new, pool.liquidity, pool.sqrt_lower, pool.sqrt_upper
                    )
                    trades = (
                        v[F_LIQUIDATED + lane] == 0.0
                        and v[F_LIQ_PRICE + lane] == 0.0
                        and abs(v[F_HEDGE + lane] * sqrt_clipped - target_times_s)
                        > hedge.band * target_times_s
                    )
                    trading |= uint64(trades) << uint64(lane)
            else:
                for lane in range(LANES):
                    target = hedge.ratio * risky_amount(v[F_SQRT_NEW + lane], pool)
                    trades = (
                        v[F_LIQUIDATED + lane] == 0.0
                        and v[F_LIQ_PRICE + lane] == 0.0
                        and rebalance_due(v[F_HEDGE + lane], target, clock, hedge)
                    )
                    trading |= uint64(trades) << uint64(lane)
            if trading != 0:
                breached += trade_lanes(v, trading, pool, hedge)

        # liquidations flagged in 2, 3 or 5 execute now
        if near > 0 or breached > 0:
            fix_liquidations(v, hedge.penalty, (k + 1) * grid.step_days)

        # 6. running statistics
        for lane in range(LANES):
            price = v[F_PRICE_NEW + lane]
            v[F_LOG_P + lane] = v[F_LOG_NEW + lane]
            v[F_SQRT_P + lane] = v[F_SQRT_NEW + lane]
            v[F_PRICE + lane] = price
            perp_equity = v[F_ACCOUNT + lane] - v[F_HEDGE + lane] * price
            wealth = v[F_LP_VALUE + lane] + v[F_FEES + lane] + perp_equity
            peak = max(v[F_PEAK + lane], wealth)
            dd_peak = v[F_DD_PEAK + lane]
            deeper = (peak - wealth) * dd_peak > v[F_DD_DROP + lane] * peak
            v[F_DD_DROP + lane] = peak - wealth if deeper else v[F_DD_DROP + lane]
            v[F_DD_PEAK + lane] = peak if deeper else dd_peak
            v[F_PEAK + lane] = peak
            v[F_WEALTH + lane] = wealth
        if keep:
            slot = observe_index[k]
            if slot >= 0:
                record_lanes(v, record, first, real, slot)

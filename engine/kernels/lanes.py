"""The lane kernel: the path model run on groups of paths side by side, for SIMD.

`simulate_block_lanes` computes exactly what `engine.kernels.driver.simulate_block` computes, path by
path and bit for bit, for the scenarios `engine.dispatch.supports` accepts. Instead of one path
after another, it runs a group of `lanes` consecutive paths at once: every per-path quantity is a
row of a small (field, lane) array, and each stage of a step is a loop over the lanes that LLVM
turns into SIMD instructions (4 doubles per AVX2/AVX-512 ymm register on this machine's default
vector width). The work per step is split into

* vectorised stages that every path goes through: the xoshiro256++ update and the ziggurat's fast
  path (a table lookup and one comparison, 99.3 % of normals), uniforms, the price step with the
  deterministic exponential of `engine.kernels.detmath`, the funding step and its settlements, LP
  fees and revaluation, and the running statistics; branches become selects;
* scalar fix-ups, lane by lane, for the rare events, run right after the stage that detected them:
  the ziggurat's wedge and tail (continuing *that lane's* stream, so each path's draws are exactly
  the scalar generator's), steps with Merton jumps, possible liquidations (the barrier touched, or
  close enough for the Brownian-bridge test), recomputing the liquidation barrier after a funding
  payment, band/periodic rebalancing trades, liquidation executions, sampled-path records.

The fix-ups call the same inline functions as the general kernel (`engine.kernels.perp`, `market`,
`lp`, `rng`) with the same operands in the same order, and the vectorised stages spell out the same
IEEE operations in the same order (no fast-math, no fused multiply-add), so the results do not
depend on which kernel ran, on the lane width, or on which paths share a group. A block whose size
is not a multiple of the lane width is padded with the paths that follow it; their results are
discarded.

Layout: lane state is one float64 array `v[field, lane]` (fields `F_*`), the stream states one
uint64 array `s[word, lane]`; passing the lane count as a run-time value lets LLVM vectorise the lane
loops (with a compile-time count it unrolls them instead), and keeping every field in one array
keeps its run-time alias checks to a handful.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from engine.kernels.detmath import exp as det_exp
from engine.kernels.driver import (
    REC_FUNDING_RATE,
    REC_HEDGE_SIZE,
    REC_LP_VALUE,
    REC_PERP_EQUITY,
    REC_PRICE,
    REC_VALUE,
)
from engine.kernels.lp import quote_amount, risky_amount, step_fees
from engine.kernels.market import MERTON, log_jump, next_funding, paid_rate
from engine.kernels.perp import (
    _BRIDGE_NEGLIGIBLE,
    POLICY_NONE,
    bridge_crosses,
    is_below_maintenance,
    log_liquidation_price,
    rebalance_due,
    recovered_on_liquidation,
)
from engine.kernels.rng import ZIG_X, _normal_slow, normal, seed_stream

# Paths per group: a multiple of the vector loop's width times its unroll (4 x 4 on AVX-512 hosts).
LANES = 16

_TWO_M53 = 2.0**-53

# rows of the uint64 array: the four xoshiro256++ words, and the raw 64-bit output of the last
# normal draw (what the scalar fix-up needs to finish a rejected draw)
S_WORDS = 4
S_RAW = 4
S_ROWS = 5

# rows of the float64 lane-state array
F_LOG_P = 0  # ln P_k
F_SQRT_P = 1  # sqrt(P_k)
F_PRICE = 2  # P_k
F_FUND_RATE = 3  # f_k
F_LP_VALUE = 4  # V_LP(P_k)
F_RISKY = 5  # x(P_k), the LP's risky tokens
F_HEDGE = 6  # q, short size
F_ACCOUNT = 7  # perp account (margin cash + q entry)
F_LOG_BARRIER = 8  # ln P_liq
F_FEES = 9
F_FUNDING = 10
F_PERP_PNL = 11
F_COSTS = 12
F_LIQ_LOSS = 13
F_LIQUIDATED = 14  # 0.0 / 1.0
F_LIQ_TIME = 15
F_PEAK = 16
F_MAX_DD = 17
F_WEALTH = 18
F_REBALANCES = 19  # count, exact in a double
# per-step temporaries
F_Z_PRICE = 20
F_Z_FUNDING = 21
F_U_BRIDGE = 22
F_U_JUMP = 23
F_Z_JUMP = 24
F_JUMP = 25  # the step's summed log-jump
F_LOG_DIFFUSED = 26
F_LOG_NEW = 27
F_SQRT_NEW = 28
F_PRICE_NEW = 29
F_LIQ_PRICE = 30  # liquidation price of the step, 0.0 for none
F_FLAG = 31  # a stage's "this lane needs the scalar fix-up" mark
N_FIELDS = 32


# --------------------------------------------------------------------------------------------
# Random numbers across lanes (each lane its own xoshiro256++ stream, as in engine.kernels.rng)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _advance(s, lane):  # pragma: no cover - compiled
    """One xoshiro256++ output of lane `lane`'s stream (rng.next_u64 on s[:4, lane])."""
    s0 = s[0, lane]
    s1 = s[1, lane]
    s2 = s[2, lane]
    s3 = s[3, lane]
    t0 = s0 + s3
    result = ((t0 << uint64(23)) | (t0 >> uint64(41))) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << uint64(45)) | (s3 >> uint64(19))
    s[0, lane] = s0
    s[1, lane] = s1
    s[2, lane] = s2
    s[3, lane] = s3
    return result


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _fast_normal(u):  # pragma: no cover - compiled
    """The ziggurat's first try from a 64-bit draw u (rng.normal): (layer, sign, |x|, accepted)."""
    layer = np.intp(u & uint64(0xFF))
    sign = 1.0 - 2.0 * float(np.int64((u >> uint64(8)) & uint64(1)))
    x = float(np.int64(u >> uint64(11))) * _TWO_M53 * ZIG_X[layer]
    return layer, sign, x, x < ZIG_X[layer + 1]


@njit(nogil=True, cache=True, error_model="numpy")
def _finish_normals(s, v, row, lanes, scratch):  # pragma: no cover - compiled
    """Scalar fix-up of the draws the fast path rejected: the wedge/tail test and, if that fails,
    fresh draws, from the lane's own stream, exactly as rng.normal continues."""
    for lane in range(lanes):
        layer, sign, x, accepted = _fast_normal(s[S_RAW, lane])
        if accepted:
            continue
        for w in range(S_WORDS):
            scratch[w] = s[w, lane]
        x = _normal_slow(scratch, layer, x)
        v[row, lane] = normal(scratch) if x < 0.0 else sign * x
        for w in range(S_WORDS):
            s[w, lane] = scratch[w]


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def draw_normals(s, v, row, lanes, scratch):  # pragma: no cover - compiled
    """v[row, :lanes] = the next standard normal of every lane's stream."""
    rejected = 0
    for lane in range(lanes):
        u = _advance(s, lane)
        s[S_RAW, lane] = u
        _, sign, x, accepted = _fast_normal(u)
        v[row, lane] = sign * x
        rejected += np.int64(not accepted)
    if rejected > 0:
        _finish_normals(s, v, row, lanes, scratch)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def draw_uniforms(s, v, row, lanes):  # pragma: no cover - compiled
    """v[row, :lanes] = the next uniform in (0, 1] of every lane's stream (rng.uniform)."""
    for lane in range(lanes):
        v[row, lane] = float(np.int64(_advance(s, lane) >> uint64(11)) + 1) * _TWO_M53


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def draw_step(s, v, lanes, merton, scratch):  # pragma: no cover - compiled
    """One step's draws for every lane, in the driver's order: z_price, z_funding, [u_jump,
    z_jump], u_bridge."""
    draw_normals(s, v, F_Z_PRICE, lanes, scratch)
    draw_normals(s, v, F_Z_FUNDING, lanes, scratch)
    if merton:
        draw_uniforms(s, v, F_U_JUMP, lanes)
        draw_normals(s, v, F_Z_JUMP, lanes, scratch)
    draw_uniforms(s, v, F_U_BRIDGE, lanes)


@njit(nogil=True, cache=True, error_model="numpy")
def seed_lanes(s, seed, first_path, lanes, scratch):  # pragma: no cover - compiled
    """Lane j gets the stream of path first_path + j."""
    for lane in range(lanes):
        seed_stream(scratch, seed, first_path + lane)
        for w in range(S_WORDS):
            s[w, lane] = scratch[w]


# --------------------------------------------------------------------------------------------
# Scalar fix-ups of the model step (the same code as the driver's, on one lane)


@njit(nogil=True, cache=True, error_model="numpy")
def _fix_jumps(v, lanes, jump_cdf0, market):  # pragma: no cover - compiled
    for lane in range(lanes):
        if v[F_U_JUMP, lane] > jump_cdf0:
            v[F_JUMP, lane] = log_jump(v[F_U_JUMP, lane], v[F_Z_JUMP, lane], market)


@njit(nogil=True, cache=True, error_model="numpy")
def _fix_crossings(v, lanes, bridge_scale):  # pragma: no cover - compiled
    """The driver's liquidation test over the step, on the lanes near or past the barrier."""
    for lane in range(lanes):
        if v[F_FLAG, lane] == 0.0:
            continue
        log_barrier = v[F_LOG_BARRIER, lane]
        log_diffused = v[F_LOG_DIFFUSED, lane]
        if log_diffused >= log_barrier or bridge_crosses(
            log_barrier, v[F_LOG_P, lane], log_diffused, bridge_scale, v[F_U_BRIDGE, lane]
        ):
            v[F_LIQ_PRICE, lane] = np.exp(log_barrier)
        elif v[F_LOG_NEW, lane] >= log_barrier:
            v[F_LIQ_PRICE, lane] = v[F_PRICE_NEW, lane]


@njit(nogil=True, cache=True, error_model="numpy")
def _fix_barriers(v, lanes, maintenance):  # pragma: no cover - compiled
    """ln P_liq after a funding payment, on the lanes that paid and stayed above maintenance."""
    for lane in range(lanes):
        if v[F_FLAG, lane] != 0.0:
            v[F_LOG_BARRIER, lane] = log_liquidation_price(
                v[F_ACCOUNT, lane], v[F_HEDGE, lane], maintenance
            )


@njit(nogil=True, cache=True, error_model="numpy")
def _fix_rebalances(v, lanes, hedge):  # pragma: no cover - compiled
    """The driver's rebalancing trade, on the lanes whose policy trades now. Returns how many of
    them the trade left below maintenance (to be liquidated)."""
    breached = 0
    for lane in range(lanes):
        if v[F_FLAG, lane] == 0.0:
            continue
        q = v[F_HEDGE, lane]
        price_new = v[F_PRICE_NEW, lane]
        target = hedge.ratio * v[F_RISKY, lane]
        traded = target - q
        cost = hedge.cost_rate * abs(traded) * price_new
        account = v[F_ACCOUNT, lane] + (traded * price_new - cost)
        v[F_ACCOUNT, lane] = account
        v[F_COSTS, lane] += cost
        q = target
        v[F_HEDGE, lane] = q
        v[F_REBALANCES, lane] += 1.0
        if is_below_maintenance(account, q, price_new, hedge.maintenance):
            v[F_LIQ_PRICE, lane] = price_new
            breached += 1
        else:
            v[F_LOG_BARRIER, lane] = log_liquidation_price(account, q, hedge.maintenance)
    return breached


@njit(nogil=True, cache=True, error_model="numpy")
def _fix_liquidations(v, lanes, penalty, time_days):  # pragma: no cover - compiled
    """The driver's liquidation execution at the step's liquidation price."""
    for lane in range(lanes):
        liquidation_price = v[F_LIQ_PRICE, lane]
        if liquidation_price > 0.0:
            account = v[F_ACCOUNT, lane]
            q = v[F_HEDGE, lane]
            recovered = recovered_on_liquidation(account, q, liquidation_price, penalty)
            v[F_LIQ_LOSS, lane] += account - q * liquidation_price - recovered
            v[F_ACCOUNT, lane] = recovered
            v[F_HEDGE, lane] = 0.0
            v[F_LOG_BARRIER, lane] = np.inf
            v[F_LIQUIDATED, lane] = 1.0
            v[F_LIQ_TIME, lane] = time_days


@njit(nogil=True, cache=True, error_model="numpy")
def _record_lanes(v, record, first, real, slot):  # pragma: no cover - compiled
    """Sampled paths: the first `real` lanes (not padding) whose path index in the block
    (first + lane) is below record's."""
    for lane in range(min(real, record.shape[0] - first)):
        i = first + lane
        price = v[F_PRICE, lane]
        q = v[F_HEDGE, lane]
        record[i, slot, REC_PRICE] = price
        record[i, slot, REC_VALUE] = v[F_WEALTH, lane]
        record[i, slot, REC_LP_VALUE] = v[F_LP_VALUE, lane]
        record[i, slot, REC_PERP_EQUITY] = v[F_ACCOUNT, lane] - q * price
        record[i, slot, REC_HEDGE_SIZE] = q
        record[i, slot, REC_FUNDING_RATE] = v[F_FUND_RATE, lane]


# --------------------------------------------------------------------------------------------
# The kernel


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block_lanes(
    market, pool, hedge, grid, seed, first_path, out, record, lanes
):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 into `out` (and `record`), in
    groups of `lanes` paths; the same results as driver.simulate_block."""
    n_paths = out.pnl.shape[0]
    s = np.empty((S_ROWS, lanes), np.uint64)
    v = np.empty((N_FIELDS, lanes))
    scratch = np.empty(S_WORDS, np.uint64)
    for first in range(0, n_paths, lanes):
        seed_lanes(s, seed, first_path + first, lanes, scratch)
        real = min(lanes, n_paths - first)
        _simulate_group(s, v, scratch, market, pool, hedge, grid, lanes, real, first, record)
        for lane in range(real):
            _write_outputs(v, lane, out, first + lane, pool, grid)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _write_outputs(v, lane, out, i, pool, grid):  # pragma: no cover - compiled
    wealth = v[F_WEALTH, lane]
    value_lp = v[F_LP_VALUE, lane]
    price = v[F_PRICE, lane]
    out.pnl[i] = wealth - grid.capital
    out.final_value[i] = wealth
    out.lp_value[i] = value_lp
    out.il[i] = value_lp - (pool.x0 * price + pool.y0)
    out.fees[i] = v[F_FEES, lane]
    out.funding[i] = v[F_FUNDING, lane]
    out.trading_costs[i] = v[F_COSTS, lane]
    out.perp_pnl[i] = v[F_PERP_PNL, lane]
    out.liquidation_loss[i] = v[F_LIQ_LOSS, lane]
    out.liquidated[i] = v[F_LIQUIDATED, lane] != 0.0
    out.liquidation_time[i] = v[F_LIQ_TIME, lane]
    out.max_drawdown[i] = v[F_MAX_DD, lane]
    out.n_rebalances[i] = np.int64(v[F_REBALANCES, lane])
    out.final_price[i] = price
    out.final_hedge[i] = v[F_HEDGE, lane]


@njit(nogil=True, cache=True, error_model="numpy")
def _start_group(v, market, pool, hedge, grid, lanes):  # pragma: no cover - compiled
    """Every lane at t = 0 (the driver's opening state, the same for every path)."""
    log_p = np.log(market.spot)
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    x = risky_amount(sqrt_p, pool)
    value_lp = pool.value0
    q = hedge.ratio * x
    costs = hedge.cost_rate * q * price
    account = grid.collateral + q * price - costs
    log_barrier = log_liquidation_price(account, q, hedge.maintenance)
    wealth = value_lp + account - q * price
    peak = max(grid.capital, wealth)
    max_dd = (peak - wealth) / peak
    for lane in range(lanes):
        v[F_LOG_P, lane] = log_p
        v[F_SQRT_P, lane] = sqrt_p
        v[F_PRICE, lane] = price
        v[F_FUND_RATE, lane] = market.funding_initial
        v[F_LP_VALUE, lane] = value_lp
        v[F_RISKY, lane] = x
        v[F_HEDGE, lane] = q
        v[F_ACCOUNT, lane] = account
        v[F_LOG_BARRIER, lane] = log_barrier
        v[F_FEES, lane] = 0.0
        v[F_FUNDING, lane] = 0.0
        v[F_PERP_PNL, lane] = 0.0
        v[F_COSTS, lane] = costs
        v[F_LIQ_LOSS, lane] = 0.0
        v[F_LIQUIDATED, lane] = 0.0
        v[F_LIQ_TIME, lane] = np.nan
        v[F_PEAK, lane] = peak
        v[F_MAX_DD, lane] = max_dd
        v[F_WEALTH, lane] = wealth
        v[F_REBALANCES, lane] = 0.0
        v[F_JUMP, lane] = 0.0


@njit(nogil=True, cache=True, error_model="numpy")
def _simulate_group(
    s, v, scratch, market, pool, hedge, grid, lanes, real, first, record
):  # pragma: no cover - compiled
    merton = market.model == MERTON
    rebalancing = hedge.policy != POLICY_NONE
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index
    jump_cdf0 = market.jump_cdf[0]
    log_drift = market.log_drift
    diffusion = market.diffusion
    bridge_scale = market.bridge_scale
    maintenance = hedge.maintenance
    cap = market.funding_cap
    keep = first < record.shape[0]

    _start_group(v, market, pool, hedge, grid, lanes)
    if keep:
        _record_lanes(v, record, first, real, 0)

    for k in range(grid.n_steps):
        # 1. the step's random numbers
        draw_step(s, v, lanes, merton, scratch)
        if merton:
            jumps = 0
            for lane in range(lanes):
                v[F_JUMP, lane] = 0.0
                jumps += np.int64(v[F_U_JUMP, lane] > jump_cdf0)
            if jumps > 0:
                _fix_jumps(v, lanes, jump_cdf0, market)

        # 2. price move; lanes that may be liquidated over the step are marked
        near = 0
        for lane in range(lanes):
            log_p = v[F_LOG_P, lane]
            log_diffused = log_p + log_drift + diffusion * v[F_Z_PRICE, lane]
            log_new = log_diffused + v[F_JUMP, lane] if merton else log_diffused
            sqrt_new = det_exp(0.5 * log_new)
            v[F_LOG_DIFFUSED, lane] = log_diffused
            v[F_LOG_NEW, lane] = log_new
            v[F_SQRT_NEW, lane] = sqrt_new
            v[F_PRICE_NEW, lane] = sqrt_new * sqrt_new
            v[F_LIQ_PRICE, lane] = 0.0
            log_barrier = v[F_LOG_BARRIER, lane]
            exponent = (log_barrier - log_p) * (log_barrier - log_diffused) * bridge_scale
            mark = v[F_HEDGE, lane] > 0.0 and (
                log_diffused >= log_barrier
                or log_new >= log_barrier
                or exponent <= _BRIDGE_NEGLIGIBLE
            )
            v[F_FLAG, lane] = 1.0 if mark else 0.0
            near += np.int64(mark)
        if near > 0:
            _fix_crossings(v, lanes, bridge_scale)

        # 3. mark to market, funding, settlements
        settlements = funding_events[k]
        for lane in range(lanes):
            liquidation_price = v[F_LIQ_PRICE, lane]
            price_new = v[F_PRICE_NEW, lane]
            q = v[F_HEDGE, lane]
            mark_price = liquidation_price if liquidation_price > 0.0 else price_new
            v[F_PERP_PNL, lane] += q * (v[F_PRICE, lane] - mark_price)
            v[F_FUND_RATE, lane] = next_funding(
                v[F_FUND_RATE, lane], v[F_Z_PRICE, lane], v[F_Z_FUNDING, lane], market
            )
        breached = 0
        if settlements > 0:
            paid = 0
            for lane in range(lanes):
                q = v[F_HEDGE, lane]
                liquidation_price = v[F_LIQ_PRICE, lane]
                price_new = v[F_PRICE_NEW, lane]
                pays = q > 0.0 and liquidation_price == 0.0
                payment = settlements * q * price_new * paid_rate(v[F_FUND_RATE, lane], cap)
                account = v[F_ACCOUNT, lane] + payment
                funding = v[F_FUNDING, lane] + payment
                below = pays and is_below_maintenance(account, q, price_new, maintenance)
                v[F_ACCOUNT, lane] = account if pays else v[F_ACCOUNT, lane]
                v[F_FUNDING, lane] = funding if pays else v[F_FUNDING, lane]
                v[F_LIQ_PRICE, lane] = price_new if below else liquidation_price
                v[F_FLAG, lane] = 1.0 if pays and not below else 0.0
                breached += np.int64(below)
                paid += np.int64(pays and not below)
            if paid > 0:
                _fix_barriers(v, lanes, maintenance)

        # 4. LP fees over the step, then revalue
        for lane in range(lanes):
            sqrt_new = v[F_SQRT_NEW, lane]
            v[F_FEES, lane] += step_fees(v[F_SQRT_P, lane], sqrt_new, v[F_LP_VALUE, lane], pool)
            x = risky_amount(sqrt_new, pool)
            v[F_RISKY, lane] = x
            v[F_LP_VALUE, lane] = x * v[F_PRICE_NEW, lane] + quote_amount(sqrt_new, pool)

        # 5. rebalancing policy
        if rebalancing:
            clock = rebalance_clock[k]
            due = 0
            for lane in range(lanes):
                trades = (
                    v[F_LIQUIDATED, lane] == 0.0
                    and v[F_LIQ_PRICE, lane] == 0.0
                    and rebalance_due(
                        v[F_HEDGE, lane], hedge.ratio * v[F_RISKY, lane], clock, hedge
                    )
                )
                v[F_FLAG, lane] = 1.0 if trades else 0.0
                due += np.int64(trades)
            if due > 0:
                breached += _fix_rebalances(v, lanes, hedge)

        # liquidations flagged in 2, 3 or 5 execute now
        if near > 0 or breached > 0:
            _fix_liquidations(v, lanes, hedge.penalty, (k + 1) * grid.step_days)

        # 6. running statistics
        for lane in range(lanes):
            price = v[F_PRICE_NEW, lane]
            v[F_LOG_P, lane] = v[F_LOG_NEW, lane]
            v[F_SQRT_P, lane] = v[F_SQRT_NEW, lane]
            v[F_PRICE, lane] = price
            perp_equity = v[F_ACCOUNT, lane] - v[F_HEDGE, lane] * price
            wealth = v[F_LP_VALUE, lane] + v[F_FEES, lane] + perp_equity
            peak = max(v[F_PEAK, lane], wealth)
            max_dd = v[F_MAX_DD, lane]
            v[F_MAX_DD, lane] = (peak - wealth) / peak if peak - wealth > max_dd * peak else max_dd
            v[F_PEAK, lane] = peak
            v[F_WEALTH, lane] = wealth
        if keep:
            slot = observe_index[k]
            if slot >= 0:
                _record_lanes(v, record, first, real, slot)

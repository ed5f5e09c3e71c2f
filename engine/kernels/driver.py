"""The path driver: composes the market, LP, perp and statistics kernels, step by step.

One call simulates a block of consecutive paths. Each path draws from its own stream (seed, global
path index), so a block's results do not depend on which other paths share its block. Per step, in
the order of MODEL.md §6:

1. draw z_price, z_funding, [u_jump, z_jump when Merton], [u_fjump, z_fjump when funding jumps],
   u_bridge -- always, whatever happens (the newer price models draw in their own fixed order:
   `draw_model_steps`, with the funding jumps' pair before u_bridge too);
2. move the price (diffusion with the step's shocks, then the step's jumps); test liquidation over
   the step with the hedge as it was: the diffusive leg by its endpoint (or, for historical steps,
   its intrabar maximum) and the Brownian bridge with the step's own variance (executes at P_liq),
   then a jump through the barrier (executes at the post-jump price);
3. mark the perp to market; step the funding state (OU around the step's mean, its jumps, a forced
   rate) and its rate, or take the historical rate; settle funding on funding times; re-check margin;
4. accrue LP fees on the step; revalue the LP;
5. apply the rebalancing policy (trading costs); re-check margin;
6. update portfolio value W, its running peak and the maximum drawdown.
A liquidation flagged in 2, 3 or 5 is executed once, at the end of the step's trading (after 5).

Nothing of size paths x steps is stored: per path only the final summaries (`PathOutputs`) and,
for the first `record.shape[0]` paths of the block, the state on the observation grid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.funding import FUNDING_CONSTANT, FundingParams, funding_rate, state_jump
from engine.kernels.garch import GARCH, next_ratio, t_scale
from engine.kernels.history import BOOTSTRAP, REPLAY, bootstrap_index
from engine.kernels.lp import PoolParams, quote_amount, risky_amount, step_fees
from engine.kernels.market import MERTON, MarketParams, log_jump, next_funding_to, paid_rate
from engine.kernels.perp import (
    POLICY_NONE,
    HedgeParams,
    bridge_crosses,
    is_below_maintenance,
    log_liquidation_price,
    rebalance_due,
    recovered_on_liquidation,
)
from engine.kernels.regime import REGIME, pick, regime_log_jump
from engine.kernels.rng import normal, seed_stream, uniform
from engine.kernels.shocks import ShockParams, shocked_step

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


# Draws are made ahead in chunks of steps: a tight generation loop, then a straight-line model loop.
DRAW_CHUNK = 128
D_PRICE = 0
D_FUNDING = 1
D_BRIDGE = 2
D_JUMP_U = 3
D_JUMP_Z = 4
# [issue5-models] columns of the newer price models (engine.kernels.garch, .regime, .history)
D_T_SCALE = 5  # garch: the Student-t factor of z_price
D_REGIME = 5  # regime: u_regime, the next regime
D_BLOCK = 5  # bootstrap: u_block, whether a new block starts
D_START = 6  # bootstrap: u_start, where it starts
D_FJUMP_U = 7  # [issue5-funding] jumps of the funding state
D_FJUMP_Z = 8
DRAW_WIDTH = 9
N_DRAW_KINDS = DRAW_WIDTH  # [issue5-funding]'s name of the width


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block(
    market, pool, hedge, grid, funding, shocks, seed, first_path, out, record
):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 into `out` (and `record`)."""
    state = np.empty(4, np.uint64)
    draws = np.zeros((DRAW_CHUNK, DRAW_WIDTH))
    for i in range(out.pnl.shape[0]):
        seed_stream(state, seed, first_path + i)
        _simulate_path(state, draws, market, pool, hedge, grid, funding, shocks, out, i, record)


@njit(nogil=True, cache=True, error_model="numpy")
def draw_steps(state, draws, n, merton, funding_jumps=False):  # pragma: no cover - compiled
    """The random numbers of the next n steps, in the fixed per-step order z_price, z_funding,
    [u_jump, z_jump if Merton], [u_fjump, z_fjump if the funding state jumps], u_bridge."""
    for j in range(n):
        draws[j, D_PRICE] = normal(state)
        draws[j, D_FUNDING] = normal(state)
        if merton:
            draws[j, D_JUMP_U] = uniform(state)
            draws[j, D_JUMP_Z] = normal(state)
        if funding_jumps:
            draws[j, D_FJUMP_U] = uniform(state)
            draws[j, D_FJUMP_Z] = normal(state)
        draws[j, D_BRIDGE] = uniform(state)


@njit(nogil=True, cache=True, error_model="numpy")
def draw_model_steps(state, draws, n, market, funding_jumps=False):  # pragma: no cover - compiled
    """The random numbers of the next n steps of the newer price models, in their fixed per-step
    order: garch z_price, z_funding, [the t factor's gamma draws if dof], [u_fjump, z_fjump],
    u_bridge; regime z_price, z_funding, [u_jump, z_jump if any regime jumps], [u_regime if
    several regimes], [u_fjump, z_fjump], u_bridge; bootstrap z_funding, u_block, u_start,
    [u_fjump, z_fjump]; replay z_funding, [u_fjump, z_fjump]. The funding jumps' pair is drawn
    only when the funding state jumps ([issue5-funding])."""
    model = market.model
    for j in range(n):
        if model == GARCH:
            draws[j, D_PRICE] = normal(state)
            draws[j, D_FUNDING] = normal(state)
            draws[j, D_T_SCALE] = t_scale(state, market.garch)
        elif model == REGIME:
            draws[j, D_PRICE] = normal(state)
            draws[j, D_FUNDING] = normal(state)
            if market.regime.jumps:
                draws[j, D_JUMP_U] = uniform(state)
                draws[j, D_JUMP_Z] = normal(state)
            if market.regime.switching:
                draws[j, D_REGIME] = uniform(state)
        else:  # BOOTSTRAP, REPLAY: the price move is historical
            draws[j, D_FUNDING] = normal(state)
            if model == BOOTSTRAP:
                draws[j, D_BLOCK] = uniform(state)
                draws[j, D_START] = uniform(state)
        if funding_jumps:
            draws[j, D_FJUMP_U] = uniform(state)
            draws[j, D_FJUMP_Z] = normal(state)
        if model == GARCH or model == REGIME:
            draws[j, D_BRIDGE] = uniform(state)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _record(
    record, i, slot, price, wealth, value_lp, perp_equity, q, f, regime
):  # pragma: no cover
    record[i, slot, REC_REGIME] = regime
    record[i, slot, REC_PRICE] = price
    record[i, slot, REC_VALUE] = wealth
    record[i, slot, REC_LP_VALUE] = value_lp
    record[i, slot, REC_PERP_EQUITY] = perp_equity
    record[i, slot, REC_HEDGE_SIZE] = q
    record[i, slot, REC_FUNDING_RATE] = f


@njit(nogil=True, cache=True, error_model="numpy")
def _simulate_path(
    state,
    draws,
    market: MarketParams,
    pool: PoolParams,
    hedge: HedgeParams,
    grid: GridParams,
    funding_params: FundingParams,
    shocks: ShockParams,
    out: PathOutputs,
    i,
    record,
):  # pragma: no cover - compiled
    keep = i < record.shape[0]
    merton = market.model == MERTON
    # [issue5-funding] funding jumps and shocks, arrays hoisted out of their tuples
    funding_jumps = funding_params.jumps
    fjump_cdf = funding_params.jump_cdf
    shock_log_move = shocks.log_move
    shock_vol = shocks.vol_multiplier
    shock_funding = shocks.forced_funding
    shocked = shock_log_move.shape[0] > 0
    # [issue5-models] the newer price models' state and arrays, hoisted out of their tuples
    newer_model = market.model > MERTON
    garch = market.model == GARCH
    regime_model = market.model == REGIME
    historical = market.model == BOOTSTRAP or market.model == REPLAY
    bootstrap = market.model == BOOTSTRAP
    garch_params = market.garch
    variance_ratio = garch_params.initial_ratio
    regimes = market.regime
    r_log_drift = regimes.log_drift
    r_diffusion = regimes.diffusion
    r_bridge_scale = regimes.bridge_scale
    r_jump_cdf = regimes.jump_cdf
    r_jump_mean = regimes.jump_mean
    r_jump_vol = regimes.jump_vol
    r_funding_mean = regimes.funding_mean
    r_stressed = regimes.stressed
    r_transition_cdf = regimes.transition_cdf
    regime = 0
    if regime_model and regimes.draw_initial:
        regime = pick(uniform(state), regimes.initial_cdf)
    elif regime_model:
        regime = pick(1.0, regimes.initial_cdf)
    stressed_steps = 0.0
    h_return = market.history.log_return
    h_high = market.history.log_high
    h_funding = market.history.funding
    h_restart = market.history.restart
    h_funding_from_data = market.history.from_data
    n_history = h_return.shape[0]
    h_index = 0
    rebalancing = hedge.policy != POLICY_NONE
    # arrays taken out of the parameter tuples once, so the loop holds no reference counting
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index

    log_p = np.log(market.spot)
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    f_state = market.funding_initial  # the OU state: the rate (ou) or the premium (premium)
    f = funding_rate(f_state, funding_params)

    x = risky_amount(sqrt_p, pool)
    value_lp = pool.value0
    q = hedge.ratio * x
    costs = hedge.cost_rate * q * price
    account = grid.collateral + q * price - costs
    log_barrier = log_liquidation_price(account, q, hedge.maintenance)

    fees = 0.0
    funding = 0.0
    perp_pnl = 0.0
    liquidation_loss = 0.0
    liquidated = False
    liquidation_time = np.nan
    n_rebalances = 0

    wealth = value_lp + account - q * price
    peak = max(grid.capital, wealth)
    max_dd = (peak - wealth) / peak
    if keep:
        _record(record, i, 0, price, wealth, value_lp, account - q * price, q, f, regime)

    for k in range(grid.n_steps):
        # 1. the step's random numbers, always the same count and order
        j = k % DRAW_CHUNK
        if j == 0:
            if newer_model:
                draw_model_steps(
                    state, draws, min(DRAW_CHUNK, grid.n_steps - k), market, funding_jumps
                )
            else:
                draw_steps(state, draws, min(DRAW_CHUNK, grid.n_steps - k), merton, funding_jumps)
        z_price = draws[j, D_PRICE]
        z_funding = draws[j, D_FUNDING]
        u_bridge = draws[j, D_BRIDGE]

        # 2. price move and liquidation over the step, with the hedge as it was.
        # [issue5-models] the step's log drift, diffusive sd and shock, bridge scale (2 / the
        # step's diffusive variance), jump, intrabar maximum above the end price, funding mean
        step_drift = market.log_drift
        step_sd = market.diffusion
        step_shock = z_price
        step_bridge_scale = market.bridge_scale
        step_jump = 0.0
        step_high = 0.0
        funding_mean = market.funding_mean
        if garch:
            step_shock = draws[j, D_T_SCALE] * z_price
            step_drift = market.log_drift - garch_params.half_variance * (variance_ratio - 1.0)
            step_sd = market.diffusion * np.sqrt(variance_ratio)
            step_bridge_scale = market.bridge_scale / variance_ratio
            variance_ratio = next_ratio(variance_ratio, step_shock, garch_params)
        elif regime_model:
            step_drift = r_log_drift[regime]
            step_sd = r_diffusion[regime]
            step_bridge_scale = r_bridge_scale[regime]
            funding_mean = r_funding_mean[regime]
            if regimes.jumps:
                step_jump = regime_log_jump(
                    draws[j, D_JUMP_U],
                    draws[j, D_JUMP_Z],
                    r_jump_cdf[regime],
                    r_jump_mean[regime],
                    r_jump_vol[regime],
                )
            stressed_steps += r_stressed[regime]
            if regimes.switching:
                regime = pick(draws[j, D_REGIME], r_transition_cdf[regime])
        elif historical:
            if bootstrap:
                h_index = bootstrap_index(
                    h_index, k, draws[j, D_BLOCK], draws[j, D_START], h_restart, n_history
                )
            else:
                h_index = k
            step_drift = h_return[h_index]
            step_sd = 0.0
            step_shock = 0.0
            step_bridge_scale = 0.0
            step_high = h_high[h_index]
        if shocked:  # [issue5-funding] the step's price move and volatility multiplier
            step_drift, step_sd, step_bridge_scale = shocked_step(
                step_drift, step_sd, step_bridge_scale, shock_log_move[k], shock_vol[k]
            )
        log_diffused = log_p + step_drift + step_sd * step_shock
        log_new = log_diffused + step_jump
        if merton:
            log_new += log_jump(draws[j, D_JUMP_U], draws[j, D_JUMP_Z], market)
        sqrt_new = np.exp(0.5 * log_new)
        price_new = sqrt_new * sqrt_new

        liquidation_price = 0.0
        if q > 0.0:
            if log_diffused + step_high >= log_barrier or bridge_crosses(
                log_barrier, log_p, log_diffused, step_bridge_scale, u_bridge
            ):
                liquidation_price = np.exp(log_barrier)
            elif log_new >= log_barrier:
                liquidation_price = price_new

        # 3. mark to market, funding, margin
        mark = liquidation_price if liquidation_price > 0.0 else price_new
        perp_pnl += q * (price - mark)
        if h_funding_from_data:  # [issue5-models] the rate drawn with the historical return
            f = h_funding[h_index]
        else:
            # [issue5-funding] OU state around the step's mean (the regime's under `regime`), its
            # jumps; the rate paid from the state
            f_state = next_funding_to(f_state, funding_mean, z_price, z_funding, market)
            if funding_jumps:
                f_state += state_jump(
                    draws[j, D_FJUMP_U],
                    draws[j, D_FJUMP_Z],
                    fjump_cdf,
                    funding_params.jump_mean,
                    funding_params.jump_vol,
                )
            f = funding_rate(f_state, funding_params)
        if shocked and not np.isnan(shock_funding[k]):  # [issue5-funding] a forced rate
            f = shock_funding[k]
            if funding_params.kind != FUNDING_CONSTANT:
                f_state = f  # the OU state restarts from the forced rate
        settlements = funding_events[k]
        if settlements > 0 and q > 0.0 and liquidation_price == 0.0:
            payment = settlements * q * price_new * paid_rate(f, market.funding_cap)
            account += payment
            funding += payment
            if is_below_maintenance(account, q, price_new, hedge.maintenance):
                liquidation_price = price_new
            else:
                log_barrier = log_liquidation_price(account, q, hedge.maintenance)

        # 4. LP fees over the step, then revalue
        fees += step_fees(sqrt_p, sqrt_new, value_lp, pool)
        x = risky_amount(sqrt_new, pool)
        value_lp = x * price_new + quote_amount(sqrt_new, pool)

        # 5. rebalancing policy
        if rebalancing and not liquidated and liquidation_price == 0.0:
            target = hedge.ratio * x
            if rebalance_due(q, target, rebalance_clock[k], hedge):
                traded = target - q
                cost = hedge.cost_rate * abs(traded) * price_new
                account += traded * price_new - cost
                costs += cost
                q = target
                n_rebalances += 1
                if is_below_maintenance(account, q, price_new, hedge.maintenance):
                    liquidation_price = price_new
                else:
                    log_barrier = log_liquidation_price(account, q, hedge.maintenance)

        if liquidation_price > 0.0:
            recovered = recovered_on_liquidation(account, q, liquidation_price, hedge.penalty)
            liquidation_loss += account - q * liquidation_price - recovered
            account = recovered
            q = 0.0
            log_barrier = np.inf
            liquidated = True
            liquidation_time = (k + 1) * grid.step_days

        # 6. running statistics
        log_p = log_new
        sqrt_p = sqrt_new
        price = price_new
        perp_equity = account - q * price
        wealth = value_lp + fees + perp_equity
        peak = max(peak, wealth)
        if peak - wealth > max_dd * peak:
            max_dd = (peak - wealth) / peak
        if keep:
            slot = observe_index[k]
            if slot >= 0:
                _record(record, i, slot, price, wealth, value_lp, perp_equity, q, f, regime)

    out.pnl[i] = wealth - grid.capital
    out.final_value[i] = wealth
    out.lp_value[i] = value_lp
    out.il[i] = value_lp - (pool.x0 * price + pool.y0)
    out.fees[i] = fees
    out.funding[i] = funding
    out.trading_costs[i] = costs
    out.perp_pnl[i] = perp_pnl
    out.liquidation_loss[i] = liquidation_loss
    out.liquidated[i] = liquidated
    out.liquidation_time[i] = liquidation_time
    out.max_drawdown[i] = max_dd
    out.n_rebalances[i] = n_rebalances
    out.final_price[i] = price
    out.final_hedge[i] = q
    out.stressed_share[i] = stressed_steps / grid.n_steps

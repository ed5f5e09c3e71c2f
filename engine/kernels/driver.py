"""The path driver: composes the market, LP, perp and statistics kernels, step by step.

One call simulates a block of consecutive paths. Each path draws from its own stream (seed, global
path index), so a block's results do not depend on which other paths share its block. Per step, in
the order of MODEL.md §6:

1. draw z_price, z_funding, [u_jump, z_jump when Merton], [u_fjump, z_fjump when funding jumps],
   u_bridge -- always, whatever happens (the newer price models draw in their own fixed order:
   `draw_model_steps`, with the funding jumps' pair likewise just before u_bridge);
2. move the price (the model's step, then the step's shocks, then its jumps); test liquidation
   over the step with the hedge as it was: the diffusive leg by its endpoint (or, for historical
   steps, its intrabar maximum) and the Brownian bridge with the step's own variance (executes at
   P_liq), then a jump through the barrier (executes at the post-jump price);
3. mark the perp to market; step the funding state (OU, its jumps, a forced rate) and its rate;
   settle funding on funding times; re-check margin;
4. accrue LP fees on the step; revalue the LP;
   4b. [issue6-lp] re-range a v3 position that has been out of range long enough (the hedge
       follows the new delta at once in 5);
5. apply the rebalancing policy (trading costs);
   5b. [issue6-lp] top up the margin from the pool, or sweep its excess back; re-check margin;
   5c. [issue6-lp] after the liquidation is executed: re-hedge once the cooldown has passed;
6. update portfolio value W, its running peak and the maximum drawdown.
A liquidation flagged in 2, 3 or 5 is executed once, at the end of the step's trading (after 5b).

[issue6-venue] options, venue failure and insurance, each off by default: cover premia accrue on
the exposures at the step's start; a pool exploit applies after 4 (the moves of 4b-5 see the
smaller position); after the liquidation: auto-deleveraging, a perp-venue failure (no re-hedge
after it), then an option expiry (payoff, and the roll's purchase). The venue's uniforms come
from the path's side stream (`kernels/venue.py`). Live options are marked lazily in 6.

The market (draws, price, funding rate: steps 1-3 without the position) does not depend on the
position, so it is advanced a chunk of DRAW_CHUNK steps ahead (`engine.kernels.marketpath`, draws
from `engine.kernels.draws`) and the loop below walks the position through the chunk; see
docs/model-notes.md, "General kernel: the market a chunk ahead". Nothing of size paths x steps is
stored: per path only the final summaries (`PathOutputs`), the chunk's scratch arrays, and, for
the first `record.shape[0]` paths of the block, the state on the observation grid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.draws import (  # noqa: F401 - the draw layout, re-exported
    D_BLOCK,
    D_BRIDGE,
    D_FJUMP_U,
    D_FJUMP_Z,
    D_FUNDING,
    D_JUMP_U,
    D_JUMP_Z,
    D_PRICE,
    D_REGIME,
    D_START,
    D_T_SCALE,
    DRAW_CHUNK,
    DRAW_WIDTH,
    draw_model_steps,
    draw_steps,
)
from engine.kernels.funding import FUNDING_CONSTANT, FundingParams, funding_rate
from engine.kernels.lp import PoolParams, amounts, position_value, range_fees, risky_share
from engine.kernels.management import (
    AFTER_LIQUIDATION_REHEDGE,
    ManagementParams,
    margin_move,
    rehedge_withdrawal,
    rerange_position,
    transfer_margin,
)
from engine.kernels.market import MarketParams, next_funding_to, paid_rate
from engine.kernels.marketpath import market_chunk, market_path, market_start
from engine.kernels.options import (
    ROLL_AT_EXPIRY,
    OptionParams,
    mark_bounds,
    strip_payoff,
    strip_value,
)
from engine.kernels.perp import (
    POLICY_NONE,
    HedgeParams,
    band_exceeded,
    band_tested_without_target,
    bridge_crosses,
    is_below_maintenance,
    log_liquidation_price,
    maintenance_margin,
    rebalance_due,
    recovered_on_liquidation,
)
from engine.kernels.rng import seed_stream, uniform
from engine.kernels.shocks import ShockParams
from engine.kernels.venue import (
    N_VENUE_DRAWS,
    V_PERP_CLAIM,
    V_PERP_TIME,
    V_POOL_CLAIM,
    V_POOL_TIME,
    VenueParams,
    claim_paid,
    draw_venue,
    event_step,
)

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
    # [issue6-lp] pool <-> perp moves, re-ranging, gas (engine/kernels/management.py)
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
    # [issue6-venue] options hedge, venue failure / insurance, auto-deleveraging
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


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block(
    market,
    pool,
    hedge,
    grid,
    manage,
    funding,
    shocks,
    options,
    venue,
    seed,
    first_path,
    out,
    record,
):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 into `out` (and `record`)."""
    state = np.empty(4, np.uint64)
    path = market_path()
    side = np.empty(4, np.uint64)
    venue_draws = np.ones(N_VENUE_DRAWS)
    for i in range(out.pnl.shape[0]):
        seed_stream(state, seed, first_path + i)
        if venue.active:
            draw_venue(side, seed, first_path + i, venue_draws)
        _simulate_path(
            state,
            path,
            market,
            pool,
            hedge,
            grid,
            manage,
            funding,
            shocks,
            options,
            venue,
            venue_draws,
            side,
            out,
            i,
            record,
        )


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
    path,
    market: MarketParams,
    pool: PoolParams,
    hedge: HedgeParams,
    grid: GridParams,
    manage: ManagementParams,
    funding_params: FundingParams,
    shocks: ShockParams,
    options: OptionParams,
    venue: VenueParams,
    venue_draws,
    side,
    out: PathOutputs,
    i,
    record,
):  # pragma: no cover - compiled
    keep = i < record.shape[0]
    # the market's path, a chunk of steps ahead (engine.kernels.marketpath), arrays hoisted out
    # of their tuple
    market_now = market_start(state, market)
    draws = path.draws
    m_log_end = path.log_end
    m_log_diffused = path.log_diffused
    m_log_top = path.log_top
    m_bridge_scale = path.bridge_scale
    m_sqrt_end = path.sqrt_end
    m_funding_mean = path.funding_mean
    m_funding_data = path.funding_data
    m_funding_jump = path.funding_jump
    from_data = market.history.from_data
    funding_jumps = funding_params.jumps
    funding_resets = funding_params.kind != FUNDING_CONSTANT  # a forced rate restarts the state
    shock_funding = shocks.forced_funding
    shocked = shock_funding.shape[0] > 0
    m_regime = path.regime
    regime = market_now.regime
    rebalancing = hedge.policy != POLICY_NONE
    # arrays taken out of the parameter tuples once, so the loop holds no reference counting
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index
    tiers = hedge.tiers
    # [issue6-lp] the position (L and range) is path state; which moves are on
    liquidity = pool.liquidity
    sqrt_lower = pool.sqrt_lower
    sqrt_upper = pool.sqrt_upper
    margin_managed = manage.topup_below > -np.inf or manage.sweep_above < np.inf
    rehedging = manage.after_liquidation == AFTER_LIQUIDATION_REHEDGE
    moves_liquidity = margin_managed or rehedging
    reranging = manage.rerange_steps > 0
    swap_cost = manage.swap_cost

    log_p = market_now.log_p
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    f_state = market.funding_initial  # the OU state: the rate (ou) or the premium (premium)
    f = funding_rate(f_state, funding_params)

    x = amounts(sqrt_p, liquidity, sqrt_lower, sqrt_upper)[0]
    value_lp = pool.value0
    q = hedge.ratio * x
    costs = hedge.cost_rate * q * price
    account = grid.collateral + q * price - costs
    log_barrier = log_liquidation_price(account, q, tiers)

    # [issue6-venue] options hedge, venue failure and insurance, ADL (all off by default)
    options_on = options.active == 1
    venue_on = venue.active == 1
    extras_on = options_on or venue_on
    opt_units = 0.0
    put_k = 0.0
    call_k = 0.0
    expiry_step = -1
    option_premium = 0.0
    option_payoff = 0.0
    option_mark = 0.0
    if options_on:
        opt_units = options.size * x
        put_k = options.put_strike * price
        call_k = options.call_strike * price
        option_mark = opt_units * strip_value(price, put_k, call_k, options.tenor, options)
        option_premium = option_mark
        expiry_step = options.tenor_steps
    # the last exact mark of the strip held: value, price, sqrt of the time left (years)
    anchor_mark = option_mark
    anchor_price = price
    anchor_root = np.sqrt(options.tenor)
    pool_step = -1
    perp_step = -1
    if venue_on:
        pool_step = event_step(
            venue_draws[V_POOL_TIME], venue.pool_hazard, venue.step_years, venue.n_steps
        )
        perp_step = event_step(
            venue_draws[V_PERP_TIME], venue.perp_hazard, venue.step_years, venue.n_steps
        )
    pool_exploit_loss = 0.0
    perp_venue_loss = 0.0
    insurance_premium = 0.0
    insurance_payout = 0.0
    pool_exploited = False
    perp_failed = False
    adl_on = venue_on and venue.adl_probability > 0.0
    entry = price  # the short's average entry price (ADL eligibility)
    adl_events = 0
    adl_cascades = 0

    fees = 0.0
    funding = 0.0
    perp_pnl = 0.0
    liquidation_loss = 0.0
    liquidated = False
    liquidation_time = np.nan
    n_rebalances = 0
    # [issue6-lp] moves: the opening mint (and the opening trade) pay gas
    hedge_off = False  # True from a liquidation until a re-hedge
    rehedge_step = 0
    out_steps = 0
    gas = manage.gas_lp + (manage.gas_perp if q > 0.0 else 0.0)
    gas_unhedged = manage.gas_lp
    swap_costs = 0.0
    topped_up = 0.0
    swept = 0.0
    n_topups = 0
    n_sweeps = 0
    n_reranges = 0
    n_rehedges = 0
    n_liquidations = 0
    # the unhedged benchmark (all of K in the pool): its own L when margin moves change ours
    liquidity_u = liquidity
    value_u = value_lp
    x_u = x
    fees_u = 0.0

    wealth = value_lp + account - q * price - gas
    peak = max(grid.capital, wealth)
    # the maximum drawdown so far is dd_drop / dd_peak (the fall below the running peak and that
    # peak at the deepest step), compared by cross-multiplying (peaks are positive) and divided
    # once at the end: no division per step
    dd_drop = peak - wealth
    dd_peak = peak
    if keep:
        _record(record, i, 0, price, wealth, value_lp, account - q * price, q, f, regime)

    for first in range(0, grid.n_steps, DRAW_CHUNK):
        n_chunk = min(DRAW_CHUNK, grid.n_steps - first)
        market_now = market_chunk(
            state, first, n_chunk, market, funding_params, shocks, path, market_now
        )
        for j in range(n_chunk):
            k = first + j
            # 1.-2. the step's market (its draws were made with the chunk's)
            u_bridge = draws[j, D_BRIDGE]
            log_diffused = m_log_diffused[j]
            log_new = m_log_end[j]
            sqrt_new = m_sqrt_end[j]
            price_new = sqrt_new * sqrt_new

            # [issue6-venue] cover premia on the exposures at the step's start, until the venue fails
            if venue_on:
                if venue.pool_cover and not pool_exploited:
                    insurance_premium += venue.pool_premium_dt * value_lp
                if venue.perp_cover and not perp_failed:
                    insurance_premium += venue.perp_premium_dt * max(account - q * price, 0.0)

            # 2. liquidation over the step, with the hedge as it was: the diffusive leg by its end
            # (or its intrabar maximum), then the Brownian bridge, then the step's jumps
            liquidation_price = 0.0
            if q > 0.0:
                if m_log_top[j] >= log_barrier or bridge_crosses(
                    log_barrier, log_p, log_diffused, m_bridge_scale[j], u_bridge
                ):
                    liquidation_price = np.exp(log_barrier)
                elif log_new >= log_barrier:
                    liquidation_price = price_new

            # 3. mark to market, funding, margin
            mark = liquidation_price if liquidation_price > 0.0 else price_new
            perp_pnl += q * (price - mark)
            # [issue5-funding] OU state, its jumps, a forced rate; the rate paid from the state
            if from_data:  # [issue5-models] the rate drawn with the historical return
                f_state = m_funding_data[j]
            else:
                f_state = next_funding_to(
                    f_state, m_funding_mean[j], draws[j, D_PRICE], draws[j, D_FUNDING], market
                )
            if funding_jumps:
                f_state += m_funding_jump[j]
            f = funding_rate(f_state, funding_params)
            if shocked and not np.isnan(shock_funding[k]):
                f = shock_funding[k]
                if funding_resets:
                    f_state = f  # the OU state restarts from the forced rate
            settlements = funding_events[k]
            if settlements > 0 and q > 0.0 and liquidation_price == 0.0:
                payment = settlements * q * price_new * paid_rate(f, market.funding_cap)
                account += payment
                funding += payment
                if is_below_maintenance(account, q, price_new, tiers):
                    liquidation_price = price_new
                else:
                    log_barrier = log_liquidation_price(account, q, tiers)

            # 4. LP fees over the step, then revalue
            fees += range_fees(sqrt_p, sqrt_new, value_lp, liquidity, sqrt_lower, sqrt_upper, pool)
            x = amounts(sqrt_new, liquidity, sqrt_lower, sqrt_upper)[0]
            value_lp = position_value(sqrt_new, price_new, liquidity, sqrt_lower, sqrt_upper)
            if moves_liquidity:
                fees_u += range_fees(
                    sqrt_p, sqrt_new, value_u, liquidity_u, sqrt_lower, sqrt_upper, pool
                )
                x_u = amounts(sqrt_new, liquidity_u, sqrt_lower, sqrt_upper)[0]
                value_u = position_value(sqrt_new, price_new, liquidity_u, sqrt_lower, sqrt_upper)

            # [issue6-venue] a pool exploit in this step takes loss_fraction of the LP's liquidity
            # (and of the unhedged benchmark's: the same pool)
            if k == pool_step:
                liquidity *= 1.0 - venue.pool_loss
                loss = value_lp
                x = amounts(sqrt_new, liquidity, sqrt_lower, sqrt_upper)[0]
                value_lp = position_value(sqrt_new, price_new, liquidity, sqrt_lower, sqrt_upper)
                loss -= value_lp
                if moves_liquidity:
                    liquidity_u *= 1.0 - venue.pool_loss
                    x_u = amounts(sqrt_new, liquidity_u, sqrt_lower, sqrt_upper)[0]
                    value_u = position_value(
                        sqrt_new, price_new, liquidity_u, sqrt_lower, sqrt_upper
                    )
                pool_exploit_loss += loss
                insurance_payout += claim_paid(
                    loss,
                    venue.pool_cover,
                    venue.pool_payout,
                    venue.pool_approval,
                    venue_draws[V_POOL_CLAIM],
                )
                pool_exploited = True

            # [issue6-lp] 4b. re-range: withdraw, swap to the new range's composition, mint
            reranged = False
            if reranging:
                out_steps = out_steps + 1 if (sqrt_new < sqrt_lower or sqrt_new > sqrt_upper) else 0
                if out_steps >= manage.rerange_steps and liquidity > 0.0:
                    sqrt_lower, sqrt_upper, liquidity, cost = rerange_position(
                        value_lp, x * price_new, sqrt_new, manage
                    )
                    x = amounts(sqrt_new, liquidity, sqrt_lower, sqrt_upper)[0]
                    value_lp = position_value(
                        sqrt_new, price_new, liquidity, sqrt_lower, sqrt_upper
                    )
                    swap_costs += cost
                    gas += manage.gas_lp
                    if moves_liquidity:  # the unhedged benchmark re-ranges with us
                        _, _, liquidity_u, _ = rerange_position(
                            value_u, x_u * price_new, sqrt_new, manage
                        )
                        x_u = amounts(sqrt_new, liquidity_u, sqrt_lower, sqrt_upper)[0]
                        value_u = position_value(
                            sqrt_new, price_new, liquidity_u, sqrt_lower, sqrt_upper
                        )
                    gas_unhedged += manage.gas_lp
                    n_reranges += 1
                    out_steps = 0
                    reranged = True

            # 5. rebalancing policy (and, after a re-range, the hedge follows the new delta at once)
            check_margin = False
            if (
                (rebalancing or reranged)
                and not hedge_off
                and not perp_failed
                and liquidation_price == 0.0
            ):
                target = hedge.ratio * x
                if band_tested_without_target(hedge):
                    due = band_exceeded(q, sqrt_new, liquidity, sqrt_lower, sqrt_upper, hedge)
                else:
                    due = rebalance_due(q, target, rebalance_clock[k], hedge)
                if (reranged and q != target) or due:
                    traded = target - q
                    cost = hedge.cost_rate * abs(traded) * price_new
                    account += traded * price_new - cost
                    costs += cost
                    if adl_on and traded > 0.0:
                        entry = (q * entry + traded * price_new) / target
                    q = target
                    n_rebalances += 1
                    gas += manage.gas_perp
                    check_margin = True

            # [issue6-lp] 5b. margin top-up from the pool / sweep of the excess back to it
            if margin_managed and q > 0.0 and liquidation_price == 0.0:
                notional = q * price_new
                move = margin_move(account - notional, notional, manage)
                if move < 0.0 or (move > 0.0 and liquidity > 0.0):  # an empty pool funds nothing
                    liquidity, into_margin, cost = transfer_margin(
                        move, value_lp, liquidity, sqrt_new, sqrt_lower, sqrt_upper, swap_cost
                    )
                    x = amounts(sqrt_new, liquidity, sqrt_lower, sqrt_upper)[0]
                    value_lp = position_value(
                        sqrt_new, price_new, liquidity, sqrt_lower, sqrt_upper
                    )
                    account += into_margin
                    if into_margin > 0.0:
                        topped_up += into_margin
                        n_topups += 1
                    else:
                        swept -= into_margin
                        n_sweeps += 1
                    swap_costs += cost
                    gas += manage.gas_lp + manage.gas_perp
                    check_margin = True
            if check_margin:
                if is_below_maintenance(account, q, price_new, tiers):
                    liquidation_price = price_new
                else:
                    log_barrier = log_liquidation_price(account, q, tiers)

            if liquidation_price > 0.0:
                recovered = recovered_on_liquidation(account, q, liquidation_price, hedge.penalty)
                liquidation_loss += account - q * liquidation_price - recovered
                account = recovered
                q = 0.0
                log_barrier = np.inf
                if not liquidated:
                    liquidation_time = (k + 1) * grid.step_days
                liquidated = True
                hedge_off = True
                n_liquidations += 1
                rehedge_step = k + manage.rehedge_steps

            # [issue6-venue] auto-deleveraging: in a cascade step a short in profit against its
            # average entry is closed by the venue (at the step's price, no fee) with probability p
            if adl_on and q > 0.0 and log_new - log_p <= venue.adl_cascade and price_new < entry:
                adl_cascades += 1
                if uniform(side) <= venue.adl_probability:
                    account -= q * price_new
                    q = 0.0
                    log_barrier = np.inf
                    adl_events += 1

            # [issue6-venue] a perp-venue failure takes loss_fraction of the margin account's equity
            # and ends the short (closed at the step's price, no cost); no re-hedge after it
            if k == perp_step:
                equity = account - q * price_new
                loss = venue.perp_loss * max(equity, 0.0)
                account = equity - loss
                q = 0.0
                log_barrier = np.inf
                perp_venue_loss += loss
                insurance_payout += claim_paid(
                    loss,
                    venue.perp_cover,
                    venue.perp_payout,
                    venue.perp_approval,
                    venue_draws[V_PERP_CLAIM],
                )
                perp_failed = True

            # [issue6-lp] 5c. re-hedge once the cooldown has passed, new collateral from the pool
            # A venue refuses an order that would open at or below maintenance (possible with tiers,
            # at a notional in a higher bracket than the opening one): the hedge then stays off and
            # the re-hedge is tried again at the next step.
            if (
                rehedging
                and hedge_off
                and not perp_failed
                and k >= rehedge_step
                and x > 0.0
                and hedge.ratio * x * price_new * (manage.collateral_rate - hedge.cost_rate)
                > maintenance_margin(hedge.ratio * x, price_new, tiers)
            ):
                share = risky_share(sqrt_new, sqrt_lower, sqrt_upper)
                collateral = hedge.ratio * x * price_new * manage.collateral_rate
                gross = rehedge_withdrawal(collateral, account, value_lp, share, swap_cost)
                if gross > 0.0:
                    cost = swap_cost * share * gross
                    liquidity = liquidity * ((value_lp - gross) / value_lp)
                    x = amounts(sqrt_new, liquidity, sqrt_lower, sqrt_upper)[0]
                    value_lp = position_value(
                        sqrt_new, price_new, liquidity, sqrt_lower, sqrt_upper
                    )
                    account += gross - cost
                    topped_up += gross - cost
                    swap_costs += cost
                    gas += manage.gas_lp
                q = hedge.ratio * x
                cost = hedge.cost_rate * q * price_new
                account += q * price_new - cost
                costs += cost
                gas += manage.gas_perp
                n_rehedges += 1
                hedge_off = False
                entry = price_new
                log_barrier = log_liquidation_price(account, q, tiers)

            # [issue6-venue] option expiry (payoff in cash) and the roll's purchase at new strikes
            if options_on and k + 1 == expiry_step:
                option_payoff += opt_units * strip_payoff(price_new, put_k, call_k, options)
                opt_units = 0.0
                if options.roll == ROLL_AT_EXPIRY and k + 1 < grid.n_steps:
                    opt_units = options.size * x
                    put_k = options.put_strike * price_new
                    call_k = options.call_strike * price_new
                    anchor_mark = opt_units * strip_value(
                        price_new, put_k, call_k, options.tenor, options
                    )
                    option_premium += anchor_mark
                    anchor_price = price_new
                    anchor_root = np.sqrt(options.tenor)
                    expiry_step += options.tenor_steps

            # 6. running statistics
            log_p = log_new
            sqrt_p = sqrt_new
            price = price_new
            perp_equity = account - q * price
            wealth = value_lp + fees + perp_equity - gas
            w_known = True
            if extras_on:
                wealth += option_payoff - option_premium + insurance_payout - insurance_premium
                # [issue6-venue] the Black-76 mark of live options (about one model step per leg) is
                # only computed when W can matter: at the horizon, on the observation grid of a kept
                # path, or when bounds on the mark allow a new peak or a new maximum drawdown
                option_mark = 0.0
                if opt_units > 0.0:
                    left = (expiry_step - k - 1) * options.step_years
                    root = np.sqrt(left)
                    w_known = k + 1 == grid.n_steps or (keep and observe_index[k] >= 0)
                    if not w_known:
                        low, high = mark_bounds(
                            price,
                            root,
                            opt_units,
                            put_k,
                            call_k,
                            anchor_mark,
                            anchor_price,
                            anchor_root,
                            options,
                        )
                        slack = 1e-9 * abs(peak)
                        w_known = (
                            wealth + high + slack > peak
                            or (peak - (wealth + low - slack)) * dd_peak > dd_drop * peak
                        )
                    if w_known:
                        option_mark = opt_units * strip_value(price, put_k, call_k, left, options)
                        anchor_mark = option_mark
                        anchor_price = price
                        anchor_root = root
                        wealth += option_mark
            if w_known:
                peak = max(peak, wealth)
                if (peak - wealth) * dd_peak > dd_drop * peak:
                    dd_drop = peak - wealth
                    dd_peak = peak
            if keep:
                slot = observe_index[k]
                if slot >= 0:
                    _record(
                        record, i, slot, price, wealth, value_lp, perp_equity, q, f, m_regime[j]
                    )

    if not moves_liquidity:
        value_u = value_lp
        fees_u = fees
    out.pnl[i] = wealth - grid.capital
    out.final_value[i] = wealth
    out.lp_value[i] = value_lp
    # [issue6-lp] the LP side beyond HODL: transfers to the margin and swap costs added back
    out.il[i] = (
        value_lp
        - (pool.x0 * price + pool.y0)
        + (topped_up - swept)
        + swap_costs
        + pool_exploit_loss  # [issue6-venue] the exploit is its own part
    )
    out.fees[i] = fees
    out.funding[i] = funding
    out.trading_costs[i] = costs
    out.perp_pnl[i] = perp_pnl
    out.liquidation_loss[i] = liquidation_loss
    out.liquidated[i] = liquidated
    out.liquidation_time[i] = liquidation_time
    out.max_drawdown[i] = dd_drop / dd_peak
    out.n_rebalances[i] = n_rebalances
    out.final_price[i] = price
    out.final_hedge[i] = q
    out.stressed_share[i] = market_now.stressed_steps / grid.n_steps
    # all of K in the pool, unhedged, on the same paths (LP value and fees are linear in L; gas
    # is per operation: the opening mint and the re-ranges)
    scale = grid.capital / pool.value0
    out.unhedged_pnl[i] = scale * ((value_u - pool.value0) + fees_u) - gas_unhedged
    out.gas[i] = gas
    out.swap_costs[i] = swap_costs
    out.topped_up[i] = topped_up
    out.swept[i] = swept
    out.n_topups[i] = n_topups
    out.n_sweeps[i] = n_sweeps
    out.n_reranges[i] = n_reranges
    out.n_rehedges[i] = n_rehedges
    out.n_liquidations[i] = n_liquidations
    out.option_premium[i] = option_premium
    out.option_payoff[i] = option_payoff
    out.option_value[i] = option_mark
    out.pool_exploit_loss[i] = pool_exploit_loss
    out.perp_venue_loss[i] = perp_venue_loss
    out.insurance_premium[i] = insurance_premium
    out.insurance_payout[i] = insurance_payout
    out.pool_exploited[i] = pool_exploited
    out.perp_venue_failed[i] = perp_failed
    out.adl_events[i] = adl_events
    out.adl_cascades[i] = adl_cascades

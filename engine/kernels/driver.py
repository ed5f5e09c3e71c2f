"""The path driver: composes the market, LP, perp and statistics kernels, step by step.

One call simulates a block of consecutive paths. Each path draws from its own stream (seed, global
path index), so a block's results do not depend on which other paths share its block. Per step, in
the order of MODEL.md §6:

1. draw the step's numbers, always, whatever happens, in the model's fixed order
   (`engine.kernels.draws`: GBM z_price, z_funding, [u_jump, z_jump when Merton], [u_fjump,
   z_fjump when funding jumps], u_bridge; the other price models likewise, with the funding
   jumps' pair just before u_bridge);
2. move the price (the model's step, then the step's shocks, then its jumps); test liquidation
   over the step with the hedge as it was: the diffusive leg by its endpoint (or, for historical
   steps, its intrabar maximum) and the Brownian bridge with the step's own variance (executes at
   P_liq), then a jump through the barrier (executes at the post-jump price);
3. mark the perp to market; step the funding state (OU, its jumps, a forced rate) and its rate;
   settle funding on funding times; re-check margin;
4. accrue LP fees on the step; revalue the LP;
   4b. re-range a v3 position that has been out of range long enough (the hedge follows the new
       delta at once in 5);
5. apply the rebalancing policy (trading costs);
   5b. top up the margin from the pool, or sweep its excess back; re-check margin;
   5c. after the liquidation is executed: re-hedge once the cooldown has passed;
6. update portfolio value W, its running peak and the maximum drawdown.
A liquidation flagged in 2, 3 or 5 is executed once, at the end of the step's trading (after 5b).

Options, venue failure and insurance, each off by default: cover premia accrue on the exposures
at the step's start; a pool exploit applies after 4 (the moves of 4b-5 see the smaller position);
after the liquidation: auto-deleveraging, a perp-venue failure (no re-hedge after it), then an
option expiry (payoff, and the roll's purchase). The venue's uniforms come from the path's side
stream (`kernels/venue.py`). Live options are marked lazily in 6.

The path function below holds the step order and the position's and the perp's state; each
instrument keeps its own state in a small NamedTuple (`options.OptionState`,
`venue.VenueState`, `management.ManagementState`, the LP's `lp.Position`) and its work in hooks
of its own module -- start (at t = 0), step (at its fixed point of the order above) and outputs
(at the horizon) -- inlined (`inline="always"`), so the compiled loop is the one written out.

The market (draws, price, funding rate: steps 1-3 without the position) does not depend on the
position, so it is advanced a chunk of DRAW_CHUNK steps ahead (`engine.kernels.marketpath`, draws
from `engine.kernels.draws`) and the loop below walks the position through the chunk; see
docs/model-notes.md, "General kernel: the market a chunk ahead". Nothing of size paths x steps is
stored: per path only the final summaries (`layout.PathOutputs`), the chunk's scratch arrays,
and, for the first `record.shape[0]` paths of the block, the state on the observation grid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from engine.kernels.draws import D_BRIDGE, D_FUNDING, D_PRICE, DRAW_CHUNK
from engine.kernels.funding import FUNDING_CONSTANT, funding_rate
from engine.kernels.layout import write_path_outputs, write_record
from engine.kernels.lp import Position, accrue_and_revalue, amounts
from engine.kernels.management import (
    AFTER_LIQUIDATION_REHEDGE,
    can_rehedge,
    move_margin,
    pay_gas,
    rehedge,
    rerange_step,
    start_management,
    write_management_outputs,
)
from engine.kernels.market import next_funding_to, paid_rate
from engine.kernels.marketpath import market_chunk, market_path, market_start
from engine.kernels.options import (
    expire_options,
    mark_options,
    start_options,
    write_option_outputs,
)
from engine.kernels.perp import (
    POLICY_NONE,
    band_exceeded,
    band_tested_without_target,
    is_below_maintenance,
    liquidate,
    liquidation_over_step,
    log_liquidation_price,
    open_short,
    rebalance_due,
    trade_to,
)
from engine.kernels.rng import seed_stream
from engine.kernels.venue import (
    N_VENUE_DRAWS,
    deleverage,
    draw_venue,
    exploit_pool,
    fail_perp,
    start_venue,
    venue_premia,
    write_venue_outputs,
)


class Switches(NamedTuple):
    """Which parts of the model a scenario switches on: constants of the run, tested in the step."""

    from_data: bool  # the funding rate is the data's, drawn with the historical return
    funding_jumps: bool  # the funding state jumps
    funding_resets: bool  # a forced funding rate restarts the funding state
    shocked: bool  # some steps force the funding rate
    rebalancing: bool  # a rebalancing policy
    margin_managed: bool  # margin top-ups from the pool or sweeps back
    rehedging: bool  # re-hedge after a liquidation
    moves_liquidity: bool  # the position's L moves (the unhedged benchmark keeps its own)
    reranging: bool  # a v3 range is re-centred when the price leaves it
    venue_on: bool  # venue failures, cover or ADL
    extras_on: bool  # options or venue cash in W
    adl_on: bool  # auto-deleveraging


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def switches(inputs):  # pragma: no cover - compiled
    """The `Switches` of the scenario whose kernel inputs are `inputs`."""
    manage = inputs.manage
    venue = inputs.venue
    margin_managed = manage.topup_below > -np.inf or manage.sweep_above < np.inf
    rehedging = manage.after_liquidation == AFTER_LIQUIDATION_REHEDGE
    venue_on = venue.active == 1
    return Switches(
        inputs.market.history.from_data,
        inputs.funding.jumps,
        inputs.funding.kind != FUNDING_CONSTANT,
        inputs.shocks.forced_funding.shape[0] > 0,
        inputs.hedge.policy != POLICY_NONE,
        margin_managed,
        rehedging,
        margin_managed or rehedging,
        manage.rerange_steps > 0,
        venue_on,
        inputs.options.active == 1 or venue_on,
        venue_on and venue.adl_probability > 0.0,
    )


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _rebalance_target(q, pos, sqrt_p, clock, reranged, hedge):  # pragma: no cover - compiled
    """Step 5's policy: (the target h x, whether the short trades to it now; after a re-range it
    follows the new delta at once)."""
    target = hedge.ratio * pos.x
    if band_tested_without_target(hedge):
        due = band_exceeded(q, sqrt_p, pos.liquidity, pos.sqrt_lower, pos.sqrt_upper, hedge)
    else:
        due = rebalance_due(q, target, clock, hedge)
    return target, (reranged and q != target) or due


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _write_outputs(
    out,
    i,
    pool,
    grid,
    on,
    wealth,
    price,
    q,
    pos,
    unhedged,
    fees,
    fees_u,
    funding,
    costs,
    perp_pnl,
    liquidation_loss,
    liquidation_time,
    n_rebalances,
    n_liquidations,
    max_drawdown,
    stressed_steps,
    moves,
    ven,
    opt,
):  # pragma: no cover - compiled
    """Path i's outputs (MODEL.md §7) at the horizon, from its final state and totals."""
    if not on.moves_liquidity:
        unhedged = pos
        fees_u = fees
    write_path_outputs(
        out,
        i,
        pool,
        grid,
        wealth,
        price,
        q,
        pos.value_lp,
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
        unhedged.value_lp,
        fees_u,
        moves.gas_unhedged,
        moves.topped_up - moves.swept,
        moves.swap_costs,
        ven.pool_exploit_loss,
    )
    write_management_outputs(out, i, moves)
    write_option_outputs(out, i, opt)
    write_venue_outputs(out, i, ven)


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block(inputs, seed, first_path, out, record):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 of the scenario whose kernel
    inputs (`engine.inputs.KernelInputs`) are `inputs` into `out` (and `record`)."""
    state = np.empty(4, np.uint64)
    path = market_path()
    side = np.empty(4, np.uint64)
    venue_draws = np.ones(N_VENUE_DRAWS)
    on = switches(inputs)
    for i in range(out.pnl.shape[0]):
        seed_stream(state, seed, first_path + i)
        if on.venue_on:
            draw_venue(side, seed, first_path + i, venue_draws)
        _simulate_path(state, path, inputs, on, venue_draws, side, out, i, record)


@njit(nogil=True, cache=True, error_model="numpy")
def _simulate_path(
    state, path, inputs, on, venue_draws, side, out, i, record
):  # pragma: no cover - compiled
    market = inputs.market
    pool = inputs.pool
    hedge = inputs.hedge
    grid = inputs.grid
    manage = inputs.manage
    funding_params = inputs.funding
    venue = inputs.venue
    keep = i < record.shape[0]
    # the market's path a chunk of steps ahead (marketpath), its arrays hoisted out of the tuple
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
    m_regime = path.regime
    # arrays taken out of the parameter tuples once, so the loop holds no reference counting
    shock_funding = inputs.shocks.forced_funding
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index
    tiers = hedge.tiers

    log_p = market_now.log_p
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    f_state = market.funding_initial  # the OU state: the rate (ou) or the premium (premium)
    f = funding_rate(f_state, funding_params)

    x = amounts(sqrt_p, pool.liquidity, pool.sqrt_lower, pool.sqrt_upper)[0]
    pos = Position(pool.liquidity, pool.sqrt_lower, pool.sqrt_upper, x, pool.value0)
    # the unhedged benchmark (all of K in the pool): its own L when margin moves change ours
    unhedged = pos
    q, costs, account, log_barrier = open_short(x, price, grid.collateral, hedge)
    entry = price  # the short's average entry price (ADL eligibility)

    # options hedge, venue failure and insurance, ADL, pool <-> perp moves (all off by default)
    opt = start_options(x, price, inputs.options)
    ven = start_venue(venue, venue_draws)
    moves = start_management(q, manage)

    fees = fees_u = funding = perp_pnl = liquidation_loss = 0.0
    n_rebalances = n_liquidations = rehedge_step = 0
    liquidation_time = np.nan
    hedge_off = False  # True from a liquidation until a re-hedge

    wealth = pos.value_lp + account - q * price - moves.gas
    peak = max(grid.capital, wealth)
    # the maximum drawdown so far is dd_drop / dd_peak (the fall below the running peak and that
    # peak at the deepest step), compared by cross-multiplying (peaks are positive) and divided
    # once at the end: no division per step
    dd_drop = peak - wealth
    dd_peak = peak
    if keep:
        write_record(
            record, i, 0, price, wealth, pos.value_lp, account - q * price, q, f, market_now.regime
        )

    for first in range(0, grid.n_steps, DRAW_CHUNK):
        n_chunk = min(DRAW_CHUNK, grid.n_steps - first)
        market_now = market_chunk(
            state, first, n_chunk, market, funding_params, inputs.shocks, path, market_now
        )
        for j in range(n_chunk):
            k = first + j
            # 1.-2. the step's market (its draws were made with the chunk's)
            log_new = m_log_end[j]
            sqrt_new = m_sqrt_end[j]
            price_new = sqrt_new * sqrt_new

            if on.venue_on:  # cover premia on the exposures at the step's start
                ven = venue_premia(ven, pos.value_lp, account - q * price, venue)

            # 2. liquidation over the step with the hedge as it was (the leg, the bridge, the jumps)
            liquidation_price = 0.0
            if q > 0.0:
                liquidation_price = liquidation_over_step(
                    log_barrier,
                    log_p,
                    m_log_diffused[j],
                    m_log_top[j],
                    log_new,
                    price_new,
                    m_bridge_scale[j],
                    draws[j, D_BRIDGE],
                )

            # 3. mark to market, funding (the OU state, its jumps, a forced rate), margin
            mark = liquidation_price if liquidation_price > 0.0 else price_new
            perp_pnl += q * (price - mark)
            if on.from_data:  # the rate drawn with the historical return
                f_state = m_funding_data[j]
            else:
                f_state = next_funding_to(
                    f_state, m_funding_mean[j], draws[j, D_PRICE], draws[j, D_FUNDING], market
                )
            if on.funding_jumps:
                f_state += m_funding_jump[j]
            f = funding_rate(f_state, funding_params)
            if on.shocked and not np.isnan(shock_funding[k]):
                f = shock_funding[k]
                if on.funding_resets:
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
            pos, fees = accrue_and_revalue(pos, fees, sqrt_p, sqrt_new, price_new, pool)
            if on.moves_liquidity:  # the unhedged benchmark, on the same range
                unhedged, fees_u = accrue_and_revalue(
                    unhedged, fees_u, sqrt_p, sqrt_new, price_new, pool
                )
            if k == ven.pool_step:  # a pool exploit (the moves below see the smaller position)
                ven, pos, unhedged = exploit_pool(
                    ven, pos, unhedged, on.moves_liquidity, sqrt_new, price_new, venue
                )

            # 4b. re-range: withdraw, swap to the new range's composition, mint
            reranged = False
            if on.reranging:
                moves, pos, unhedged, reranged = rerange_step(
                    moves, pos, unhedged, on.moves_liquidity, sqrt_new, price_new, manage
                )

            # 5. rebalancing policy (and, after a re-range, the hedge follows the new delta at once)
            check_margin = False
            hedge_held = not hedge_off and not ven.perp_failed and liquidation_price == 0.0
            if (on.rebalancing or reranged) and hedge_held:
                target, trades = _rebalance_target(
                    q, pos, sqrt_new, rebalance_clock[k], reranged, hedge
                )
                if trades:
                    if on.adl_on and target - q > 0.0:
                        entry = (q * entry + (target - q) * price_new) / target
                    account, cost = trade_to(account, q, target, price_new, hedge.cost_rate)
                    costs += cost
                    q = target
                    n_rebalances += 1
                    moves = pay_gas(moves, manage.gas_perp)
                    check_margin = True

            # 5b. margin top-up from the pool / sweep of the excess back to it
            if on.margin_managed and q > 0.0 and liquidation_price == 0.0:
                moves, pos, account, moved = move_margin(
                    moves, pos, account, q, sqrt_new, price_new, manage
                )
                check_margin = check_margin or moved
            if check_margin:
                if is_below_maintenance(account, q, price_new, tiers):
                    liquidation_price = price_new
                else:
                    log_barrier = log_liquidation_price(account, q, tiers)

            if liquidation_price > 0.0:
                account, loss = liquidate(account, q, liquidation_price, hedge.penalty)
                liquidation_loss += loss
                q = 0.0
                log_barrier = np.inf
                if n_liquidations == 0:
                    liquidation_time = (k + 1) * grid.step_days
                n_liquidations += 1
                hedge_off = True
                rehedge_step = k + manage.rehedge_steps

            # auto-deleveraging in a cascade step of a short in profit, then a perp-venue failure
            if on.adl_on and q > 0.0 and log_new - log_p <= venue.adl_cascade and price_new < entry:
                ven, account, q = deleverage(ven, account, q, price_new, venue, side)
                log_barrier = np.inf if q == 0.0 else log_barrier
            if k == ven.perp_step:  # no re-hedge after it
                ven, account = fail_perp(ven, account, q, price_new, venue)
                q, log_barrier = 0.0, np.inf

            # 5c. re-hedge once the cooldown has passed, new collateral from the pool
            if on.rehedging and hedge_off and not ven.perp_failed and k >= rehedge_step:
                if can_rehedge(pos.x, price_new, hedge, manage):
                    moves, pos, account, q, cost = rehedge(
                        moves, pos, account, sqrt_new, price_new, hedge, manage
                    )
                    costs += cost
                    hedge_off = False
                    entry = price_new
                    log_barrier = log_liquidation_price(account, q, tiers)

            # option expiry (payoff in cash) and the roll's purchase at new strikes
            if k + 1 == opt.expiry_step:
                opt = expire_options(opt, k, price_new, pos.x, grid.n_steps, inputs.options)

            # 6. running statistics
            log_p, sqrt_p, price = log_new, sqrt_new, price_new
            perp_equity = account - q * price
            wealth = pos.value_lp + fees + perp_equity - moves.gas
            w_known = True
            if on.extras_on:
                wealth += opt.payoff - opt.premium + ven.insurance_payout - ven.insurance_premium
                must_mark = k + 1 == grid.n_steps or (keep and observe_index[k] >= 0)
                opt, wealth, w_known = mark_options(
                    opt, k, price, wealth, peak, dd_peak, dd_drop, must_mark, inputs.options
                )
            if w_known:
                peak = max(peak, wealth)
                if (peak - wealth) * dd_peak > dd_drop * peak:
                    dd_drop = peak - wealth
                    dd_peak = peak
            if keep and observe_index[k] >= 0:
                slot = observe_index[k]
                write_record(
                    record, i, slot, price, wealth, pos.value_lp, perp_equity, q, f, m_regime[j]
                )

    _write_outputs(
        out,
        i,
        pool,
        grid,
        on,
        wealth,
        price,
        q,
        pos,
        unhedged,
        fees,
        fees_u,
        funding,
        costs,
        perp_pnl,
        liquidation_loss,
        liquidation_time,
        n_rebalances,
        n_liquidations,
        dd_drop / dd_peak,
        market_now.stressed_steps,
        moves,
        ven,
        opt,
    )

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

import numpy as np
from numba import njit

from engine.kernels.draws import D_BRIDGE, D_FUNDING, D_PRICE, DRAW_CHUNK
from engine.kernels.funding import FUNDING_CONSTANT, funding_rate
from engine.kernels.layout import write_record
from engine.kernels.lp import Position, amounts, position_at, range_fees
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
    bridge_crosses,
    is_below_maintenance,
    log_liquidation_price,
    rebalance_due,
    recovered_on_liquidation,
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


@njit(nogil=True, cache=True, error_model="numpy")
def simulate_block(inputs, seed, first_path, out, record):  # pragma: no cover - compiled
    """Simulate paths first_path .. first_path + len(out.pnl) - 1 of the scenario whose kernel
    inputs (`engine.params.KernelInputs`) are `inputs` into `out` (and `record`)."""
    state = np.empty(4, np.uint64)
    path = market_path()
    side = np.empty(4, np.uint64)
    venue_draws = np.ones(N_VENUE_DRAWS)
    venue_on = inputs.venue.active
    for i in range(out.pnl.shape[0]):
        seed_stream(state, seed, first_path + i)
        if venue_on:
            draw_venue(side, seed, first_path + i, venue_draws)
        _simulate_path(state, path, inputs, venue_draws, side, out, i, record)


@njit(nogil=True, cache=True, error_model="numpy")
def _simulate_path(
    state, path, inputs, venue_draws, side, out, i, record
):  # pragma: no cover - compiled
    market = inputs.market
    pool = inputs.pool
    hedge = inputs.hedge
    grid = inputs.grid
    manage = inputs.manage
    funding_params = inputs.funding
    options = inputs.options
    venue = inputs.venue
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
    m_regime = path.regime
    from_data = market.history.from_data
    funding_jumps = funding_params.jumps
    funding_resets = funding_params.kind != FUNDING_CONSTANT  # a forced rate restarts the state
    shock_funding = inputs.shocks.forced_funding
    shocked = shock_funding.shape[0] > 0
    rebalancing = hedge.policy != POLICY_NONE
    # arrays taken out of the parameter tuples once, so the loop holds no reference counting
    funding_events = grid.funding_events
    rebalance_clock = grid.rebalance_clock
    observe_index = grid.observe_index
    tiers = hedge.tiers
    # which moves of the position (its L and range are path state) are on
    margin_managed = manage.topup_below > -np.inf or manage.sweep_above < np.inf
    rehedging = manage.after_liquidation == AFTER_LIQUIDATION_REHEDGE
    moves_liquidity = margin_managed or rehedging
    reranging = manage.rerange_steps > 0

    log_p = market_now.log_p
    sqrt_p = np.sqrt(market.spot)
    price = market.spot
    f_state = market.funding_initial  # the OU state: the rate (ou) or the premium (premium)
    f = funding_rate(f_state, funding_params)

    x = amounts(sqrt_p, pool.liquidity, pool.sqrt_lower, pool.sqrt_upper)[0]
    pos = Position(pool.liquidity, pool.sqrt_lower, pool.sqrt_upper, x, pool.value0)
    # the unhedged benchmark (all of K in the pool): its own L when margin moves change ours
    unhedged = pos
    fees_u = 0.0
    q = hedge.ratio * x
    costs = hedge.cost_rate * q * price
    account = grid.collateral + q * price - costs
    log_barrier = log_liquidation_price(account, q, tiers)
    entry = price  # the short's average entry price (ADL eligibility)

    # options hedge, venue failure and insurance, ADL, pool <-> perp moves (all off by default)
    venue_on = venue.active == 1
    extras_on = options.active == 1 or venue_on
    adl_on = venue_on and venue.adl_probability > 0.0
    opt = start_options(x, price, options)
    ven = start_venue(venue, venue_draws)
    moves = start_management(q, manage)

    fees = 0.0
    funding = 0.0
    perp_pnl = 0.0
    liquidation_loss = 0.0
    liquidated = False
    liquidation_time = np.nan
    n_rebalances = 0
    n_liquidations = 0
    hedge_off = False  # True from a liquidation until a re-hedge
    rehedge_step = 0

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
            log_diffused = m_log_diffused[j]
            log_new = m_log_end[j]
            sqrt_new = m_sqrt_end[j]
            price_new = sqrt_new * sqrt_new

            if venue_on:  # cover premia on the exposures at the step's start
                ven = venue_premia(ven, pos.value_lp, account - q * price, venue)

            # 2. liquidation over the step, with the hedge as it was: the diffusive leg by its end
            # (or its intrabar maximum), then the Brownian bridge, then the step's jumps
            liquidation_price = 0.0
            if q > 0.0:
                if m_log_top[j] >= log_barrier or bridge_crosses(
                    log_barrier, log_p, log_diffused, m_bridge_scale[j], draws[j, D_BRIDGE]
                ):
                    liquidation_price = np.exp(log_barrier)
                elif log_new >= log_barrier:
                    liquidation_price = price_new

            # 3. mark to market, funding (the OU state, its jumps, a forced rate), margin
            mark = liquidation_price if liquidation_price > 0.0 else price_new
            perp_pnl += q * (price - mark)
            if from_data:  # the rate drawn with the historical return
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
            fees += range_fees(
                sqrt_p, sqrt_new, pos.value_lp, pos.liquidity, pos.sqrt_lower, pos.sqrt_upper, pool
            )
            pos = position_at(pos.liquidity, pos.sqrt_lower, pos.sqrt_upper, sqrt_new, price_new)
            if moves_liquidity:
                fees_u += range_fees(
                    sqrt_p,
                    sqrt_new,
                    unhedged.value_lp,
                    unhedged.liquidity,
                    pos.sqrt_lower,
                    pos.sqrt_upper,
                    pool,
                )
                unhedged = position_at(
                    unhedged.liquidity, pos.sqrt_lower, pos.sqrt_upper, sqrt_new, price_new
                )
            if k == ven.pool_step:  # a pool exploit (the moves below see the smaller position)
                ven, pos, unhedged = exploit_pool(
                    ven, pos, unhedged, moves_liquidity, sqrt_new, price_new, venue, venue_draws
                )

            # 4b. re-range: withdraw, swap to the new range's composition, mint
            reranged = False
            if reranging:
                moves, pos, unhedged, reranged = rerange_step(
                    moves, pos, unhedged, moves_liquidity, sqrt_new, price_new, manage
                )

            # 5. rebalancing policy (and, after a re-range, the hedge follows the new delta at once)
            check_margin = False
            if (
                (rebalancing or reranged)
                and not hedge_off
                and not ven.perp_failed
                and liquidation_price == 0.0
            ):
                target = hedge.ratio * pos.x
                if band_tested_without_target(hedge):
                    due = band_exceeded(
                        q, sqrt_new, pos.liquidity, pos.sqrt_lower, pos.sqrt_upper, hedge
                    )
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
                    moves = pay_gas(moves, manage.gas_perp)
                    check_margin = True

            # 5b. margin top-up from the pool / sweep of the excess back to it
            if margin_managed and q > 0.0 and liquidation_price == 0.0:
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

            # auto-deleveraging: in a cascade step a short in profit against its average entry
            if adl_on and q > 0.0 and log_new - log_p <= venue.adl_cascade and price_new < entry:
                ven, account, q = deleverage(ven, account, q, price_new, venue, side)
                if q == 0.0:
                    log_barrier = np.inf

            if k == ven.perp_step:  # a perp-venue failure ends the short; no re-hedge after it
                ven, account = fail_perp(ven, account, q, price_new, venue, venue_draws)
                q = 0.0
                log_barrier = np.inf

            # 5c. re-hedge once the cooldown has passed, new collateral from the pool
            if (
                rehedging
                and hedge_off
                and not ven.perp_failed
                and k >= rehedge_step
                and can_rehedge(pos.x, price_new, hedge, manage)
            ):
                moves, pos, account, q, cost = rehedge(
                    moves, pos, account, sqrt_new, price_new, hedge, manage
                )
                costs += cost
                hedge_off = False
                entry = price_new
                log_barrier = log_liquidation_price(account, q, tiers)

            # option expiry (payoff in cash) and the roll's purchase at new strikes
            if k + 1 == opt.expiry_step:
                opt = expire_options(opt, k, price_new, pos.x, grid.n_steps, options)

            # 6. running statistics
            log_p = log_new
            sqrt_p = sqrt_new
            price = price_new
            perp_equity = account - q * price
            wealth = pos.value_lp + fees + perp_equity - moves.gas
            w_known = True
            if extras_on:
                wealth += opt.payoff - opt.premium + ven.insurance_payout - ven.insurance_premium
                must_mark = k + 1 == grid.n_steps or (keep and observe_index[k] >= 0)
                opt, wealth, w_known = mark_options(
                    opt, k, price, wealth, peak, dd_peak, dd_drop, must_mark, options
                )
            if w_known:
                peak = max(peak, wealth)
                if (peak - wealth) * dd_peak > dd_drop * peak:
                    dd_drop = peak - wealth
                    dd_peak = peak
            if keep:
                slot = observe_index[k]
                if slot >= 0:
                    write_record(
                        record, i, slot, price, wealth, pos.value_lp, perp_equity, q, f, m_regime[j]
                    )

    if not moves_liquidity:
        unhedged = pos
        fees_u = fees
    out.pnl[i] = wealth - grid.capital
    out.final_value[i] = wealth
    out.lp_value[i] = pos.value_lp
    # the LP side beyond HODL: transfers to the margin and swap costs added back, the exploit is
    # its own part
    out.il[i] = (
        pos.value_lp
        - (pool.x0 * price + pool.y0)
        + (moves.topped_up - moves.swept)
        + moves.swap_costs
        + ven.pool_exploit_loss
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
    out.unhedged_pnl[i] = scale * ((unhedged.value_lp - pool.value0) + fees_u) - moves.gas_unhedged
    out.n_liquidations[i] = n_liquidations
    write_management_outputs(out, i, moves)
    write_option_outputs(out, i, opt)
    write_venue_outputs(out, i, ven)

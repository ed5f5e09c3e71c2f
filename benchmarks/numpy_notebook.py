"""The default scenario's model as a quant writes it in a notebook: plain vectorised numpy.

This is the program the engine's numpy target refers to ("a plain vectorised numpy implementation of
the default model ... all paths at once, loop over steps, what a quant would write in a notebook").
All paths are held at once as arrays; a Python loop runs over the time steps; the random numbers
come from `numpy.random.default_rng`; each step is written with the model's natural array
expressions, in MODEL.md's terms:

- the log-price steps exactly, `ln P += (mu - sigma^2/2) dt + sigma sqrt(dt) z`, then `P = exp(ln P)`;
- the LP is valued as `V = 2 L sqrt(P)`, its delta `x = L / sqrt(P)`;
- liquidation over the step: the endpoint at or above the liquidation price, or the Brownian bridge
  crossing it, tested with a uniform `u < exp(-2 ln(H/P_k) ln(H/P_k+1) / (sigma^2 dt))` (MODEL.md §5);
- the funding rate's exact OU step, settled (capped) on funding times, margin re-checked;
- band (or periodic) rebalancing of the paths that are due, found with a mask;
- the portfolio value, its running peak and the maximum drawdown.

Temporaries are allowed (`a = b * c + d` allocates), as in any notebook. What it deliberately does
not do is hand-tune numpy: no `out=` buffers, no change of variables to avoid `exp`/`sqrt`, no
exponential draws in place of `u` and `exp`. Those are the tuned program, `benchmarks/numpy_model.py`,
kept beside this one (the engine is timed against both). Like any competent vectorised code it does
no per-path Python loop, keeps the liquidation price's logarithm between the moments it changes
(funding settlements and trades) instead of recomputing it every step, and treats the rare events
(liquidations, trades) on the paths concerned only.

Same model, discretisation and scenario-derived constants as the engine and as the tuned program
(capital split, exact OU loads, settlement clock: `numpy_model.constants`), same order of operations
in a step (MODEL.md §6), same outputs. Its random numbers are numpy's (PCG64), not the engine's
per-path xoshiro streams, so it is checked against the engine by statistics
(`numpy_model.compare_statistics`).
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.numpy_model import HOURS_PER_YEAR, Constants, constants, path_outputs
from engine.scenario import Scenario


def simulate(
    scenario: Scenario, n_paths: int, seed: int, consts: Constants | None = None
) -> dict[str, np.ndarray]:
    """Simulate n_paths paths of the scenario with numpy.random.default_rng(seed); per-path
    outputs named as the engine's (MODEL.md §7). Money in quote units, times in days."""
    c = constants(scenario) if consts is None else consts  # ValueError if unsupported
    n = int(n_paths)
    rng = np.random.default_rng(seed)

    dt = scenario.step_hours / HOURS_PER_YEAR
    mu, sigma = scenario.market.price.drift, scenario.market.price.vol
    drift = (mu - 0.5 * sigma**2) * dt  # of ln P, per step
    diffusion = sigma * math.sqrt(dt)
    step_var = sigma**2 * dt  # the step's diffusive log-variance (bridge test)
    m1 = 1.0 + c.maintenance  # liquidated when E <= m q P, i.e. account <= (1 + m) q P
    L = c.liquidity  # v2: V = 2 L sqrt(P), x = L / sqrt(P)

    # state, one entry per path
    log_p = np.full(n, math.log(c.spot))
    price = np.full(n, c.spot)
    lp_value = np.full(n, c.lp_value0)
    rate = np.full(n, c.funding_initial)  # funding rate per interval
    q = np.full(n, c.q0)  # short size, units
    account = np.full(n, c.account0)  # margin cash + q entry: perp equity = account - q P
    fees = np.zeros(n)
    funding = np.zeros(n)
    costs = np.full(n, c.opening_cost)
    liq_loss = np.zeros(n)
    n_rebalances = np.zeros(n, np.int64)
    liquidated = np.zeros(n, bool)
    liq_time = np.full(n, np.nan)
    # ln of the liquidation price account / ((1 + m) q); +inf without a short
    log_liq = np.full(n, math.log(c.account0 / (m1 * c.q0)) if c.q0 > 0 else math.inf)
    wealth0 = c.lp_value0 + c.account0 - c.q0 * c.spot
    peak = np.full(n, max(c.capital, wealth0))
    max_dd = np.full(n, 1.0 - wealth0 / peak[0])

    def liquidate(i: np.ndarray, exec_price: np.ndarray, k: int) -> None:
        """Close the short of paths i at exec_price: the trader keeps max(E - penalty q P, 0)."""
        equity = account[i] - q[i] * exec_price
        recovered = np.maximum(equity - c.penalty * q[i] * exec_price, 0.0)
        liq_loss[i] += equity - recovered
        account[i] = recovered
        q[i] = 0.0
        log_liq[i] = np.inf
        liquidated[i] = True
        liq_time[i] = (k + 1) * c.step_days

    for k in range(c.n_steps):
        # 1. the step's random numbers, always, for every path
        z_price, z_funding = rng.standard_normal((2, n))
        u = rng.random(n)

        # 4 (left point). APR fees on the position held over the step
        fees += c.fee_rate * lp_value

        # 2. price step; liquidation over the step with the hedge as it was
        log_p_new = log_p + drift + diffusion * z_price
        a = log_liq - log_p  # > 0 on every hedged path, inf on the others
        b = log_liq - log_p_new
        endpoint = b <= 0.0
        bridge = u < np.exp(-2.0 * a * np.maximum(b, 0.0) / step_var)
        log_p = log_p_new
        price = np.exp(log_p)
        hit = endpoint | bridge
        if hit.any():
            i = np.flatnonzero(hit)
            liquidate(i, account[i] / (m1 * q[i]), k)  # at the liquidation price

        # 3. funding: exact OU step; settlement at the capped end-of-step rate; margin re-check
        rate = (
            c.funding_mean
            + c.funding_decay * (rate - c.funding_mean)
            + c.funding_load_price * z_price
            + c.funding_load_own * z_funding
        )
        settle = c.settlements[k]
        if settle:
            paid = settle * np.clip(rate, -c.funding_cap, c.funding_cap) * q * price
            account += paid
            funding += paid
            breach = (q > 0.0) & (account <= m1 * q * price)
            if breach.any():
                i = np.flatnonzero(breach)
                liquidate(i, price[i], k)
            with np.errstate(divide="ignore", invalid="ignore"):  # no short: inf
                log_liq = np.where(q > 0.0, np.log(account / (m1 * q)), np.inf)

        # 4. revalue the LP
        sqrt_p = np.sqrt(price)
        lp_value = 2.0 * L * sqrt_p

        # 5. rebalancing: back to the target q* = h x = h L / sqrt(P) on the paths due
        target = c.hedge_ratio * L / sqrt_p
        if c.policy == "band":
            due = ~liquidated & (np.abs(q - target) > c.band * target)
        elif c.policy == "periodic" and (k + 1) % c.rebalance_every == 0:
            due = ~liquidated & (q != target)
        else:
            due = None
        if due is not None and due.any():
            i = np.flatnonzero(due)
            p_i, new_q = price[i], target[i]
            traded = new_q - q[i]
            cost = c.cost_rate * np.abs(traded) * p_i
            account[i] += traded * p_i - cost
            costs[i] += cost
            q[i] = new_q
            n_rebalances[i] += 1
            breach = account[i] <= m1 * new_q * p_i
            if breach.any():
                liquidate(i[breach], p_i[breach], k)
            ok = i[~breach]
            log_liq[ok] = np.log(account[ok] / (m1 * q[ok]))

        # 6. portfolio value, running peak, maximum drawdown
        wealth = lp_value + fees + account - q * price
        peak = np.maximum(peak, wealth)
        max_dd = np.maximum(max_dd, 1.0 - wealth / peak)

    return path_outputs(
        c,
        price=price,
        lp_value=lp_value,
        fees=fees,
        account=account,
        q=q,
        funding=funding,
        costs=costs,
        liq_loss=liq_loss,
        liquidated=liquidated,
        liq_time=liq_time,
        max_drawdown=max_dd,
        n_rebalances=n_rebalances,
    )

"""A plain vectorised numpy implementation of the default scenario's model, for comparison.

What a quant would write in a notebook, done well: all paths at once as arrays, a Python loop over
the time steps, `numpy.random.Generator` for the random numbers, preallocated buffers updated in
place by ufuncs with `out=`, and the rare events (liquidations, rebalancing trades) handled on the
few paths concerned through index arrays. No per-path Python loop, no numba.

It implements the model of MODEL.md as the engine does (docs/model-notes.md), independently of the
engine's code: it reads the `Scenario` and derives its own constants (capital split, exact OU
transition, settlement clock). Supported: GBM price, OU/constant/no funding with a cap, a v2 pool
with APR (or no) fees, an isolated-margin short with band, periodic or no rebalancing, taker fee +
slippage, liquidation by the Brownian-bridge crossing test with a penalty, running drawdown. That
is the default scenario and its neighbours (e.g. `high-leverage`); anything else is refused.

Per step k -> k+1, in the engine's order (MODEL.md §6):
1. draw z_price, z_funding (standard normals) and the bridge variable, always, for every path;
2. move the price; liquidation over the step with the hedge as it was: the diffusive endpoint at or
   above the barrier, or the Brownian bridge touching it, executed at the barrier price;
3. funding settlement on funding times at the end-of-step rate (capped), margin re-check;
4. LP fees on the step at the left point (`apr V(P_k) dt`), LP revalued;
5. rebalancing policy (taker fee + slippage), margin re-check;
6. portfolio value W, its running peak and the maximum drawdown.

Two exact reformulations keep the step cheap without changing the model:
- The bridge test `u < exp(-c)` with u uniform is `E > c` with `E = -ln u ~ Exp(1)`: one
  exponential draw (numpy's ziggurat) replaces a uniform and an `exp` per path-step. With both
  endpoints' log-distances `a`, `b` to the barrier, `c = 2 a b / (sigma^2 dt)` is <= 0 when the
  endpoint is at or above the barrier, so the single test `c < E` covers the endpoint too.
- Prices are carried as `u = ln sqrt(P)` and `s = sqrt(P) = e^u`: a v2 position is
  `V = 2 L s`, its delta `L / s`, so no square root is taken in the loop.

Since this model draws its own random numbers (it cannot reproduce the engine's per-path xoshiro
streams), it is compared with the engine by statistics (`compare_statistics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from engine.scenario import Scenario

HOURS_PER_YEAR = 8760.0

# the statistics compared with the engine's: (name, output, kind)
STATISTICS = (
    ("mean_pnl", "pnl", "mean"),
    ("sd_pnl", "pnl", "sd"),
    ("liquidation_probability", "liquidated", "mean"),
    ("mean_fees", "fees", "mean"),
    ("mean_funding", "funding", "mean"),
    ("mean_trading_costs", "trading_costs", "mean"),
    ("mean_max_drawdown", "max_drawdown", "mean"),
)
AGREEMENT_SIGMAS = 4.0


class Constants(NamedTuple):
    """Everything the loop needs, derived from the scenario. Money in quote units; `u` is
    ln sqrt(P); funding rates per interval."""

    n_steps: int
    step_days: float
    capital: float
    spot: float
    lp_value0: float  # V0
    liquidity: float  # L: V = 2 L sqrt(P)
    x0: float
    y0: float
    q0: float  # opening short, units
    account0: float  # margin cash + q entry after the opening trade
    opening_cost: float
    half_drift: float  # per step, of u = ln sqrt(P): (mu - sigma^2/2) dt / 2
    half_diffusion: float  # sigma sqrt(dt) / 2
    bridge_var: float  # sigma^2 dt / 8: cross when a b < bridge_var E (a, b in u units)
    fee_rate: float  # apr dt: fees of a step = fee_rate V(P_k)
    funding_mean: float
    funding_initial: float
    funding_decay: float
    funding_load_price: float  # on z_price
    funding_load_own: float  # on z_funding
    funding_cap: float
    settlements: np.ndarray  # funding times in (t_k, t_k+1], per step
    hedge_ratio: float
    maintenance: float
    penalty: float
    cost_rate: float
    policy: str
    band: float
    rebalance_every: int  # periodic policy: steps between trades


def constants(scenario: Scenario) -> Constants:
    """The loop's constants for a supported scenario (ValueError otherwise)."""
    market, pool, hedge = scenario.market, scenario.pool, scenario.hedge
    price, funding = market.price, market.funding
    unsupported = []
    if price.model != "gbm":
        unsupported.append(f"market.price.model = {price.model}")
    if pool.type != "v2":
        unsupported.append(f"pool.type = {pool.type}")
    if pool.fees.model not in ("apr", "none"):
        unsupported.append(f"pool.fees.model = {pool.fees.model}")
    if unsupported:
        raise ValueError(
            "the numpy model covers GBM, a v2 pool, APR fees: " + ", ".join(unsupported)
        )

    dt = scenario.step_hours / HOURS_PER_YEAR
    n_steps = scenario.n_steps
    spot = float(market.spot)
    capital = float(scenario.capital)
    h = float(hedge.ratio)
    # MODEL.md §2 for v2: delta_LP(P0) P0 = V0 / 2, C0 = h V0 / (2 leverage), K = V0 + C0
    lp_value0 = capital / (1.0 + 0.5 * h / hedge.leverage)
    collateral = capital - lp_value0
    liquidity = lp_value0 / (2.0 * math.sqrt(spot))
    x0 = liquidity / math.sqrt(spot)
    y0 = liquidity * math.sqrt(spot)
    cost_rate = hedge.taker_fee + hedge.slippage_bps * 1e-4
    q0 = h * x0
    opening_cost = cost_rate * q0 * spot
    account0 = collateral + q0 * spot - opening_cost

    if funding.model == "ou":
        kappa, eta, rho = funding.reversion, funding.vol, funding.corr_with_price
        mean, initial = funding.mean, funding.initial_rate
        # exact OU step jointly with the price's Brownian increment W_dt = sqrt(dt) z_price:
        # var of the OU shock eta^2 (1 - e^{-2 kappa dt}) / (2 kappa), cov with W_dt
        # rho eta (1 - e^{-kappa dt}) / kappa
        if kappa > 0.0:
            decay = math.exp(-kappa * dt)
            var = eta * eta * -math.expm1(-2.0 * kappa * dt) / (2.0 * kappa)
            cov = rho * eta * -math.expm1(-kappa * dt) / kappa
        else:
            decay, var, cov = 1.0, eta * eta * dt, rho * eta * dt
        load_price = cov / math.sqrt(dt)
        load_own = math.sqrt(max(var - load_price * load_price, 0.0))
    else:
        mean = initial = funding.initial_rate if funding.model == "constant" else 0.0
        decay, load_price, load_own = 1.0, 0.0, 0.0
    # settlements at j * interval (j >= 1): how many fall in (t_k, t_k+1]
    if funding.model == "none":
        settlements = np.zeros(n_steps, np.int64)
    else:
        ends = np.floor(
            np.arange(n_steps + 1) * scenario.step_hours / funding.interval_hours + 1e-9
        )
        settlements = np.diff(ends).astype(np.int64)

    vol = float(price.vol)
    return Constants(
        n_steps=n_steps,
        step_days=scenario.step_hours / 24.0,
        capital=capital,
        spot=spot,
        lp_value0=lp_value0,
        liquidity=liquidity,
        x0=x0,
        y0=y0,
        q0=q0,
        account0=account0,
        opening_cost=opening_cost,
        half_drift=0.5 * (price.drift - 0.5 * vol * vol) * dt,
        half_diffusion=0.5 * vol * math.sqrt(dt),
        bridge_var=vol * vol * dt / 8.0,
        fee_rate=pool.fees.apr * dt if pool.fees.model == "apr" else 0.0,
        funding_mean=float(mean),
        funding_initial=float(initial),
        funding_decay=decay,
        funding_load_price=load_price,
        funding_load_own=load_own,
        funding_cap=math.inf if funding.cap is None else float(funding.cap),
        settlements=settlements,
        hedge_ratio=h,
        maintenance=float(hedge.maintenance_margin),
        penalty=float(hedge.liquidation_penalty),
        cost_rate=cost_rate,
        policy=hedge.rebalance.policy,
        band=float(hedge.rebalance.band),
        rebalance_every=round(hedge.rebalance.every_hours / scenario.step_hours),
    )


def simulate(
    scenario: Scenario, n_paths: int, seed: int, consts: Constants | None = None
) -> dict[str, np.ndarray]:
    """Simulate n_paths paths of the scenario with numpy.random.default_rng(seed); per-path
    outputs named as the engine's (MODEL.md §7)."""
    c = constants(scenario) if consts is None else consts
    n = int(n_paths)
    rng = np.random.default_rng(seed)
    m1 = 1.0 + c.maintenance
    two_l = 2.0 * c.liquidity
    hedge_l = c.hedge_ratio * c.liquidity  # target short times sqrt(P): q* = h L / s
    band_policy = c.policy == "band"
    periodic_policy = c.policy == "periodic"
    random_funding = c.funding_load_price != 0.0 or c.funding_load_own != 0.0

    # --- state, one entry per path
    u = np.full(n, 0.5 * math.log(c.spot))  # ln sqrt(P)
    s = np.exp(u)  # sqrt(P)
    g = np.full(n, c.funding_initial - c.funding_mean)  # funding rate minus its mean
    q = np.full(n, c.q0)  # short size, units
    account = np.full(n, c.account0)  # margin cash + q entry: perp equity = account - q P
    cash = account.copy()  # account + accrued fees: W = 2 L s - q s^2 + cash
    funding = np.zeros(n)
    costs = np.full(n, c.opening_cost)
    liq_loss = np.zeros(n)
    n_rebalances = np.zeros(n, np.int32)
    liquidated = np.zeros(n, bool)
    liq_time = np.full(n, np.nan)
    # half-log barrier ln sqrt(P_liq), +inf without a short; a = its distance from u
    with np.errstate(divide="ignore"):
        barrier = np.full(n, 0.5 * math.log(c.account0 / (c.q0 * m1)) if c.q0 > 0 else np.inf)
    a = barrier - u
    # band policy: trade when |q s - h L| > band h L; both zeroed once liquidated (never due)
    target_l = np.full(n, hedge_l)
    band_l = np.full(n, c.band * hedge_l)
    wealth0 = c.lp_value0 + c.account0 - c.q0 * c.spot
    peak = np.full(n, max(c.capital, wealth0))
    worst = np.full(n, wealth0 / peak[0])  # min of W / running peak: max drawdown = 1 - worst

    # --- per-step buffers
    z = np.empty((2, n))  # z_price, z_funding
    expo = np.empty(n)  # Exp(1) of the bridge test
    du = np.empty(n)  # step of u
    b = np.empty(n)  # barrier distance at the step's end
    tmp = np.empty(n)
    qs = np.empty(n)
    wealth = np.empty(n)
    flag = np.empty(n, bool)

    def liquidate(idx: np.ndarray, price: np.ndarray, k: int) -> None:
        """Close the short of paths idx at `price`: the trader keeps max(E - penalty q P, 0)."""
        qi, acc = q[idx], account[idx]
        equity = acc - qi * price
        recovered = np.maximum(equity - c.penalty * qi * price, 0.0)
        liq_loss[idx] += equity - recovered
        cash[idx] += recovered - acc
        account[idx] = recovered
        q[idx] = 0.0
        barrier[idx] = np.inf
        a[idx] = np.inf
        target_l[idx] = 0.0
        band_l[idx] = 0.0
        liquidated[idx] = True
        liq_time[idx] = (k + 1) * c.step_days

    for k in range(c.n_steps):
        # 1. the step's random numbers, for every path
        rng.standard_normal(out=z)
        rng.standard_exponential(out=expo)

        # 4 (left point). fees on the position held over the step: apr dt V(P_k), V = 2 L s
        if c.fee_rate:
            np.multiply(s, c.fee_rate * two_l, out=tmp)
            np.add(cash, tmp, out=cash)

        # 2. price step; liquidation over the step with the hedge as it was
        np.multiply(z[0], c.half_diffusion, out=du)
        np.add(du, c.half_drift, out=du)
        np.add(u, du, out=u)
        np.exp(u, out=s)
        np.subtract(barrier, u, out=b)
        np.multiply(a, b, out=tmp)
        np.multiply(expo, c.bridge_var, out=expo)
        np.less(tmp, expo, out=flag)
        a, b = b, a
        if flag.any():
            idx = np.flatnonzero(flag)
            liquidate(idx, np.exp(2.0 * barrier[idx]), k)

        # 3. funding: exact OU step; settlement at the capped end-of-step rate
        if random_funding:
            np.multiply(g, c.funding_decay, out=g)
            np.multiply(z[0], c.funding_load_price, out=tmp)
            np.add(g, tmp, out=g)
            np.multiply(z[1], c.funding_load_own, out=tmp)
            np.add(g, tmp, out=g)
        elif c.funding_decay != 1.0:
            np.multiply(g, c.funding_decay, out=g)
        settle = c.settlements[k]
        if settle:
            np.add(g, c.funding_mean, out=tmp)
            np.clip(tmp, -c.funding_cap, c.funding_cap, out=tmp)
            np.multiply(tmp, settle, out=tmp)
            np.multiply(q, s, out=qs)
            np.multiply(qs, s, out=qs)  # q P: 0 once liquidated
            np.multiply(tmp, qs, out=tmp)
            np.add(account, tmp, out=account)
            np.add(cash, tmp, out=cash)
            np.add(funding, tmp, out=funding)
            # maintenance: E <= m q P, i.e. account <= (1 + m) q P, with a short open
            np.multiply(qs, m1, out=tmp)
            np.less_equal(account, tmp, out=flag)
            np.logical_and(flag, np.greater(q, 0.0), out=flag)
            if flag.any():
                idx = np.flatnonzero(flag)
                liquidate(idx, s[idx] * s[idx], k)
            # new barrier: ln sqrt(account / ((1 + m) q)); +inf without a short
            with np.errstate(divide="ignore", invalid="ignore"):
                np.multiply(q, m1, out=tmp)
                np.divide(account, tmp, out=tmp)
                np.log(tmp, out=tmp)
            np.multiply(tmp, 0.5, out=barrier)
            np.copyto(barrier, np.inf, where=q == 0.0)
            np.subtract(barrier, u, out=a)

        # 5. rebalancing: back to q* = h L / s
        np.multiply(q, s, out=qs)
        due = None
        if band_policy:
            np.subtract(qs, target_l, out=tmp)
            np.abs(tmp, out=tmp)
            np.greater(tmp, band_l, out=flag)
            if flag.any():
                due = np.flatnonzero(flag)
        elif periodic_policy and (k + 1) % c.rebalance_every == 0:
            np.not_equal(qs, target_l, out=flag)
            np.logical_and(flag, ~liquidated, out=flag)
            if flag.any():
                due = np.flatnonzero(flag)
        if due is not None:
            si = s[due]
            price = si * si
            target = hedge_l / si
            traded = target - q[due]
            cost = c.cost_rate * np.abs(traded) * price
            change = traded * price - cost
            account[due] += change
            cash[due] += change
            costs[due] += cost
            q[due] = target
            n_rebalances[due] += 1
            acc = account[due]
            breach = acc <= m1 * target * price
            if breach.any():
                liquidate(due[breach], price[breach], k)
            ok = due[~breach]
            barrier[ok] = 0.5 * np.log(acc[~breach] / (m1 * target[~breach]))
            a[ok] = barrier[ok] - u[ok]
            qs[due] = q[due] * si

        # 6. W = 2 L s - q s^2 + account + fees; running peak; worst W / peak
        np.subtract(two_l, qs, out=wealth)
        np.multiply(wealth, s, out=wealth)
        np.add(wealth, cash, out=wealth)
        np.maximum(peak, wealth, out=peak)
        np.divide(wealth, peak, out=wealth)
        np.minimum(worst, wealth, out=worst)

    price = s * s
    return path_outputs(
        c,
        price=price,
        lp_value=two_l * s,
        fees=cash - account,
        account=account,
        q=q,
        funding=funding,
        costs=costs,
        liq_loss=liq_loss,
        liquidated=liquidated,
        liq_time=liq_time,
        max_drawdown=1.0 - worst,
        n_rebalances=n_rebalances,
    )


def path_outputs(
    c: Constants,
    *,
    price: np.ndarray,
    lp_value: np.ndarray,
    fees: np.ndarray,
    account: np.ndarray,
    q: np.ndarray,
    funding: np.ndarray,
    costs: np.ndarray,
    liq_loss: np.ndarray,
    liquidated: np.ndarray,
    liq_time: np.ndarray,
    max_drawdown: np.ndarray,
    n_rebalances: np.ndarray,
) -> dict[str, np.ndarray]:
    """The per-path outputs, named as the engine's (MODEL.md §7), from the final state: money in
    quote units (perp equity = account - q P), times in days."""
    final_value = lp_value + fees + account - q * price
    return {
        "pnl": final_value - c.capital,
        "final_value": final_value,
        "lp_value": lp_value,
        "il": lp_value - (c.x0 * price + c.y0),
        "fees": fees,
        "funding": funding,
        "trading_costs": costs,
        "liquidation_loss": liq_loss,
        "liquidated": liquidated,
        "liquidation_time": liq_time,
        "max_drawdown": max_drawdown,
        "n_rebalances": n_rebalances,
        "final_price": price,
        "final_hedge": q,
    }


# --------------------------------------------------------------------------------------------
# Statistics


def _estimate(values: np.ndarray, kind: str) -> tuple[float, float]:
    """(estimate, standard error) of the mean or the standard deviation of `values`."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if kind == "mean":
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))
    sd = float(x.std(ddof=1))
    # var(s^2) ~ (m4 - s^4) / n (delta method, any distribution); se(s) = se(s^2) / (2 s)
    m4 = float(np.mean((x - x.mean()) ** 4))
    se = math.sqrt(max(m4 - sd**4, 0.0) / n) / (2.0 * sd) if sd > 0 else 0.0
    return sd, se


def compare_statistics(
    engine_outputs: Mapping[str, np.ndarray],
    numpy_outputs: Mapping[str, np.ndarray],
    sigmas: float = AGREEMENT_SIGMAS,
) -> list[dict[str, Any]]:
    """Each statistic of STATISTICS from both sets of paths: the two estimates, their combined
    standard error sqrt(se1^2 + se2^2), the difference in those units, and whether it is below
    `sigmas`. Equal estimates with no spread at all (e.g. no liquidation on either side) agree."""
    rows = []
    for name, field, kind in STATISTICS:
        e, se_e = _estimate(engine_outputs[field], kind)
        p, se_p = _estimate(numpy_outputs[field], kind)
        se = math.hypot(se_e, se_p)
        diff = p - e
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)
        rows.append(
            {
                "statistic": name,
                "engine": e,
                "numpy": p,
                "engine_se": se_e,
                "numpy_se": se_p,
                "combined_se": se,
                "z": z,
                "passed": bool(abs(z) < sigmas),
            }
        )
    return rows

"""Tests that would catch a wrong model: closed forms, analytic limits, accounting, reproducibility.

Statistical checks assert |estimate - theory| <= 4 s.e., the standard error computed from the same
sample (conftest `figures.close`), at fixed seeds; power checks (`figures.apart`) show that a
plausible wrong model would be told apart at the same 4 s.e. Identities are checked to round-off.

Notation: P0 spot, K capital, V0 = lp_value0, C0 = collateral0, (x0, y0) the tokens at t = 0, L the
liquidity, mu the drift, s the diffusive volatility, T the horizon in years, dt the step in years.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import xarray as xr
from theory_support import (
    BGK_BETA,
    DAYS_PER_YEAR,
    HOURS_PER_YEAR,
    QUIET,
    UNHEDGED,
    first_passage,
    log_barrier,
    mean_se,
    proportion_se,
    var_se,
)

import engine
from engine.scenario import shipped_scenarios

# --------------------------------------------------------------------------------------------
# Statistics helpers (standard errors from the sample itself)


def assert_same_results(a: xr.Dataset, b: xr.Dataset) -> None:
    """Bit-identical data variables and coordinates (NaN equal to NaN)."""
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for name in a.coords:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


Run = Callable[..., xr.Dataset]


# --------------------------------------------------------------------------------------------
# 1. LP closed forms


def test_v2_lp_value_il_and_capital_split_closed_forms(run: Run) -> None:
    """v2 closed forms, per path, to round-off.

    Capital split (MODEL §2): a v2 position is half risky, so C0 = h (V0 / 2) / leverage and
    K = V0 + C0 gives V0 = K / (1 + h / (2 leverage)); x0 = V0 / (2 P0), y0 = V0 / 2.
    Valuation (§4): L = V0 / (2 sqrt(P0)), V_T = 2 L sqrt(P_T).
    HODL and IL: il = V_T - (x0 P_T + y0); with r = P_T / P0 the IL ratio
    il / (x0 P_T + y0) = 2 sqrt(r) / (1 + r) - 1.
    Derived outputs: hodl_pnl = x0 (P_T - P0), unhedged_pnl = K / V0 (V_T - V0 + fees).
    """
    ds = run({"horizon_days": 30}, paths=2_000)
    K, P0, h, lev = 100_000.0, 3000.0, 1.0, 3.0
    V0 = ds.attrs["lp_value0"]
    np.testing.assert_allclose(V0, K / (1.0 + h / (2.0 * lev)), rtol=1e-14)
    np.testing.assert_allclose(ds.attrs["collateral0"], h * (V0 / 2.0) / lev, rtol=1e-14)
    np.testing.assert_allclose(ds.attrs["x0"], V0 / (2.0 * P0), rtol=1e-14)
    np.testing.assert_allclose(ds.attrs["y0"], V0 / 2.0, rtol=1e-14)

    price = ds.final_price.values
    L = V0 / (2.0 * math.sqrt(P0))
    np.testing.assert_allclose(ds.lp_value.values, 2.0 * L * np.sqrt(price), rtol=1e-12)
    hodl = ds.attrs["x0"] * price + ds.attrs["y0"]
    np.testing.assert_allclose(ds.il.values, ds.lp_value.values - hodl, rtol=0, atol=1e-9 * K)
    r = price / P0
    np.testing.assert_allclose(
        ds.il.values / hodl, 2.0 * np.sqrt(r) / (1.0 + r) - 1.0, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(ds.hodl_pnl.values, ds.attrs["x0"] * (price - P0), rtol=1e-12)
    np.testing.assert_allclose(
        ds.unhedged_pnl.values,
        K / V0 * (ds.lp_value.values - V0 + ds.fees.values),
        rtol=0,
        atol=1e-9 * K,
    )


def test_v3_lp_value_and_il_closed_forms_in_and_out_of_range(run: Run) -> None:
    """v3 closed forms, per path, to round-off, with paths below, inside and above the range.

    Range [Pa, Pb] = [P0 (1 + lower), P0 (1 + upper)]; with s = sqrt(P) clipped to
    [sqrt(Pa), sqrt(Pb)]: x = L (1/s - 1/sqrt(Pb)), y = L (s - sqrt(Pa)), V = x P + y
    (below Pa all in x, above Pb all in y). L solves V0 = x(P0) P0 + y(P0);
    K = V0 + h x0 P0 / leverage; il = V_T - (x0 P_T + y0).
    """
    lower, upper, lev = -0.1, 0.1, 3.0
    ds = run(
        {
            "horizon_days": 30,
            "pool.type": "v3",
            "pool.range.lower": lower,
            "pool.range.upper": upper,
            "pool.fees.model": "arbitrage",
        },
        paths=2_000,
    )
    K, P0 = 100_000.0, 3000.0
    sa, sb = math.sqrt(P0 * (1 + lower)), math.sqrt(P0 * (1 + upper))
    x_per_l = 1.0 / math.sqrt(P0) - 1.0 / sb
    y_per_l = math.sqrt(P0) - sa
    V0 = ds.attrs["lp_value0"]
    L = V0 / (x_per_l * P0 + y_per_l)
    np.testing.assert_allclose(ds.attrs["x0"], L * x_per_l, rtol=1e-13)
    np.testing.assert_allclose(ds.attrs["y0"], L * y_per_l, rtol=1e-13)
    np.testing.assert_allclose(V0 + L * x_per_l * P0 / lev, K, rtol=1e-13)
    np.testing.assert_allclose(ds.attrs["collateral0"], K - V0, rtol=1e-13)

    price = ds.final_price.values
    s = np.clip(np.sqrt(price), sa, sb)
    x = L * (1.0 / s - 1.0 / sb)
    y = L * (s - sa)
    np.testing.assert_allclose(ds.lp_value.values, x * price + y, rtol=1e-12)
    hodl = ds.attrs["x0"] * price + ds.attrs["y0"]
    np.testing.assert_allclose(ds.il.values, ds.lp_value.values - hodl, rtol=0, atol=1e-9 * K)
    # the three regimes are all exercised
    assert (price < sa * sa).sum() > 50
    assert (price > sb * sb).sum() > 50
    assert ((price > sa * sa) & (price < sb * sb)).sum() > 50


# --------------------------------------------------------------------------------------------
# 2. Expected v2 LP value under GBM


def test_expected_v2_value_under_gbm(run: Run, figures: Any) -> None:
    """E[V_t] of an unhedged, fee-free v2 position under GBM.

    V_t = 2 L sqrt(P_t) and ln P_t ~ N(ln P0 + (mu - s^2/2) t, s^2 t), so
    E[sqrt(P_t)] = sqrt(P0) exp((mu - s^2/2) t / 2 + s^2 t / 8) and
    E[V_t] = V0 exp((mu/2 - s^2/8) t). Checked at t = 30, 60, 90 days on the sampled paths and at
    the horizon on the per-path output. Power: the value without the convexity term s^2/8,
    V0 exp(mu t / 2), must be more than 4 s.e. away.
    """
    mu, s, paths = 0.4, 0.8, 20_000
    ds = run(
        {
            **QUIET,
            **UNHEDGED,
            "market.price.drift": mu,
            "market.price.vol": s,
            "horizon_days": 90,
            "step_hours": 24,
            "output.sample_paths": paths,
        },
        paths=paths,
        seed=2,
    )
    V0 = ds.attrs["lp_value0"]
    assert V0 == ds.attrs["capital"]
    for day in (30, 60):
        t = day / DAYS_PER_YEAR
        est, se = mean_se(ds.sample_lp_value.sel(time=float(day)).values)
        figures.close(f"E[V_t] v2, t={day}d", est, V0 * math.exp((mu / 2 - s * s / 8) * t), se)
    T = 90 / DAYS_PER_YEAR
    est, se = mean_se(ds.lp_value.values)
    figures.close("E[V_T] v2, T=90d", est, V0 * math.exp((mu / 2 - s * s / 8) * T), se)
    figures.apart("E[V_T] v2 vs no-convexity V0 exp(mu T/2)", est, V0 * math.exp(mu / 2 * T), se)


# --------------------------------------------------------------------------------------------
# 3. Loss-versus-rebalancing of a delta-hedged v2 LP

LVR_VOL = 0.8
LVR_DAYS = 30
LVR_PATHS = 20_000
LVR_BASE = {
    **QUIET,
    "market.price.vol": LVR_VOL,
    "market.price.drift": 0.0,
    "hedge.ratio": 1.0,
    "hedge.leverage": 0.2,
    "hedge.rebalance.policy": "periodic",
    "horizon_days": LVR_DAYS,
    "step_hours": 1,
}
LVR_FEES = {"pool.fees.model": "apr", "pool.fees.apr": LVR_VOL**2 / 8.0}


def lvr_interval_moments(n: int, s: float, c: float) -> tuple[float, float, float, float]:
    """Exact moments of one rebalancing interval's residual of a delta-hedged v2 LP.

    Over an interval of n grid steps starting at a rebalance, with G_1..G_n iid N(0, 1) and
    S_h = -h s^2/2 + s (G_1 + ... + G_h) the log-price change after h steps (drift 0), the P&L
    relative to V_i (the LP value at the interval's start; the short is x_i = V_i / (2 P_i)) is
        R / V_i = e^{S_n/2} - 1 - (e^{S_n} - 1)/2 + c sum_{h<n} e^{S_h/2},
    c = apr dt the fee per step: LP change + short P&L + fees accrued on the left-point values.
    Every term is a e^{alpha + beta.G}; E[e^{alpha + beta.G}] = e^{alpha + |beta|^2/2}.
    Returns m1 = E[R/V], m2 = E[(R/V)^2], mrv = E[(R/V) e^{S_n/2}], rho = E[e^{S_n/2}].
    """
    cum = np.vstack([np.zeros(n), np.tril(np.ones((n, n)))])  # row h: loads of S_h on G
    coef = [1.0, -0.5, -0.5] + [c] * n
    alpha = [-n * s * s / 4, 0.0, -n * s * s / 2] + [-h * s * s / 4 for h in range(n)]
    beta = [0.5 * s * cum[n], 0.0 * cum[0], s * cum[n]] + [0.5 * s * cum[h] for h in range(n)]
    a, al, be = np.array(coef), np.array(alpha), np.array(beta)
    m1 = float(np.sum(a * np.exp(al + 0.5 * np.sum(be * be, axis=1))))
    pair = be[:, None, :] + be[None, :, :]
    m2 = float(
        np.sum(a[:, None] * a[None, :] * np.exp(al[:, None] + al[None, :] + 0.5 * (pair**2).sum(2)))
    )
    b_end, al_end = 0.5 * s * cum[n], -n * s * s / 4
    mrv = float(np.sum(a * np.exp(al + al_end + 0.5 * np.sum((be + b_end) ** 2, axis=1))))
    rho = math.exp(-n * s * s / 8)
    return m1, m2, mrv, rho


def lvr_pnl_moments(v0: float, n_intervals: int, n: int, s: float, c: float) -> tuple[float, float]:
    """Exact mean and variance of the hedged P&L = sum_i R_i over n_intervals intervals.

    E[R_i | F_i] = V_i m1, E[R_i^2 | F_i] = V_i^2 m2 (v2 is scale invariant), E[V_i] = V0 rho^i,
    E[V_i^2] = 4 L^2 E[P_i] = V0^2 (drift 0), and for i < j
    E[R_i R_j] = m1 E[R_i V_j] = m1 mrv V0^2 rho^{j-i-1}. Hence
    E[P&L] = V0 m1 sum_i rho^i, E[P&L^2] = V0^2 (N m2 + 2 m1 mrv sum_{i<j} rho^{j-i-1}).
    """
    m1, m2, mrv, rho = lvr_interval_moments(n, s, c)
    N = n_intervals
    mean = v0 * m1 * sum(rho**i for i in range(N))
    cross = sum((N - d) * rho ** (d - 1) for d in range(1, N))  # pairs at distance d = j - i
    second = v0 * v0 * (N * m2 + 2.0 * m1 * mrv * cross)
    return mean, second - mean * mean


@pytest.fixture(scope="module")
def lvr_runs(run: Run) -> dict[str, xr.Dataset]:
    """Same seed, same hourly grid (common random numbers): rebalancing every 1 h and every
    24 h with the apr fee = LVR trick, and every 1 h without fees."""
    return {
        "1h": run({**LVR_BASE, **LVR_FEES, "hedge.rebalance.every_hours": 1}, LVR_PATHS, 7),
        "24h": run({**LVR_BASE, **LVR_FEES, "hedge.rebalance.every_hours": 24}, LVR_PATHS, 7),
        "1h-nofee": run({**LVR_BASE, "hedge.rebalance.every_hours": 1}, LVR_PATHS, 7),
    }


def test_lvr_fee_trick_hedged_pnl_is_zero(lvr_runs: dict[str, xr.Dataset], figures: Any) -> None:
    """A v2 LP delta-hedged every step (no costs, no funding, drift 0) loses LVR = s^2/8 V dt per
    step: E[V(P_k+1) - V(P_k) - x_k (P_k+1 - P_k) | P_k] = V(P_k) (e^{-s^2 dt/8} - 1). An apr fee
    with apr = s^2/8 pays s^2/8 V(P_k) dt per step (left point) and cancels it, so the P&L of
    LP + hedge + fees is a pure hedging error of mean ~0: exactly V0 m1 sum_k rho^k with
    m1 = e^{-c} - 1 + c, c = s^2 dt / 8 (see lvr_pnl_moments). Its variance is also exact
    (lvr_pnl_moments), checked with the sample variance's s.e.; to leading order it is
    2 (s^2/8)^2 V0^2 T dt, tiny next to the LP's own variance: the per-path P&L is ~0.
    """
    ds = lvr_runs["1h"]
    assert not ds.liquidated.values.any()
    assert float(ds.trading_costs.max()) == 0.0 and float(abs(ds.funding).max()) == 0.0
    pnl, v0 = ds.pnl.values, ds.attrs["lp_value0"]
    dt = 1.0 / HOURS_PER_YEAR
    s = LVR_VOL * math.sqrt(dt)
    mean_th, var_th = lvr_pnl_moments(v0, ds.attrs["n_steps"], 1, s, LVR_VOL**2 / 8 * dt)
    est, se = mean_se(pnl)
    figures.close("LVR fee trick: mean hedged P&L (1h rebalance)", est, mean_th, se)
    est_v, se_v = var_se(pnl)
    figures.close("LVR fee trick: Var hedged P&L (1h rebalance)", est_v, var_th, se_v)
    # the hedged P&L is small next to what is hedged away: the unhedged LP P&L
    assert math.sqrt(est_v) < 0.01 * float(ds.unhedged_pnl.std())


def test_lvr_hedging_error_variance_is_linear_in_rebalancing_interval(
    lvr_runs: dict[str, xr.Dataset], figures: Any
) -> None:
    """Discrete hedging error: Var(P&L) is linear in the rebalancing interval Delta.

    Derivation: over one interval the residual relative to V is
    e^{S/2} - 1 - (e^S - 1)/2 + fees ~ -S^2/8 + s^2 Delta/8 = -(s^2 Delta/8)(Z^2 - 1), of variance
    2 (s^2 Delta / 8)^2; the T/Delta interval residuals are (nearly) uncorrelated martingale
    increments with E[V^2] = V0^2, so Var ~ 2 (s^2/8)^2 V0^2 T Delta: rebalancing every 24 h
    instead of 1 h multiplies the variance by 24. The exact ratio on this grid (fees accrue hourly
    in both runs) is Var_24 / Var_1 from lvr_pnl_moments, within 0.1 % of 24. Tolerance: the
    delta-method s.e. of ln(s_24^2 / s_1^2) from the same (paired) sample,
    sd(d_24^2 / s_24^2 - d_1^2 / s_1^2) / sqrt(n), d the deviations from the sample means.
    """
    a, b = lvr_runs["24h"].pnl.values, lvr_runs["1h"].pnl.values
    np.testing.assert_array_equal(lvr_runs["24h"].final_price, lvr_runs["1h"].final_price)
    v0, n_steps = lvr_runs["1h"].attrs["lp_value0"], lvr_runs["1h"].attrs["n_steps"]
    dt = 1.0 / HOURS_PER_YEAR
    s, c = LVR_VOL * math.sqrt(dt), LVR_VOL**2 / 8 * dt
    _, var_1 = lvr_pnl_moments(v0, n_steps, 1, s, c)
    _, var_24 = lvr_pnl_moments(v0, n_steps // 24, 24, s, c)
    ratio_th = var_24 / var_1
    assert abs(ratio_th / 24.0 - 1.0) < 1e-2
    da, db = a - a.mean(), b - b.mean()
    sa2, sb2 = da.var(ddof=1), db.var(ddof=1)
    u = da * da / sa2 - db * db / sb2
    se_log = float(u.std(ddof=1) / math.sqrt(u.size))
    figures.close("LVR: ln Var_24h/Var_1h", math.log(sa2 / sb2), math.log(ratio_th), se_log)
    figures.note("LVR: Var_24h/Var_1h ratio", engine=sa2 / sb2, theory=ratio_th)
    est_v, se_v = var_se(a)
    figures.close("LVR fee trick: Var hedged P&L (24h rebalance)", est_v, var_24, se_v)


def test_lvr_mean_without_fees(lvr_runs: dict[str, xr.Dataset], figures: Any) -> None:
    """Without fees the hedged LP loses the LVR: E[P&L] = -s^2/8 sum_k E[V_k] dt with
    E[V_k] = V0 exp(-s^2 t_k / 8) (drift 0), k = 0 .. N-1. The exact discrete value,
    sum_k E[V_k] (e^{-s^2 dt/8} - 1), differs by O((s^2 dt)^2) per step, which is asserted to be
    below 1 % of the s.e. here."""
    ds = lvr_runs["1h-nofee"]
    assert float(ds.fees.max()) == 0.0
    n, v0 = ds.attrs["n_steps"], ds.attrs["lp_value0"]
    dt = 1.0 / HOURS_PER_YEAR
    t = np.arange(n) * dt
    ev = v0 * np.exp(-(LVR_VOL**2) / 8 * t)
    theory = float(-(LVR_VOL**2) / 8 * dt * ev.sum())
    exact = float(np.sum(ev * math.expm1(-(LVR_VOL**2) * dt / 8)))
    est, se = mean_se(ds.pnl.values)
    assert abs(exact - theory) < 0.01 * se
    figures.close("LVR: mean hedged P&L without fees", est, theory, se)


# --------------------------------------------------------------------------------------------
# 4. Liquidation of a static short: first passage of GBM

LIQ_VOL = 0.8
LIQ_DAYS = 60
LIQ_PATHS = 20_000


def static_short(drift: float) -> dict[str, Any]:
    return {
        **QUIET,
        "hedge.taker_fee": 0.0005,
        "hedge.slippage_bps": 2.0,
        "market.price.vol": LIQ_VOL,
        "market.price.drift": drift,
        "hedge.ratio": 1.0,
        "hedge.leverage": 4.0,
        "hedge.rebalance.policy": "none",
        "horizon_days": LIQ_DAYS,
        "step_hours": 24,
        "output.sample_paths": LIQ_PATHS,
    }


@pytest.fixture(scope="module", params=[0.0, 0.8, -0.5], ids=lambda m: f"mu={m}")
def static_short_run(request: pytest.FixtureRequest, run: Run) -> tuple[float, xr.Dataset]:
    drift = request.param
    return drift, run(static_short(drift), paths=LIQ_PATHS, seed=11)


def test_static_short_liquidation_probability_is_continuous_first_passage(
    static_short_run: tuple[float, xr.Dataset], figures: Any
) -> None:
    """A static short (no rebalancing, no funding) of q0 = h x0 is liquidated when P reaches
    H = account / (q0 (1 + m)). With continuous monitoring (bridge test between daily grid points)
    P(liquidated by T) = P(max_t ln(P_t / P0) >= b), b = ln(H / P0), for the Brownian motion
    nu t + s W_t, nu = mu - s^2/2:
        Phi((-b + nu T) / (s sqrt T)) + exp(2 nu b / s^2) Phi((-b - nu T) / (s sqrt T)).
    Binomial s.e."""
    drift, ds = static_short_run
    b, nu, T = log_barrier(ds), drift - LIQ_VOL**2 / 2, LIQ_DAYS / DAYS_PER_YEAR
    p, se = proportion_se(ds.liquidated.values)
    figures.close(
        f"P(liquidated by {LIQ_DAYS}d), mu={drift}", p, first_passage(b, nu, LIQ_VOL, T), se
    )


def test_static_short_liquidation_has_power_against_discrete_monitoring(
    static_short_run: tuple[float, xr.Dataset], figures: Any
) -> None:
    """Power: a daily-monitored barrier is hit less often than a continuous one. Two figures of
    the discrete probability must lie more than 4 s.e. from the engine's:
    (a) Broadie-Glasserman-Kou: the continuous formula with the barrier shifted up by
        beta s sqrt(dt), beta = -zeta(1/2)/sqrt(2 pi) = 0.5826 (binomial s.e. of the engine);
    (b) the grid-point-only test on the same paths (max of the daily sampled prices >= H), paired:
        s.e. sqrt(p_d (1 - p_d) / n), p_d the share of paths where the two disagree.
    Exact logic on the same paths: every grid-point hit is liquidated, no later than that grid day.
    """
    drift, ds = static_short_run
    b, nu, T = log_barrier(ds), drift - LIQ_VOL**2 / 2, LIQ_DAYS / DAYS_PER_YEAR
    dt = 1.0 / DAYS_PER_YEAR
    p, se = proportion_se(ds.liquidated.values)
    bgk = first_passage(b + BGK_BETA * LIQ_VOL * math.sqrt(dt), nu, LIQ_VOL, T)
    figures.apart(f"P(liq) engine vs BGK discrete, mu={drift}", p, bgk, se)

    prices = ds.sample_price.values  # (path, time): the whole daily grid of every path
    assert prices.shape == (LIQ_PATHS, LIQ_DAYS + 1)
    hit = np.log(prices / ds.attrs["spot0"]) >= b
    grid_hit = hit.any(axis=1)
    liquidated = ds.liquidated.values
    assert not (grid_hit & ~liquidated).any(), "a path on or above the barrier at a grid point"
    first_hit_day = np.argmax(hit, axis=1).astype(float)
    assert (ds.liquidation_time.values[grid_hit] <= first_hit_day[grid_hit]).all()
    disagree = liquidated != grid_hit
    _, se_d = proportion_se(disagree)
    figures.apart(
        f"P(liq) engine vs grid-point-only on the same paths, mu={drift}",
        float(liquidated.mean()),
        float(grid_hit.mean()),
        se_d,
    )


def test_static_short_liquidation_time_distribution(
    static_short_run: tuple[float, xr.Dataset], figures: Any
) -> None:
    """The liquidation time tau (executed at the end of the grid step whose bridge or endpoint
    crosses H) satisfies, on grid days t, P(tau <= t) = the first-passage probability with T = t
    (the formula of the test above). Checked at t = 10, 20, 40 days; binomial s.e."""
    drift, ds = static_short_run
    b, nu = log_barrier(ds), drift - LIQ_VOL**2 / 2
    tau = ds.liquidation_time.values
    assert np.all(np.isnan(tau) == ~ds.liquidated.values)
    for day in (10, 20, 40):
        p, se = proportion_se(np.nan_to_num(tau, nan=np.inf) <= day)
        theory = first_passage(b, nu, LIQ_VOL, day / DAYS_PER_YEAR)
        figures.close(f"P(tau <= {day}d), mu={drift}", p, theory, se)


# --------------------------------------------------------------------------------------------
# 5. Funding: Ornstein-Uhlenbeck law and the constant-funding closed form

OU_PATHS = 20_000
OU = {
    **QUIET,
    **UNHEDGED,
    "market.price.vol": 0.8,
    "market.price.drift": 0.2,
    "market.funding.model": "ou",
    "market.funding.initial": 0.002,
    "market.funding.mean": 0.0001,
    "market.funding.reversion": 50.0,
    "market.funding.vol": 0.003,
    "market.funding.corr_with_price": 0.6,
    "market.funding.cap": None,
    "horizon_days": 10,
    "step_hours": 1,
    "output.sample_paths": OU_PATHS,
    "output.observe_every_hours": 24,
}


@pytest.fixture(scope="module")
def ou_run(run: Run) -> xr.Dataset:
    return run(OU, paths=OU_PATHS, seed=5)


@pytest.mark.parametrize("day", [1, 3, 10])
def test_ou_funding_mean_and_variance(ou_run: xr.Dataset, figures: Any, day: int) -> None:
    """Exact OU law of the funding rate: f_t ~ N(theta + (f0 - theta) e^{-kappa t},
    eta^2 (1 - e^{-2 kappa t}) / (2 kappa)), read on the sampled paths (every path sampled) at
    day t. s.e.: of the sample mean, and of the sample variance sqrt((m4 - s^4) / n)."""
    kappa, theta, eta, f0 = 50.0, 0.0001, 0.003, 0.002
    t = day / DAYS_PER_YEAR
    f = ou_run.sample_funding_rate.sel(time=float(day)).values
    assert f.size == OU_PATHS
    est, se = mean_se(f)
    figures.close(f"OU E[f_t], t={day}d", est, theta + (f0 - theta) * math.exp(-kappa * t), se)
    est_v, se_v = var_se(f)
    var_th = eta * eta * -math.expm1(-2.0 * kappa * t) / (2.0 * kappa)
    figures.close(f"OU Var[f_t], t={day}d", est_v, var_th, se_v)


@pytest.mark.parametrize("day", [1, 10])
def test_ou_funding_correlation_with_log_price(ou_run: xr.Dataset, figures: Any, day: int) -> None:
    """corr(f_t, ln P_t) from the joint Gaussian law. With f_t - E f_t = eta int_0^t
    e^{-kappa (t-u)} dB_u and ln P_t - E ln P_t = s W_t, corr(dB, dW) = rho:
    Cov = rho eta s int_0^t e^{-kappa (t-u)} du = rho eta s (1 - e^{-kappa t}) / kappa, which the
    exact per-step scheme reproduces (each step's OU shock loads only on that step's price shock,
    and sum_k e^{-kappa (t - t_k+1)} Cov(step shock, dW_k) telescopes to the same integral).
    corr = Cov / sqrt(Var f_t * s^2 t). The pair is bivariate normal: tested on Fisher's
    z = atanh(r), s.e. 1 / sqrt(n - 3)."""
    kappa, eta, rho, s = 50.0, 0.003, 0.6, 0.8
    t = day / DAYS_PER_YEAR
    f = ou_run.sample_funding_rate.sel(time=float(day)).values
    lp = np.log(ou_run.sample_price.sel(time=float(day)).values)
    cov = rho * eta * s * -math.expm1(-kappa * t) / kappa
    var_f = eta * eta * -math.expm1(-2.0 * kappa * t) / (2.0 * kappa)
    corr_th = cov / math.sqrt(var_f * s * s * t)
    r = float(np.corrcoef(f, lp)[0, 1])
    figures.note(f"OU corr(f_t, ln P_t), t={day}d (r)", engine=r, theory=corr_th)
    figures.close(
        f"OU atanh corr(f_t, ln P_t), t={day}d",
        math.atanh(r),
        math.atanh(corr_th),
        1.0 / math.sqrt(f.size - 3),
    )


def test_constant_funding_received_by_static_short(run: Run, figures: Any) -> None:
    """Constant funding f per 8 h, static short q0 = h x0 (policy none), hourly grid, no
    liquidation (leverage 0.5: the barrier is ~3 P0). The short receives q0 P_{t_j} f at each
    settlement t_j = 8 h, 16 h, ..., T, so E[funding] = f q0 sum_j E[P_{t_j}] =
    f q0 P0 sum_j exp(mu t_j). Power: the drift-free figure f q0 P0 n_settlements must be more
    than 4 s.e. away."""
    f, mu, days = 0.0003, 0.5, 30
    ds = run(
        {
            **QUIET,
            "market.price.drift": mu,
            "market.price.vol": 0.8,
            "market.funding.model": "constant",
            "market.funding.mean": f,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "step_hours": 1,
        },
        paths=10_000,
        seed=9,
    )
    assert not ds.liquidated.values.any()
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    t = np.arange(1, days * 24 // 8 + 1) * 8.0 / HOURS_PER_YEAR
    theory = f * q0 * p0 * float(np.exp(mu * t).sum())
    est, se = mean_se(ds.funding.values)
    figures.close("E[funding], constant f, static short", est, theory, se)
    figures.apart("E[funding] vs drift-free f q0 P0 n", est, f * q0 * p0 * t.size, se)


# --------------------------------------------------------------------------------------------
# 6. Merton jump-diffusion


def merton(intensity: float) -> dict[str, Any]:
    return {
        **QUIET,
        **UNHEDGED,
        "market.price.model": "merton",
        "market.price.drift": 0.3,
        "market.price.vol": 0.5,
        "market.price.jump_intensity": intensity,
        "market.price.jump_mean": -0.05,
        "market.price.jump_vol": 0.10,
        "horizon_days": 30,
        "step_hours": 24,
        "output.sample_paths": 0,
    }


@pytest.mark.parametrize("intensity", [50.0, 0.0], ids=["jumps", "no-jumps"])
def test_merton_moments(run: Run, figures: Any, intensity: float) -> None:
    """Merton with compensated drift: ln P_T = ln P0 + (mu - s^2/2 - lambda k) T + s W_T
    + sum_{i <= N_T} J_i, N_T ~ Poisson(lambda T), J_i ~ N(m, v^2), k = e^{m + v^2/2} - 1. Then
    E[P_T] = P0 e^{mu T}, E[ln P_T] = ln P0 + (mu - s^2/2 - lambda k) T + lambda T m and
    Var[ln P_T] = s^2 T + lambda T (m^2 + v^2). With lambda = 0 these are GBM's (the Merton
    stream draws more numbers per step, so only the law, not the paths, can match GBM).
    Power (with jumps): Var[ln P_T] must be more than 4 s.e. from the diffusive s^2 T alone."""
    mu, s, m, v, days = 0.3, 0.5, -0.05, 0.10, 30
    T = days / DAYS_PER_YEAR
    ds = run(merton(intensity), paths=20_000, seed=13)
    p0 = ds.attrs["spot0"]
    price = ds.final_price.values
    k = math.expm1(m + 0.5 * v * v)
    est, se = mean_se(price)
    figures.close(f"Merton E[P_T], lambda={intensity}", est, p0 * math.exp(mu * T), se)
    est, se = mean_se(np.log(price))
    mean_th = math.log(p0) + (mu - s * s / 2 - intensity * k) * T + intensity * T * m
    figures.close(f"Merton E[ln P_T], lambda={intensity}", est, mean_th, se)
    est_v, se_v = var_se(np.log(price))
    var_th = s * s * T + intensity * T * (m * m + v * v)
    figures.close(f"Merton Var[ln P_T], lambda={intensity}", est_v, var_th, se_v)
    if intensity > 0.0:
        figures.apart("Merton Var[ln P_T] vs diffusive s^2 T", est_v, s * s * T, se_v)


# --------------------------------------------------------------------------------------------
# 7. Accounting identity and output semantics, per path

EXTRA_SCENARIOS: dict[str, dict[str, Any]] = {
    "liquidations": {
        "horizon_days": 30,
        "market.price.vol": 1.2,
        "hedge.leverage": 15.0,
    },
    "merton-up-jumps": {
        "horizon_days": 30,
        "market.price.model": "merton",
        "market.price.jump_intensity": 20.0,
        "market.price.jump_mean": 0.12,
        "market.price.jump_vol": 0.05,
        "hedge.leverage": 10.0,
        "hedge.liquidation_penalty": 0.05,
    },
    "v3-out-of-range": {
        "horizon_days": 30,
        "pool.type": "v3",
        "pool.range.lower": -0.05,
        "pool.range.upper": 0.05,
        "pool.fees.model": "arbitrage",
        "pool.fees.noise_volume_to_tvl_per_day": 0.5,
    },
    "periodic": {
        "horizon_days": 30,
        "hedge.leverage": 5.0,
        "hedge.rebalance.policy": "periodic",
        "hedge.rebalance.every_hours": 8,
    },
    "daily-funding-drain": {
        "horizon_days": 30,
        "step_hours": 24,
        "market.funding.model": "constant",
        "market.funding.mean": -0.003,
        "hedge.leverage": 10.0,
    },
}


@pytest.mark.parametrize("name", [*shipped_scenarios(), *EXTRA_SCENARIOS], ids=lambda n: str(n))
def test_accounting_identity_and_output_semantics(run: Run, name: str) -> None:
    """Per path (MODEL §7): pnl = (V_T - V0) + fees + funding + perp_pnl - trading_costs
    - liquidation_loss to round-off (1e-9 of K), final_value = K + pnl; liquidated paths have a
    finite liquidation_time (a grid time in (0, horizon]) and no short left, the others NaN and no
    liquidation loss; 0 <= max_drawdown <= 1; the cash recovered after a liquidation,
    final_value - lp_value - fees, is never negative (losses never exceed the collateral)."""
    if name in EXTRA_SCENARIOS:
        ds = run(EXTRA_SCENARIOS[name], paths=2_000, seed=17)
    else:
        ds = engine.simulate(name, paths=2_000, seed=17)
    K, V0 = ds.attrs["capital"], ds.attrs["lp_value0"]
    tol = 1e-9 * K
    # issue 6: cash of the options and the venue cover (zero unless a scenario uses them); a
    # pool exploit is in lp_value already, a perp-venue failure's loss leaves the perp equity
    overlays = (
        ds.option_payoff
        + ds.option_value
        - ds.option_premium
        + ds.insurance_payout
        - ds.insurance_premium
    ).values
    rhs = (
        (ds.lp_value - V0)
        + ds.fees
        + ds.funding
        + ds.perp_pnl
        - ds.trading_costs
        - ds.liquidation_loss
        # [issue6-lp] quote moved between the pool and the margin, and gas (0 when off)
        + ds.topped_up
        - ds.swept
        - ds.gas
        - ds.perp_venue_loss  # [issue6-venue]
    ).values + overlays
    np.testing.assert_allclose(ds.pnl.values, rhs, rtol=0, atol=tol)
    np.testing.assert_allclose(ds.final_value.values, K + ds.pnl.values, rtol=0, atol=tol)

    liq = ds.liquidated.values
    tau = ds.liquidation_time.values
    assert np.isfinite(tau[liq]).all() and np.isnan(tau[~liq]).all()
    assert (tau[liq] > 0).all() and (tau[liq] <= ds.attrs["horizon_days"] + 1e-9).all()
    steps = tau[liq] * 24.0 / ds.attrs["step_hours"]
    np.testing.assert_allclose(steps, np.round(steps), rtol=0, atol=1e-9)
    if engine.load_scenario(json.loads(ds.attrs["scenario"])).hedge.after_liquidation == "unhedged":
        assert (ds.final_hedge.values[liq] == 0.0).all()
    assert (ds.liquidation_loss.values[~liq] == 0.0).all()
    dd = ds.max_drawdown.values
    assert (dd >= 0.0).all() and (dd <= 1.0).all()
    recovered = (ds.final_value - ds.lp_value - ds.fees + ds.gas).values[liq] - overlays[liq]
    assert (recovered >= -tol).all()
    if name in ("liquidations", "merton-up-jumps", "daily-funding-drain", "high-leverage"):
        assert liq.sum() >= 20, "the scenario is meant to exercise liquidations"
    if name == "merton-up-jumps":
        # jumps through the barrier leave less than the penalty: recovered cash clamps at 0
        assert (recovered <= tol).sum() >= 5


# --------------------------------------------------------------------------------------------
# 8. Reproducibility

REPRO = {
    "horizon_days": 10,
    "market.price.model": "merton",
    "market.price.jump_intensity": 20.0,
    "market.price.jump_mean": 0.05,
    "hedge.leverage": 10.0,
}


@pytest.fixture(scope="module")
def repro_reference(run: Run) -> xr.Dataset:
    ds = run(REPRO, paths=1_000, seed=21, block_paths=1_000, workers=1)
    assert ds.liquidated.values.sum() > 10  # the liquidation branches are exercised
    return ds


@pytest.mark.parametrize(
    "kwargs",
    [
        {"block_paths": 4096},
        {"block_paths": 7},
        {"block_paths": 7, "workers": 2},
        {"block_paths": 250, "scheduler": "synchronous"},
        {"block_paths": 333, "workers": 2, "scheduler": "threads"},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_results_do_not_depend_on_blocks_workers_or_scheduler(
    run: Run, repro_reference: xr.Dataset, kwargs: dict[str, Any]
) -> None:
    """Each path's stream depends only on (seed, path index) (MODEL §9): the Dataset is
    bit-identical for any block size, number of workers or scheduler."""
    assert_same_results(repro_reference, run(REPRO, paths=1_000, seed=21, **kwargs))


def test_a_path_does_not_depend_on_the_number_of_paths(
    run: Run, repro_reference: xr.Dataset
) -> None:
    """Paths 0..99 of a 100-path run equal paths 0..99 of the 1000-path run, sampled paths
    included."""
    small = run(REPRO, paths=100, seed=21)
    for name in small.data_vars:
        dim = small[name].dims[0]
        np.testing.assert_array_equal(
            small[name].values, repro_reference[name].isel({dim: slice(0, 100)}).values, name
        )


def test_different_seeds_differ(run: Run, repro_reference: xr.Dataset) -> None:
    """Another seed gives other paths: no path's final price repeats."""
    other = run(REPRO, paths=1_000, seed=22)
    assert not np.isin(other.final_price.values, repro_reference.final_price.values).any()
    assert not np.array_equal(other.pnl.values, repro_reference.pnl.values)


@pytest.mark.parametrize("name", ["v3-range", "default"])
def test_stored_scenario_reproduces_the_run(name: str) -> None:
    """A results Dataset carries its resolved scenario: re-running it (as loaded from its
    `scenario` attribute) with the same seed reproduces the Dataset bit for bit."""
    ds = engine.simulate(name, paths=300, seed=4)
    stored = engine.load_scenario(json.loads(ds.attrs["scenario"]))
    again = engine.simulate(stored, paths=300, seed=4)
    assert_same_results(ds, again)

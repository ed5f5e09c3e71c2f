"""Funding realism and shocks against theory (issue 5): jumps of the OU funding state, the
exchange-style premium/clamp rate, the funding interval, and the deterministic `shocks:` overlays.

Statistical checks assert |estimate - theory| <= 4 s.e. (conftest `figures.close`), the s.e. from
the same sample; power checks (`figures.apart`) show a plausible wrong model would be caught.
Deterministic checks are to round-off. Notation as in test_theory.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from conftest import DATA_DIR
from scipy.stats import norm
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
from typer.testing import CliRunner

import engine
from engine import cli
from engine.errors import InputError
from engine.inputs import kernel_inputs
from engine.inputs.grid import _settlements_per_step
from engine.scenario import apply_overrides, load_scenario

Run = Callable[..., xr.Dataset]
N = 20_000  # paths of the statistical checks
LIQ_PATHS = 20_000  # paths of the liquidation-probability checks


def static_short_daily(vol: float, days: float, shocks: list[dict[str, Any]]) -> dict[str, Any]:
    """A static 1x short at 4x leverage on daily steps, with `shocks`: the setting of the bridge
    liquidation checks against the first-passage closed form."""
    return {
        **QUIET,
        "hedge.taker_fee": 0.0005,
        "hedge.slippage_bps": 2.0,
        "market.price.vol": vol,
        "hedge.ratio": 1.0,
        "hedge.leverage": 4.0,
        "hedge.rebalance.policy": "none",
        "horizon_days": days,
        "step_hours": 24,
        "output.sample_paths": 0,
        "shocks": shocks,
    }


def ou_law(t: float, f0: float, theta: float, kappa: float, eta: float) -> tuple[float, float]:
    """Mean and variance of the exact OU state at t years from f0 (no jumps)."""
    return (
        theta + (f0 - theta) * math.exp(-kappa * t),
        eta * eta * -math.expm1(-2.0 * kappa * t) / (2.0 * kappa),
    )


def gaussian_mean_of_piecewise_linear(
    g: Callable[[float], float], breaks: Sequence[float], mu: float, s: float
) -> float:
    """E[g(X)], X ~ N(mu, s^2), for g linear between the sorted breakpoints (and beyond them):
    on each piece g(x) = a + b x and E[(a + b X) 1{l < X < u}] = a (Phi(u') - Phi(l'))
    + b (mu (Phi(u') - Phi(l')) + s (phi(l') - phi(u'))), l' = (l - mu)/s, u' = (u - mu)/s."""
    edges = [-math.inf, *breaks, math.inf]
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        # two points inside the piece give its line (g is linear to infinity on the end pieces)
        if math.isfinite(lo) and math.isfinite(hi):
            x1, x2 = lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo)
        elif math.isfinite(hi):
            x1, x2 = hi - 2.0, hi - 1.0
        elif math.isfinite(lo):
            x1, x2 = lo + 1.0, lo + 2.0
        else:
            x1, x2 = 0.0, 1.0
        b = (g(x2) - g(x1)) / (x2 - x1)
        a = g(x1) - b * x1
        lz, hz = (lo - mu) / s, (hi - mu) / s
        mass = norm.cdf(hz) - norm.cdf(lz)
        total += a * mass + b * (mu * mass + s * (norm.pdf(lz) - norm.pdf(hz)))
    return total


def exchange_rate(p: float, interest: float, clamp: float) -> float:
    return p + min(max(interest - p, -clamp), clamp)


# --------------------------------------------------------------------------------------------
# 1. Jumps of the OU funding rate

OU_JUMPS = {
    **QUIET,
    **UNHEDGED,
    "market.price.vol": 0.8,
    "market.funding.model": "ou",
    "market.funding.initial": 0.002,
    "market.funding.mean": 0.0001,
    "market.funding.reversion": 50.0,
    "market.funding.vol": 0.003,
    "market.funding.corr_with_price": 0.6,
    "market.funding.cap": None,
    "market.funding.jump_intensity": 100.0,
    "market.funding.jump_mean": 0.0002,
    "market.funding.jump_vol": 0.0003,
    "horizon_days": 10,
    "step_hours": 1,
    "output.sample_paths": N,
    "output.observe_every_hours": 24,
}


def ou_jump_law(days: float) -> tuple[float, float]:
    """Exact law of the engine's scheme at t = n dt: f_k+1 = theta + (f_k - theta) d + e_k + J_k,
    d = e^{-kappa dt}, e_k the exact OU shock, J_k the step's compound-Poisson jumps at its end
    (E J = lambda dt m, Var J = lambda dt (m^2 + v^2)):
        E f_t = theta + (f0 - theta) d^n + lambda dt m (1 - d^n) / (1 - d),
        Var f_t = eta^2 (1 - d^2n) / (2 kappa) + lambda dt (m^2 + v^2) (1 - d^2n) / (1 - d^2).
    (Continuous-time jumps give lambda m (1 - d^n) / kappa and lambda (m^2 + v^2) (1 - d^2n) /
    (2 kappa): the same to a relative kappa dt / 2 = 0.3 % at hourly steps.)"""
    kappa, theta, eta, f0, lam, m, v = 50.0, 0.0001, 0.003, 0.002, 100.0, 0.0002, 0.0003
    dt = 1.0 / HOURS_PER_YEAR
    n = round(days * 24)
    d = math.exp(-kappa * dt)
    mean = theta + (f0 - theta) * d**n + lam * dt * m * (1.0 - d**n) / (1.0 - d)
    gauss = eta * eta * (1.0 - d ** (2 * n)) / (2.0 * kappa)
    var = gauss + lam * dt * (m * m + v * v) * (1.0 - d ** (2 * n)) / (1.0 - d * d)
    return mean, var


@pytest.fixture(scope="module")
def ou_jump_run(run: Run) -> xr.Dataset:
    return run(OU_JUMPS, paths=N, seed=41)


@pytest.mark.parametrize("day", [1, 3, 10])
def test_ou_funding_with_jumps_mean_and_variance(
    ou_jump_run: xr.Dataset, figures: Any, day: int
) -> None:
    """Mean and variance of f_t (every path sampled at day t) against the scheme's closed form.
    Power: the jump-free OU law must be more than 4 s.e. away (mean and variance)."""
    f = ou_jump_run.sample_funding_rate.sel(time=float(day)).values
    mean_th, var_th = ou_jump_law(day)
    est, se = mean_se(f)
    figures.close(f"OU+jumps E[f_t], t={day}d", est, mean_th, se)
    est_v, se_v = var_se(f)
    figures.close(f"OU+jumps Var[f_t], t={day}d", est_v, var_th, se_v)
    plain_mean, plain_var = ou_law(day / DAYS_PER_YEAR, 0.002, 0.0001, 50.0, 0.003)
    figures.apart(f"OU+jumps E[f_t] vs no jumps, t={day}d", est, plain_mean, se)
    figures.apart(f"OU+jumps Var[f_t] vs no jumps, t={day}d", est_v, plain_var, se_v)


def test_funding_jumps_draw_after_the_price_jumps_and_before_the_bridge() -> None:
    """The funding jumps' numbers come after z_price, z_funding [, u_jump, z_jump] and before
    u_bridge, so without them every existing scenario draws what it drew before."""
    from engine.kernels.draws import (
        D_BRIDGE,
        D_FJUMP_U,
        D_FJUMP_Z,
        D_FUNDING,
        D_JUMP_U,
        D_JUMP_Z,
        D_PRICE,
        DRAW_WIDTH,
        draw_steps,
    )
    from engine.kernels.rng import normal, seed_stream, uniform

    def stream() -> np.ndarray:
        state = np.empty(4, np.uint64)
        seed_stream(state, np.uint64(3), np.int64(5))
        return state

    for merton in (False, True):
        with_jumps = np.empty((4, DRAW_WIDTH))
        draw_steps(stream(), with_jumps, 4, merton, True)
        plain = np.empty((4, DRAW_WIDTH))
        draw_steps(stream(), plain, 4, merton, False)
        assert with_jumps[0, D_PRICE] == plain[0, D_PRICE]
        assert with_jumps[0, D_FUNDING] == plain[0, D_FUNDING]
        # by hand: the first step's numbers in the documented order
        state = stream()
        expected = [normal(state), normal(state)]
        if merton:
            expected += [uniform(state), normal(state)]
        expected += [uniform(state), normal(state), uniform(state)]
        got = [with_jumps[0, D_PRICE], with_jumps[0, D_FUNDING]]
        if merton:
            got += [with_jumps[0, D_JUMP_U], with_jumps[0, D_JUMP_Z]]
        got += [with_jumps[0, D_FJUMP_U], with_jumps[0, D_FJUMP_Z], with_jumps[0, D_BRIDGE]]
        assert got == expected


# --------------------------------------------------------------------------------------------
# 2. The exchange-style rate f = p + clamp(interest - p, -c, c)

INTEREST, CLAMP = 0.0001, 0.0005
PREMIUM = {
    **QUIET,
    **UNHEDGED,
    "market.price.vol": 0.8,
    "market.funding.model": "premium",
    "market.funding.initial": 0.0,
    "market.funding.mean": -0.0001,
    "market.funding.reversion": 50.0,
    "market.funding.vol": 0.008,
    "market.funding.corr_with_price": 0.3,
    "market.funding.interest": INTEREST,
    "market.funding.clamp": CLAMP,
    "market.funding.cap": None,
    "horizon_days": 10,
    "step_hours": 1,
    "output.sample_paths": N,
    "output.observe_every_hours": 24,
}


@pytest.fixture(scope="module")
def premium_run(run: Run) -> xr.Dataset:
    return run(PREMIUM, paths=N, seed=43)


@pytest.mark.parametrize("day", [1, 10])
def test_premium_rate_mass_at_interest_and_mean(
    premium_run: xr.Dataset, figures: Any, day: int
) -> None:
    """With p_t ~ N(mu_t, s_t^2) (exact OU law of the premium), f_t = interest exactly with
    probability P(|interest - p_t| <= c) = Phi((i + c - mu_t)/s_t) - Phi((i - c - mu_t)/s_t)
    (binomial s.e.), and E[f_t] from the Gaussian law of the piecewise-linear f(p) (s.e. of the
    mean). Power: E[f_t] must be more than 4 s.e. from the premium's own mean mu_t."""
    mu, var = ou_law(day / DAYS_PER_YEAR, 0.0, -0.0001, 50.0, 0.008)
    s = math.sqrt(var)
    f = premium_run.sample_funding_rate.sel(time=float(day)).values
    p_mass, se_mass = proportion_se(f == INTEREST)
    theory_mass = norm.cdf((INTEREST + CLAMP - mu) / s) - norm.cdf((INTEREST - CLAMP - mu) / s)
    figures.close(f"P(f_t == interest), t={day}d", p_mass, theory_mass, se_mass)
    est, se = mean_se(f)
    theory_mean = gaussian_mean_of_piecewise_linear(
        lambda p: exchange_rate(p, INTEREST, CLAMP), [INTEREST - CLAMP, INTEREST + CLAMP], mu, s
    )
    figures.close(f"E[f_t] premium model, t={day}d", est, theory_mean, se)
    figures.apart(f"E[f_t] premium model vs E[p_t], t={day}d", est, mu, se)


def test_premium_rate_settled_under_the_cap_by_a_static_short(run: Run, figures: Any) -> None:
    """Static short q0 (no rebalancing, no liquidation at leverage 0.5), premium funding
    independent of the price (corr 0), cap 0.0003 < interest + clamp: the short receives
    q0 P_tj clamp(f(p_tj), -cap, cap) at each 8-h settlement, so
    E[funding] = q0 P0 sum_j e^{mu t_j} E[clamp(f(p_tj), -cap, cap)], each expectation from the
    Gaussian law of p_tj. Power: the uncapped rate's figure must be more than 4 s.e. away."""
    cap, mu_p, days = 0.0003, 0.5, 30
    scenario = {
        **PREMIUM,
        "market.price.drift": mu_p,
        "market.funding.corr_with_price": 0.0,
        "market.funding.cap": cap,
        "hedge.ratio": 1.0,
        "hedge.leverage": 0.5,
        "hedge.rebalance.policy": "none",
        "horizon_days": days,
        "output.sample_paths": 0,
    }
    ds = run(scenario, paths=N, seed=47)
    assert not ds.liquidated.values.any()
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    times = np.arange(1, days * 3 + 1) * 8.0 / HOURS_PER_YEAR
    capped = uncapped = 0.0
    for t in times:
        m, v = ou_law(float(t), 0.0, -0.0001, 50.0, 0.008)
        s = math.sqrt(v)
        breaks = [-cap - CLAMP, INTEREST - CLAMP, INTEREST + CLAMP, cap + CLAMP]
        e_capped = gaussian_mean_of_piecewise_linear(
            lambda p: min(max(exchange_rate(p, INTEREST, CLAMP), -cap), cap), breaks, m, s
        )
        e_free = gaussian_mean_of_piecewise_linear(
            lambda p: exchange_rate(p, INTEREST, CLAMP), breaks[1:3], m, s
        )
        capped += math.exp(mu_p * t) * e_capped
        uncapped += math.exp(mu_p * t) * e_free
    est, se = mean_se(ds.funding.values)
    figures.close("E[funding], premium rate under a cap", est, q0 * p0 * capped, se)
    figures.apart("E[funding], capped vs uncapped premium rate", est, q0 * p0 * uncapped, se)


@pytest.mark.parametrize("rate", [0.003, -0.003])
def test_cap_clamps_a_constant_rate_exactly(run: Run, rate: float) -> None:
    """A constant rate beyond the cap pays sign(rate) x cap at every settlement: without
    volatility a static short receives q0 P0 sum_j e^{mu t_j} clamp(rate, -cap, cap), exactly."""
    cap, mu, days = 0.001, 0.3, 5
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.0,
            "market.price.drift": mu,
            "market.funding.model": "constant",
            "market.funding.mean": rate,
            "market.funding.cap": cap,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "output.sample_paths": 0,
        },
        paths=2,
    )
    t = np.arange(1, days * 3 + 1) * 8.0 / HOURS_PER_YEAR
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    paid = math.copysign(cap, rate)
    np.testing.assert_allclose(ds.funding.values, q0 * p0 * paid * np.exp(mu * t).sum(), rtol=1e-12)


def test_cap_on_ou_funding_received_by_static_short(run: Run, figures: Any) -> None:
    """OU funding independent of the price (corr 0), cap below its spread: E[funding] =
    q0 P0 sum_j e^{mu t_j} E[clamp(f_tj, -cap, cap)], f_tj Gaussian (exact OU law). Power: the
    uncapped figure q0 P0 sum_j e^{mu t_j} E[f_tj]."""
    cap, mu, days, f0, theta, kappa, eta = 0.0004, 0.5, 30, 0.0012, 0.0002, 50.0, 0.006
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.8,
            "market.price.drift": mu,
            "market.funding.model": "ou",
            "market.funding.initial": f0,
            "market.funding.mean": theta,
            "market.funding.reversion": kappa,
            "market.funding.vol": eta,
            "market.funding.corr_with_price": 0.0,
            "market.funding.cap": cap,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "output.sample_paths": 0,
        },
        paths=N,
        seed=83,
    )
    assert not ds.liquidated.values.any()
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    capped = free = 0.0
    for t in np.arange(1, days * 3 + 1) * 8.0 / HOURS_PER_YEAR:
        m, v = ou_law(float(t), f0, theta, kappa, eta)
        growth = math.exp(mu * t)
        capped += growth * gaussian_mean_of_piecewise_linear(
            lambda f: min(max(f, -cap), cap), [-cap, cap], m, math.sqrt(v)
        )
        free += growth * m
    est, se = mean_se(ds.funding.values)
    figures.close("E[funding], OU under a cap", est, q0 * p0 * capped, se)
    figures.apart("E[funding], OU capped vs uncapped", est, q0 * p0 * free, se)


# --------------------------------------------------------------------------------------------
# 3. Funding interval (1 h or 8 h) and settlement counting


@pytest.mark.parametrize(
    ("n_steps", "step_hours", "interval_hours", "expected"),
    [
        (24, 1.0, 1.0, [1] * 24),
        (3, 24.0, 1.0, [24] * 3),
        (24, 1.0, 8.0, [0] * 7 + [1] + [0] * 7 + [1] + [0] * 7 + [1]),
        (6, 2.0, 3.0, [0, 1, 1, 0, 1, 1]),
        (4, 24.0, 8.0, [3] * 4),
    ],
)
def test_settlement_counts(
    n_steps: int, step_hours: float, interval_hours: float, expected: list[int]
) -> None:
    """Funding times j x interval in (t_k, t_k+1] counted per step."""
    counts = _settlements_per_step(n_steps, step_hours, interval_hours)
    assert counts.tolist() == expected


@pytest.mark.parametrize(
    ("step_hours", "interval_hours"), [(1, 1), (24, 1), (1, 8), (2, 3), (24, 8)]
)
def test_constant_funding_closed_form_any_interval_without_volatility(
    run: Run, step_hours: int, interval_hours: int
) -> None:
    """Without volatility the price is P0 e^{mu t}: a static short receives, at the end of each
    step k, n_k q0 P0 e^{mu t_k+1} f (n_k settlements in the step, each at the end-of-step price
    and rate), exactly. A rate is per interval: at 1 h the same f pays 8 times what it pays at 8 h
    (checked by the 1-h and 8-h cases against the same formula)."""
    f, mu, days = 0.0002, 0.4, 6
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.0,
            "market.price.drift": mu,
            "market.funding.model": "constant",
            "market.funding.mean": f,
            "market.funding.interval_hours": interval_hours,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "step_hours": step_hours,
            "output.sample_paths": 0,
        },
        paths=3,
    )
    n_steps = days * 24 // step_hours
    ends = np.arange(1, n_steps + 1) * step_hours
    counts = np.floor(ends / interval_hours + 1e-9) - np.floor(
        (ends - step_hours) / interval_hours + 1e-9
    )
    assert counts.sum() == days * 24 // interval_hours
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    theory = f * q0 * p0 * float((counts * np.exp(mu * ends / HOURS_PER_YEAR)).sum())
    np.testing.assert_allclose(ds.funding.values, theory, rtol=1e-12)


def test_hourly_funding_received_by_static_short(run: Run, figures: Any) -> None:
    """Hourly settlements on an hourly grid, constant f per hour, volatile price: E[funding] =
    f q0 P0 sum_{j=1}^{24 days} e^{mu j h} (h = 1 hour). Power: the drift-free figure."""
    f, mu, days = 0.00003, 0.5, 20
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.8,
            "market.price.drift": mu,
            "market.funding.model": "constant",
            "market.funding.mean": f,
            "market.funding.interval_hours": 1,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "output.sample_paths": 0,
        },
        paths=10_000,
        seed=53,
    )
    assert not ds.liquidated.values.any()
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    t = np.arange(1, days * 24 + 1) / HOURS_PER_YEAR
    est, se = mean_se(ds.funding.values)
    figures.close("E[funding], hourly interval", est, f * q0 * p0 * float(np.exp(mu * t).sum()), se)
    figures.apart("E[funding], hourly, vs drift-free", est, f * q0 * p0 * t.size, se)


# --------------------------------------------------------------------------------------------
# 4. Shocks: price moves


def test_price_shock_lands_exactly_without_volatility(run: Run) -> None:
    """vol 0: P_t = P0 e^{mu t} outside the window; over a window of H hours from day D the price
    gains the factor (1 + X)^{h/H} after h hours (evenly in log), and after the window
    P = P0 e^{mu t} (1 + X), to 1e-12."""
    mu, move, day, hours, days = 0.2, -0.3, 3, 12, 5
    ds = run(
        {
            **QUIET,
            **UNHEDGED,
            "market.price.vol": 0.0,
            "market.price.drift": mu,
            "horizon_days": days,
            "output.observe_every_hours": 1,
            "output.sample_paths": 2,
            "shocks": [{"kind": "price", "day": day, "hours": hours, "move": move}],
        },
        paths=2,
    )
    p0 = ds.attrs["spot0"]
    hours_t = ds.time.values * 24.0
    factor = np.clip((hours_t - day * 24) / hours, 0.0, 1.0)
    expected = p0 * np.exp(mu * hours_t / HOURS_PER_YEAR) * (1.0 + move) ** factor
    np.testing.assert_allclose(ds.sample_price.values[0], expected, rtol=1e-12)
    before, after = ds.sample_price.sel(time=float(day)), ds.sample_price.sel(time=day + 0.5)
    np.testing.assert_allclose(
        (after / before).values, (1.0 + move) * math.exp(mu * hours / HOURS_PER_YEAR), rtol=1e-12
    )
    np.testing.assert_allclose(
        ds.final_price.values, p0 * math.exp(mu * days / DAYS_PER_YEAR) * (1.0 + move), rtol=1e-12
    )


@pytest.mark.parametrize("model", ["gbm", "merton"])
def test_price_shock_ratio_with_common_random_numbers(run: Run, model: str) -> None:
    """The same paths with and without a shock (shocks draw nothing): shocked / unshocked is 1
    before the window (bit-identical), (1 + X)^{h/H} h hours into it and 1 + X from its end on,
    to 1e-12 on every path -- with the hedge trading and liquidating on the shocked paths."""
    move, day, hours = 0.25, 2, 6
    base = {
        "market.price.model": model,
        "market.price.vol": 0.8,
        "horizon_days": 5,
        "hedge.leverage": 5.0,
        "output.observe_every_hours": 1,
        "output.sample_paths": 300,
    }
    if model == "merton":
        base |= {"market.price.jump_intensity": 40.0, "market.price.jump_mean": 0.02}
    plain = run(base, paths=300, seed=59)
    shocked = run(
        {**base, "shocks": [{"kind": "price", "day": day, "hours": hours, "move": move}]},
        paths=300,
        seed=59,
    )
    assert shocked.liquidated.values.sum() > plain.liquidated.values.sum()
    ratio = shocked.sample_price.values / plain.sample_price.values
    hours_t = plain.time.values * 24.0
    before = hours_t <= day * 24
    np.testing.assert_array_equal(ratio[:, before], 1.0)
    expected = (1.0 + move) ** np.clip((hours_t - day * 24) / hours, 0.0, 1.0)
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape), rtol=1e-12)
    np.testing.assert_allclose(
        shocked.final_price.values / plain.final_price.values, 1.0 + move, rtol=1e-12
    )


def test_price_shock_drift_and_the_bridge_liquidation(run: Run, figures: Any) -> None:
    """A price shock spread over the whole horizon T adds the drift c = ln(1 + X) / T to ln P:
    a static short on daily steps is liquidated with the continuous first-passage probability of
    nu t + s W_t, nu = mu - s^2/2 + c (the bridge between grid points is unchanged by a
    deterministic drift). Power: the discretely monitored figure (BGK) and the unshocked one."""
    s, move, days = 0.6, 0.5, 60
    ds = run(
        static_short_daily(
            s, days, [{"kind": "price", "day": 0, "hours": days * 24, "move": move}]
        ),
        paths=LIQ_PATHS,
        seed=101,
    )
    b, T = log_barrier(ds), days / DAYS_PER_YEAR
    nu = -0.5 * s * s + math.log1p(move) / T
    p, se = proportion_se(ds.liquidated.values)
    figures.close("P(liq), price shock over the horizon", p, first_passage(b, nu, s, T), se)
    bgk = first_passage(b + BGK_BETA * s * math.sqrt(1.0 / DAYS_PER_YEAR), nu, s, T)
    figures.apart("P(liq), price shock, vs discrete monitoring (BGK)", p, bgk, se)
    figures.apart("P(liq), price shock, vs unshocked", p, first_passage(b, -0.5 * s * s, s, T), se)


def test_neutral_shocks_change_nothing(run: Run) -> None:
    """A move of 0 and a multiplier of 1 leave every output bit-identical."""
    base = {"horizon_days": 5, "hedge.leverage": 6.0}
    plain = run(base, paths=500, seed=61)
    neutral = run(
        {
            **base,
            "shocks": [
                {"kind": "price", "day": 1, "hours": 12, "move": 0.0},
                {"kind": "vol", "day": 2, "hours": 24, "multiplier": 1.0},
            ],
        },
        paths=500,
        seed=61,
    )
    for name in plain.data_vars:
        np.testing.assert_array_equal(plain[name].values, neutral[name].values, err_msg=name)


# --------------------------------------------------------------------------------------------
# 5. Shocks: forced funding


def test_forced_funding_pays_exactly_the_forced_rate(run: Run) -> None:
    """vol 0, constant funding f, a window forcing r over [D, D + H): the settlements at the ends
    of the window's steps, t_j in (D, D + H], pay r, the others f; a static short receives
    q0 P0 sum_j e^{mu t_j} rate_j exactly. Constant funding returns to f after the window."""
    f, r, mu, day, hours, days = 0.0001, -0.002, 0.3, 4, 24, 8
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.0,
            "market.price.drift": mu,
            "market.funding.model": "constant",
            "market.funding.mean": f,
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "output.sample_paths": 1,
            "output.observe_every_hours": 8,
            "shocks": [{"kind": "funding", "day": day, "hours": hours, "rate": r}],
        },
        paths=2,
    )
    t_hours = np.arange(1, days * 3 + 1) * 8.0
    forced = (t_hours > day * 24) & (t_hours <= day * 24 + hours)
    assert forced.sum() == 3
    rates = np.where(forced, r, f)
    q0, p0 = ds.attrs["x0"], ds.attrs["spot0"]
    theory = q0 * p0 * float((np.exp(mu * t_hours / HOURS_PER_YEAR) * rates).sum())
    np.testing.assert_allclose(ds.funding.values, theory, rtol=1e-12)
    np.testing.assert_array_equal(ds.sample_funding_rate.values[0, 1:], rates)


def test_forced_funding_over_the_horizon_pays_the_rate_on_every_path(run: Run) -> None:
    """OU funding forced to r over the whole horizon, volatile price, static short: on every path
    the funding received is r q0 sum_j P_tj over the 8-h settlements, the prices read on the
    sampled 8-h grid, to 1e-12."""
    r, days = 0.0007, 10
    ds = run(
        {
            **QUIET,
            "market.price.vol": 0.8,
            "market.funding.model": "ou",
            "hedge.ratio": 1.0,
            "hedge.leverage": 0.5,
            "hedge.rebalance.policy": "none",
            "horizon_days": days,
            "output.sample_paths": 300,
            "output.observe_every_hours": 8,
            "shocks": [{"kind": "funding", "day": 0, "hours": days * 24, "rate": r}],
        },
        paths=300,
        seed=97,
    )
    assert not ds.liquidated.values.any()
    settled = ds.sample_price.values[:, 1:].sum(axis=1)
    np.testing.assert_allclose(ds.funding.values, r * ds.attrs["x0"] * settled, rtol=1e-12)
    assert (ds.sample_funding_rate.values[:, 1:] == r).all()


def test_forced_funding_then_ou_restarts_from_the_forced_rate(run: Run, figures: Any) -> None:
    """OU funding forced to r over [D, D + H): at D + H the rate is r on every path; afterwards
    the OU state restarts from r: f_t ~ N(theta + (r - theta) e^{-kappa s},
    eta^2 (1 - e^{-2 kappa s}) / (2 kappa)), s = t - (D + H). Power: the unforced law at t."""
    r, theta, kappa, eta, f0 = 0.003, 0.0001, 50.0, 0.003, 0.0001
    ds = run(
        {
            **QUIET,
            **UNHEDGED,
            "market.price.vol": 0.8,
            "market.funding.model": "ou",
            "market.funding.initial": f0,
            "market.funding.cap": None,
            "horizon_days": 8,
            "output.sample_paths": N,
            "shocks": [{"kind": "funding", "day": 3, "hours": 48, "rate": r}],
        },
        paths=N,
        seed=67,
    )
    rates = ds.sample_funding_rate
    assert (rates.sel(time=4.0).values == r).all() and (rates.sel(time=5.0).values == r).all()
    for day in (6, 8):
        s = (day - 5) / DAYS_PER_YEAR
        mean_th, var_th = ou_law(s, r, theta, kappa, eta)
        f = rates.sel(time=float(day)).values
        est, se = mean_se(f)
        figures.close(f"E[f] {day - 5}d after forced funding", est, mean_th, se)
        est_v, se_v = var_se(f)
        figures.close(f"Var[f] {day - 5}d after forced funding", est_v, var_th, se_v)
        unforced, _ = ou_law(day / DAYS_PER_YEAR, f0, theta, kappa, eta)
        figures.apart(f"E[f] {day - 5}d after forced funding vs unforced", est, unforced, se)


# --------------------------------------------------------------------------------------------
# 6. Shocks: volatility multiplier


@pytest.mark.parametrize("model", ["gbm", "merton"])
def test_vol_multiplier_scales_the_log_variance_over_the_window(
    run: Run, figures: Any, model: str
) -> None:
    """Multiplier M over days [5, 7): r = ln(P_7 / P_5) has Var = M^2 s^2 h + lambda h (m^2 + v^2)
    (Merton jumps unchanged), h = 2 days, and E[P_7 / P_5] = e^{mu h} (the Ito term of the extra
    variance keeps E[P]); ln(P_5 / P_0) keeps Var = s^2 5d + jumps. Power: the unmultiplied
    variance over the window, and E[P_7 / P_5] without the Ito term, e^{mu h + (M^2 - 1) s^2 h/2}."""
    mu, s, mult, lam, jm, jv = 0.3, 0.5, 3.0, 40.0, -0.02, 0.05
    overrides = {
        **QUIET,
        **UNHEDGED,
        "market.price.model": model,
        "market.price.drift": mu,
        "market.price.vol": s,
        "horizon_days": 10,
        "output.sample_paths": N,
        "shocks": [{"kind": "vol", "day": 5, "hours": 48, "multiplier": mult}],
    }
    if model == "merton":
        overrides |= {
            "market.price.jump_intensity": lam,
            "market.price.jump_mean": jm,
            "market.price.jump_vol": jv,
        }
    else:
        lam = 0.0
    ds = run(overrides, paths=N, seed=71)
    prices = ds.sample_price
    h = 2.0 / DAYS_PER_YEAR
    jumps = lam * (jm * jm + jv * jv)
    window = np.log((prices.sel(time=7.0) / prices.sel(time=5.0)).values)
    est_v, se_v = var_se(window)
    figures.close(
        f"{model}: Var ln(P7/P5), vol x{mult:g}", est_v, (mult * s) ** 2 * h + jumps * h, se_v
    )
    figures.apart(f"{model}: Var ln(P7/P5) vs unmultiplied", est_v, s * s * h + jumps * h, se_v)
    growth, se_g = mean_se(np.exp(window))
    figures.close(f"{model}: E[P7/P5], vol x{mult:g}", growth, math.exp(mu * h), se_g)
    no_ito = math.exp(mu * h + 0.5 * (mult * mult - 1.0) * s * s * h)
    figures.apart(
        f"{model}: E[P7/P5] vs without the Ito term of the extra variance", growth, no_ito, se_g
    )
    before = np.log((prices.sel(time=5.0) / prices.sel(time=0.0)).values)
    est_b, se_b = var_se(before)
    t5 = 5.0 / DAYS_PER_YEAR
    figures.close(f"{model}: Var ln(P5/P0), before the window", est_b, (s * s + jumps) * t5, se_b)


def test_vol_multiplier_drives_the_bridge_liquidation(run: Run, figures: Any) -> None:
    """Static short, daily steps, vol 0.4 multiplied by 2 over the first 30 days of 60: the
    liquidation time satisfies P(tau <= 30d) = the continuous first-passage probability with
    vol 0.8 and drift nu = mu - 0.8^2/2 (the bridge uses the multiplied variance). Power: the
    discretely monitored figure (BGK shift of the barrier by beta 0.8 sqrt(dt)) and the
    unmultiplied vol's first passage are more than 4 s.e. away."""
    s, mult, days, window_days = 0.4, 2.0, 60, 30
    ds = run(
        {
            **static_short_daily(
                s,
                days,
                [{"kind": "vol", "day": 0, "hours": window_days * 24, "multiplier": mult}],
            ),
            "market.price.drift": 0.0,
        },
        paths=LIQ_PATHS,
        seed=73,
    )
    b, vol = log_barrier(ds), s * mult
    T = window_days / DAYS_PER_YEAR
    tau = np.nan_to_num(ds.liquidation_time.values, nan=np.inf)
    p, se = proportion_se(tau <= window_days)
    nu = -0.5 * vol * vol
    figures.close("P(tau <= 30d), vol x2 over the window", p, first_passage(b, nu, vol, T), se)
    dt = 1.0 / DAYS_PER_YEAR
    bgk = first_passage(b + BGK_BETA * vol * math.sqrt(dt), nu, vol, T)
    figures.apart("P(tau <= 30d), vol x2, vs discrete monitoring (BGK)", p, bgk, se)
    figures.apart(
        "P(tau <= 30d), vol x2, vs unmultiplied vol", p, first_passage(b, -0.5 * s * s, s, T), se
    )


# --------------------------------------------------------------------------------------------
# 7. Accounting identity with every feature on

EVERYTHING = {
    "horizon_days": 20,
    "hedge.leverage": 5.0,
    "pool.fees.model": "arbitrage",
    "market.price.model": "merton",
    "market.price.jump_intensity": 20.0,
    "market.price.jump_mean": 0.04,
    "market.funding.model": "premium",
    "market.funding.vol": 0.006,
    "market.funding.jump_intensity": 30.0,
    "market.funding.jump_mean": 0.0005,
    "market.funding.jump_vol": 0.0005,
    "market.funding.cap": 0.002,
    "shocks": [
        {"kind": "price", "day": 2, "hours": 12, "move": 0.2},
        {"kind": "vol", "day": 5, "hours": 72, "multiplier": 2.0},
        {"kind": "funding", "day": 9, "hours": 48, "rate": -0.002},
        {"kind": "price", "day": 14, "hours": 24, "move": -0.35},
        {"kind": "price", "day": 14, "hours": 12, "move": 0.1},
    ],
}


def test_accounting_identity_with_funding_and_shocks(run: Run) -> None:
    """pnl = (V_T - V0) + fees + funding + perp_pnl - trading_costs - liquidation_loss, per path,
    to 1e-9 K, with premium funding and its jumps, Merton jumps and every kind of shock
    (overlapping price shocks compose). The scenario liquidates and rebalances."""
    ds = run(EVERYTHING, paths=2_000, seed=79)
    K, V0 = ds.attrs["capital"], ds.attrs["lp_value0"]
    rhs = (
        (ds.lp_value - V0)
        + ds.fees
        + ds.funding
        + ds.perp_pnl
        - ds.trading_costs
        - ds.liquidation_loss
    ).values
    np.testing.assert_allclose(ds.pnl.values, rhs, rtol=0, atol=1e-9 * K)
    assert ds.liquidated.values.sum() >= 20 and (ds.n_rebalances.values > 0).sum() >= 20


def test_shock_arrays_compose_overlapping_windows() -> None:
    """Per-step arrays: overlapping price shocks add their log moves, vol multipliers multiply;
    a window covers the steps starting in [day, day + hours/24)."""
    scn = load_scenario(
        apply_overrides(
            {},
            {
                "horizon_days": 2,
                "step_hours": 2,
                "shocks": [
                    {"kind": "price", "day": 0.5, "hours": 8, "move": -0.2},
                    {"kind": "price", "day": 0.75, "hours": 12, "move": 0.1},
                    {"kind": "vol", "day": 0, "hours": 24, "multiplier": 2.0},
                    {"kind": "vol", "day": 0.5, "hours": 4, "multiplier": 1.5},
                    {"kind": "funding", "day": 1, "hours": 6, "rate": 0.001},
                ],
            },
        )
    )
    shocks = kernel_inputs(scn).shocks
    move = np.zeros(24)
    move[6:10] += math.log(0.8) / 4
    move[9:15] += math.log(1.1) / 6
    np.testing.assert_allclose(shocks.log_move, move, rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.exp(shocks.log_move.sum()), 0.8 * 1.1, rtol=1e-14)
    vol = np.ones(24)
    vol[:12] *= 2.0
    vol[6:8] *= 1.5
    np.testing.assert_array_equal(shocks.vol_multiplier, vol)
    forced = np.full(24, np.nan)
    forced[12:15] = 0.001
    np.testing.assert_array_equal(shocks.forced_funding, forced)
    assert kernel_inputs(load_scenario()).shocks.log_move.size == 0


def test_a_shock_can_be_set_and_swept_by_its_index(run: Run) -> None:
    """`shocks.0.move` addresses the first shock's move, on the command line (--set) and in a
    sweep; the sweep's points share their paths, so their final prices differ exactly by the
    ratio of the moves."""
    base = {
        **UNHEDGED,
        "horizon_days": 4,
        "output.sample_paths": 0,
        "shocks": [
            {"kind": "vol", "day": 0, "hours": 24, "multiplier": 2.0},
            {"kind": "price", "day": 1, "hours": 12, "move": -0.3},
        ],
    }
    scn = load_scenario(apply_overrides({}, base), ["shocks.1.move=-0.5"])
    assert scn.shocks[1].move == -0.5 and scn.shocks[0].multiplier == 2.0
    ds = run({**base, "sweep": {"shocks.1.move": [-0.2, -0.4]}}, paths=200, seed=89)
    prices = ds.final_price.transpose("shocks.1.move", "path").values
    np.testing.assert_allclose(prices[1] / prices[0], 0.6 / 0.8, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# 8. Bad inputs: exit 2 naming the field

SHOCK = "shocks=[{kind: price, day: 3, hours: 12, move: -0.3}]"
BAD = {
    "day beyond horizon": (
        [
            "--set",
            "horizon_days=10",
            "--set",
            "shocks=[{kind: price, day: 10, hours: 1, move: -0.3}]",
        ],
        "shocks.0.day",
        "10",
    ),
    "move -1": (["--set", SHOCK.replace("-0.3", "-1")], "shocks.0.move", "-1"),
    "move below -1": (["--set", SHOCK.replace("-0.3", "-1.5")], "shocks.0.move", "-1.5"),
    "multiplier 0": (
        ["--set", "shocks=[{kind: vol, day: 1, hours: 2, multiplier: 0}]"],
        "shocks.0.multiplier",
        "0",
    ),
    "negative multiplier": (
        ["--set", "shocks=[{kind: vol, day: 1, hours: 2, multiplier: -2}]"],
        "shocks.0.multiplier",
        "-2",
    ),
    "unknown kind": (
        ["--set", "shocks=[{kind: crash, day: 1, hours: 2, move: -0.5}]"],
        "shocks.0.kind",
        "crash",
    ),
    "missing kind": (["--set", "shocks=[{day: 1, hours: 2}]"], "shocks.0.kind", "None"),
    "missing multiplier": (
        ["--set", "shocks=[{kind: vol, day: 1, hours: 2}]"],
        "shocks.0.multiplier",
        "None",
    ),
    "hours off the grid": (
        ["--set", "step_hours=2", "--set", "shocks=[{kind: vol, day: 1, hours: 3, multiplier: 2}]"],
        "shocks.0.hours",
        "3",
    ),
    "day off the grid": (
        ["--set", "step_hours=24", "--set", SHOCK.replace("day: 3", "day: 2.5")],
        "shocks.0.day",
        "2.5",
    ),
    "overlapping forced funding": (
        [
            "--set",
            "shocks=[{kind: funding, day: 1, hours: 24, rate: 0.001}, "
            "{kind: funding, day: 1.5, hours: 24, rate: 0.002}]",
        ],
        "shocks.1.day",
        "1.5",
    ),
    "forced rate beyond the cap": (
        ["--set", "shocks=[{kind: funding, day: 1, hours: 24, rate: 0.01}]"],
        "shocks.0.rate",
        "0.01",
    ),
    "forced rate without funding": (
        [
            "--set",
            "market.funding.model=none",
            "--set",
            "shocks=[{kind: funding, day: 1, hours: 24, rate: 0.001}]",
        ],
        "shocks.0.rate",
        "0.001",
    ),
    "negative clamp": (
        ["--set", "market.funding.model=premium", "--set", "market.funding.clamp=-0.0001"],
        "market.funding.clamp",
        "-0.0001",
    ),
    "clamp without premium": (
        ["--set", "market.funding.clamp=0.001"],
        "market.funding.clamp",
        "0.001",
    ),
    "interest without premium": (
        ["--set", "market.funding.interest=0.0002"],
        "market.funding.interest",
        "0.0002",
    ),
    "jumps of constant funding": (
        ["--set", "market.funding.model=constant", "--set", "market.funding.jump_intensity=5"],
        "market.funding.jump_intensity",
        "5",
    ),
    "negative jump vol": (
        ["--set", "market.funding.jump_vol=-0.001"],
        "market.funding.jump_vol",
        "-0.001",
    ),
    "negative jump intensity": (
        ["--set", "market.funding.jump_intensity=-1"],
        "market.funding.jump_intensity",
        "-1",
    ),
    "shocks not a list": (["--set", "shocks=3"], "shocks", "3"),
    "shock index without shocks": (["--set", "shocks.0.move=-0.2"], "shocks.0", "0"),
    "shock index beyond the list": (
        ["--set", SHOCK, "--set", "shocks.3.move=0.1"],
        "shocks.3",
        "3",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_funding_and_shock_inputs_exit_2(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line on stderr naming the field and the value, exit 2, nothing written."""
    args, field, value = BAD[case]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["run", *args, "--out", "out"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {field} = "), lines[0]
    assert value in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model", ["replay", "bootstrap"])
def test_vol_shock_on_historical_returns_is_rejected(model: str) -> None:
    """The historical price models step by data returns with no diffusive part: a volatility
    multiplier would do nothing, so it is an error naming the shock's multiplier."""
    data = {
        "market": {
            "price": {
                "model": model,
                "history": {"prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv")},
            },
            "funding": {"corr_with_price": 0.0},
        },
        "horizon_days": 10,
        "shocks": [{"kind": "vol", "day": 1, "hours": 24, "multiplier": 2.0}],
    }
    with pytest.raises(InputError) as err:
        load_scenario(data)
    assert err.value.field == "shocks.0.multiplier"
    data["shocks"] = [{"kind": "price", "day": 1, "hours": 24, "move": -0.2}]
    assert load_scenario(data).shocks[0].move == -0.2


def test_shock_example_scenario_runs(run: Run) -> None:
    """The shipped shock scenario validates and runs; its shocks reach the kernel."""
    scn = engine.load_scenario("shock-example")
    assert scn.shocks and scn.market.funding.model == "premium"
    shocks = kernel_inputs(scn).shocks
    assert shocks.log_move.any() and (shocks.vol_multiplier != 1.0).any()
    assert np.isfinite(shocks.forced_funding).any()
    ds = engine.simulate(scn, paths=200)
    assert np.isfinite(ds.pnl.values).all()


def test_a_shock_window_shorter_than_a_step_is_refused() -> None:
    """A window that rounds to zero steps used to pass validation and divide by zero later."""
    with pytest.raises(engine.InputError, match=r"^shocks\.0\.hours = 1e-07"):
        engine.load_scenario(
            None, overrides={"shocks": [{"kind": "price", "day": 1, "hours": 1e-7, "move": -0.2}]}
        )

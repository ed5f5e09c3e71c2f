"""Calibration of the GARCH(1,1)-t price model (`engine.calibrate.garch`) and the two-regime
Markov-switching fit (`engine.calibrate.regime`).

Layers: the likelihoods against independent implementations (the `arch` package's own
log-likelihood; a brute-force sum over every regime path); recovery of known parameters from
simulated data within 4 of the standard errors the fits report; plausible values on the real ETH
data; the written scenarios load and run.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from engine.calibrate.garch import (
    backcast,
    conditional_variance,
    fit_garch,
    garch_kurtosis,
    garch_loglik,
    t_kurtosis,
)
from engine.calibrate.regime import fit_regime, hamilton_filter, interval_returns, smoothed
from engine.data import Series, read_funding, read_prices
from tests.calibration_data import ETH_1H, ETH_FUNDING, HOUR, needs_data, simulated_paths

# --------------------------------------------------------------------------------------------
# Independent simulators (numpy, their own code path; the engine's kernels are checked against
# the same fits in the engine-simulation tests)


def simulate_garch(
    n: int, vol: float, alpha: float, beta: float, dof: float, dt: float, seed: int
) -> np.ndarray:
    """Log returns of GARCH(1,1) with unit-variance Student-t innovations, per-step variance
    h = vol^2 dt v, v' = (1 - a - b) + a v e^2 + b v (the engine's parametrisation), zero mean."""
    rng = np.random.default_rng(seed)
    e = rng.standard_t(dof, n) * math.sqrt((dof - 2.0) / dof)
    hbar = vol * vol * dt
    out = np.empty(n)
    v = 1.0
    for k in range(n):
        out[k] = math.sqrt(hbar * v) * e[k]
        v = (1.0 - alpha - beta) + alpha * v * e[k] * e[k] + beta * v
    return out


def simulate_regimes(
    n: int, means: tuple, sds: tuple, p01: float, p10: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Returns and states of the two-state Gaussian Markov chain, started from stationarity."""
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    z = rng.standard_normal(n)
    s = np.empty(n, dtype=np.int64)
    s[0] = int(u[0] < p01 / (p01 + p10))
    for k in range(1, n):
        s[k] = (u[k] < p01) if s[k - 1] == 0 else (u[k] >= p10)
    m = np.asarray(means)[s]
    sd = np.asarray(sds)[s]
    return m + sd * z, s


# --------------------------------------------------------------------------------------------
# GARCH


def test_garch_likelihood_is_arch_s():
    from arch import arch_model

    r = simulate_garch(5_000, 0.8, 0.1, 0.85, 5.0, HOUR, seed=11)
    z = r / r.std()
    res = arch_model(z, mean="Zero", vol="GARCH", p=1, q=1, dist="t", rescale=False).fit(disp="off")
    omega, alpha, beta, nu = (float(x) for x in res.params)
    ours = garch_loglik(z, 0.0, omega, alpha, beta, nu)
    assert float(np.sum(ours)) == pytest.approx(res.loglikelihood, rel=1e-9)
    h = conditional_variance(z, omega, alpha, beta, backcast(z))
    assert h[:-1] == pytest.approx(np.asarray(res.conditional_volatility) ** 2, rel=1e-9)


def test_student_t_and_garch_kurtosis_closed_forms():
    assert t_kurtosis(6.0) == pytest.approx(6.0)  # 3 (nu - 2) / (nu - 4)
    assert t_kurtosis(4.0) == math.inf
    # no GARCH: the innovation's kurtosis; normal innovations (nu -> inf): the textbook
    # 3 (1 - p^2) / (1 - p^2 - 2 a^2)
    assert garch_kurtosis(0.0, 0.0, 6.0) == pytest.approx(6.0)
    a, b = 0.1, 0.8
    p = a + b
    assert garch_kurtosis(a, b, 1e9) == pytest.approx(3 * (1 - p * p) / (1 - p * p - 2 * a * a))
    assert garch_kurtosis(0.3, 0.69, 8.0) == math.inf  # no finite 4th moment


TRUTH_GARCH = {"vol": 0.8, "alpha": 0.08, "beta": 0.90, "dof": 6.0}


def _check_garch(fit, figures, label: str) -> None:
    for key, value in TRUTH_GARCH.items():
        est = fit.params[key]
        figures.close(f"{label} garch {key}", est.value, value, est.se)
    # power: the fit tells GARCH from no GARCH and t from normal
    figures.apart(f"{label} alpha vs 0", fit.params["alpha"].value, 0.0, fit.params["alpha"].se)
    dof = fit.params["dof"]
    figures.apart(f"{label} dof vs 30", dof.value, 30.0, dof.se)


@pytest.mark.slow
def test_garch_recovers_simulated_parameters(figures):
    r = simulate_garch(60_000, **TRUTH_GARCH, dt=HOUR, seed=3)
    fit = fit_garch(r, HOUR)
    assert fit.extra["method"] == "unrestricted MLE (arch)" and not fit.notes
    _check_garch(fit, figures, "unrestricted")
    targeted = fit_garch(r, HOUR, targeting=True)
    assert targeted.extra["method"] == "variance targeting"
    _check_garch(targeted, figures, "targeted")
    # the drift: GBM's convention, mean / dt + vol^2 / 2 (the true mean return is 0)
    drift = fit.params["drift"]
    figures.close("garch drift", drift.value, 0.5 * fit.params["vol"].value ** 2, drift.se)
    # initial_vol is the one-step-ahead conditional vol after the last return
    z = (r - r.mean()) / r.std()
    assert fit.params["initial_vol"].value > 0.0
    labels = [row[0] for row in fit.comparison]
    assert "kurtosis (normal = 3)" in labels and "persistence alpha + beta" in labels
    assert z.size == fit.n


def test_garch_rejects_too_short_or_flat_series():
    import engine

    with pytest.raises(engine.InputError, match="too few"):
        fit_garch(np.zeros(50), HOUR)
    with pytest.raises(engine.InputError, match="zero variance"):
        fit_garch(np.zeros(500), HOUR)


@needs_data
def test_eth_garch_is_plausible():
    prices = read_prices(ETH_1H, "2020-01-01", "2025-01-01")
    r = prices.log_returns()
    fit = fit_garch(r, prices.dt_years)
    p = {k: e.value for k, e in fit.params.items()}
    # hourly crypto returns: the unrestricted fit sits at the integrated boundary, so the long-run
    # variance is targeted at the sample variance (README: 82.6 % for 2020-2024 hourly)
    assert fit.extra["method"] == "variance targeting"
    assert fit.extra["persistence_unrestricted"] >= 1.0 - 1e-4
    assert round(100 * p["vol"], 1) == 82.6
    assert 0.98 < p["alpha"] + p["beta"] < 1.0
    assert 0.01 < p["alpha"] < 0.2
    assert 2.5 < p["dof"] < 6.0  # fat tails
    assert 0.1 < p["initial_vol"] < 3.0
    for key in ("alpha", "beta", "dof"):
        assert 0.0 < fit.params[key].se < 0.1 * fit.params[key].value


# --------------------------------------------------------------------------------------------
# Regime


def _brute_force_loglik(r, m0, m1, s0, s1, p01, p10) -> float:
    """Sum over every state path of P(path) P(r | path), the chain started at its stationary law."""
    from scipy.stats import norm

    pi1 = p01 / (p01 + p10)
    trans = np.array([[1 - p01, p01], [p10, 1 - p10]])
    total = 0.0
    for path in itertools.product((0, 1), repeat=r.size):
        prob = pi1 if path[0] else 1 - pi1
        for a, b in itertools.pairwise(path):
            prob *= trans[a, b]
        for x, s in zip(r, path, strict=True):
            if not np.isnan(x):
                prob *= norm.pdf(x, (m0, m1)[s], (s0, s1)[s])
        total += prob
    return math.log(total)


def test_hamilton_filter_is_the_sum_over_regime_paths():
    rng = np.random.default_rng(2)
    r = rng.normal(0.0, 1.0, 9) * np.array([1, 1, 3, 3, 1, 1, 2, 1, 1])
    r[4] = np.nan  # a gap: prediction only
    args = (0.1, -0.2, 0.8, 2.5, 0.15, 0.3)
    ll, filtered, predicted = hamilton_filter(r, *args)
    assert ll == pytest.approx(_brute_force_loglik(r, *args), rel=1e-12)
    # smoothed probabilities: also from the brute force (P(s_t = 1 | all data))
    smooth = smoothed(filtered, predicted, args[4], args[5])
    for t in (0, 3, 8):
        on = _brute_force_conditional(r, args, t)
        assert smooth[t] == pytest.approx(on, rel=1e-9)


def _brute_force_conditional(r, args, t) -> float:
    from scipy.stats import norm

    m0, m1, s0, s1, p01, p10 = args
    pi1 = p01 / (p01 + p10)
    trans = np.array([[1 - p01, p01], [p10, 1 - p10]])
    num = den = 0.0
    for path in itertools.product((0, 1), repeat=r.size):
        prob = pi1 if path[0] else 1 - pi1
        for a, b in itertools.pairwise(path):
            prob *= trans[a, b]
        for x, s in zip(r, path, strict=True):
            if not np.isnan(x):
                prob *= norm.pdf(x, (m0, m1)[s], (s0, s1)[s])
        den += prob
        num += prob * path[t]
    return num / den


def _series(log_returns: np.ndarray, hours: float, start: int = 1_704_067_200) -> Series:
    """A price Series whose consecutive log returns are `log_returns`, every `hours`."""
    step = int(hours * 3600)
    prices = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)]))
    times = start + step * np.arange(prices.size, dtype=np.int64)
    from pathlib import Path

    return Series(Path("simulated.csv"), "close", times, prices, step)


TRUTH_REGIME = {
    "calm.vol": 0.5,
    "stressed.vol": 1.4,
    "calm.to_stressed": 36.0,
    "stressed.to_calm": 80.0,
    "calm.drift": 0.3,
    "stressed.drift": -0.5,
}


def _daily_chain(n: int, seed: int):
    dt = 1.0 / 365.0
    t = TRUTH_REGIME
    total = t["calm.to_stressed"] + t["stressed.to_calm"]
    decay = math.exp(-total * dt)
    p01 = t["calm.to_stressed"] / total * (1.0 - decay)
    p10 = t["stressed.to_calm"] / total * (1.0 - decay)
    sds = (t["calm.vol"] * math.sqrt(dt), t["stressed.vol"] * math.sqrt(dt))
    means = tuple((t[f"{k}.drift"] - 0.5 * t[f"{k}.vol"] ** 2) * dt for k in ("calm", "stressed"))
    return simulate_regimes(n, means, sds, p01, p10, seed)


def test_regime_recovers_simulated_parameters(figures):
    r, states = _daily_chain(20_000, seed=5)
    fit = fit_regime(_series(r, 24.0), 24.0)
    assert fit.n == r.size and not fit.notes
    for key, value in TRUTH_REGIME.items():
        est = fit.params[key]
        figures.close(f"regime {key}", est.value, value, est.se)
    figures.apart(
        "regime vols differ",
        fit.params["stressed.vol"].value,
        fit.params["calm.vol"].value,
        fit.params["stressed.vol"].se + fit.params["calm.vol"].se,
    )
    # the smoothed probabilities find the regimes: most days classified right
    smooth = fit.extra["smoothed_stressed"]
    assert np.mean((smooth > 0.5) == (states == 1)) > 0.85
    # occupation: the stationary law of the fitted chain vs the simulated share of stressed days
    w = fit.extra["stationary_stressed"]
    figures.close("regime stationary share", w, np.mean(states), math.sqrt(w * (1 - w) / 300))


def test_regime_funding_means_follow_the_regimes(figures):
    r, states = _daily_chain(6_000, seed=8)
    prices = _series(r, 24.0)
    rng = np.random.default_rng(4)
    # three settlements per day, each with the day's regime mean plus noise (independent here)
    means = np.array([1e-4, 4e-4])
    day = np.repeat(np.arange(r.size), 3)
    rates = means[states[day]] + 1e-4 * rng.standard_normal(day.size)
    # a price row stamped t is the close of the bar [t, t + 1 day): the first return covers the
    # second day of the stamps, and a rate settled at t covers the 8 hours before t
    first = prices.times[0] + 86_400
    times = first + 8 * 3600 * (np.arange(day.size, dtype=np.int64) + 1)
    funding = Series(prices.path, "funding_rate", times, rates, 8 * 3600)
    fit = fit_regime(prices, 24.0, funding)
    for name, value in zip(("calm", "stressed"), means, strict=True):
        est = fit.params[f"{name}.funding_mean"]
        figures.close(f"regime {name} funding mean", est.value, value, est.se)
    # a probability-weighted mean would be biased towards the other regime's mean by far more
    # than 4 s.e. (the regression on the probabilities is not)
    w = fit.extra["smoothed_stressed"][day]
    weighted = float(np.sum(w * rates) / np.sum(w))
    figures.apart(
        "weighted mean is biased", weighted, means[1], fit.params["stressed.funding_mean"].se
    )
    figures.apart(
        "stressed funding above calm",
        fit.params["stressed.funding_mean"].value,
        fit.params["calm.funding_mean"].value,
        fit.params["stressed.funding_mean"].se + fit.params["calm.funding_mean"].se,
    )


def test_interval_returns_skip_gaps_and_align_to_the_day():
    hours = np.arange(0, 24 * 5)
    keep = (hours < 30) | (hours > 40)  # a gap on day 2
    logp = 0.001 * hours
    times = 1_704_067_200 + 3600 * hours[keep]  # 2024-01-01T00:00Z
    s = Series(
        __import__("pathlib").Path("x.csv"), "close", times.astype(np.int64),
        np.exp(logp[keep]), 3600,
    )  # fmt: skip
    r, starts = interval_returns(s, 24.0)
    # the price at time t is the close of the bar stamped t - 1h: the first day boundary with a
    # price is 2024-01-02T00:00Z (the close of the 23:00 bar)
    assert starts[0] == 1_704_067_200 + 86_400
    assert np.isnan(r[0]) or r[0] == pytest.approx(0.024)
    assert np.count_nonzero(np.isfinite(r)) >= 2


@needs_data
def test_eth_regime_is_plausible():
    prices = read_prices(ETH_1H)
    funding = read_funding(ETH_FUNDING)
    fit = fit_regime(prices, 24.0, funding)
    p = {k: e.value for k, e in fit.params.items()}
    assert 0.3 < p["calm.vol"] < 0.7 < 1.0 < p["stressed.vol"] < 2.0
    assert 5.0 < p["calm.to_stressed"] < 200.0 and 5.0 < p["stressed.to_calm"] < 400.0
    # the stationary mix has the sample's variance (within 5 %)
    w = fit.extra["stationary_stressed"]
    mix = math.sqrt((1 - w) * p["calm.vol"] ** 2 + w * p["stressed.vol"] ** 2)
    r, _ = interval_returns(prices, 24.0)
    sample = float(np.nanstd(r) * math.sqrt(365))
    assert mix == pytest.approx(sample, rel=0.05)
    assert 0.0 < p["calm.funding_mean"] < 5e-4 and 0.0 < p["stressed.funding_mean"] < 1e-3


# --------------------------------------------------------------------------------------------
# Recovery from the engine's own kernels (the `garch` and `regime` price models)


@pytest.mark.slow
def test_garch_recovers_engine_simulation(figures):
    truth = {"vol": 0.8, "garch": {"alpha": 0.08, "beta": 0.90, "dof": 6.0}}
    price, _ = simulated_paths(
        {"market": {"price": {"model": "garch", **truth}, "funding": {"model": "none"}}},
        4,
        600,
        seed=21,
    )
    r = np.diff(np.log(price), axis=1).ravel()
    fit = fit_garch(r, HOUR)
    assert fit.n == 4 * 600 * 24
    _check_garch(fit, figures, "engine")


def test_regime_recovers_engine_simulation(figures):
    t = TRUTH_REGIME
    states = {
        name: {
            "drift": t[f"{name}.drift"],
            "vol": t[f"{name}.vol"],
            "transitions": {other: t[f"{name}.to_{other}"]},
            **({"stressed": True} if name == "stressed" else {}),
        }
        for name, other in (("calm", "stressed"), ("stressed", "calm"))
    }
    scenario = {
        "step_hours": 24.0,
        "market": {
            "price": {"model": "regime", "regime": {"states": states}},
            "funding": {"model": "none"},
        },
        "hedge": {"ratio": 0.0, "rebalance": {"every_hours": 24.0}},
        "output": {"observe_every_hours": 24.0},
    }
    price, _ = simulated_paths(scenario, 10, 2000, seed=9)
    r = np.diff(np.log(price), axis=1).ravel()
    fit = fit_regime(_series(r, 24.0), 24.0)
    for key, value in TRUTH_REGIME.items():
        est = fit.params[key]
        figures.close(f"engine regime {key}", est.value, value, est.se)


# --------------------------------------------------------------------------------------------
# The command line: written scenarios load and run


@needs_data
@pytest.mark.parametrize(
    ("model", "start", "end"),
    [("garch", "2024-01-01", "2024-07-01"), ("regime", "2021-01-01", "2024-01-01")],
)
def test_calibrate_cli_writes_runnable_garch_and_regime(tmp_path, model, start, end):
    import engine
    from engine import cli

    out = tmp_path / f"{model}.yaml"
    args = [
        "calibrate", str(ETH_1H), "--funding", str(ETH_FUNDING), "--model", model,
        "--start", start, "--end", end, "--out", str(out),
    ]  # fmt: skip
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    assert "fit vs data" in result.stdout
    text = out.read_text()
    assert "# The fit against the data's own statistics" in text and "# s.e." in text
    scn = engine.load_scenario(out)
    assert scn.market.price.model == model and scn.step_hours == 1.0
    if model == "garch":
        g = scn.market.price.garch
        assert 0.0 < g.alpha and g.alpha + g.beta < 1.0 and g.dof > 2.0 and g.initial_vol > 0.0
    else:
        states = scn.market.price.regime.states
        assert set(states) == {"calm", "stressed"} and states["stressed"].stressed
        assert states["calm"].vol < states["stressed"].vol
        assert states["calm"].funding_mean is not None
    ds = engine.simulate(engine.load_scenario(out, {"horizon_days": 5, "paths": 50}), seed=2)
    assert np.all(np.isfinite(ds["pnl"].values))

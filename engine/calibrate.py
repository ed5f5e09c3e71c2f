"""Calibration of the engine's market models to historical data, with standard errors.

Price models (annualised, 365-day year; `dt` = the data's interval in years):

- **GBM**: from the log returns `r` at the data's interval, `sigma^2 = var(r) / dt` and
  `mu = mean(r) / dt + sigma^2 / 2`, so that `E[P_t] = P0 exp(mu t)` as in the engine. Standard
  errors by the delta method from the sample mean and variance, using the sample's own third and
  fourth moments (`var(s^2) = (m4 - s^4) / n`, `cov(mean, s^2) = m3 / n`): for Gaussian returns they
  reduce to the textbook `sigma / sqrt(2 n)` and `sigma / sqrt(T)`; for fat-tailed returns they are
  honest (larger).
- **Merton**: maximum likelihood of the per-interval log-return density, a Poisson mixture of
  normals `sum_k Pois(k; lambda dt) N(r; c dt + k m, sigma^2 dt + k v^2)` truncated where the Poisson
  tail is below 1e-12; `scipy.optimize` on transformed parameters; standard errors from the inverse
  of the numerical Hessian of the log-likelihood, carried to the engine's parameters by the delta
  method. The drift is reported compensated as the engine uses it:
  `mu = c + sigma^2/2 + lambda (e^{m + v^2/2} - 1)`.

Funding (OU on the per-interval rate, `df = kappa (theta - f) dt + eta dB`): the AR(1) regression
`f_{t+1} = a + b f_t + e` over pairs of settlements one interval apart. The exact OU transition gives
`b = e^{-kappa dt}`, `a = theta (1 - b)`, `var(e) = eta^2 (1 - b^2) / (2 kappa)`, so
`kappa = -ln(b) / dt`, `theta = a / (1 - b)`, `eta = sqrt(2 kappa var(e) / (1 - b^2))`. Standard errors:
heteroskedasticity-robust (White) covariance of (a, b), `var(s^2) = (m4 - s^4) / n` for the residual
variance, then the delta method.

`corr_with_price` is the correlation of the AR(1) residuals with the price's log returns over the
same intervals, divided by the factor `(1 - b) / kappa / sqrt(dt (1 - b^2) / (2 kappa))` (the
correlation the exact OU transition has with `W_dt` per unit of rho; above 0.999 for kappa dt < 0.1).
It is an approximation: the engine correlates the funding shock with the *Brownian* part of the price
only, and the observed log return also carries jumps (Merton) and the drift, which dilute the
correlation; for GBM data it is unbiased up to that factor. The s.e. is Fisher's `(1 - r^2)/sqrt(n)`.

The funding data has features the OU model lacks (a point mass at the 0.01 % baseline, exchange
caps, fat tails); `funding_stats` reports them so the user can see what the fit smooths over.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from engine.data import Series, iso, read_funding, read_prices, returns_over
from engine.errors import InputError
from engine.scenario import Scenario, load_scenario

BASELINE_RATE = 0.0001  # 0.01 % per interval: the exchanges' interest component
_POISSON_TAIL = 1e-12


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float


@dataclass(frozen=True)
class PriceFit:
    model: str
    n: int
    """Number of log returns used."""
    dt_years: float
    params: dict[str, Estimate]
    """Engine parameter name (drift, vol, jump_intensity, jump_mean, jump_vol) to estimate."""
    log_likelihood: float | None = None
    notes: list[str] = field(default_factory=list)
    comparison: list[tuple[str, str, str]] = field(default_factory=list)
    """(figure, fitted model's value, the data's own value): how the fit compares with the data."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Model-specific results the scenario writer needs (e.g. regime probabilities)."""


@dataclass(frozen=True)
class FundingFit:
    n: int
    """Number of AR(1) pairs (settlements one interval apart)."""
    interval_hours: float
    params: dict[str, Estimate]
    """mean (theta), reversion (kappa), vol (eta), and corr_with_price when prices are given."""
    b: Estimate
    """AR(1) slope: the lag-1 autocorrelation of the rate at the funding interval."""
    n_corr: int = 0


def _delta(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Standard errors of fn(x) by the delta method, with a central-difference Jacobian."""
    x = np.asarray(x, dtype=float)
    y0 = np.asarray(fn(x), dtype=float)
    jac = np.empty((y0.size, x.size))
    for j in range(x.size):
        h = 1e-6 * max(abs(x[j]), 1e-8)
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (np.asarray(fn(up)) - np.asarray(fn(down))) / (2.0 * h)
    var = np.einsum("ij,jk,ik->i", jac, cov, jac)
    return np.sqrt(np.maximum(var, 0.0))


def _check_returns(returns: np.ndarray, minimum: int, what: str) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    if r.size < minimum:
        raise InputError(what, int(r.size), f"too few to fit (need at least {minimum})")
    return r


# --------------------------------------------------------------------------------------------
# GBM


def fit_gbm(returns: np.ndarray, dt_years: float) -> PriceFit:
    """GBM drift and vol (annualised) from log returns at interval dt_years, with s.e."""
    r = _check_returns(returns, 3, "log returns")
    n = r.size
    mean = float(r.mean())
    s2 = float(r.var(ddof=1))
    if s2 <= 0.0:
        raise InputError("log returns", n, "have zero variance: the price never moves")
    c = r - mean
    m3 = float(np.mean(c**3))
    m4 = float(np.mean(c**4))
    cov = np.array([[s2 / n, m3 / n], [m3 / n, max(m4 - s2 * s2, 0.0) / n]])

    def engine_params(x: np.ndarray) -> np.ndarray:
        m, v = x
        return np.array([m / dt_years + v / (2.0 * dt_years), math.sqrt(v / dt_years)])

    value = engine_params(np.array([mean, s2]))
    se = _delta(engine_params, np.array([mean, s2]), cov)
    return PriceFit(
        "gbm",
        n,
        dt_years,
        {
            "drift": Estimate(float(value[0]), float(se[0])),
            "vol": Estimate(float(value[1]), float(se[1])),
        },
    )


# --------------------------------------------------------------------------------------------
# Merton


def _poisson_terms(lam_dt: float) -> int:
    """Smallest K with P(N > K) < 1e-12 for N ~ Poisson(lam_dt), at least 4."""
    from scipy.stats import poisson

    return max(4, int(poisson.isf(_POISSON_TAIL, lam_dt)) + 1)


def _merton_nll(theta: np.ndarray, z: np.ndarray, k_max: int) -> float:
    """Mean negative log-likelihood of standardised returns z under the per-interval Merton
    density; theta = (c, log s, log lam, m, log v) in per-interval, standardised units."""
    from scipy.special import gammaln, logsumexp

    c, log_s, log_lam, m, log_v = theta
    s2, lam, v2 = math.exp(2.0 * log_s), math.exp(log_lam), math.exp(2.0 * log_v)
    k = np.arange(k_max + 1)
    log_pk = k * log_lam - lam - gammaln(k + 1)
    var = s2 + k * v2
    mean = c + k * m
    dev = z[:, None] - mean[None, :]
    logs = log_pk - 0.5 * np.log(2.0 * math.pi * var) - 0.5 * dev * dev / var
    return float(-np.mean(logsumexp(logs, axis=1)))


def _hessian(fn: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian."""
    d = x.size
    hess = np.empty((d, d))
    for i in range(d):
        for j in range(i, d):
            hi = step * max(1.0, abs(x[i]))
            hj = step * max(1.0, abs(x[j]))

            def at(si: float, sj: float, i: int = i, j: int = j, hi: float = hi, hj: float = hj):
                y = x.copy()
                y[i] += si * hi
                y[j] += sj * hj
                return fn(y)

            value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4.0 * hi * hj)
            hess[i, j] = hess[j, i] = value
    return hess


def fit_merton(returns: np.ndarray, dt_years: float) -> PriceFit:
    """Merton jump-diffusion by maximum likelihood of the per-interval log-return density."""
    from scipy.optimize import minimize

    r = _check_returns(returns, 50, "log returns")
    n = r.size
    scale = float(r.std())
    if scale <= 0.0:
        raise InputError("log returns", n, "have zero variance: the price never moves")
    z = r / scale
    med = float(np.median(z))
    mad = 1.4826 * float(np.median(np.abs(z - med)))
    s0 = max(min(mad, 0.99), 0.05)
    big = np.abs(z - med) > 4.0 * s0
    lam0 = min(max(np.count_nonzero(big) / n, 1.0 / n), 0.5)
    m0 = float(z[big].mean()) if np.any(big) else 0.0
    v0 = float(z[big].std()) if np.count_nonzero(big) > 1 else 3.0 * s0
    start = np.array([med, math.log(s0), math.log(lam0), m0, math.log(max(v0, 0.5))])

    k_max = _poisson_terms(max(lam0 * 4.0, 0.05))
    result = None
    for _ in range(4):
        objective = lambda th, k=k_max: _merton_nll(th, z, k)  # noqa: E731
        result = minimize(objective, start, method="BFGS", options={"gtol": 1e-7, "maxiter": 500})
        if not np.all(np.isfinite(result.x)):
            break
        needed = _poisson_terms(math.exp(result.x[2]))
        start = result.x
        if needed <= k_max:
            break
        k_max = needed
    if result is None or not np.all(np.isfinite(result.x)):
        raise InputError("log returns", n, "the Merton likelihood could not be maximised")
    theta = result.x
    notes: list[str] = []
    if not result.success:
        notes.append(f"optimizer: {result.message}")
    hess = _hessian(lambda th: n * _merton_nll(th, z, k_max), theta)
    try:
        cov = np.linalg.inv(hess)
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0.0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full((5, 5), np.nan)
        notes.append("the Hessian is not positive definite: standard errors unavailable")

    def engine_params(th: np.ndarray) -> np.ndarray:
        c, log_s, log_lam, m, log_v = th
        s = math.exp(log_s) * scale
        lam = math.exp(log_lam) / dt_years
        jm, jv = m * scale, math.exp(log_v) * scale
        sigma = s / math.sqrt(dt_years)
        mu = c * scale / dt_years + 0.5 * sigma**2 + lam * math.expm1(jm + 0.5 * jv**2)
        return np.array([mu, sigma, lam, jm, jv])

    value = engine_params(theta)
    se = _delta(engine_params, theta, cov) if np.all(np.isfinite(cov)) else np.full(5, np.nan)
    names = ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol")
    ll = -n * _merton_nll(theta, z, k_max) - n * math.log(scale)
    return PriceFit(
        "merton",
        n,
        dt_years,
        {k: Estimate(float(v), float(e)) for k, v, e in zip(names, value, se, strict=True)},
        log_likelihood=ll,
        notes=notes,
    )


PRICE_MODELS = ("gbm", "merton", "garch", "regime")


def fit_price(returns: np.ndarray, dt_years: float, model: str = "gbm") -> PriceFit:
    if model == "gbm":
        return fit_gbm(returns, dt_years)
    if model == "merton":
        return fit_merton(returns, dt_years)
    if model == "garch":
        from engine.calibrate_garch import fit_garch

        return fit_garch(returns, dt_years)
    raise InputError("--model", model, "expected " + ", ".join(PRICE_MODELS))


# --------------------------------------------------------------------------------------------
# Funding


def _ou_corr_factor(b: float, kappa: float, dt: float) -> float:
    """corr(OU transition shock, W_dt) per unit of rho, for the exact transition."""
    if kappa * dt < 1e-10:
        return 1.0
    return ((1.0 - b) / kappa) / math.sqrt(dt * (1.0 - b * b) / (2.0 * kappa))


def fit_ou(
    x: np.ndarray,
    y: np.ndarray,
    interval_hours: float,
    price_returns: np.ndarray | None = None,
) -> FundingFit:
    """OU funding from AR(1) pairs (x = f_t, y = f_{t+1}, one interval apart), with s.e.

    `price_returns` (optional, same length, NaN where unknown) are the log returns over the same
    intervals, for corr_with_price.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    if n < 10:
        raise InputError("funding", n, "too few consecutive settlement pairs to fit (need 10)")
    dt = interval_hours / 8760.0
    xm = x.mean()
    sxx = float(np.sum((x - xm) ** 2))
    if sxx <= 0.0:
        raise InputError("funding", n, "the rate never changes: use funding.model: constant")
    b = float(np.sum((x - xm) * (y - y.mean())) / sxx)
    a = float(y.mean() - b * xm)
    e = y - a - b * x
    s2 = float(np.sum(e * e) / (n - 2))
    if not 0.0 < b < 1.0:
        raise InputError(
            "funding",
            round(b, 4),
            "the AR(1) slope must lie in (0, 1) for a mean-reverting OU; the data is not",
        )
    # White (HC0) covariance of (a, b)
    design = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(design.T @ design)
    meat = (design * (e * e)[:, None]).T @ design
    cov_ab = bread @ meat @ bread
    m4 = float(np.mean(e**4))
    var_s2 = max(m4 - float(np.mean(e * e)) ** 2, 0.0) / n
    cov = np.zeros((3, 3))
    cov[:2, :2] = cov_ab
    cov[2, 2] = var_s2

    def ou(p: np.ndarray) -> np.ndarray:
        a_, b_, s2_ = p
        kappa = -math.log(b_) / dt
        theta = a_ / (1.0 - b_)
        eta = math.sqrt(2.0 * kappa * s2_ / (1.0 - b_ * b_))
        return np.array([theta, kappa, eta])

    p = np.array([a, b, s2])
    value, se = ou(p), _delta(ou, p, cov)
    params = {
        "mean": Estimate(float(value[0]), float(se[0])),
        "reversion": Estimate(float(value[1]), float(se[1])),
        "vol": Estimate(float(value[2]), float(se[2])),
    }
    n_corr = 0
    if price_returns is not None:
        pr = np.asarray(price_returns, dtype=float)
        ok = np.isfinite(pr)
        n_corr = int(np.count_nonzero(ok))
        if n_corr >= 10 and np.std(pr[ok]) > 0.0:
            r_obs = float(np.corrcoef(e[ok], pr[ok])[0, 1])
            factor = _ou_corr_factor(b, float(value[1]), dt)
            rho = max(-1.0, min(1.0, r_obs / factor))
            params["corr_with_price"] = Estimate(rho, (1.0 - r_obs**2) / math.sqrt(n_corr) / factor)
    return FundingFit(
        n, interval_hours, params, Estimate(b, float(math.sqrt(cov_ab[1, 1]))), n_corr
    )


def fit_funding(funding: Series, prices: Series | None = None) -> FundingFit:
    """OU fit of a funding file; prices (optional) give corr_with_price over the same intervals."""
    ok = funding.consecutive
    x, y = funding.values[:-1][ok], funding.values[1:][ok]
    price_returns = None
    if prices is not None:
        price_returns = returns_over(prices, funding.times)[ok]
    return fit_ou(x, y, funding.interval_hours, price_returns)


def funding_stats(funding: Series) -> dict[str, float]:
    """Descriptive statistics of the per-interval rate."""
    f = funding.values
    ok = funding.consecutive
    lag1 = float(np.corrcoef(f[:-1][ok], f[1:][ok])[0, 1]) if np.count_nonzero(ok) > 2 else math.nan
    periods_per_year = 8760.0 / funding.interval_hours
    return {
        "n": float(f.size),
        "mean": float(f.mean()),
        "sd": float(f.std(ddof=1)) if f.size > 1 else math.nan,
        "min": float(f.min()),
        "max": float(f.max()),
        "share_negative": float(np.mean(f < 0.0)),
        "share_at_baseline": float(np.mean(np.round(f * 1e8) == round(BASELINE_RATE * 1e8))),
        "annualised_mean": float(f.mean() * periods_per_year),
        "lag1_autocorrelation": lag1,
    }


# --------------------------------------------------------------------------------------------
# The whole calibration: data files -> fits -> a ready-to-run scenario


@dataclass(frozen=True)
class Calibration:
    prices: Series
    price: PriceFit
    funding: Series | None = None
    funding_fit: FundingFit | None = None
    funding_stats: dict[str, float] | None = None

    @property
    def spot(self) -> float:
        return float(self.prices.values[-1])


def calibrate(
    prices_path: str | Path,
    funding_path: str | Path | None = None,
    model: str = "gbm",
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    regime_hours: float | None = None,
) -> Calibration:
    """Read the files (rows in [start, end)), fit the price model and, with a funding file, OU
    funding (and, for `regime`, each regime's funding mean). `regime_hours`: the return interval
    of the regime fit (default 24 h; `engine.calibrate_regime`). Raises InputError on bad input."""
    if model not in PRICE_MODELS:
        raise InputError("--model", model, "expected " + ", ".join(PRICE_MODELS))
    if regime_hours is not None and model != "regime":
        raise InputError("--regime-hours", regime_hours, "is used only by --model regime")
    prices = read_prices(prices_path, start, end)
    funding = None if funding_path is None else read_funding(funding_path, start, end)
    if model == "regime":
        from engine.calibrate_regime import DEFAULT_HOURS, fit_regime

        hours = DEFAULT_HOURS if regime_hours is None else float(regime_hours)
        if not hours > 0.0:
            raise InputError("--regime-hours", regime_hours, "must be positive")
        fit = fit_regime(prices, hours, funding)
    else:
        fit = fit_price(prices.log_returns(), prices.dt_years, model)
    if funding is None:
        return Calibration(prices, fit)
    return Calibration(prices, fit, funding, fit_funding(funding, prices), funding_stats(funding))


def _g(x: float, digits: int = 6) -> str:
    """A number for YAML: `digits` significant digits, always read back as a float."""
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{int(exponent):+d}"  # YAML 1.1 floats need the sign
    return text if "." in text or "n" in text else text + ".0"


def _line(key: str, est: Estimate, indent: int) -> str:
    se = "n/a" if not math.isfinite(est.se) else _g(est.se, 3)
    return f"{' ' * indent}{key}: {_g(est.value)}  # s.e. {se}"


def _price_lines(fit: PriceFit) -> list[str]:
    """The `market.price` keys after `model:` (indent 4), with s.e. comments."""
    lines = []
    if fit.model in ("gbm", "merton", "garch"):
        for key in ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol"):
            if key in fit.params:
                lines.append(_line(key, fit.params[key], 4))
    if fit.model == "garch":
        lines.append("    garch:")
        for key in ("alpha", "beta", "dof"):
            lines.append(_line(key, fit.params[key], 6))
        lines.append(
            f"      initial_vol: {_g(fit.params['initial_vol'].value)}  # the conditional vol "
            "after the last return (the market's state at the end of the data)"
        )
    if fit.model == "regime":
        from engine.calibrate_regime import REGIMES

        extra = fit.extra
        current = float(extra["current_stressed"])
        initial = "stressed" if current > 0.5 else "calm"
        lines += [
            "    regime:",
            f"      initial: {initial}  # the likelier regime at the end of the data "
            f"(filtered P(stressed) = {current:.3f})",
            "      states:",
        ]
        for name, other in (REGIMES, REGIMES[::-1]):
            lines.append(f"        {name}:")
            for key in ("drift", "vol", "funding_mean"):
                if f"{name}.{key}" in fit.params:
                    lines.append(_line(key, fit.params[f"{name}.{key}"], 10))
            if name == "stressed":
                lines.append("          stressed: true")
            lines.append("          transitions:  # intensity per year")
            lines.append(_line(other, fit.params[f"{name}.to_{other}"], 12))
    return lines


def scenario_yaml(cal: Calibration) -> str:
    """The calibrated scenario as YAML text, with the standard errors and provenance in comments.
    Keys not written take the built-in defaults."""
    p, fit = cal.prices, cal.price
    lines = [
        "# Calibrated by `lphedge calibrate` from historical data.",
        f"# prices: {p.path} ({p.column}), {p.describe_range()}, every {p.interval_hours:g} h",
        (
            f"#   {fit.n:,} log returns over {fit.extra['hours']:g}-hour intervals (aligned to "
            "00:00 UTC; intervals without both prices skipped)"
            if fit.model == "regime"
            else f"#   {fit.n:,} log returns between rows one interval apart; {p.gaps} gap(s) "
            f"dropped ({p.missing_intervals} missing intervals)"
        ),
        f"#   price model {fit.model}: parameters annualised (365-day year); s.e. = standard error",
    ]
    if "method" in fit.extra:
        lines.append(f"#   fit: {fit.extra['method']}")
    lines += [f"#   note: {note}" for note in fit.notes]
    if cal.funding is not None and cal.funding_fit is not None and cal.funding_stats is not None:
        f, ff, st = cal.funding, cal.funding_fit, cal.funding_stats
        lines += [
            f"# funding: {f.path}, {f.describe_range()}, every {f.interval_hours:g} h",
            f"#   {ff.n:,} AR(1) pairs; {f.gaps} gap(s) dropped; lag-1 autocorrelation "
            f"{_g(ff.b.value, 4)} (s.e. {_g(ff.b.se, 2)})",
            f"#   data: mean {_g(st['mean'], 4)}, sd {_g(st['sd'], 4)}, min {_g(st['min'], 4)}, "
            f"max {_g(st['max'], 4)}, share < 0 {100 * st['share_negative']:.1f} %, "
            f"share exactly 0.01 % {100 * st['share_at_baseline']:.1f} % (the OU model has no "
            "point mass there)",
        ]
    else:
        lines.append("# funding: not calibrated (no funding file); the engine's defaults apply")
    lines += [
        "# Everything not set here (pool, hedge, horizon, paths, ...) is the built-in default.",
    ]
    if fit.comparison:
        lines.append("# The fit against the data's own statistics (figure: model | data):")
        lines += [
            f"#   {label}: {model_value}" + (f" | {data}" if data else "")
            for label, model_value, data in fit.comparison
        ]
    lines += [
        f"name: calibrated-{fit.model}",
        "description: "
        + json.dumps(
            f"Default position, {fit.model} price"
            + (" and OU funding" if cal.funding_fit is not None else "")
            + f" calibrated to {p.path.name} {p.describe_range()}"
        ),
        f"step_hours: {_g(p.interval_hours)}  # the data's interval"
        + ("; garch alpha and beta are per step" if fit.model == "garch" else ""),
        "market:",
        f"  spot: {_g(cal.spot, 10)}  # the last close, {iso(p.end)} bar",
        "  price:",
        f"    model: {fit.model}",
    ]
    lines += _price_lines(fit)
    if cal.funding is not None and cal.funding_fit is not None:
        ff = cal.funding_fit
        lines += [
            "  funding:",
            "    model: ou",
            f"    interval_hours: {_g(ff.interval_hours)}",
            f"    initial: {_g(float(cal.funding.values[-1]))}  # the last settled rate",
            _line("mean", ff.params["mean"], 4),
            _line("reversion", ff.params["reversion"], 4),
            _line("vol", ff.params["vol"], 4),
        ]
        if "corr_with_price" in ff.params:
            lines.append(
                _line("corr_with_price", ff.params["corr_with_price"], 4)
                + f" (from {ff.n_corr:,} intervals with both prices)"
            )
        else:
            lines.append("    corr_with_price: 0.0  # not estimable: no overlapping prices")
        lines.append(
            f"    cap: 0.004  # not fitted (engine default); data |max| "
            f"{_g(max(abs(float(cal.funding.values.min())), float(cal.funding.values.max())), 4)}"
        )
    return "\n".join(lines) + "\n"


def calibrated_scenario(cal: Calibration) -> tuple[str, Scenario]:
    """The YAML text and the Scenario it validates into (InputError if it does not)."""
    text = scenario_yaml(cal)
    return text, load_scenario(yaml.safe_load(text))

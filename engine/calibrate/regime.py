"""Two-regime (calm / stressed) Markov-switching calibration of log returns, for the `regime` model.

The model (Hamilton 1989), on log returns over intervals of `hours` (default 24 h):

    r_t | s_t = i  ~  N(m_i, s_i^2),   P(s_t = j | s_{t-1} = i) = P_ij,   i, j in {calm, stressed},

fitted by maximum likelihood with the Hamilton filter (`hamilton_filter`, numba), the chain
started from its stationary law; `scipy.optimize` on transformed parameters (log s_i, logit of the
switching probabilities); standard errors from the inverse of the numerical Hessian of the
log-likelihood, carried to the engine's keys by the delta method. The regime with the lower vol
is `calm`. An interval with a missing price (a gap in the data) is a step of the chain with no
observation: the filter predicts across it and does not update.

Why aggregate (24 h by default): on hourly returns a two-state Gaussian mixture spends its second
state on the fat tails *within* a day (it switches every few hours), not on the market's mood; on
daily returns the states are the calm and stressed periods the `regime` model is meant for. The
engine simulates at its own step from the intensities, so nothing else depends on the fit's step.

Engine keys (docs/model-notes.md): per regime `vol_i = s_i / sqrt(dt)` and
`drift_i = m_i / dt + vol_i^2 / 2` (GBM within a regime, E[P] grows at drift_i), with `dt` the
interval in years; the per-interval matrix P is the exact exp(Q dt) of a two-state generator Q
with intensities q_cs (calm -> stressed) and q_sc per year: `1 - P_cs - P_sc = exp(-(q_cs + q_sc)
dt)` and `q_cs / q_sc = P_cs / P_sc`. A fit with P_cs + P_sc >= 1 has no such generator
(the states alternate faster than the interval) and is refused.

Funding: with a funding file, each regime's `funding_mean` comes from the regression of the
settled rates on the smoothed probability (Kim smoother) of the stressed regime in the interval
holding the settlement (`funding_means`); s.e. from a sandwich covariance over 30 contiguous
batches (the serial dependence), plus, by the delta method, the error the estimated regime
parameters put into the probabilities (the diagonal of the Murphy-Topel correction: the two
sources are treated as independent). The OU reversion, vol and correlation are the single OU fit of
the whole file (`engine.calibrate.funding.fit_ou`), and the OU mean reverts towards the current regime's
mean, so the simulated funding lags regime switches by about 1/reversion.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from numba import njit

from engine.calibrate.estimates import (
    BATCHES,
    Estimate,
    PriceFit,
    delta_se,
    hessian,
    valid_covariance,
)
from engine.data import Series
from engine.errors import InputError

REGIMES = ("calm", "stressed")
DEFAULT_HOURS = 24.0
_LOG_2PI = math.log(2.0 * math.pi)


@njit(nogil=True, cache=True, error_model="numpy")
def hamilton_filter(
    r: np.ndarray, m0: float, m1: float, s0: float, s1: float, p01: float, p10: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood of r (NaN: no observation) under the two-state Gaussian chain, with the
    filtered P(s_t | r_1..t) and predicted P(s_t | r_1..t-1) probabilities of state 1, each (n,)."""
    n = r.size
    filtered = np.empty(n)
    predicted = np.empty(n)
    p1 = p01 / (p01 + p10)  # stationary probability of state 1
    ll = 0.0
    for t in range(n):
        q1 = p1 * (1.0 - p10) + (1.0 - p1) * p01 if t > 0 else p1
        predicted[t] = q1
        x = r[t]
        if x != x:  # no observation: prediction only
            p1 = q1
        else:
            d0 = (x - m0) / s0
            d1 = (x - m1) / s1
            l0 = -0.5 * d0 * d0 - math.log(s0)
            l1 = -0.5 * d1 * d1 - math.log(s1)
            top = max(l0, l1)
            w0 = (1.0 - q1) * math.exp(l0 - top)
            w1 = q1 * math.exp(l1 - top)
            ll += top + math.log(w0 + w1) - 0.5 * _LOG_2PI
            p1 = w1 / (w0 + w1)
        filtered[t] = p1
    return ll, filtered, predicted


def smoothed(filtered: np.ndarray, predicted: np.ndarray, p01: float, p10: float) -> np.ndarray:
    """Kim smoother: P(s_t = 1 | all data) from the filter's output."""
    n = filtered.size
    out = np.empty(n)
    out[-1] = filtered[-1]
    trans = np.array([[1.0 - p01, p01], [p10, 1.0 - p10]])
    for t in range(n - 2, -1, -1):
        f = np.array([1.0 - filtered[t], filtered[t]])
        nxt = np.array([1.0 - predicted[t + 1], predicted[t + 1]])
        s_next = np.array([1.0 - out[t + 1], out[t + 1]])
        ratio = np.divide(s_next, nxt, out=np.zeros(2), where=nxt > 0.0)
        out[t] = f[1] * float(trans[1] @ ratio)
    return np.clip(out, 0.0, 1.0)


def funding_means(f: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each regime's mean rate (calm, stressed) and their covariance: the regression
    f_t = theta_calm (1 - w_t) + theta_stressed w_t + e_t on the smoothed probability w_t of the
    stressed regime. Unbiased where a weighted mean is not: E[f_t | prices] = theta_calm (1 - w_t)
    + theta_stressed w_t with w_t the posterior, whereas the w-weighted mean of f tends to
    theta_calm + (theta_stressed - theta_calm) sum w^2 / sum w. Covariance: sandwich with the
    scores summed over 30 contiguous batches (the rate's serial correlation kept), given w."""
    x = np.column_stack([1.0 - w1, w1])
    xtx = x.T @ x
    coef = np.linalg.solve(xtx, x.T @ f)
    e = f - x @ coef
    scores = x * e[:, None]
    b = min(BATCHES, max(2, f.size // 20))
    sums = np.array([chunk.sum(axis=0) for chunk in np.array_split(scores, b)])
    bread = np.linalg.inv(xtx)
    return coef, bread @ (sums.T @ sums) @ bread


def _unpack(theta: np.ndarray, scale: float) -> tuple[float, float, float, float, float, float]:
    m0, m1, ls0, ls1, lp01, lp10 = theta
    return (
        m0 * scale,
        m1 * scale,
        math.exp(ls0) * scale,
        math.exp(ls1) * scale,
        1.0 / (1.0 + math.exp(-lp01)),
        1.0 / (1.0 + math.exp(-lp10)),
    )


def interval_returns(prices: Series, hours: float) -> tuple[np.ndarray, np.ndarray]:
    """Log returns over consecutive intervals of `hours` on a grid aligned to the epoch (00:00 UTC
    for 24 h): (returns with NaN where a price is missing, the intervals' start times)."""
    step = round(hours * 3600)
    if step % prices.interval_seconds:
        raise InputError(
            "--regime-hours",
            hours,
            f"must be a multiple of the data's interval ({prices.interval_hours:g} h)",
        )
    # the price at time t is the close of the bar stamped t - interval
    close_times = prices.times + prices.interval_seconds
    first = -(-int(close_times[0]) // step) * step
    grid = np.arange(first, int(close_times[-1]) + 1, step, dtype=np.int64)
    idx = np.searchsorted(close_times, grid)
    idx_c = np.minimum(idx, close_times.size - 1)
    found = close_times[idx_c] == grid
    logp = np.where(found, np.log(prices.values[idx_c]), np.nan)
    return np.diff(logp), grid[:-1]


def _regime_nll(theta: np.ndarray, z: np.ndarray) -> float:
    """Negative log-likelihood of standardised returns z at theta = (m0, m1, log s0, log s1,
    logit p01, logit p10); 1e300 far outside the plausible range."""
    m0, m1, ls0, ls1, lp01, lp10 = theta
    if abs(ls0) > 10 or abs(ls1) > 10 or abs(lp01) > 30 or abs(lp10) > 30:
        return 1e300
    ll, _, _ = hamilton_filter(
        z, m0, m1, math.exp(ls0), math.exp(ls1),
        1.0 / (1.0 + math.exp(-lp01)), 1.0 / (1.0 + math.exp(-lp10)),
    )  # fmt: skip
    return -ll


def _maximise_likelihood(z: np.ndarray) -> tuple[np.ndarray, float]:
    """theta at the best of three starts (each Nelder-Mead, then BFGS) and its negative
    log-likelihood."""
    from scipy.optimize import minimize  # loaded when a fit runs: ~0.1 s off each lphedge start

    nll = partial(_regime_nll, z=z)
    med = float(np.median(z[np.isfinite(z)]))
    best = None
    for s_lo, s_hi, p in ((0.7, 1.6, 0.05), (0.5, 2.0, 0.02), (0.85, 1.3, 0.1)):
        x0 = np.array(
            [
                med,
                med,
                math.log(s_lo),
                math.log(s_hi),
                math.log(p / (1 - p)),
                math.log(3 * p / (1 - 3 * p)),
            ]
        )
        res = minimize(
            nll, x0, method="Nelder-Mead", options={"maxiter": 6000, "xatol": 1e-8, "fatol": 1e-8}
        )
        res = minimize(nll, res.x, method="BFGS", options={"gtol": 1e-6})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return best.x, float(best.fun)


def _engine_params(theta: np.ndarray, scale: float, dt: float) -> np.ndarray:
    """(calm drift, vol, intensity to stressed, stressed drift, vol, intensity to calm), per
    year, from theta (standardised units) and the interval dt (years)."""
    a0, a1, sd0, sd1, q01, q10 = _unpack(theta, scale)
    vol0, vol1 = sd0 / math.sqrt(dt), sd1 / math.sqrt(dt)
    total = -math.log(1.0 - q01 - q10) / dt
    return np.array([
        a0 / dt + 0.5 * vol0 * vol0, vol0, total * q01 / (q01 + q10),
        a1 / dt + 0.5 * vol1 * vol1, vol1, total * q10 / (q01 + q10),
    ])  # fmt: skip


def _funding_params(
    funding: Series,
    starts: np.ndarray,
    hours: float,
    smooth: np.ndarray,
    z: np.ndarray,
    theta: np.ndarray,
    cov: np.ndarray,
    scale: float,
) -> tuple[dict[str, Estimate], int] | None:
    """Each regime's `funding_mean` estimate and the number of settlements used; None with fewer
    than 30 settlements inside the price data."""
    # the interval holding each settlement (a rate settled at t covers the hours before t)
    k = np.searchsorted(starts, funding.times - 1, side="right") - 1
    # settlements after the last interval's end are outside the price data (not mapped to it)
    step = round(hours * 3600.0)
    inside = (k >= 0) & (funding.times - 1 < starts[-1] + step)
    w1 = smooth[k[inside]]
    f = funding.values[inside]
    if f.size < 30:
        return None
    coef, cov_f = funding_means(f, w1)

    def coef_at(th: np.ndarray) -> np.ndarray:
        a0, a1, sd0, sd1, q01, q10 = _unpack(th, scale)
        _, fi, pr = hamilton_filter(z, a0 / scale, a1 / scale, sd0 / scale, sd1 / scale,
                                    q01, q10)  # fmt: skip
        return funding_means(f, smoothed(fi, pr, q01, q10)[k[inside]])[0]

    if np.all(np.isfinite(cov)):  # the weights are estimated too (Murphy-Topel)
        jac_se = delta_se(coef_at, theta, cov)
        cov_f = cov_f + np.diag(jac_se**2)
    se_f = np.sqrt(np.diag(cov_f))
    params = {
        f"{name}.funding_mean": Estimate(float(coef[i]), float(se_f[i]))
        for i, name in enumerate(REGIMES)
    }
    return params, int(f.size)


def _comparison(
    r: np.ndarray,
    hours: float,
    value: np.ndarray,
    states: tuple[float, float, float, float],
    w: float,
    smooth: np.ndarray,
    current: float,
) -> list[tuple[str, str, str]]:
    """The fit against the data's own statistics: (figure, model's value, data's value).
    `states`: each regime's mean and sd of an interval's return (m0, m1, s0, s1); `w`: the
    stationary probability of the stressed regime."""
    m0, m1, s0, s1 = states
    ok = np.isfinite(r)
    dt = hours / 8760.0
    sample_vol = float(np.std(r[ok], ddof=1) / math.sqrt(dt))
    mix_vol = math.sqrt((1.0 - w) * value[1] ** 2 + w * value[4] ** 2)
    c = r[ok] - r[ok].mean()
    sample_kurt = float(np.mean(c**4) / np.mean(c**2) ** 2)
    mom2 = (1 - w) * (s0**2 + m0**2) + w * (s1**2 + m1**2)
    mean_mix = (1 - w) * m0 + w * m1
    # central 4th moment of the stationary two-normal mixture
    mom4 = sum(
        wi * ((mi - mean_mix) ** 4 + 6 * (mi - mean_mix) ** 2 * si**2 + 3 * si**4)
        for wi, mi, si in ((1 - w, m0, s0), (w, m1, s1))
    )
    kurt_mix = mom4 / (mom2 - mean_mix**2) ** 2
    share = float(np.mean(smooth[ok] > 0.5))
    return [
        ("fit", f"2-regime Hamilton filter MLE on {hours:g}-hour log returns", ""),
        ("vol (annualised), stationary mix", f"{mix_vol:.4f}", f"sample {sample_vol:.4f}"),
        (f"kurtosis of {hours:g} h returns", f"{kurt_mix:.3g}", f"sample {sample_kurt:.3g}"),
        (
            "share of time stressed",
            f"{w:.3f} (stationary law)",
            f"{share:.3f} (smoothed probability > 1/2)",
        ),
        (
            "mean stay (days) calm / stressed",
            f"{1.0 / value[2] * 365:.1f} / {1.0 / value[5] * 365:.1f}",
            "",
        ),
        ("current regime", f"P(stressed) = {current:.3f} at the end of the data", ""),
    ]


def fit_regime(
    prices: Series, hours: float = DEFAULT_HOURS, funding: Series | None = None
) -> PriceFit:
    """Two-regime Markov-switching fit of the price's log returns over `hours`; with `funding`,
    each regime's funding mean. Parameter keys: `<regime>.drift`, `<regime>.vol`,
    `<regime>.to_<other>` (intensity per year), `<regime>.funding_mean`."""
    r, starts = interval_returns(prices, hours)
    ok = np.isfinite(r)
    n = int(np.count_nonzero(ok))
    if n < 100:
        raise InputError("log returns", n, f"too few {hours:g}-hour returns to fit (need 100)")
    dt = hours / 8760.0
    scale = float(np.std(r[ok]))
    if scale <= 0.0:
        raise InputError("log returns", n, "have zero variance: the price never moves")
    z = r / scale
    best_x, best_nll = _maximise_likelihood(z)
    theta = best_x.copy()
    if theta[2] > theta[3]:  # state 0 = calm (the lower vol)
        theta = theta[[1, 0, 3, 2, 5, 4]]
    notes: list[str] = []
    hess = hessian(partial(_regime_nll, z=z), theta)
    cov = valid_covariance(lambda: np.linalg.inv(hess))
    if cov is None:
        cov = np.full((6, 6), np.nan)
        notes.append("the Hessian is not positive definite: standard errors unavailable")
    m0, m1, s0, s1, p01, p10 = _unpack(theta, scale)
    if p01 + p10 >= 1.0:
        raise InputError(
            "log returns",
            n,
            "the fitted regimes alternate faster than the interval "
            "(P_cs + P_sc >= 1): no continuous-time chain fits; try a longer --regime-hours",
        )
    engine_params = partial(_engine_params, scale=scale, dt=dt)
    value = engine_params(theta)
    se = delta_se(engine_params, theta, cov) if np.all(np.isfinite(cov)) else np.full(6, np.nan)
    keys = ("calm.drift", "calm.vol", "calm.to_stressed",
            "stressed.drift", "stressed.vol", "stressed.to_calm")  # fmt: skip
    params = {k: Estimate(float(v), float(e)) for k, v, e in zip(keys, value, se, strict=True)}

    _ll, filt, pred = hamilton_filter(z, theta[0], theta[1], s0 / scale, s1 / scale, p01, p10)
    smooth = smoothed(filt, pred, p01, p10)
    stationary_stressed = p01 / (p01 + p10)
    current = float(filt[-1])
    extra: dict[str, object] = {
        "hours": hours,
        "stationary_stressed": stationary_stressed,
        "current_stressed": current,
        "smoothed_stressed": smooth,
        "starts": starts,
    }
    if funding is not None:
        found = _funding_params(funding, starts, hours, smooth, z, theta, cov, scale)
        if found is None:
            notes.append(
                "fewer than 30 funding settlements inside the price data: no funding means"
            )
        else:
            params.update(found[0])
            extra["funding_settlements"] = found[1]
    return PriceFit(
        "regime",
        n,
        dt,
        params,
        log_likelihood=-best_nll - n * math.log(scale),
        notes=notes,
        comparison=_comparison(
            r, hours, value, (m0, m1, s0, s1), stationary_stressed, smooth, current
        ),
        extra=extra,
    )

"""The newer price models against theory: garch, regime, bootstrap, replay (issue 5).

- GBM limits: garch with alpha = beta = 0 and normal innovations, and a one-regime chain, give
  GBM's (Merton's, with jumps) per-path results bit for bit;
- GARCH: the unconditional variance of the per-step return is omega / (1 - alpha - beta) (and its
  decay from `initial_vol`), the lag-1 autocorrelation of squared returns is the closed form of
  GARCH(1,1); Student-t innovations have unit variance and kurtosis 3 + 6 / (nu - 4);
- regime: the share of time in each regime is the chain's stationary law (or its closed-form
  transient from a named start), grid transitions follow exp(Q t) exactly, a regime's drift and
  its OU funding mean hold while it lasts;
- bootstrap: every step's (return, funding) pair is uniform over the data, so the moments are the
  data's, and consecutive steps continue a block with probability 1 - p (lag-1 moment exact);
- replay: the prices on the grid are the CSV's closes, the funding the rates in force, every path
  the same, and a liquidation happens at the first bar whose high reaches the barrier;
- the P&L attribution adds up on every model; bad inputs exit 2 naming the field.

Returns are read from sampled paths observed at every step (`output.observe_every_hours` =
`step_hours`). Standard errors come from independent paths (or groups of paths).
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from conftest import DATA_DIR, Figures, scenario_dict
from reference import historical_steps
from rng_twin import PyStream
from scipy.linalg import expm
from typer.testing import CliRunner

import engine
from engine import cli
from engine.inputs.price import market_params
from engine.outputs import PATH_OUTPUTS
from engine.risk import attribution_parts
from engine.scenario.history import load_history

PRICES = DATA_DIR / "eth_usdt_1h_binance_spot.csv"
FUNDING = DATA_DIR / "eth_usdt_perp_funding_8h_binance.csv"
DT = 1.0 / 8760.0
runner = CliRunner()


def simulate(overrides: dict[str, Any], paths: int, seed: int = 11, record: bool = False) -> Any:
    """Run the default scenario with overrides; `record` keeps every path at every step."""
    extra: dict[str, Any] = {}
    if record:
        extra = {"output.sample_paths": paths, "output.observe_every_hours": 1.0}
    return engine.simulate(scenario_dict({**overrides, **extra}), paths=paths, seed=seed)


def step_returns(ds: xr.Dataset) -> np.ndarray:
    """Per-step log returns of the sampled paths, (paths, steps)."""
    return np.diff(np.log(ds.sample_price.values), axis=1)


def group_se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / math.sqrt(len(values)))


# --------------------------------------------------------------------------------------------
# GBM limits


def test_gbm_limits_are_bit_identical() -> None:
    """garch(alpha = beta = 0, normal) = gbm; one regime = gbm; one jumping regime = merton:
    same draws, same step, every per-path output equal bit for bit."""
    base = {"horizon_days": 20, "hedge.leverage": 8.0, "market.price.vol": 1.1}
    merton = {
        "market.price.jump_intensity": 30.0,
        "market.price.jump_mean": 0.05,
        "market.price.jump_vol": 0.06,
    }
    pairs = [
        ({}, {"market.price.model": "garch", "market.price.garch": {"alpha": 0.0, "beta": 0.0}}),
        ({}, {"market.price.model": "regime", "market.price.regime": {"states": {"only": {}}}}),
        (
            {"market.price.model": "merton", **merton},
            {
                "market.price.model": "regime",
                **merton,
                "market.price.regime": {"initial": "only", "states": {"only": {}}},
            },
        ),
    ]
    for classic, newer in pairs:
        a = simulate({**base, **classic}, paths=300)
        b = simulate({**base, **newer}, paths=300)
        assert a.liquidated.sum() > 10
        for name in PATH_OUTPUTS:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


# --------------------------------------------------------------------------------------------
# GARCH


@pytest.mark.parametrize("initial_vol", [None, 2.4])
def test_garch_unconditional_variance(figures: Figures, initial_vol: float | None) -> None:
    """E[(r_k - c)^2] = E[h_k] = hbar + (h_0 - hbar)(alpha + beta)^k, hbar = vol^2 dt =
    omega / (1 - alpha - beta): the mean over the steps of a path, s.e. from the paths."""
    alpha, beta, vol, n = 0.1, 0.85, 0.8, 720
    garch = {"alpha": alpha, "beta": beta, "dof": 6.0, "initial_vol": initial_vol}
    over = {"horizon_days": n / 24, "market.price.model": "garch", "market.price.garch": garch}
    ds = simulate(over, paths=400, record=True)
    scn = engine.load_scenario(scenario_dict(over))
    c = market_params(scn).log_drift
    per_path = ((step_returns(ds) - c) ** 2).mean(axis=1)
    hbar = vol**2 * DT
    h0 = (initial_vol if initial_vol is not None else vol) ** 2 * DT
    theory = hbar + (h0 - hbar) * np.mean((alpha + beta) ** np.arange(n))
    # the drift term -(h - hbar)/2 adds Var(h)/4 ~ 1e-5 hbar, far below the s.e.
    figures.close(
        "E[(r-c)^2] / hbar", per_path.mean() / hbar, theory / hbar, group_se(per_path) / hbar
    )
    if initial_vol is not None:
        figures.apart(
            "E[(r-c)^2] / hbar vs long run", per_path.mean() / hbar, 1.0, group_se(per_path) / hbar
        )


def test_garch_squared_returns_autocorrelation(figures: Figures) -> None:
    """Normal GARCH(1,1): corr(eps_k^2, eps_{k+1}^2) = alpha (1 - alpha beta - beta^2) /
    (1 - 2 alpha beta - beta^2) (finite fourth moment: (alpha + beta)^2 + 2 alpha^2 < 1), after a
    burn-in; s.e. from 30 groups of paths. GBM's would be 0 (power check)."""
    alpha, beta = 0.1, 0.8
    over = {
        "horizon_days": 90,
        "market.price.model": "garch",
        "market.price.garch": {"alpha": alpha, "beta": beta},
    }
    ds = simulate(over, paths=300, record=True)
    c = market_params(engine.load_scenario(scenario_dict(over))).log_drift
    x = ((step_returns(ds) - c) ** 2)[:, 200:]
    estimates = []
    for group in np.array_split(x, 30):
        m = group.mean()
        lag = ((group[:, 1:] - m) * (group[:, :-1] - m)).mean()
        estimates.append(lag / ((group - m) ** 2).mean())
    est = np.array(estimates)
    theory = alpha * (1 - alpha * beta - beta**2) / (1 - 2 * alpha * beta - beta**2)
    figures.close("rho1(r^2)", est.mean(), theory, group_se(est))
    figures.apart("rho1(r^2) vs GBM", est.mean(), 0.0, group_se(est))


def test_student_t_innovations(figures: Figures) -> None:
    """With alpha = beta = 0 the step is r = c + sigma sqrt(dt) e: e has unit variance and, for
    nu = 10, kurtosis 3 + 6 / (nu - 4) = 4 (s.e. from groups of paths); a normal's 3 is apart."""
    nu = 10.0
    over = {
        "horizon_days": 40,
        "market.price.model": "garch",
        "market.price.garch": {"alpha": 0.0, "beta": 0.0, "dof": nu},
    }
    ds = simulate(over, paths=300, record=True)
    params = market_params(engine.load_scenario(scenario_dict(over)))
    e = (step_returns(ds) - params.log_drift) / params.diffusion
    groups = np.array_split(e, 30)
    var = np.array([(g**2).mean() for g in groups])
    kurt = np.array([(g**4).mean() / (g**2).mean() ** 2 for g in groups])
    figures.close("Var(e)", var.mean(), 1.0, group_se(var))
    figures.close("kurtosis(e)", kurt.mean(), 3.0 + 6.0 / (nu - 4.0), group_se(kurt))
    figures.apart("kurtosis(e) vs normal", kurt.mean(), 3.0, group_se(kurt))


# --------------------------------------------------------------------------------------------
# Regimes

TWO = {
    "calm": {"vol": 0.6, "transitions": {"stressed": 20.0}},
    "stressed": {"vol": 1.4, "stressed": True, "transitions": {"calm": 60.0}},
}


@pytest.mark.parametrize("initial", ["stationary", "calm"])
def test_regime_occupation(figures: Figures, initial: str) -> None:
    """E[stressed_share] = (1/n) sum_k P(s_k = stressed): the stationary pi = a / (a + b) from
    `stationary`, pi (1 - (1/n) sum_k e^{-(a + b) k dt}) from calm (a, b the intensities)."""
    a, b, n = 20.0, 60.0, 2160
    over = {
        "market.price.model": "regime",
        "market.price.regime": {"initial": initial, "states": TWO},
    }
    ds = simulate(over, paths=3000)
    share = ds.stressed_share.values
    pi = a / (a + b)
    theory = (
        pi if initial == "stationary" else pi * (1 - np.mean(np.exp(-(a + b) * np.arange(n) * DT)))
    )
    figures.close(f"stressed share from {initial}", share.mean(), theory, group_se(share))
    if initial == "calm":
        figures.apart("stressed share from calm vs stationary", share.mean(), pi, group_se(share))


def test_regime_chain_on_the_grid(figures: Figures) -> None:
    """Three regimes: the regime recorded every day has the stationary law, and day-to-day
    transitions have the probabilities exp(Q x 1 day) (binomial s.e. given the origin)."""
    states = {
        "calm": {"vol": 0.5, "transitions": {"volatile": 30.0, "crash": 2.0}},
        "volatile": {"vol": 1.0, "transitions": {"calm": 40.0, "crash": 10.0}},
        "crash": {"vol": 2.0, "stressed": True, "transitions": {"calm": 30.0, "volatile": 70.0}},
    }
    over = {
        "horizon_days": 180,
        "market.price.model": "regime",
        "market.price.regime": {"states": states},
        "output.sample_paths": 1500,
    }
    ds = simulate(over, paths=1500)
    scn = engine.load_scenario(scenario_dict(over))
    from engine.modelmath.markov import stationary_law
    from engine.scenario.price import generator_matrix

    q = generator_matrix(scn.market.price)
    pi = stationary_law(q)
    assert pi is not None
    path_regimes = ds.sample_regime.values.astype(int)
    assert scn.market.price.regime_names == ["calm", "crash", "volatile"]  # the index order
    for i, name in enumerate(scn.market.price.regime_names):
        occupancy = (path_regimes == i).mean(axis=1)
        figures.close(f"P({name})", occupancy.mean(), pi[i], group_se(occupancy))
    p_day = expm(q / 365.0)
    origin, target = path_regimes[:, :-1].ravel(), path_regimes[:, 1:].ravel()
    for i in range(3):
        count = np.count_nonzero(origin == i)
        for j in range(3):
            freq = np.count_nonzero((origin == i) & (target == j)) / count
            se = math.sqrt(p_day[i, j] * (1 - p_day[i, j]) / count)
            figures.close(f"P(day: {i} -> {j})", freq, p_day[i, j], se)


def test_regime_drift_and_funding_mean_hold_while_the_regime_lasts(figures: Figures) -> None:
    """A regime never left (no transitions out, named start): E[P_T] = P0 e^{mu T} with its own
    drift, and with OU vol 0 the funding relaxes to its own mean exactly:
    f_k = m + (f_0 - m) e^{-kappa k dt}."""
    states = {
        "calm": {"transitions": {"stressed": 5.0}},
        "stressed": {"drift": -1.5, "vol": 0.9, "funding_mean": -0.001},
    }
    over = {
        "horizon_days": 30,
        "market.price.model": "regime",
        "market.price.regime": {"initial": "stressed", "states": states},
        "market.funding.vol": 0.0,
        "output.observe_every_hours": 1.0,
    }
    ds = simulate(over, paths=4000)
    final = ds.final_price.values
    t = 30 / 365
    figures.close("E[P_T]", final.mean(), 3000.0 * math.exp(-1.5 * t), group_se(final))
    figures.apart("E[P_T] vs no drift", final.mean(), 3000.0, group_se(final))
    kappa, f0 = 50.0, 0.0001
    k = np.arange(ds.sample_funding_rate.shape[1])
    expected = -0.001 + (f0 + 0.001) * np.exp(-kappa * k * DT)
    np.testing.assert_allclose(ds.sample_funding_rate.values[0], expected, rtol=1e-10)
    assert (ds.sample_regime.values == 1).all()


# --------------------------------------------------------------------------------------------
# Bootstrap

BOOTSTRAP = {
    "horizon_days": 30,
    "market.price.model": "bootstrap",
    "market.price.history": {
        "prices": str(PRICES),
        "funding": str(FUNDING),
        "start": "2022-01-01",
        "end": "2024-01-01",
        "mean_block_hours": 48.0,
    },
    "market.funding.model": "historical",
}


def test_bootstrap_reproduces_the_data(figures: Figures) -> None:
    """Each step's (return, funding) pair is uniform over the data (stationary bootstrap), so
    E[r], E[r^2], E[f], E[r f] are the data's; consecutive steps continue a block with probability
    1 - p, so E[|r_k| |r_k+1|] = (1 - p) C1 + p E[|r|]^2, C1 the data's circular lag-1 mean.
    The data's figures come from the twin's own CSV reading (tests/reference.py)."""
    ds = simulate(BOOTSTRAP, paths=400, record=True)
    data = np.array(historical_steps(engine.load_scenario(scenario_dict(BOOTSTRAP))))
    r_data, f_data = data[:, 0], data[:, 2]
    r = step_returns(ds)
    f = ds.sample_funding_rate.values[:, 1:]  # the rate drawn with step k's return
    checks = {
        "E[r]": (r, r_data),
        "E[r^2]": (r**2, r_data**2),
        "E[f]": (f, f_data),
        "E[r f]": (r * f, r_data * f_data),
    }
    for name, (sim, ref) in checks.items():
        per_path = sim.mean(axis=1)
        figures.close(name, per_path.mean(), ref.mean(), group_se(per_path))
    p = 1.0 / 48.0
    g = np.abs(r_data)
    c1 = np.mean(g * np.roll(g, -1))
    lag = (np.abs(r[:, 1:]) * np.abs(r[:, :-1])).mean(axis=1)
    theory = (1 - p) * c1 + p * g.mean() ** 2
    figures.close("E[|r_k| |r_k+1|]", lag.mean(), theory, group_se(lag))
    figures.apart("E[|r_k| |r_k+1|] vs iid resampling", lag.mean(), g.mean() ** 2, group_se(lag))


# --------------------------------------------------------------------------------------------
# Replay


def csv_rows(path: Path) -> dict[datetime, dict[str, str]]:
    with path.open(newline="") as fh:
        return {
            datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC): row
            for row in csv.DictReader(fh)
        }


def test_replay_is_the_csv_path(figures: Figures) -> None:
    """Prices at every step are the CSV closes (to 1e-12 relative) when spot is the close at the
    start; funding is the rate in force; all paths are identical; the static short is liquidated
    at the first bar whose high reaches P_liq (an independent scan of the file)."""
    start = datetime(2022, 6, 18, tzinfo=UTC)
    bars = csv_rows(PRICES)
    settlements = {t: float(row["funding_rate"]) for t, row in csv_rows(FUNDING).items()}
    hour = timedelta(hours=1)
    spot = float(bars[start - hour]["close"])  # the bar stamped T closes at T + 1 h
    n_days = 60
    over = {
        "horizon_days": n_days,
        "market.spot": spot,
        "market.price.model": "replay",
        "market.price.history": {
            "prices": str(PRICES),
            "funding": str(FUNDING),
            "start": "2022-06-18",
        },
        "market.funding.model": "historical",
        "hedge.rebalance.policy": "none",
        "pool.fees.model": "none",
        "output.observe_every_hours": 1.0,
    }
    ds = simulate(over, paths=5, record=True)
    assert load_history(engine.load_scenario(scenario_dict(over))).first_price == spot
    n = n_days * 24
    closes = np.array([float(bars[start + (k - 1) * hour]["close"]) for k in range(n + 1)])
    prices = ds.sample_price.values
    for i in range(5):
        np.testing.assert_array_equal(prices[i], prices[0])
    for name in PATH_OUTPUTS:
        assert len({str(v) for v in ds[name].values}) == 1, name

    liquidated = bool(ds.liquidated.values[0])
    np.testing.assert_allclose(prices[0], closes, rtol=1e-12, atol=0)

    def rate_in_force(end: datetime) -> float:
        s = end
        while s not in settlements:
            s += hour
        return settlements[s]

    rates = [rate_in_force(start + (k + 1) * hour) for k in range(n)]
    np.testing.assert_array_equal(ds.sample_funding_rate.values[0, 1:], rates)

    # the static short: account A = C0 - cost + q P0, P_liq = A / (q (1 + m)); the funding
    # settled every 8 h (on the close, at the rate in force) moves A
    scn = engine.load_scenario(scenario_dict(over))
    q = ds.attrs["x0"]
    account = ds.attrs["collateral0"] - scn.hedge.trade_cost_rate * q * spot + q * spot
    m = scn.hedge.maintenance_margin
    expected_day = math.nan
    for k in range(n):
        bar = bars[start + k * hour]
        p_liq = account / (q * (1 + m))
        if float(bar["high"]) >= p_liq:
            expected_day = (k + 1) / 24
            break
        if (k + 1) % 8 == 0:  # settlement at the step's end, on the close
            close = float(bar["close"])
            account += q * close * rate_in_force(start + (k + 1) * hour)
            if account - q * close <= m * q * close:
                expected_day = (k + 1) / 24
                break
    assert liquidated and math.isfinite(expected_day)
    assert ds.liquidation_time.values[0] == pytest.approx(expected_day, rel=1e-12)
    figures.note("replay liquidation day", engine=float(ds.liquidation_time.values[0]))


# --------------------------------------------------------------------------------------------
# Accounting identity, files, errors

MODELS = {
    "garch": {
        "market.price.model": "garch",
        "market.price.garch": {"dof": 4.0},
        "hedge.leverage": 8.0,
    },
    "regime": {
        "market.price.model": "regime",
        "market.price.regime": {
            "states": {
                "calm": {"transitions": {"stressed": 10.0}},
                "stressed": {
                    "vol": 1.5,
                    "jump_intensity": 20.0,
                    "funding_mean": 0.001,
                    "transitions": {"calm": 40.0},
                },
            }
        },
        "hedge.leverage": 8.0,
    },
    "bootstrap": {**BOOTSTRAP, "hedge.leverage": 8.0, "pool.fees.model": "arbitrage"},
    "replay": {
        "market.price.model": "replay",
        "market.price.history": {"prices": str(PRICES), "start": "2021-05-01T00:00"},
        "market.funding.corr_with_price": 0.0,
        "pool.type": "v3",
        "hedge.leverage": 5.0,
    },
}


@pytest.mark.parametrize("model", list(MODELS))
def test_attribution_adds_up(model: str) -> None:
    """engine.risk's attribution parts add up to pnl on every path (no `unexplained` part)."""
    ds = simulate({"horizon_days": 30, **MODELS[model]}, paths=500)
    parts = attribution_parts(ds)
    assert "unexplained" not in parts
    total = sum(parts.values())
    np.testing.assert_allclose(total.values, ds.pnl.values, rtol=0, atol=1e-9 * ds.attrs["capital"])
    assert ds.liquidated.values.any()


def synthetic_prices(folder: Path, rows: int = 200, high: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prices.csv"
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rng = np.random.default_rng(3)
    closes = (1000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, rows)))).tolist()
    with path.open("w") as fh:
        fh.write("timestamp,close" + (",high" if high else "") + "\n")
        for k, c in enumerate(closes):
            stamp = (t0 + timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(f"{stamp},{c!r}" + (f",{c * 1.002!r}" if high else "") + "\n")
    return path


def test_relative_csv_paths_are_taken_from_the_scenario_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative data path in a file is read from the file's folder, whatever the current folder;
    the loaded scenario carries the absolute path."""
    prices = synthetic_prices(tmp_path / "scn" / "data")
    (tmp_path / "scn" / "mine.yaml").write_text(
        "horizon_days: 5\nmarket:\n  funding: {corr_with_price: 0}\n"
        "  price: {model: replay, history: {prices: data/prices.csv}}\n"
    )
    monkeypatch.chdir(tmp_path)
    scn = engine.load_scenario(tmp_path / "scn" / "mine.yaml")
    assert scn.market.price.history.prices == str(prices.resolve())
    ds = engine.simulate(scn, paths=2)
    np.testing.assert_allclose(
        ds.final_price.values[0] / 3000.0,
        np.exp(
            np.sum(np.diff(np.log(np.loadtxt(prices, delimiter=",", skiprows=1, usecols=1)))[:120])
        ),
        rtol=1e-12,
    )


BAD = {
    "garch alpha + beta": (
        ["market.price.model=garch", "market.price.garch.alpha=0.2", "market.price.garch.beta=0.8"],
        "market.price.garch.alpha",
    ),
    "garch dof": (
        ["market.price.model=garch", "market.price.garch.dof=2"],
        "market.price.garch.dof",
    ),
    "unknown regime": (
        [
            "market.price.model=regime",
            "market.price.regime={states: {calm: {transitions: {strsd: 3}}}}",
        ],
        "market.price.regime.states.calm.transitions.strsd",
    ),
    "unknown initial regime": (
        ["market.price.model=regime", "market.price.regime={initial: x, states: {calm: {}}}"],
        "market.price.regime.initial",
    ),
    "negative intensity": (
        [
            "market.price.model=regime",
            "market.price.regime={states: {a: {transitions: {b: -1}}, b: {}}}",
        ],
        "market.price.regime.states.a.transitions.b",
    ),
    "missing csv": (
        [
            "market.price.model=replay",
            "market.funding.corr_with_price=0",
            "market.price.history.prices=nowhere.csv",
        ],
        "market.price.history.prices",
    ),
    "missing column": (
        [
            "market.price.model=bootstrap",
            "market.funding.corr_with_price=0",
            f"market.price.history.prices={FUNDING}",
        ],
        "market.price.history.prices",
    ),
    "horizon beyond data": (
        [
            "market.price.model=replay",
            "market.funding.corr_with_price=0",
            f"market.price.history.prices={PRICES}",
            "market.price.history.start=2025-11-01",
        ],
        "horizon_days",
    ),
    "premium funding correlated with historical returns": (
        [
            "market.price.model=bootstrap",
            f"market.price.history.prices={PRICES}",
            "market.funding.model=premium",
        ],
        "market.funding.corr_with_price",
    ),
    "historical funding without data": (
        ["market.funding.model=historical"],
        "market.funding.model",
    ),
    "replay before the funding data": (
        [
            "market.price.model=replay",
            "market.funding.model=historical",
            f"market.price.history.prices={PRICES}",
            f"market.price.history.funding={FUNDING}",
            "market.price.history.start=2019-06-01",
        ],
        "market.price.history.start",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_naming_the_field(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sets, field = BAD[case]
    args = [item for s in sets for item in ("--set", s)]
    result = runner.invoke(cli.app, ["run", "default", "--paths", "10", "--out", "out", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {field} = "), result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_high_column_and_close_only(tmp_path: Path) -> None:
    """Intrabar `high` needs the column (InputError naming the key); `close` does without."""
    prices = synthetic_prices(tmp_path, high=False)
    over = {
        "horizon_days": 5,
        "market.price.model": "replay",
        "market.price.history": {"prices": str(prices)},
        "market.funding.corr_with_price": 0.0,
    }
    with pytest.raises(
        engine.InputError, match=r"market.price.history.prices = .*no column 'high'"
    ):
        engine.load_scenario(scenario_dict(over))
    over["market.price.history"] = {"prices": str(prices), "intrabar": "close"}
    assert engine.simulate(scenario_dict(over), paths=2).final_price.values[0] > 0.0


def test_student_t_law(figures: Figures) -> None:
    """The innovations rescaled to a plain t (e sqrt(nu / (nu - 2))) follow scipy's t_nu law
    (Kolmogorov-Smirnov, nu = 3.5 as fitted to hourly ETH); the normal law is rejected."""
    from scipy import stats

    nu = 3.5
    over = {
        "horizon_days": 30,
        "market.price.model": "garch",
        "market.price.garch": {"alpha": 0.0, "beta": 0.0, "dof": nu},
    }
    ds = simulate(over, paths=150, record=True)
    params = market_params(engine.load_scenario(scenario_dict(over)))
    e = ((step_returns(ds) - params.log_drift) / params.diffusion).ravel()
    t = e * math.sqrt(nu / (nu - 2.0))
    fit = stats.kstest(t, stats.t(nu).cdf)
    normal = stats.kstest(e, stats.norm.cdf)
    figures.note("KS t", statistic=fit.statistic, pvalue=fit.pvalue, n=len(t))
    assert fit.pvalue > 1e-3, fit
    assert normal.pvalue < 1e-6, normal


@pytest.mark.parametrize("model", ["garch", "bootstrap"])
def test_results_do_not_depend_on_the_block_size(model: str) -> None:
    """The gamma draws' rejection loop and the bootstrap's block chain stay per path: any block
    size gives the same numbers."""
    over = {"horizon_days": 10, **MODELS[model]}
    a = engine.simulate(scenario_dict(over), paths=40, seed=5, block_paths=7)
    b = engine.simulate(scenario_dict(over), paths=40, seed=5)
    for name in PATH_OUTPUTS:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def py_gamma(stream: Any, shape: float) -> float:
    """Marsaglia & Tsang (2000) Gamma(shape >= 1, 1), written from the paper: d = shape - 1/3,
    c = 1/sqrt(9d); accept d v, v = (1 + c x)^3 > 0, when u < 1 - 0.0331 x^4 or
    ln u < x^2/2 + d (1 - v + ln v)."""
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = stream.normal()
        v = (1.0 + c * x) ** 3
        if v <= 0.0:
            continue
        u = stream.uniform()
        if u < 1.0 - 0.0331 * x**4 or math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v


@pytest.mark.parametrize("model", ["garch", "regime", "bootstrap", "replay"])
def test_draw_model_steps_is_the_documented_stream(model: str) -> None:
    """draw_model_steps reads the path's xoshiro256++ stream in the documented per-step order
    (engine.kernels.driver), checked against the plain-Python stream of tests/test_rng.py:
    garch z_price, z_funding, [Gamma(nu/2) trials], u_bridge, with the t factor
    sqrt((nu - 2) / (2 g)); regime z_price, z_funding, u_jump, z_jump, u_regime, u_bridge (after
    one uniform for a stationary start); bootstrap z_funding, u_block, u_start; replay z_funding."""
    from engine.kernels.draws import (
        D_BLOCK,
        D_BRIDGE,
        D_FUNDING,
        D_JUMP_U,
        D_JUMP_Z,
        D_PRICE,
        D_REGIME,
        D_START,
        D_T_SCALE,
        DRAW_WIDTH,
        draw_model_steps,
    )
    from engine.kernels.rng import seed_stream

    nu = 3.5
    over = {
        "garch": {"market.price.model": "garch", "market.price.garch": {"dof": nu}},
        "regime": MODELS["regime"],
        "bootstrap": BOOTSTRAP,
        "replay": {**MODELS["replay"], "market.price.history": {"prices": str(PRICES)}},
    }[model]
    params = market_params(engine.load_scenario(scenario_dict({"horizon_days": 10, **over})))
    n = 240
    state = np.empty(4, np.uint64)
    seed_stream(state, np.uint64(77), np.int64(5))
    twin = PyStream(77, 5)
    if model == "regime":  # the stationary start's uniform, drawn by the driver
        assert params.regime.draw_initial and params.regime.jumps and params.regime.switching
        from engine.kernels.rng import uniform

        assert uniform(state) == twin.uniform()
    got = np.zeros((n, DRAW_WIDTH))
    draw_model_steps(state, got, n, params)
    layout = {
        "garch": [("n", D_PRICE), ("n", D_FUNDING), ("t", D_T_SCALE), ("u", D_BRIDGE)],
        "regime": [
            ("n", D_PRICE),
            ("n", D_FUNDING),
            ("u", D_JUMP_U),
            ("n", D_JUMP_Z),
            ("u", D_REGIME),
            ("u", D_BRIDGE),
        ],
        "bootstrap": [("n", D_FUNDING), ("u", D_BLOCK), ("u", D_START)],
        "replay": [("n", D_FUNDING)],
    }[model]
    for k in range(n):
        for kind, col in layout:
            if kind == "u":
                assert got[k, col] == twin.uniform(), (k, col)
            elif kind == "n":
                assert got[k, col] == pytest.approx(twin.normal(), rel=5e-16, abs=0), (k, col)
            else:
                expected = math.sqrt((nu - 2.0) / (2.0 * py_gamma(twin, nu / 2.0)))
                assert got[k, col] == pytest.approx(expected, rel=1e-14, abs=0), (k, col)


def test_regime_funding_means_under_premium_funding() -> None:
    """A regime's own funding mean is the premium's mean under premium funding (as under OU)."""
    over = {
        "market.price.model": "regime",
        "market.price.regime": {
            "states": {
                "calm": {"funding_mean": 0.0002, "transitions": {"hot": 10.0}},
                "hot": {"funding_mean": 0.001, "transitions": {"calm": 20.0}},
            }
        },
        "market.funding.model": "premium",
    }
    means = market_params(engine.load_scenario(scenario_dict(over))).regime.funding_mean
    assert means.tolist() == [0.0002, 0.001]

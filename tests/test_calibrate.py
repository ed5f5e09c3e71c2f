"""Calibration: recovery of known parameters from the engine's own simulated paths, the GBM fit
against its closed form, plausible values on the real ETH data (against the data README's own
statistics), and the `calibrate` command end to end.

Every recovery check is |estimate - truth| <= 4 s.e., the s.e. being the one the fit itself reports
(derived: delta method / inverse Hessian), never a tolerance picked for the test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import engine
from engine import cli
from engine.calibrate import (
    calibrate,
    calibrated_scenario,
    fit_gbm,
    fit_merton,
    fit_ou,
    funding_stats,
)
from engine.data import read_funding, read_prices, returns_over
from tests.calibration_data import ETH_1H, ETH_FUNDING, HOUR, needs_data, simulated_paths

# --------------------------------------------------------------------------------------------
# GBM


def test_gbm_fit_is_the_closed_form_estimator(figures):
    rng = np.random.default_rng(1)
    mu, sigma, n = 0.4, 0.9, 200_000
    r = rng.normal((mu - 0.5 * sigma**2) * HOUR, sigma * math.sqrt(HOUR), n)
    fit = fit_gbm(r, HOUR)
    var = r.var(ddof=1)
    assert fit.params["vol"].value == pytest.approx(math.sqrt(var / HOUR), rel=1e-12)
    assert fit.params["drift"].value == pytest.approx(r.mean() / HOUR + var / (2 * HOUR), rel=1e-9)
    # For Gaussian returns the moment-based s.e. reduce to the textbook ones, up to their own
    # sampling error: se(drift) ~ s / (sqrt(n) dt) carries the relative error of the sample sd,
    # 1/sqrt(2n); se(vol) ~ sqrt(m4 - s^4) / (2 s^2) x vol/sqrt(n) carries that of
    # sqrt(kurtosis - 1), whose s.e. for normal data is sqrt(24/n) / (2 x 2) = sqrt(1.5/n).
    # Tolerances: 4 of those relative s.e.
    years = n * HOUR
    vol_rel = 4.0 * math.sqrt(1.5 / n)
    drift_rel = 4.0 / math.sqrt(2 * n)
    assert fit.params["vol"].se == pytest.approx(sigma / math.sqrt(2 * n), rel=vol_rel)
    assert fit.params["drift"].se == pytest.approx(sigma / math.sqrt(years), rel=drift_rel)
    figures.close("gbm vol", fit.params["vol"].value, sigma, fit.params["vol"].se)
    figures.close("gbm drift", fit.params["drift"].value, mu, fit.params["drift"].se)


def test_gbm_recovers_engine_simulation(figures):
    mu, sigma = 0.3, 0.7
    price, _ = simulated_paths(
        {"market": {"price": {"drift": mu, "vol": sigma}, "funding": {"model": "none"}}}, 100, 30
    )
    r = np.diff(np.log(price), axis=1).ravel()
    fit = fit_gbm(r, HOUR)
    assert fit.n == 100 * 30 * 24
    figures.close("engine gbm vol", fit.params["vol"].value, sigma, fit.params["vol"].se)
    figures.close("engine gbm drift", fit.params["drift"].value, mu, fit.params["drift"].se)


# --------------------------------------------------------------------------------------------
# Merton


@pytest.mark.slow
def test_merton_recovers_engine_simulation(figures):
    truth = {
        "drift": 0.2,
        "vol": 0.5,
        "jump_intensity": 150.0,
        "jump_mean": -0.02,
        "jump_vol": 0.03,
    }
    price, _ = simulated_paths(
        {"market": {"price": {"model": "merton", **truth}, "funding": {"model": "none"}}}, 60, 60
    )
    r = np.diff(np.log(price), axis=1).ravel()
    fit = fit_merton(r, HOUR)
    assert not fit.notes, fit.notes
    for key, value in truth.items():
        est = fit.params[key]
        figures.close(f"engine merton {key}", est.value, value, est.se)
    # the jump parameters are identified sharply (the test has power)
    figures.apart(
        "merton intensity vs 0",
        fit.params["jump_intensity"].value,
        0.0,
        fit.params["jump_intensity"].se,
    )


def test_merton_reduces_to_gbm_without_jumps():
    rng = np.random.default_rng(3)
    sigma = 0.6
    r = rng.normal(-0.5 * sigma**2 * HOUR, sigma * math.sqrt(HOUR), 20_000)
    fit = fit_merton(r, HOUR)
    gbm = fit_gbm(r, HOUR)
    # With no jumps in the data the fitted jump share of the variance (per year) is below 4 s.e.
    # of the variance estimate itself, se(sigma^2) = sigma^2 sqrt(2/n), and the diffusive vol is
    # the GBM vol within 4 of its s.e.
    n = r.size
    jump_var = fit.params["jump_intensity"].value * (
        fit.params["jump_mean"].value ** 2 + fit.params["jump_vol"].value ** 2
    )
    gbm_vol = gbm.params["vol"]
    assert jump_var < 4.0 * gbm_vol.value**2 * math.sqrt(2.0 / n)
    assert abs(fit.params["vol"].value - gbm_vol.value) < 4.0 * gbm_vol.se


# --------------------------------------------------------------------------------------------
# OU funding


def test_ou_recovers_engine_simulation(figures):
    truth = {"mean": 1e-4, "reversion": 50.0, "vol": 0.003, "corr_with_price": 0.3}
    price, rate = simulated_paths(
        {
            "market": {
                "price": {"vol": 0.8},
                "funding": {"model": "ou", "interval_hours": 8.0, "cap": None, **truth},
            }
        },
        200,
        90,
    )
    f = rate[:, ::8]  # the rate at each 8-hour settlement time (t = 0, 8 h, ...)
    p = price[:, ::8]
    x, y = f[:, :-1].ravel(), f[:, 1:].ravel()
    returns = np.diff(np.log(p), axis=1).ravel()
    fit = fit_ou(x, y, 8.0, returns)
    assert fit.n == 200 * 90 * 3
    for key, value in truth.items():
        est = fit.params[key]
        figures.close(f"engine ou {key}", est.value, value, est.se)
    b = math.exp(-50.0 * 8 * HOUR)
    figures.close("engine ou AR(1) slope", fit.b.value, b, fit.b.se)


def test_ou_rejects_non_mean_reverting_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500) * 1e-4
    y = 1.5 * x + rng.normal(size=500) * 1e-6  # explosive: slope 1.5
    with pytest.raises(engine.InputError, match="AR\\(1\\) slope"):
        fit_ou(x, y, 8.0)


# --------------------------------------------------------------------------------------------
# Real ETH data, against the statistics of shared/data/README.md


@needs_data
def test_eth_hourly_file_gaps_match_the_readme():
    prices = read_prices(ETH_1H)
    assert len(prices) == 72_583 and prices.interval_hours == 1.0
    assert prices.gaps == 28 and prices.missing_intervals == 128
    assert prices.log_returns().size == 72_583 - 1 - 28


@needs_data
def test_eth_gbm_2020_2024_matches_the_readme(figures):
    prices = read_prices(ETH_1H, "2020-01-01", "2025-01-01")
    fit = fit_gbm(prices.log_returns(), prices.dt_years)
    vol = fit.params["vol"]
    # README: 82.6 % annualised from consecutive-hour returns, 2020-2024 pooled (same estimator)
    assert round(100 * vol.value, 1) == 82.6
    # and the daily figure (85.9 %) is within 4 of our s.e. (fat tails make the s.e. honest)
    figures.close("eth vol hourly vs daily", vol.value, 0.859, vol.se)
    # mean daily log return +0.178 % -> mu = 365 * 0.00178 + sigma^2/2 (about 1.0 a year)
    figures.close(
        "eth drift",
        fit.params["drift"].value,
        365 * 0.00178 + 0.5 * vol.value**2,
        fit.params["drift"].se,
    )


@needs_data
def test_eth_funding_2020_2024_matches_the_readme():
    funding = read_funding(ETH_FUNDING, "2020-01-01", "2025-01-01")
    stats = funding_stats(funding)
    assert stats["n"] == 5_481
    assert stats["mean"] == pytest.approx(0.0001589, abs=5e-8)  # README: 0.01589 %
    assert stats["sd"] == pytest.approx(0.0003079, abs=5e-8)  # 0.03079 %
    assert round(100 * stats["share_at_baseline"], 1) == 40.9
    assert round(100 * stats["share_negative"], 1) == 10.8
    assert round(stats["lag1_autocorrelation"], 2) == 0.78
    prices = read_prices(ETH_1H, "2020-01-01", "2025-01-01")
    cal = calibrate(ETH_1H, ETH_FUNDING, "gbm", "2020-01-01", "2025-01-01")
    assert cal.prices.log_returns().size == prices.log_returns().size
    fit = cal.funding_fit
    assert fit is not None
    assert round(fit.b.value, 2) == 0.78  # the AR(1) slope is the lag-1 autocorrelation
    theta = fit.params["mean"]
    assert abs(theta.value - stats["mean"]) < 4 * theta.se
    # half-life of the fitted OU in hours: ln 2 / kappa; the autocorrelation at lag 3 (one day)
    # the README gives (0.64) lies above the AR(1)'s 0.78^3 = 0.47: longer memory than OU
    assert 0.0 < fit.params["corr_with_price"].value < 0.5


# --------------------------------------------------------------------------------------------
# Bad files


def write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "timestamp,close\n2024-01-01T00:00:00Z,100\n2024-01-01T01:00:00Z,101\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "is empty"),
        ("timestamp,close\n", "has no data rows"),
        ("timestamp,price\n2024-01-01T00:00:00Z,1\n", "has no column 'close'"),
        (
            GOOD + "2024-01-01T01:00:00Z,102\n",
            "line 4 column timestamp = '2024-01-01T01:00:00Z': duplicate",
        ),
        (
            GOOD + "2023-12-31T23:00:00Z,102\n",
            "line 4 column timestamp = '2023-12-31T23:00:00Z': timestamps are not in increasing order",
        ),
        (GOOD + "2024-01-01T02:00:00Z,0\n", "line 4 column close = '0': must be positive"),
        (GOOD + "2024-01-01T02:00:00Z,-5\n", "line 4 column close = '-5': must be positive"),
        (GOOD + "2024-01-01T02:00:00Z,nan\n", "line 4 column close = 'nan': not a finite number"),
        (GOOD + "2024-01-01T02:00:00Z,abc\n", "line 4 column close = 'abc': not a number"),
        (GOOD + "2024-01-01T02:00:00Z,\n", "line 4 column close = '': not a number"),
        (GOOD + "yesterday,102\n", "line 4 column timestamp = 'yesterday': not an ISO-8601"),
        (GOOD + "2024-01-01T02:00:00Z\n", "line 4 = '2024-01-01T02:00:00Z': has 1 fields"),
    ],
)
def test_bad_price_files(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(engine.InputError) as info:
        read_prices(path)
    message = str(info.value)
    assert str(path) in message and needle in message, message


def test_bad_funding_file_and_missing_file(tmp_path):
    with pytest.raises(engine.InputError, match="no such file"):
        read_prices(tmp_path / "missing.csv")
    path = write(tmp_path, "timestamp,funding_rate\n2024-01-01T00:00:00Z,NaN\n", "f.csv")
    with pytest.raises(engine.InputError, match="line 2 column funding_rate = 'NaN'"):
        read_funding(path)
    # negative funding rates are fine
    ok = write(
        tmp_path,
        "timestamp,funding_rate\n"
        + "".join(f"2024-01-01T{8 * i:02d}:00:00Z,-0.0001\n" for i in range(3)),
        "g.csv",
    )
    assert read_funding(ok).values.tolist() == [-0.0001] * 3


def test_gaps_are_dropped_from_returns_and_counted(tmp_path):
    rows = ["timestamp,open,high,low,close,volume"]
    hours = [0, 1, 2, 5, 6, 7, 8, 10]
    for h in hours:
        rows.append(f"2024-01-01T{h:02d}:00:00Z,1,1,1,{100 + h},1")
    prices = read_prices(write(tmp_path, "\n".join(rows) + "\n"))
    assert prices.interval_hours == 1.0
    assert prices.gaps == 2 and prices.missing_intervals == 3
    r = prices.log_returns()
    assert r.size == len(hours) - 1 - 2
    assert r[2] == pytest.approx(math.log(106 / 105))  # the 2 -> 5 pair is skipped
    # date range: [start, end)
    window = read_prices(prices.path, "2024-01-01T05:00", "2024-01-01T08:00")
    assert window.values.tolist() == [105.0, 106.0, 107.0]
    with pytest.raises(engine.InputError, match="--end"):
        read_prices(prices.path, "2024-01-02", "2024-01-01")


# --------------------------------------------------------------------------------------------
# Command line

runner = CliRunner()


@needs_data
def test_calibrate_cli_writes_a_runnable_scenario(tmp_path):
    out = tmp_path / "eth.yaml"
    args = [
        "calibrate", str(ETH_1H), "--funding", str(ETH_FUNDING),
        "--start", "2024-01-01", "--end", "2024-04-01", "--out", str(out),
    ]  # fmt: skip
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    assert "price.vol" in result.stdout and "s.e." in result.stdout
    text = out.read_text()
    assert "# s.e." in text and "eth_usdt_1h_binance_spot.csv" in text
    assert "log returns between rows one interval apart; 0 gap(s) dropped" in text
    scn = engine.load_scenario(out)
    prices = read_prices(ETH_1H, "2024-01-01", "2024-04-01")
    assert scn.market.spot == pytest.approx(prices.values[-1])
    assert scn.market.price.model == "gbm" and scn.market.funding.model == "ou"
    assert 0.3 < scn.market.price.vol < 1.2
    ds = engine.simulate(engine.load_scenario(out, {"horizon_days": 7, "paths": 20}), seed=1)
    assert np.all(np.isfinite(ds["pnl"].values))
    # again without --overwrite: refused, file unchanged
    again = runner.invoke(cli.app, args)
    assert again.exit_code == 2 and again.stderr.startswith("error: --out")
    assert out.read_text() == text


@needs_data
def test_calibrate_cli_prints_yaml_without_out():
    args = ["calibrate", str(ETH_1H), "--start", "2024-01-01", "--end", "2024-02-01"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(result.stdout)  # stdout is the YAML alone; the table went to stderr
    assert data["market"]["price"]["model"] == "gbm"
    assert "price.vol" in result.stderr
    engine.load_scenario(data)


def test_calibrate_cli_bad_input_is_one_line_and_writes_nothing(tmp_path):
    bad = write(tmp_path, GOOD + "2024-01-01T02:00:00Z,-1\n")
    out = tmp_path / "s.yaml"
    result = runner.invoke(cli.app, ["calibrate", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "must be positive" in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]
    result = runner.invoke(cli.app, ["calibrate", str(bad), "--model", "heston"])
    assert result.exit_code == 2 and "--model" in result.stderr
    result = runner.invoke(cli.app, ["calibrate", str(bad), "--regime-hours", "24"])
    assert result.exit_code == 2 and "--regime-hours" in result.stderr


def test_scenario_yaml_round_trips_small_numbers(tmp_path):
    rng = np.random.default_rng(5)
    rows = ["timestamp,close"] + [
        f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00Z,{100 * math.exp(0.01 * z):.6f}"
        for h, z in enumerate(np.cumsum(rng.normal(size=240)))
    ]
    f = [1e-4]
    for _ in range(89):
        f.append(5e-5 + 0.5 * f[-1] + 2e-5 * rng.normal())
    funding_rows = ["timestamp,funding_rate"] + [
        f"2024-01-{1 + i // 3:02d}T{8 * (i % 3):02d}:00:00Z,{rate:.8f}" for i, rate in enumerate(f)
    ]
    prices = write(tmp_path, "\n".join(rows) + "\n")
    funding = write(tmp_path, "\n".join(funding_rows) + "\n", "f.csv")
    cal = calibrate(prices, funding, start="2024-01-01", end="2024-01-11")
    text, scn = calibrated_scenario(cal)
    data = yaml.safe_load(text)
    assert scn.market.funding.initial == pytest.approx(float(cal.funding.values[-1]), rel=1e-5)
    for key in ("initial", "mean", "reversion", "vol", "corr_with_price"):
        assert isinstance(data["market"]["funding"][key], float), key
    assert scn.market.funding.mean == pytest.approx(cal.funding_fit.params["mean"].value, rel=1e-5)


def test_prices_line_up_with_funding_times(tmp_path):
    # hourly bars stamped at their open: the price at 08:00 is the close of the 07:00 bar
    rows = ["timestamp,close"] + [f"2024-01-01T{h:02d}:00:00Z,{100.0 + h}" for h in range(24)]
    prices = read_prices(write(tmp_path, "\n".join(rows) + "\n"))
    times = np.array([8, 16], dtype=np.int64) * 3600 + prices.times[0]
    r = returns_over(prices, np.concatenate([[prices.times[0] + 3600], times]))
    assert r.tolist() == pytest.approx([math.log(107 / 100), math.log(115 / 107)])
    # a time with no bar gives NaN, not a wrong return
    r = returns_over(prices, np.array([prices.times[0] + 3600, prices.times[0] + 30 * 3600]))
    assert np.isnan(r).all()


@needs_data
def test_calibrate_cli_merton_on_march_2020(tmp_path):
    out = tmp_path / "m.yaml"
    args = [
        "calibrate", str(ETH_1H), "--model", "merton",
        "--start", "2020-03-01", "--end", "2020-04-01", "--out", str(out),
    ]  # fmt: skip
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    scn = engine.load_scenario(out)
    price = scn.market.price
    assert price.model == "merton" and price.jump_intensity > 0.0 and price.jump_vol > 0.0
    assert "total vol (derived)" in result.stdout
    # the month of the March 2020 crash: total variance well above the 2020-2024 average
    total = price.vol**2 + price.jump_intensity * (price.jump_mean**2 + price.jump_vol**2)
    assert math.sqrt(total) > 1.0

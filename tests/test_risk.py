"""engine.risk against independent computations (sorting, scipy, direct counts), on real engine
output and on a synthetic sweep built by concatenating small runs along a dotted-key dimension."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import engine
from engine import risk
from engine.risk import summary

LEVELS = (0.95, 0.99, 0.999)


@pytest.fixture(scope="module")
def run() -> xr.Dataset:
    scn = engine.load_scenario(
        None,
        overrides={
            "horizon_days": 10,
            "step_hours": 4,
            "paths": 3000,
            "hedge.leverage": 8,
            "output.sample_paths": 20,
        },
    )
    return engine.simulate(scn)


@pytest.fixture(scope="module")
def sweep() -> xr.Dataset:
    """A synthetic sweep over 'hedge.leverage' (3 points) x 'hedge.ratio' (2 points)."""
    rows = []
    for lev in (2.0, 5.0, 10.0):
        cols = []
        for ratio in (0.5, 1.0):
            scn = engine.load_scenario(
                None,
                overrides={
                    "horizon_days": 6,
                    "step_hours": 4,
                    "paths": 600,
                    "hedge.leverage": lev,
                    "hedge.ratio": ratio,
                    "output.sample_paths": 10,
                },
            )
            cols.append(engine.simulate(scn))
        rows.append(xr.concat(cols, dim=xr.DataArray([0.5, 1.0], dims="hedge.ratio")))
    ds = xr.concat(rows, dim=xr.DataArray([2.0, 5.0, 10.0], dims="hedge.leverage"))
    assert ds["pnl"].dims == ("hedge.leverage", "hedge.ratio", "path")
    return ds


def sorted_var(loss: np.ndarray, level: float) -> float:
    ordered = np.sort(loss)
    k = math.ceil(level * loss.size - 1e-9)
    return float(ordered[max(k, 1) - 1])


# --------------------------------------------------------------------------------------------
# Building blocks


@pytest.mark.parametrize("n", [1, 7, 50, 1000, 5000, 100_000])
@pytest.mark.parametrize("level", [0.5, 0.95, 0.99, 0.999])
def test_var_interval_order_statistics(n: int, level: float) -> None:
    rng = np.random.default_rng(n)
    loss = rng.standard_t(4, n)
    lo, hi = risk.var_interval(loss, level)
    ordered = np.sort(loss)
    # exact binomial ranks from scipy: B ~ Bin(n, level) values below the quantile
    rank_lo = int(stats.binom.ppf(0.025, n, level))
    rank_hi = int(stats.binom.ppf(0.975, n, level)) + 1
    expected = (rank_lo if rank_lo >= 1 else None, rank_hi if rank_hi <= n else None)
    assert risk.quantile_rank_interval(n, level) == expected
    assert lo == (None if rank_lo < 1 else ordered[rank_lo - 1])
    assert hi == (None if rank_hi > n else ordered[rank_hi - 1])
    # each side misses with probability at most 2.5 %: P(B < lo), P(B >= hi)
    assert stats.binom.cdf(rank_lo - 1, n, level) <= 0.025 + 1e-12
    assert stats.binom.sf(rank_hi - 1, n, level) <= 0.025 + 1e-12
    var = sorted_var(loss, level)
    assert (lo is None or lo <= var) and (hi is None or var <= hi)


def test_var_interval_unbounded_tail() -> None:
    lo, hi = risk.var_interval(np.arange(100.0), 0.999)
    assert hi is None and lo is not None


def test_var_interval_covers_true_quantile() -> None:
    """Coverage over repeated samples of a known distribution: about 95 %."""
    rng = np.random.default_rng(5)
    q = stats.norm.ppf(0.99)
    hits = 0
    trials = 400
    for _ in range(trials):
        lo, hi = risk.var_interval(rng.standard_normal(2000), 0.99)
        hits += lo <= q <= hi
    assert 0.92 <= hits / trials <= 0.99


def test_es_stderr_formula_and_coverage() -> None:
    rng = np.random.default_rng(8)
    loss = rng.standard_normal(4000)
    a = 0.95
    var = sorted_var(loss, a)
    t = loss[loss >= var]
    expected = math.sqrt((np.var(t, ddof=1) + a * (t.mean() - var) ** 2) / (loss.size * (1 - a)))
    assert risk.es_stderr(loss, a) == pytest.approx(expected, rel=1e-12)

    # the interval covers the true normal ES, phi(z_a) / (1 - a), about 95 % of the time
    true_es = stats.norm.pdf(stats.norm.ppf(a)) / (1 - a)
    hits = 0
    for _ in range(300):
        sample = rng.standard_normal(4000)
        es = sample[sample >= sorted_var(sample, a)].mean()
        se = risk.es_stderr(sample, a)
        hits += abs(es - true_es) <= 1.96 * se
    assert 0.9 <= hits / 300 <= 0.99


def test_mean_with_stderr() -> None:
    x = np.random.default_rng(2).exponential(3.0, 777)
    m = risk.mean_with_stderr(x)
    assert m["mean"] == pytest.approx(x.mean(), rel=1e-13)
    assert m["stderr"] == pytest.approx(stats.sem(x), rel=1e-12)


def test_survival_curve_direct_count() -> None:
    t = np.array([np.nan, 1.0, 2.5, np.nan, 2.5, 7.0, np.nan, np.nan])
    s = risk.survival_curve(t, [0.0, 1.0, 2.0, 2.5, 7.0, 10.0])
    assert s["survival"] == [1.0, 7 / 8, 7 / 8, 5 / 8, 4 / 8, 4 / 8]
    ci = stats.binomtest(5, 8).proportion_ci(method="wilson")
    assert (s["low"][3], s["high"][3]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_liquidation_time_quantiles() -> None:
    t = np.array([5.0, 1.0, np.nan, 3.0] + [np.nan] * 6)  # 3 of 10 liquidated
    q = risk.liquidation_time_quantiles(t, (0.1, 0.2, 0.3, 0.31, 0.5))
    assert q == {"0.1": 1.0, "0.2": 3.0, "0.3": 5.0, "0.31": None, "0.5": None}


def test_exceedance_matches_counts() -> None:
    dd = np.random.default_rng(4).beta(2, 8, 1000)
    ex = risk.exceedance(dd, (0.1, 0.2, 0.5))
    for key, t in (("0.1", 0.1), ("0.2", 0.2), ("0.5", 0.5)):
        k = int(np.count_nonzero(dd > t))
        ci = stats.binomtest(k, 1000).proportion_ci(method="wilson")
        assert ex[key]["count"] == k and ex[key]["p"] == k / 1000
        assert ex[key]["ci"] == pytest.approx([ci.low, ci.high], abs=1e-12)


# --------------------------------------------------------------------------------------------
# One run


def test_risk_metrics_on_a_run(run: xr.Dataset) -> None:
    m = risk.risk_metrics(run)
    pnl = run["pnl"].values
    loss = -pnl
    n = pnl.size
    capital = run.attrs["capital"]
    assert m["paths"] == n and m["capital"] == capital
    assert m["pnl"]["mean"] == pytest.approx(pnl.mean(), rel=1e-12)
    assert m["pnl"]["stderr"] == pytest.approx(stats.sem(pnl), rel=1e-12)

    for level in LEVELS:
        t = m["tail"][str(level)]
        var = sorted_var(loss, level)
        tail = loss[loss >= var]
        assert t["var"] == var
        assert t["es"] == pytest.approx(tail.mean(), rel=1e-12)
        assert t["tail_paths"] == tail.size
        assert t["var_fraction"] == pytest.approx(var / capital, rel=1e-15)
        assert t["es_fraction"] == pytest.approx(tail.mean() / capital, rel=1e-15)
        if t["es_stderr"] is not None:
            assert t["es_ci"][0] < t["es"] < t["es_ci"][1]
    # 3000 paths: the 99.9 % tail rests on ~3 paths, the 95 % one on ~150
    assert any("99.9 %" in w and "fewer than 100" in w for w in m["warnings"])
    assert not any("VaR/ES 95 %" in w for w in m["warnings"])

    for key, frac in (("0", 0.0), ("0.1", 0.1)):
        k = int(np.count_nonzero(loss > frac * capital))
        assert m["loss_exceedance"][key]["count"] == k

    liq = run["liquidated"].values
    k = int(liq.sum())
    assert k > 0
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert m["liquidation"]["probability"] == k / n
    assert m["liquidation"]["ci"] == pytest.approx([ci.low, ci.high], abs=1e-12)
    surv = m["liquidation"]["survival"]
    t_liq = run["liquidation_time"].values
    for t, s in zip(surv["time"], surv["survival"], strict=True):
        assert s == (n - np.count_nonzero(t_liq <= t)) / n  # NaN compares False
    assert surv["survival"][-1] == (n - k) / n  # every liquidation is inside the horizon

    dd = run["max_drawdown"].values
    for key in ("0.5", "0.9", "0.95", "0.99"):
        assert m["drawdown"]["quantiles"][key] == sorted_var(dd, float(key))
    for key in ("0.1", "0.2", "0.5"):
        assert m["drawdown"]["exceedance"][key]["count"] == int(np.count_nonzero(dd > float(key)))

    hedge = m["hedge"]
    unhedged = run["unhedged_pnl"].values
    assert hedge["effectiveness"] == pytest.approx(
        1 - np.var(pnl, ddof=1) / np.var(unhedged, ddof=1), rel=1e-12
    )
    assert hedge["unhedged_es"]["0.99"] == pytest.approx(
        (-unhedged)[-unhedged >= sorted_var(-unhedged, 0.99)].mean(), rel=1e-12
    )
    assert hedge["hedged_better"]["count"] == int(np.count_nonzero(pnl > unhedged))
    assert m["means"]["fees"]["mean"] == pytest.approx(run["fees"].values.mean(), rel=1e-12)
    json.dumps(m, allow_nan=False)


def test_attribution_adds_up_per_path(run: xr.Dataset) -> None:
    parts = risk.attribution_parts(run)
    # no unexplained part; the optional parts of features that are off are left out
    assert list(parts) == [p.name for p in risk.ATTRIBUTION if not p.optional]
    total = sum(p.values for p in parts.values())
    np.testing.assert_allclose(total, run["pnl"].values, rtol=0, atol=1e-9 * run.attrs["capital"])
    # independently: hodl + il = LP value change
    lp_change = run["lp_value"].values - run.attrs["lp_value0"]
    np.testing.assert_allclose(
        run["hodl_pnl"].values + run["il"].values, lp_change, rtol=0, atol=1e-6
    )

    attr = risk.attribution(run, LEVELS)
    assert attr["max_residual"] < 1e-9 * run.attrs["capital"]
    loss = -run["pnl"].values
    for level in LEVELS:
        key = str(level)
        contributions = sum(p["es_contribution"][key] for p in attr["parts"].values())
        tail = loss >= sorted_var(loss, level)
        assert contributions == pytest.approx(loss[tail].mean(), rel=1e-9)
    for name, part in attr["parts"].items():
        assert part["mean"] == pytest.approx(parts[name].values.mean(), rel=1e-12, abs=1e-12)
    assert attr["parts"]["trading_costs"]["mean"] == pytest.approx(
        -run["trading_costs"].values.mean(), rel=1e-12
    )


def test_unexplained_part_when_a_component_is_missing(run: xr.Dataset) -> None:
    broken = run.drop_vars("funding")
    parts = risk.attribution_parts(broken)
    assert "unexplained" in parts
    np.testing.assert_allclose(parts["unexplained"].values, run["funding"].values, atol=1e-6)
    m = risk.risk_metrics(broken)
    assert any("do not add up" in w for w in m["warnings"])


def test_summary_keeps_old_keys_and_adds_risk(run: xr.Dataset) -> None:
    s = summary(run)
    assert s["var"]["0.99"] == s["risk"]["tail"]["0.99"]["var"]
    assert set(s["risk"]["tail"]) == {"0.95", "0.99", "0.999"}
    json.dumps(s, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Sweeps


def test_points_of_a_sweep(sweep: xr.Dataset) -> None:
    pts = list(risk.points(sweep))
    assert [c for c, _ in pts] == [
        {"hedge.leverage": lev, "hedge.ratio": r} for lev in (2.0, 5.0, 10.0) for r in (0.5, 1.0)
    ]
    for _, p in pts:
        assert p["pnl"].dims == ("path",)
    assert list(risk.points(sweep.isel({"hedge.leverage": 0, "hedge.ratio": 0}))) != []


def test_metrics_over_sweep_dims(sweep: xr.Dataset) -> None:
    """Every point's metrics equal those of the same run computed alone."""
    by_point = risk.risk_by_point(sweep)
    assert len(by_point) == 6
    for entry in by_point:
        c = entry["point"]
        alone = sweep.sel(c)
        pnl = alone["pnl"].values
        loss = -pnl
        m = entry["metrics"]
        assert m["pnl"]["mean"] == pytest.approx(pnl.mean(), rel=1e-12)
        assert m["tail"]["0.99"]["var"] == sorted_var(loss, 0.99)
        k = int(alone["liquidated"].values.sum())
        assert m["liquidation"]["count"] == k
        total = sum(p.values for p in risk.attribution_parts(alone).values())
        np.testing.assert_allclose(total, pnl, atol=1e-9 * 1e5, rtol=0)
    # higher leverage on the same paths: the liquidation probability does not fall
    liq = {
        e["point"]["hedge.leverage"]: e["metrics"]["liquidation"]["probability"]
        for e in by_point
        if e["point"]["hedge.ratio"] == 1.0
    }
    assert sorted(liq) == [2.0, 5.0, 10.0]
    assert liq[2.0] <= liq[5.0] <= liq[10.0]


def test_summary_of_a_sweep(sweep: xr.Dataset) -> None:
    s = summary(sweep)
    assert list(s["sweep"]) == ["hedge.leverage", "hedge.ratio"]
    assert s["sweep"]["hedge.leverage"] == [2.0, 5.0, 10.0]
    assert len(s["points"]) == 6
    first = s["points"]["hedge.leverage=2.0,hedge.ratio=0.5"]
    assert first["coords"] == {"hedge.leverage": 2.0, "hedge.ratio": 0.5}
    pnl = sweep["pnl"].isel({"hedge.leverage": 0, "hedge.ratio": 0}).values
    assert first["pnl_mean"] == pytest.approx(pnl.mean(), rel=1e-12)
    json.dumps(s, allow_nan=False)


def test_swept_capital_is_used(run: xr.Dataset) -> None:
    a = run.assign_coords(capital=50_000.0)
    m = risk.risk_metrics(a)
    assert m["tail"]["0.99"]["es_fraction"] == pytest.approx(m["tail"]["0.99"]["es"] / 50_000.0)

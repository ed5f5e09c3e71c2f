"""Every metric against an independent computation: sorting by hand, scipy, closed forms."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from engine.errors import InputError
from engine.risk import (
    expected_shortfall,
    hedge_effectiveness,
    summary,
    value_at_risk,
    wilson_interval,
)


def var_by_hand(loss: np.ndarray, level: float) -> float:
    """Smallest sorted loss l_(k) with k/n >= level (k = 1..n), in exact arithmetic."""
    ordered = sorted(float(x) for x in loss)
    k = math.ceil(Fraction(str(level)) * len(ordered))
    return ordered[max(k, 1) - 1]


def es_by_hand(loss: np.ndarray, level: float) -> float:
    var = var_by_hand(loss, level)
    tail = [float(x) for x in loss if x >= var]
    return sum(tail) / len(tail)


def test_var_es_on_known_numbers() -> None:
    loss = np.arange(1.0, 101.0)  # 1, 2, ..., 100
    rng = np.random.default_rng(1)
    shuffled = rng.permutation(loss)
    assert value_at_risk(shuffled, 0.95) == 95.0
    assert expected_shortfall(shuffled, 0.95) == pytest.approx(np.mean([95, 96, 97, 98, 99, 100]))
    assert value_at_risk(shuffled, 0.99) == 99.0
    assert expected_shortfall(shuffled, 0.99) == 99.5
    assert value_at_risk(shuffled, 0.951) == 96.0  # F(95) = 0.95 < 0.951


@pytest.mark.parametrize("n", [1, 7, 20, 997, 1000, 4096])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_var_es_match_sorting(n: int, level: float) -> None:
    rng = np.random.default_rng(n)
    loss = rng.standard_t(3, size=n) * 1000.0
    assert value_at_risk(loss, level) == var_by_hand(loss, level)
    assert expected_shortfall(loss, level) == pytest.approx(es_by_hand(loss, level), rel=1e-12)


def test_es_includes_ties_at_the_var() -> None:
    loss = np.array([0.0, 1.0, 5.0, 5.0, 5.0, 9.0])
    assert value_at_risk(loss, 0.6) == 5.0
    assert expected_shortfall(loss, 0.6) == pytest.approx((5 + 5 + 5 + 9) / 4)
    assert expected_shortfall(loss, 0.6) >= value_at_risk(loss, 0.6)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.1, 95.0])
def test_level_out_of_range(level: float) -> None:
    with pytest.raises(InputError, match="level"):
        value_at_risk([1.0, 2.0], level)


def test_empty_loss_refused() -> None:
    with pytest.raises(InputError):
        value_at_risk([], 0.95)


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (0, 1000), (17, 1000), (999, 1000)]
)
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_other_confidence() -> None:
    z = float(stats.norm.ppf(0.995))
    ci = stats.binomtest(40, 500).proportion_ci(confidence_level=0.99, method="wilson")
    assert wilson_interval(40, 500, z) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_bad_counts() -> None:
    with pytest.raises(InputError):
        wilson_interval(1, 0)
    with pytest.raises(InputError):
        wilson_interval(5, 4)


def test_hedge_effectiveness() -> None:
    rng = np.random.default_rng(3)
    unhedged = rng.normal(0.0, 10.0, 500)
    hedged = 0.2 * unhedged + rng.normal(0.0, 1.0, 500)
    expected = 1.0 - np.var(hedged) / np.var(unhedged)  # ddof cancels in the ratio
    assert hedge_effectiveness(hedged, unhedged) == pytest.approx(expected, rel=1e-12)
    assert hedge_effectiveness(unhedged, unhedged) == 0.0
    assert hedge_effectiveness(hedged, np.full(500, 3.0)) is None
    assert hedge_effectiveness([1.0], [2.0]) is None


def small_dataset(n: int = 400, *, with_unhedged: bool = True) -> xr.Dataset:
    rng = np.random.default_rng(11)
    pnl = rng.normal(50.0, 900.0, n)
    data = {
        "pnl": ("path", pnl),
        "fees": ("path", rng.uniform(100.0, 200.0, n)),
        "funding": ("path", rng.normal(10.0, 30.0, n)),
        "il": ("path", -rng.exponential(80.0, n)),
        "trading_costs": ("path", rng.uniform(20.0, 40.0, n)),
        "liquidated": ("path", rng.uniform(size=n) < 0.07),
        "max_drawdown": ("path", rng.beta(2.0, 60.0, n)),
    }
    if with_unhedged:
        data["unhedged_pnl"] = ("path", 3.0 * pnl + rng.normal(0.0, 500.0, n))
    attrs = {
        "capital": 50_000.0,
        "seed": 42,
        "paths": n,
        "horizon_days": 30.0,
        "step_hours": 4.0,
        "scenario_name": "hand-made",
    }
    return xr.Dataset(data, coords={"path": np.arange(n)}, attrs=attrs)


def test_summary_values() -> None:
    ds = small_dataset()
    s = summary(ds)
    pnl = ds["pnl"].values
    loss = -pnl
    n = pnl.size
    capital = 50_000.0

    assert s["scenario"] == "hand-made"
    assert (s["paths"], s["seed"], s["capital"]) == (n, 42, capital)
    assert (s["horizon_days"], s["step_hours"]) == (30.0, 4.0)
    assert s["pnl_mean"] == pytest.approx(sum(pnl) / n, rel=1e-12)
    sd = math.sqrt(sum((x - sum(pnl) / n) ** 2 for x in pnl) / (n - 1))
    assert s["pnl_std"] == pytest.approx(sd, rel=1e-12)
    assert s["pnl_mean_stderr"] == pytest.approx(sd / math.sqrt(n), rel=1e-12)

    assert set(s["var"]) == set(s["es"]) == {"0.95", "0.99"}
    for key, level in (("0.95", 0.95), ("0.99", 0.99)):
        assert s["var"][key] == var_by_hand(loss, level)
        assert s["es"][key] == pytest.approx(es_by_hand(loss, level), rel=1e-12)
        assert s["var"][key] > 0.0  # these P&Ls have a real loss tail
        assert s["var_fraction"][key] == pytest.approx(s["var"][key] / capital, rel=1e-15)
        assert s["es_fraction"][key] == pytest.approx(s["es"][key] / capital, rel=1e-15)

    k = int(ds["liquidated"].values.sum())
    assert s["liquidations"] == k
    assert s["liquidation_probability"] == k / n
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    assert s["liquidation_probability_ci"] == pytest.approx([ci.low, ci.high], abs=1e-12)

    dd = ds["max_drawdown"].values
    assert set(s["max_drawdown_quantiles"]) == {"0.5", "0.95", "0.99"}
    for key in s["max_drawdown_quantiles"]:
        assert s["max_drawdown_quantiles"][key] == var_by_hand(dd, float(key))

    for name in ("fees", "funding", "il", "trading_costs"):
        assert s[f"{name}_mean"] == pytest.approx(float(np.mean(ds[name].values)), rel=1e-12)

    unhedged = ds["unhedged_pnl"].values
    he = 1.0 - np.var(pnl, ddof=1) / np.var(unhedged, ddof=1)
    assert s["hedge_effectiveness"] == pytest.approx(he, rel=1e-12)

    # JSON-ready: plain types, no NaN
    assert json.loads(json.dumps(s, allow_nan=False)) == s


def test_summary_levels_and_missing_unhedged() -> None:
    ds = small_dataset(with_unhedged=False)
    s = summary(ds, levels=(0.9, 0.995))
    assert set(s["var"]) == {"0.9", "0.995"}
    assert s["hedge_effectiveness"] is None


def test_summary_single_path() -> None:
    s = summary(small_dataset(1))
    assert s["pnl_std"] is None and s["pnl_mean_stderr"] is None
    assert s["var"]["0.95"] == s["es"]["0.95"] == -s["pnl_mean"]
    json.dumps(s, allow_nan=False)

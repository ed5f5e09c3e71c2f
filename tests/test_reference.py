"""The engine against its plain-Python twin (tests/reference.py), path by path.

The twin is written from MODEL.md and docs/model-notes.md and consumes the same random numbers
(the path's stream read with draw_steps). For each scenario the engine runs a few hundred paths;
the twin recomputes a selection of them (the first paths, the first liquidated and rebalanced
ones and the price extremes, so that each branch is exercised), and every per-path output must agree: money to 1e-9 of the
capital (and 1e-9 relative), prices to 1e-9 relative, flags and counts exactly, liquidation
times to round-off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr
from conftest import DATA_DIR
from reference import Pool, capital_split, simulate_path

import engine
from engine.scenario import apply_overrides

SEED = 31
ENGINE_PATHS = 300
FIRST_PATHS = 6
LIQUIDATED_PATHS = 6

# block bootstrap of 2021's hourly returns with the funding in force, a 6x short
BOOTSTRAP_2021: dict[str, Any] = {
    "market.price.model": "bootstrap",
    "market.price.history": {
        "prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv"),
        "funding": str(DATA_DIR / "eth_usdt_perp_funding_8h_binance.csv"),
        "start": "2021-01-01",
        "end": "2022-01-01",
        "mean_block_hours": 48,
    },
    "market.funding.model": "historical",
    "hedge.leverage": 6.0,
}

SCENARIOS: dict[str, tuple[dict[str, Any], set[str]]] = {
    # name: (overrides of the default scenario, liquidation branches the selection must exercise)
    "default-10d": ({"horizon_days": 10}, set()),
    "v3-arbitrage": (
        {
            "horizon_days": 20,
            "pool.type": "v3",
            "pool.range.lower": -0.1,
            "pool.range.upper": 0.1,
            "pool.fees.model": "arbitrage",
            "pool.fees.fee_tier": 0.003,
            "pool.fees.noise_volume_to_tvl_per_day": 0.5,
        },
        set(),
    ),
    "high-leverage": (
        {"horizon_days": 20, "market.price.vol": 1.0, "hedge.leverage": 10.0},
        {"endpoint", "bridge"},
    ),
    "merton": (
        {
            "horizon_days": 20,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "hedge.leverage": 8.0,
            "hedge.liquidation_penalty": 0.03,
        },
        {"jump"},
    ),
    "periodic": (
        {
            "horizon_days": 20,
            "step_hours": 2,
            "hedge.leverage": 5.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "market.funding.model": "constant",
            "market.funding.mean": 0.0002,
        },
        set(),
    ),
    "daily-funding-drain": (
        {
            "horizon_days": 30,
            "step_hours": 24,
            "market.funding.model": "constant",
            "market.funding.mean": -0.003,
            "hedge.leverage": 10.0,
        },
        {"funding"},
    ),
    # issue 6: every pool <-> perp move, re-ranging and gas (branches: the moves the twin took)
    "managed": (
        {
            "horizon_days": 20,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "pool.type": "v3",
            "pool.range.lower": -0.1,
            "pool.range.upper": 0.1,
            "pool.fees.model": "arbitrage",
            "pool.fees.noise_volume_to_tvl_per_day": 0.5,
            "pool.rerange.trigger": "out_for_hours",
            "pool.rerange.out_for_hours": 3,
            "pool.swap_slippage_bps": 5.0,
            "hedge.leverage": 8.0,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 5,
            "margin.topup_below": 0.05,
            "margin.topup_to": 0.12,
            "margin.sweep_above": 0.3,
            "gas.lp_operation": 7.5,
            "gas.perp_transaction": 0.8,
        },
        {"topup", "sweep", "rerange", "rehedge"},
    ),
    "managed-v3-width-apr": (
        {
            "horizon_days": 20,
            "step_hours": 2,
            "pool.type": "v3",
            "pool.range.lower": -0.15,
            "pool.range.upper": 0.05,
            "pool.rerange.trigger": "exit",
            "pool.rerange.width": 0.2,
            "hedge.leverage": 10.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 0,
            "margin.topup_below": 0.04,
            "margin.topup_to": 0.06,
            "gas.perp_transaction": 2.0,
        },
        {"topup", "rerange"},
    ),
    # [issue5-funding] premium funding with jumps of the premium, and every kind of shock
    "premium-jumps-shocks": (
        {
            "horizon_days": 12,
            "hedge.leverage": 5.0,
            "market.funding.model": "premium",
            "market.funding.mean": -0.0001,
            "market.funding.vol": 0.006,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "market.funding.cap": 0.0015,
            "shocks": [
                {"kind": "price", "day": 2, "hours": 6, "move": 0.15},
                {"kind": "vol", "day": 4, "hours": 48, "multiplier": 2.5},
                {"kind": "funding", "day": 7, "hours": 24, "rate": -0.0012},
                {"kind": "price", "day": 9, "hours": 24, "move": -0.25},
            ],
        },
        {"endpoint", "bridge"},
    ),
    "merton-ou-jumps-hourly-funding": (
        {
            "horizon_days": 12,
            "step_hours": 2,
            "market.price.model": "merton",
            "market.price.jump_intensity": 30.0,
            "market.price.jump_mean": 0.08,
            "market.price.jump_vol": 0.05,
            "hedge.leverage": 8.0,
            "hedge.rebalance.policy": "periodic",
            "hedge.rebalance.every_hours": 8,
            "market.funding.interval_hours": 1,
            "market.funding.jump_intensity": 60.0,
            "market.funding.jump_mean": -0.0003,
            "market.funding.jump_vol": 0.0002,
            "shocks": [
                {"kind": "vol", "day": 1, "hours": 24, "multiplier": 0.5},
                {"kind": "price", "day": 3, "hours": 4, "move": 0.12},
                {"kind": "funding", "day": 5, "hours": 10, "rate": 0.002},
            ],
        },
        {"jump"},
    ),
    # [issue5-funding] shocks with the issue-6 moves (top-ups, re-hedging) in the same path
    "managed-shocks": (
        {
            "horizon_days": 12,
            "hedge.leverage": 6.0,
            "hedge.after_liquidation": "rehedge",
            "hedge.rehedge_cooldown_hours": 5,
            "margin.topup_below": 0.06,
            "margin.topup_to": 0.15,
            "market.funding.model": "premium",
            "shocks": [
                {"kind": "price", "day": 3, "hours": 6, "move": 0.3},
                {"kind": "vol", "day": 5, "hours": 24, "multiplier": 3.0},
                {"kind": "funding", "day": 6, "hours": 24, "rate": -0.003},
            ],
        },
        {"topup"},
    ),
    # [issue5-models] the newer price models
    "garch-t": (
        {
            "horizon_days": 20,
            "step_hours": 4,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
        },
        {"endpoint", "bridge"},
    ),
    "regime": (
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 1.0, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.2,
                        "drift": 0.5,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.12,
                        "jump_vol": 0.04,
                        "funding_mean": -0.001,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "hedge.leverage": 10.0,
            "hedge.liquidation_penalty": 0.03,
        },
        {"endpoint", "bridge", "jump"},
    ),
    "bootstrap": (
        {
            "horizon_days": 20,
            **BOOTSTRAP_2021,
        },
        {"endpoint", "intrabar"},
    ),
    "replay": (
        {
            "horizon_days": 60,
            "market.price.model": "replay",
            "market.price.history": {
                "prices": str(DATA_DIR / "eth_usdt_1h_binance_spot.csv"),
                "funding": str(DATA_DIR / "eth_usdt_perp_funding_8h_binance.csv"),
                "start": "2022-06-18",
            },
            "market.funding.model": "historical",
            "hedge.rebalance.policy": "none",
        },
        set(),
    ),
    # the general kernel computes the market DRAW_CHUNK = 1024 steps ahead: 1032 hourly steps
    # cross a chunk boundary, with a shock window over it (hours 1020-1029)
    "garch-t-chunk-boundary": (
        {
            "horizon_days": 43,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "shocks": [{"kind": "vol", "day": 42.5, "hours": 10, "multiplier": 2.0}],
        },
        set(),
    ),
    "regime-chunk-boundary": (
        {
            "horizon_days": 43,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.3,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.05,
                        "jump_vol": 0.04,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "shocks": [{"kind": "price", "day": 42.5, "hours": 10, "move": 0.1}],
        },
        set(),
    ),
    # [issue5-funding] shocks and funding realism on the newer price models
    "garch-premium-jumps-shocks": (
        {
            "horizon_days": 20,
            "step_hours": 4,
            "market.price.model": "garch",
            "market.price.garch": {"alpha": 0.1, "beta": 0.85, "dof": 4.5, "initial_vol": 1.2},
            "hedge.leverage": 8.0,
            "market.funding.model": "premium",
            "market.funding.vol": 0.006,
            "market.funding.jump_intensity": 40.0,
            "market.funding.jump_mean": 0.0004,
            "market.funding.jump_vol": 0.0006,
            "shocks": [
                {"kind": "price", "day": 3, "hours": 8, "move": 0.2},
                {"kind": "vol", "day": 6, "hours": 48, "multiplier": 2.0},
                {"kind": "funding", "day": 10, "hours": 24, "rate": -0.002},
            ],
        },
        {"endpoint", "bridge"},
    ),
    "regime-ou-jumps-shocks": (
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 0.3,
                        "drift": 0.5,
                        "jump_intensity": 60.0,
                        "jump_mean": 0.1,
                        "jump_vol": 0.04,
                        "funding_mean": -0.001,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "hedge.leverage": 10.0,
            "market.funding.jump_intensity": 50.0,
            "market.funding.jump_mean": 0.0005,
            "market.funding.jump_vol": 0.0003,
            "shocks": [
                {"kind": "vol", "day": 2, "hours": 24, "multiplier": 1.5},
                {"kind": "price", "day": 5, "hours": 12, "move": 0.15},
                {"kind": "funding", "day": 8, "hours": 16, "rate": 0.003},
            ],
        },
        {"endpoint", "bridge", "jump"},
    ),
    # a regime without its own funding mean takes market.funding.mean, under premium funding too
    "regime-premium": (
        {
            "horizon_days": 20,
            "market.price.model": "regime",
            "market.price.regime": {
                "states": {
                    "calm": {"vol": 0.8, "transitions": {"stressed": 30.0}},
                    "stressed": {
                        "vol": 1.6,
                        "stressed": True,
                        "transitions": {"calm": 50.0},
                    },
                }
            },
            "market.funding.model": "premium",
            "market.funding.mean": 0.0008,
            "hedge.leverage": 8.0,
        },
        {"endpoint"},
    ),
    "bootstrap-shocks": (
        {
            "horizon_days": 20,
            **BOOTSTRAP_2021,
            "shocks": [
                {"kind": "price", "day": 4, "hours": 6, "move": 0.2},
                {"kind": "funding", "day": 7, "hours": 24, "rate": -0.003},
            ],
        },
        {"endpoint"},
    ),
    # [issue6-venue] liquidations in the third bracket, whose amount shifts the barrier
    "tiered-margin": (
        {
            "horizon_days": 20,
            "market.price.vol": 1.0,
            "hedge.leverage": 10.0,
            "hedge.tiers": [
                {"notional_cap": 20000.0, "maintenance_rate": 0.01},
                {"notional_cap": 47000.0, "maintenance_rate": 0.02, "maintenance_amount": 200.0},
                {"notional_cap": 1e6, "maintenance_rate": 0.05, "maintenance_amount": 1610.0},
            ],
        },
        {"endpoint", "bridge"},
    ),
}

MONEY = (
    "pnl",
    "final_value",
    "lp_value",
    "il",
    "fees",
    "funding",
    "trading_costs",
    "perp_pnl",
    "unhedged_pnl",
    "gas",
    "swap_costs",
    "topped_up",
    "swept",
)
EXACT = (
    "liquidated",
    "n_rebalances",
    "n_topups",
    "n_sweeps",
    "n_reranges",
    "n_rehedges",
    "n_liquidations",
)
SHARES = ("stressed_share",)


@pytest.fixture(scope="module", params=list(SCENARIOS))
def engine_run(request: pytest.FixtureRequest) -> tuple[str, xr.Dataset]:
    overrides, _ = SCENARIOS[request.param]
    ds = engine.simulate(apply_overrides({}, overrides), paths=ENGINE_PATHS, seed=SEED)
    return request.param, ds


def selected_paths(ds: xr.Dataset) -> list[int]:
    """The first paths, the first liquidated ones, the first that rebalanced, and the two with
    the lowest and highest final price (out of a v3 range)."""
    liquidated = np.flatnonzero(ds.liquidated.values)[:LIQUIDATED_PATHS]
    rebalanced = np.flatnonzero(ds.n_rebalances.values > 0)[:3]
    extremes = [int(np.argmin(ds.final_price.values)), int(np.argmax(ds.final_price.values))]
    chosen = [*range(FIRST_PATHS), *liquidated.tolist(), *rebalanced.tolist(), *extremes]
    return sorted(set(chosen))


def test_engine_matches_plain_python_twin(engine_run: tuple[str, xr.Dataset]) -> None:
    """Every per-path output of the engine equals the twin's on the selected paths."""
    name, ds = engine_run
    scn = engine.load_scenario(apply_overrides({}, SCENARIOS[name][0]), {"paths": ENGINE_PATHS})
    capital = scn.capital
    events: set[str] = set()
    for path in selected_paths(ds):
        twin = simulate_path(scn, SEED, path)
        events.update(twin["events"])
        got = ds.isel(path=path)
        for key in (*MONEY, "liquidation_loss"):
            np.testing.assert_allclose(
                float(got[key]), twin[key], rtol=1e-9, atol=1e-9 * capital, err_msg=f"{key} {path}"
            )
        for key in ("final_price", "final_hedge"):
            np.testing.assert_allclose(
                float(got[key]), twin[key], rtol=1e-9, atol=1e-12, err_msg=f"{key} {path}"
            )
        np.testing.assert_allclose(
            float(got.max_drawdown), twin["max_drawdown"], rtol=1e-9, atol=1e-12
        )
        for key in EXACT:
            assert got[key].item() == twin[key], (key, path)
        for key in SHARES:
            np.testing.assert_allclose(float(got[key]), twin[key], rtol=1e-12, atol=0)
        np.testing.assert_allclose(  # NaN for both when not liquidated
            float(got.liquidation_time), twin["liquidation_time"], rtol=1e-14, err_msg=f"{path}"
        )
    missing = SCENARIOS[name][1] - events
    assert not missing, f"{name}: branches not exercised: {missing}"


def test_twin_capital_split_matches_engine(engine_run: tuple[str, xr.Dataset]) -> None:
    """The twin's capital split (V0, C0) and tokens (x0, y0) are the Dataset's attrs."""
    name, ds = engine_run
    scn = engine.load_scenario(apply_overrides({}, SCENARIOS[name][0]))
    v0, c0 = capital_split(scn)
    x0, y0 = Pool(scn, v0).amounts(scn.market.spot)
    np.testing.assert_allclose(
        [v0, c0, x0, y0],
        [ds.attrs[k] for k in ("lp_value0", "collateral0", "x0", "y0")],
        rtol=1e-12,
    )

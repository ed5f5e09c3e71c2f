"""The engine against its plain-Python twin (tests/reference.py), path by path.

The twin is written from MODEL.md and docs/model-notes.md and consumes the same random numbers
(the path's stream read with draw_steps). For each scenario the engine runs a few hundred paths;
the twin recomputes a selection of them (the first paths, the first liquidated and rebalanced
ones and the price extremes, so that each branch is exercised), and every per-path output must agree: money to 1e-9 of the
capital (and 1e-9 relative), prices to 1e-9 relative, flags and counts exactly, liquidation
times to round-off.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from reference import Pool, capital_split, simulate_path

import engine
from benchmarks.kernel_cases import twin_cases
from engine.scenario import apply_overrides

SEED = 31
ENGINE_PATHS = 300
FIRST_PATHS = 6
LIQUIDATED_PATHS = 6

TWIN_CASES = {case.name: case for case in twin_cases()}

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


@pytest.fixture(scope="module", params=list(TWIN_CASES))
def engine_run(request: pytest.FixtureRequest) -> tuple[str, xr.Dataset]:
    overrides = TWIN_CASES[request.param].overrides
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
    scn = engine.load_scenario(
        apply_overrides({}, TWIN_CASES[name].overrides), {"paths": ENGINE_PATHS}
    )
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
    missing = TWIN_CASES[name].twin_branches - events
    assert not missing, f"{name}: branches not exercised: {missing}"


def test_twin_capital_split_matches_engine(engine_run: tuple[str, xr.Dataset]) -> None:
    """The twin's capital split (V0, C0) and tokens (x0, y0) are the Dataset's attrs."""
    name, ds = engine_run
    scn = engine.load_scenario(apply_overrides({}, TWIN_CASES[name].overrides))
    v0, c0 = capital_split(scn)
    x0, y0 = Pool(scn, v0).amounts(scn.market.spot)
    np.testing.assert_allclose(
        [v0, c0, x0, y0],
        [ds.attrs[k] for k in ("lp_value0", "collateral0", "x0", "y0")],
        rtol=1e-12,
    )

"""The lane (SIMD) kernel against the general kernel: the same bits, path by path.

`engine.kernels.lanes.simulate_block_lanes` runs groups of paths side by side and must give exactly
the per-path outputs and sampled paths of `engine.kernels.driver.simulate_block` for every scenario
`engine.dispatch.supports` accepts, for any block (sizes that are not a multiple of the lane width,
blocks starting anywhere) and any number of workers. Also here: the deterministic exponential both
kernels share (accuracy in ulps, special values), the lane kernel's random-number floor (the same
draws as the scalar generator), and the whitelist dispatch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numba import njit

import engine
from benchmarks.floor import run_floor, run_floor_lanes
from benchmarks.kernel_cases import IDENTITY_HORIZON_DAYS as HORIZON
from benchmarks.kernel_cases import identity_cases
from engine.block import run_block
from engine.dispatch import supports, unsupported_keys
from engine.inputs import kernel_inputs
from engine.kernels.detmath import exp as det_exp
from engine.kernels.detmath import exp4 as det_exp4
from engine.kernels.detmath import log as det_log
from engine.kernels.detmath import log4 as det_log4
from engine.kernels.lane_kinds import LANE_KEYS
from engine.kernels.lane_layout import LANES
from engine.scenario import PoolSpec, Scenario, load_scenario

PATHS = 75  # not a multiple of the lane width
FIRST = 13  # a block that starts inside a lane group of the run
RECORD = 5
CASES = {case.name: case for case in identity_cases()}


def _inputs(name: str) -> Any:
    scn = CASES[name].identity_scenario()
    return scn, kernel_inputs(scn)


def _assert_same(a: Any, b: Any) -> None:
    for key in a.outputs:
        assert np.array_equal(a.outputs[key], b.outputs[key], equal_nan=True), key
    assert np.array_equal(a.record, b.record, equal_nan=True), "sampled paths"


@pytest.mark.parametrize("name", CASES)
def test_lane_kernel_is_bit_identical_to_the_general_kernel(name: str) -> None:
    scn, inputs = _inputs(name)
    assert inputs.lanes, unsupported_keys(scn)
    general = run_block(inputs, scn.seed, FIRST, PATHS, RECORD, kernel="general")
    lanes = run_block(inputs, scn.seed, FIRST, PATHS, RECORD, kernel="lanes")
    _assert_same(general, lanes)
    # the case exercises something: outputs vary across paths
    assert np.unique(general.outputs["pnl"]).size > PATHS // 2


def test_the_cases_reach_the_rare_events() -> None:
    """The identity tests above are only as good as what their paths go through."""
    seen: dict[str, float] = {}
    for name in CASES:
        scn, inputs = _inputs(name)
        out = run_block(inputs, scn.seed, FIRST, PATHS, 0, kernel="general").outputs
        seen[name + ".liquidated"] = float(out["liquidated"].mean())
        seen[name + ".rebalances"] = float(out["n_rebalances"].mean())
    assert seen["high-leverage.liquidated"] > 0.2
    assert seen["funding-liquidations.liquidated"] > 0.2
    assert seen["merton-many-jumps-band.liquidated"] > 0.1
    assert seen["default.rebalances"] > 0.1
    assert seen["v2-arbitrage-periodic.rebalances"] >= HORIZON - 1


@pytest.mark.parametrize("n_paths", [1, 2, LANES - 1, LANES, LANES + 1, 2 * LANES + 7])
def test_any_block_size(n_paths: int) -> None:
    """A path's numbers do not depend on the block it runs in nor on the padding lanes."""
    scn, inputs = _inputs("high-leverage")
    whole = run_block(inputs, scn.seed, 0, 4 * LANES, 4 * LANES, kernel="general")
    for first in (0, 3, LANES - 1):
        part = run_block(inputs, scn.seed, first, n_paths, min(n_paths, 4), kernel="lanes")
        for key, values in part.outputs.items():
            expected = whole.outputs[key][first : first + n_paths]
            assert np.array_equal(values, expected, equal_nan=True), (key, first)
        rows = min(n_paths, 4)
        assert np.array_equal(part.record, whole.record[first : first + rows], equal_nan=True), (
            first
        )


def test_simulate_uses_the_lane_kernel_and_any_workers_or_blocks_agree() -> None:
    scn = load_scenario(None, overrides={"horizon_days": HORIZON, "paths": 150})
    inputs = kernel_inputs(scn)
    assert inputs.lanes
    general = run_block(inputs, scn.seed, 0, 150, scn.output.sample_paths, kernel="general")
    for workers, block in ((1, 150), (2, 7), (2, 41)):
        ds = engine.simulate(scn, workers=workers, block_paths=block)
        for key, values in general.outputs.items():
            assert np.array_equal(ds[key].values, values, equal_nan=True), (workers, block, key)


def test_forcing_the_lane_kernel_on_an_unsupported_scenario_is_an_error() -> None:
    scn, inputs = _inputs("default")
    with pytest.raises(ValueError, match="does not support"):
        run_block(inputs._replace(lanes=False), scn.seed, 0, 4, 0, kernel="lanes")
    with pytest.raises(ValueError, match="kernel = 'simd'"):
        run_block(inputs, scn.seed, 0, 4, 0, kernel="simd")


# --------------------------------------------------------------------------------------------
# The whitelist


def test_shipped_scenarios_are_supported() -> None:
    for name in ("default", "v3-range", "unhedged", "high-leverage", "merton-jumps"):
        assert supports(load_scenario(name)), name


def test_every_listed_key_exists_in_the_schema() -> None:
    """A renamed key must not silently stay on the whitelist."""
    scn = Scenario()
    for key in LANE_KEYS:
        node: Any = scn
        for part in key.split("."):
            node = getattr(node, part)


class _FuturePool(PoolSpec):
    """A pool section with a key added after the whitelist was written (default off)."""

    gas_cost: float = 0.0


class _FutureScenario(Scenario):
    pool: _FuturePool = _FuturePool()


def test_an_unknown_key_away_from_its_default_goes_to_the_general_kernel() -> None:
    assert supports(_FutureScenario())
    on = _FutureScenario(pool=_FuturePool(gas_cost=5.0))
    assert unsupported_keys(on) == ["pool.gas_cost"]
    assert not supports(on)


def test_a_listed_key_with_an_unknown_value_goes_to_the_general_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(LANE_KEYS, "market.price.model", frozenset({"gbm"}))
    assert not supports(load_scenario("merton-jumps"))
    assert supports(load_scenario(None))


# --------------------------------------------------------------------------------------------
# The random-number floor of the lane kernel


@pytest.mark.parametrize("merton", [False, True])
def test_lane_floor_makes_the_scalar_generator_draws(merton: bool) -> None:
    scalar = run_floor(7, 5, LANES + 3, 300, merton)
    lanes = run_floor_lanes(7, 5, LANES + 3, 300, merton)
    assert np.array_equal(scalar, lanes)


# --------------------------------------------------------------------------------------------
# The shared exponential


@njit(cache=True)
def _det_exp_array(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = det_exp(x[i])
    return out


def _ulps(x: np.ndarray) -> float:
    got = _det_exp_array(x)
    exact = np.exp(x.astype(np.longdouble))  # 64-bit significand: 11 bits beyond double
    return float(np.max(np.abs((got - exact) / np.spacing(np.exp(x))).astype(float)))


@pytest.mark.parametrize("low, high", [(-745.0, 709.7), (-1.0, 1.0), (-30.0, 30.0)])
def test_det_exp_is_within_one_and_a_half_ulp(low: float, high: float) -> None:
    x = np.random.default_rng(3).uniform(low, high, 200_000)
    assert _ulps(x) <= 1.5


def test_det_exp_special_values() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.78, 709.8, 1e308, -745.2, -1e308])
    got = _det_exp_array(x)
    assert np.isnan(got[0])
    assert got[1] == np.inf and got[2] == 0.0
    assert got[3] == 1.0 and got[4] == 1.0
    assert np.isfinite(got[5]) and abs(got[5] / np.exp(709.78) - 1.0) < 1e-15
    assert got[6] == np.inf and got[7] == np.inf
    assert got[8] == 0.0 and got[9] == 0.0


@njit(cache=True, error_model="numpy")
def _det_log_array(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = det_log(x[i])
    return out


@njit(cache=True, error_model="numpy")
def _det_log_scalar_loop(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """The same, in a loop LLVM cannot vectorise (data-dependent exit)."""
    out = np.empty_like(x)
    i = 0
    while i < x.shape[0]:
        out[i] = det_log(x[i])
        if out[i] == 12345.0:
            break
        i += 1
    return out


@pytest.mark.parametrize(
    "draw",
    [
        lambda g: g.uniform(0.5, 2.0, 200_000),
        lambda g: np.exp(g.normal(0.0, 5.0, 200_000)),
        lambda g: 10.0 ** g.uniform(-300.0, 300.0, 200_000),
        lambda g: g.uniform(1e-320, 1e-308, 20_000),  # subnormal
    ],
)
def test_det_log_is_within_one_and_a_half_ulp_and_the_same_in_simd(draw: Any) -> None:
    x = draw(np.random.default_rng(5))
    got = _det_log_array(x)
    exact = np.log(x.astype(np.longdouble))
    assert float(np.max(np.abs((got - exact) / np.spacing(np.log(x))).astype(float))) <= 1.5
    assert np.array_equal(got, _det_log_scalar_loop(x))


def test_det_log_special_values() -> None:
    x = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1.0, 5e-324, 1.7976931348623157e308])
    got = _det_log_array(x)
    assert got[0] == -np.inf and got[1] == -np.inf
    assert np.isnan(got[2]) and np.isnan(got[4]) and np.isnan(got[5])
    assert got[3] == np.inf and got[6] == 0.0
    assert got[7] == np.log(5e-324) and got[8] == np.log(1.7976931348623157e308)


@njit(cache=True, error_model="numpy")
def _det_four_at_once(x: np.ndarray, log: bool) -> np.ndarray:  # pragma: no cover - compiled
    """exp4 or log4 over x in quarters, as the lane kernel calls them (len(x) a multiple of 4)."""
    out = np.empty_like(x)
    q = x.shape[0] // 4
    for j in range(q):
        if log:
            a, b, c, d = det_log4(x[j], x[q + j], x[2 * q + j], x[3 * q + j])
        else:
            a, b, c, d = det_exp4(x[j], x[q + j], x[2 * q + j], x[3 * q + j])
        out[j] = a
        out[q + j] = b
        out[2 * q + j] = c
        out[3 * q + j] = d
    return out


def _with_specials(x: np.ndarray, specials: list[float]) -> np.ndarray:
    """x with the special values spread over the four quarters, length a multiple of 4."""
    x = np.concatenate([x, np.array(specials * 4)])
    return np.random.default_rng(11).permutation(x[: len(x) // 4 * 4])


def test_exp4_and_log4_give_exactly_exp_and_log() -> None:
    """The four-at-once forms the lane kernel uses are the same operations, so the same bits,
    special values included."""
    g = np.random.default_rng(7)
    x = _with_specials(
        np.concatenate([g.uniform(-745.0, 709.7, 100_000), g.uniform(-1.0, 1.0, 100_000)]),
        [np.nan, np.inf, -np.inf, 0.0, -0.0, 709.8, -745.2, 1e308, -1e308],
    )
    assert np.array_equal(_det_four_at_once(x, False), _det_exp_array(x), equal_nan=True)
    y = _with_specials(
        np.concatenate([np.exp(g.normal(0.0, 5.0, 100_000)), g.uniform(1e-320, 1e-308, 20_000)]),
        [0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1.0, 5e-324, 1.7976931348623157e308],
    )
    assert np.array_equal(_det_four_at_once(y, True), _det_log_array(y), equal_nan=True)


def test_simulate_dispatches_supported_scenarios_to_the_lane_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The choice itself (both kernels give the same bits, so equality cannot show it): with the
    general kernel disabled, a supported scenario still runs and an unsupported one fails."""
    import sys

    sim = sys.modules["engine.block"]

    def general_kernel_called(*args: object) -> None:
        raise AssertionError("the general kernel ran")

    monkeypatch.setattr(sim, "simulate_block", general_kernel_called)
    engine.simulate(load_scenario(None, overrides={"horizon_days": HORIZON, "paths": 40}))
    unsupported = {"horizon_days": HORIZON, "paths": 40, "gas.lp_operation": 1.0}
    with pytest.raises(AssertionError, match="the general kernel ran"):
        engine.simulate(load_scenario(None, overrides=unsupported), workers=1)

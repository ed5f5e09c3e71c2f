"""The benchmark package runs end to end and writes a complete JSON record.

Only the machinery is tested: keys present, numbers positive and finite. No timing is asserted (the
VM's speed drifts by 2x). The result checks the benchmark relies on are tested to fail on bad input.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine
from benchmarks import checks, numpy_model, numpy_notebook
from benchmarks.core import CASES, parse_args
from benchmarks.floor import run_floor
from engine.params import kernel_inputs
from engine.simulate import run_block

REPO_ROOT = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"median", "min", "max", "values"}


def _positive_summary(s: dict[str, Any], repeats: int) -> None:
    assert SUMMARY_KEYS <= set(s)
    assert len(s["values"]) == repeats
    for v in (*s["values"], s["median"], s["min"], s["max"]):
        assert isinstance(v, int | float) and math.isfinite(v) and v > 0.0
    assert s["min"] <= s["median"] <= s["max"]


@pytest.fixture(scope="module")
def quick_record(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    target = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(target)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(target.read_text()), done.stdout


@pytest.mark.slow
def test_quick_run_writes_the_record(quick_record: tuple[dict[str, Any], str]) -> None:
    record, stdout = quick_record
    assert record["schema"] == "lphedge-benchmarks/1"
    assert {"date", "command", "settings", "machine", "git", "checks", "compile"} <= set(record)
    assert record["command"].startswith("python -m benchmarks --quick")
    assert record["settings"]["quick"] is True
    repeats = record["settings"]["repeats"]

    machine = record["machine"]
    assert machine["cpu"]["model"]
    assert machine["cpu"]["logical_cores"] >= 1
    assert machine["ram_bytes"] > 0
    for name in ("python", "numpy", "numba"):
        assert machine["versions"][name]
    assert record["git"]["commit"]

    assert record["checks"] and all(c["passed"] for c in record["checks"])

    comp = record["compile"]
    n_compile = record["settings"]["compile_repeats"]
    for kind in ("cold", "warm"):
        for key in ("import_s", "first_call_s", "second_call_s", "process_wall_s"):
            _positive_summary(comp[kind][key], n_compile)
    _positive_summary(comp["cold_over_warm_first_call"], n_compile)

    assert set(record["throughput"]) == {case.name for case in CASES}
    for case in record["throughput"].values():
        assert case["path_steps"] == case["n_paths"] * case["n_steps"] > 0
        for key in (
            "model_s",
            "floor_s",
            "model_path_steps_per_s",
            "floor_path_steps_per_s",
            "model_over_floor",
            "model_cpu_s",
            "floor_cpu_s",
            "model_over_floor_cpu",
            "general_path_steps_per_s",
            "scalar_floor_path_steps_per_s",
            "general_over_scalar_floor",
            "speedup_over_general",
            "floor_speedup_over_scalar_floor",
        ):
            _positive_summary(case[key], repeats)
        assert case["kernel"] == "lanes"
    for name in ("lanes_match_general", "lane_floor_matches"):
        assert len([c for c in record["checks"] if c["name"] == name]) == len(CASES)
    assert record["throughput"]["merton"]["draws_per_step"] == {"normals": 3, "uniforms": 2}
    assert record["throughput"]["default"]["draws_per_step"] == {"normals": 2, "uniforms": 1}

    par = record["parallel"]
    assert par["n_blocks"] >= 2
    for key in ("workers_1_s", "workers_2_s", "speedup", "efficiency", "workers_2_process_cores"):
        _positive_summary(par[key], record["settings"]["parallel_repeats"])

    assert all(v >= 0.0 for v in par["workers_2_other_load_cores"]["values"])

    npy = record["numpy"]
    assert npy["scenario"] == "default" and npy["target_program"] == "notebook"
    programs = ("notebook", "tuned")
    assert set(npy["programs"]) == set(programs)
    assert npy["programs"]["notebook"]["implementation"].startswith("benchmarks/numpy_notebook.py")
    assert npy["programs"]["tuned"]["implementation"].startswith("benchmarks/numpy_model.py")
    numpy_repeats = record["settings"]["numpy_repeats"]
    assert npy["repeats"] == numpy_repeats > 0
    sizes = [tuple(size) for size in record["settings"]["numpy_sizes"]]
    assert len(sizes) >= 2 and len(npy["sizes"]) == len(sizes)
    for (n_paths, steps), size in zip(sizes, npy["sizes"], strict=True):
        assert size["n_paths"] == n_paths > 0
        assert size["n_steps"] == (steps or 2160) and size["whole_horizon"] == (steps == 0)
        assert size["path_steps"] == size["n_paths"] * size["n_steps"]
        for who in ("engine", *programs):
            for key in ("s", "cpu_s", "path_steps_per_s", "cpu_over_wall"):
                _positive_summary(size[f"{who}_{key}"], numpy_repeats)
            assert all(v >= 0.0 for v in size[f"{who}_other_load_cores"]["values"])
        for program in programs:
            _positive_summary(size[f"engine_over_{program}_speed"], numpy_repeats)
            _positive_summary(size[f"engine_over_{program}_speed_cpu"], numpy_repeats)
    check = npy["check"]
    assert check["n_paths"] == record["settings"]["numpy_check_paths"]
    for program in programs:
        rows = check[program]["rows"]
        assert [r["statistic"] for r in rows] == [s[0] for s in numpy_model.STATISTICS]
        assert all(r["passed"] and abs(r["z"]) < check["sigmas"] for r in rows)
        agree = [c for c in record["checks"] if c["name"] == f"numpy_{program}_stats_agree"]
        assert len(agree) == 1 and agree[0]["passed"]
    assert "engine / notebook (wall)" in stdout and "engine / tuned (wall)" in stdout

    memory = record["memory"]
    assert memory["paths"] == record["settings"]["memory_paths"] > 0
    assert 0.0 < memory["peak_rss_gib"] < 64.0

    for heading in (
        "Checks",
        "Compile time",
        "Single-core throughput",
        "Engine vs numpy",
        "Peak memory",
    ):
        assert heading in stdout
    assert "Parallel" in stdout


def test_quick_and_full_settings() -> None:
    quick, quick_json = parse_args(["--quick"])
    full, full_json = parse_args([])
    assert quick.paths < full.paths and quick.repeats <= full.repeats
    assert quick_json != full_json
    custom, path = parse_args(["--quick", "--paths", "100", "--json", "x.json", "--no-compile"])
    assert custom.paths == 100 and custom.block_paths == 12 and not custom.measure_compile
    assert custom.parallel_repeats == 2 * custom.repeats - 1
    assert path == Path("x.json")
    assert full.numpy and quick.numpy
    assert max(p for p, _ in quick.numpy_sizes) < max(p for p, _ in full.numpy_sizes)
    assert full.numpy_sizes[0] == (16384, 0) and full.numpy_sizes[-1][0] == 1048576
    assert quick.numpy_repeats <= full.numpy_repeats
    assert quick.numpy_check_paths < full.numpy_check_paths
    skip, _ = parse_args(
        ["--quick", "--no-numpy", "--numpy-sizes", "50,70x24", "--numpy-repeats", "3"]
    )
    assert not skip.numpy and skip.numpy_sizes == ((50, 0), (70, 24)) and skip.numpy_repeats == 3
    for bad in ("50x", "x24", "0x24", "50x0", "fifty"):
        with pytest.raises(SystemExit):
            parse_args(["--numpy-sizes", bad])


def _outputs(n: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    out = {
        name: rng.normal(size=n)
        for name in ("lp_value", "fees", "funding", "perp_pnl", "trading_costs", "liquidation_loss")
    }
    out["lp_value"] += 100.0
    out["pnl"] = (
        out["lp_value"]
        - 100.0
        + out["fees"]
        + out["funding"]
        + out["perp_pnl"]
        - out["trading_costs"]
        - out["liquidation_loss"]
    )
    return out


def test_identity_check_catches_a_broken_path() -> None:
    good = _outputs()
    assert checks.accounting_identity(good, 100.0, 1000.0, "t").passed
    bad = dict(good, pnl=good["pnl"] + np.array([0.0, 0.0, 1e-3, 0.0, 0.0]))
    result = checks.accounting_identity(bad, 100.0, 1000.0, "t")
    assert not result.passed
    with pytest.raises(checks.CheckFailed, match="accounting_identity"):
        checks.require(result)


def test_drift_check_catches_a_biased_mean() -> None:
    rng = np.random.default_rng(2)
    prices = 3000.0 * np.exp(rng.normal(-0.02, 0.2, size=10_000))  # E[P] = 3000
    assert checks.mean_final_price(prices, 3000.0, 0.0, 0.25, "t").passed
    assert not checks.mean_final_price(prices * 1.05, 3000.0, 0.0, 0.25, "t").passed


def test_floor_makes_the_engine_draws() -> None:
    for merton in (False, True):
        sums = run_floor(7, 0, 3, 300, merton)
        result = checks.floor_draws_match(7, 300, merton, sums, "t")
        if result.detail.startswith("skipped"):  # draw_steps changed: the floor needs a look
            pytest.skip(result.detail)
        assert result.passed, result.detail
        # a floor drawing the wrong kinds is caught
        wrong = run_floor(7, 0, 3, 300, not merton)
        assert not checks.floor_draws_match(7, 300, merton, wrong, "t").passed


NUMPY_PROGRAMS = pytest.mark.parametrize(
    "program", [numpy_notebook, numpy_model], ids=["notebook", "tuned"]
)


@NUMPY_PROGRAMS
def test_numpy_model_refuses_what_it_does_not_implement(program: Any) -> None:
    for name in ("merton-jumps", "v3-range"):
        with pytest.raises(ValueError, match="numpy model"):
            program.simulate(engine.load_scenario(name), 10, 1)


@NUMPY_PROGRAMS
def test_numpy_model_unhedged_accounts(program: Any) -> None:
    """With no short and no funding the P&L is the LP's alone: V_T - V0 + fees, V_T = 2 L sqrt(P_T),
    and the APR fees are apr dt times the LP value at the left points."""
    scn = engine.load_scenario(
        None,
        overrides={"hedge.ratio": 0.0, "market.funding.model": "none", "horizon_days": 10},
    )
    out = program.simulate(scn, 300, 5)
    c = numpy_model.constants(scn)
    assert c.lp_value0 == scn.capital and c.q0 == 0.0
    np.testing.assert_allclose(out["pnl"], out["lp_value"] - scn.capital + out["fees"], atol=1e-8)
    np.testing.assert_allclose(
        out["lp_value"], 2.0 * c.liquidity * np.sqrt(out["final_price"]), rtol=1e-12
    )
    assert not out["liquidated"].any() and not out["n_rebalances"].any()
    assert np.all(out["funding"] == 0.0) and np.all(out["trading_costs"] == 0.0)
    # fees between apr dt n_steps x (min, max) of V over the path: here V0 within 60 %
    bound = scn.pool.fees.apr * scn.dt_years * scn.n_steps * scn.capital
    assert np.all(out["fees"] > 0.4 * bound) and np.all(out["fees"] < 1.6 * bound)
    assert np.all((out["max_drawdown"] >= 0.0) & (out["max_drawdown"] < 1.0))


@NUMPY_PROGRAMS
def test_numpy_model_matches_the_engine_with_many_liquidations(program: Any) -> None:
    """The high-leverage scenario liquidates most paths: the numpy model's bridge test, margin
    checks and liquidation accounting agree with the engine's statistics."""
    n = 4000
    scn = engine.load_scenario("high-leverage", overrides={"horizon_days": 30})
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    numpy_out = program.simulate(scn, n, 11)
    rows = numpy_model.compare_statistics(engine_out, numpy_out)
    assert all(r["passed"] for r in rows), rows
    assert 0.2 < numpy_out["liquidated"].mean() < 0.9


@NUMPY_PROGRAMS
@pytest.mark.parametrize("policy", ["band", "periodic", "none"])
def test_numpy_model_matches_the_engine_on_the_default_model(program: Any, policy: str) -> None:
    """The default scenario (30 days) with each rebalancing policy: the same statistics agree
    within 4 combined s.e."""
    n = 4000
    scn = engine.load_scenario(
        None, overrides={"horizon_days": 30, "hedge.rebalance.policy": policy}
    )
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    numpy_out = program.simulate(scn, n, 12)
    rows = numpy_model.compare_statistics(engine_out, numpy_out)
    assert all(r["passed"] for r in rows), rows
    # the trade count too, which the statistics above do not include
    counts = [out["n_rebalances"].astype(float) for out in (engine_out, numpy_out)]
    if policy == "none":
        assert not np.any(counts[1])
    else:
        se = math.hypot(*(c.std(ddof=1) / math.sqrt(n) for c in counts))
        assert counts[1].mean() > 0.5 and abs(counts[1].mean() - counts[0].mean()) < 4.0 * se


def test_statistics_comparison_catches_a_bias() -> None:
    rng = np.random.default_rng(3)
    base = {
        "pnl": rng.normal(100.0, 10.0, 5000),
        "liquidated": rng.random(5000) < 0.3,
        "fees": rng.normal(50.0, 1.0, 5000),
        "funding": rng.normal(5.0, 2.0, 5000),
        "trading_costs": rng.normal(3.0, 0.1, 5000),
        "max_drawdown": rng.uniform(0.0, 0.2, 5000),
    }
    same = {k: rng.permutation(v) for k, v in base.items()}
    assert all(r["passed"] for r in numpy_model.compare_statistics(base, same))
    shifted = dict(same, pnl=same["pnl"] + 1.0)  # 1 = 7 combined s.e.
    rows = {r["statistic"]: r for r in numpy_model.compare_statistics(base, shifted)}
    assert not rows["mean_pnl"]["passed"] and rows["sd_pnl"]["passed"]
    wider = dict(same, pnl=100.0 + 1.1 * (same["pnl"] - 100.0))
    rows = {r["statistic"]: r for r in numpy_model.compare_statistics(base, wider)}
    assert not rows["sd_pnl"]["passed"]


@pytest.mark.slow
def test_scale_benchmarks_write_their_records(tmp_path: Path) -> None:
    """`benchmarks.scale` end to end at tiny sizes: keys present, numbers positive."""
    eff_json, big_json = tmp_path / "eff.json", tmp_path / "big.json"
    eff_args = ["efficiency", "--paths", "256", "--days", "1", "--repeats", "1"]
    big_args = ["big", "--paths", "500", "--days", "2", "--block-paths", "100"]
    for args, target in ((eff_args, eff_json), (big_args, big_json)):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.scale",
                *args,
                "--overhead-tasks",
                "4",
                "--json",
                str(target),
            ]
            if args[0] == "efficiency"
            else [sys.executable, "-m", "benchmarks.scale", *args, "--json", str(target)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    eff = json.loads(eff_json.read_text())
    assert eff["schema"] == "lphedge-benchmarks-scale/1" and eff["machine"]["cpu"]["model"]
    r = eff["result"]
    for key in ("speedup", "efficiency", "empty_task_s"):
        _positive_summary(r[key], 1)
    _positive_summary(r["wall_s"]["1"], 1)
    _positive_summary(r["wall_s"]["2"], 1)
    big = json.loads(big_json.read_text())["result"]
    assert big["paths"] == 500 and big["n_steps"] == 48
    assert big["wall_s"] > 0 and big["peak_rss_bytes"] > 0


class _NoBridge:
    """numpy's generator with the bridge test's draw pinned so that the bridge never fires: a
    uniform just below 1 (notebook: u < exp(-c) fails for every c > 0), an exponential of 0
    (tuned: E > c fails for every c >= 0). Only the endpoint test is left."""

    def __init__(self, seed: int) -> None:
        self._rng = _DEFAULT_RNG(seed)

    def standard_normal(self, *args: Any, **kwargs: Any) -> Any:
        return self._rng.standard_normal(*args, **kwargs)

    def random(self, size: int) -> np.ndarray:
        self._rng.random(size)
        return np.full(size, np.nextafter(1.0, 0.0))

    def standard_exponential(self, size: Any = None, out: np.ndarray | None = None) -> Any:
        draws = self._rng.standard_exponential(size=size, out=out)
        draws[...] = 0.0
        return draws


_DEFAULT_RNG = np.random.default_rng


@NUMPY_PROGRAMS
def test_numpy_model_bridge_test_on_daily_steps(
    program: Any, figures: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On daily steps (sigma sqrt(dt) = 4 %, the barrier ~10 % away at 10x leverage) the
    Brownian-bridge crossings between grid points are a large share of the liquidations: the
    numpy program agrees with the engine, and the same program with the bridge switched off (its
    draw pinned, the endpoint test alone) is told apart on the liquidation probability."""
    n = 4000
    scn = engine.load_scenario("high-leverage", overrides={"step_hours": 24})
    engine_out = run_block(kernel_inputs(scn), scn.seed, 0, n, 0).outputs
    rows = numpy_model.compare_statistics(engine_out, program.simulate(scn, n, 11))
    assert all(r["passed"] for r in rows), rows
    monkeypatch.setattr(np.random, "default_rng", _NoBridge)
    rows = numpy_model.compare_statistics(engine_out, program.simulate(scn, n, 11))
    liq = next(r for r in rows if r["statistic"] == "liquidation_probability")
    figures.apart(
        "endpoint_only_liquidation_probability", liq["numpy"], liq["engine"], liq["combined_se"]
    )
    assert liq["numpy"] < liq["engine"]

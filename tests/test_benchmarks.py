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

from benchmarks import checks
from benchmarks.core import CASES, parse_args
from benchmarks.floor import run_floor

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
        ):
            _positive_summary(case[key], repeats)
    assert record["throughput"]["merton"]["draws_per_step"] == {"normals": 3, "uniforms": 2}
    assert record["throughput"]["default"]["draws_per_step"] == {"normals": 2, "uniforms": 1}

    par = record["parallel"]
    assert par["n_blocks"] >= 2
    for key in ("workers_1_s", "workers_2_s", "speedup", "efficiency", "workers_2_process_cores"):
        _positive_summary(par[key], record["settings"]["parallel_repeats"])

    assert all(v >= 0.0 for v in par["workers_2_other_load_cores"]["values"])

    for heading in ("Checks", "Compile time", "Single-core throughput", "Parallel"):
        assert heading in stdout


def test_quick_and_full_settings() -> None:
    quick, quick_json = parse_args(["--quick"])
    full, full_json = parse_args([])
    assert quick.paths < full.paths and quick.repeats <= full.repeats
    assert quick_json != full_json
    custom, path = parse_args(["--quick", "--paths", "100", "--json", "x.json", "--no-compile"])
    assert custom.paths == 100 and custom.block_paths == 12 and not custom.measure_compile
    assert custom.parallel_repeats == 2 * custom.repeats - 1
    assert path == Path("x.json")


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

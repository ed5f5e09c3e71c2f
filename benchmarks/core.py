"""The benchmark run: checks, compile time, single-core throughput against the random-number floor,
the engine against two vectorised numpy programs of the same model, and parallel
efficiency, in one process so that every ratio is measured back to back.

Speed on a shared VM drifts (up to 2x over minutes), so absolute rates are only indicative; the
figures to compare across runs and machines are the ratios, each formed per repeat from two timings
taken one right after the other (model then floor; engine then numpy; 1 worker then 2 workers; cold
then warm compile),
then summarised by their median and range.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import engine
from benchmarks import checks, numpy_model, numpy_notebook
from benchmarks.floor import (
    describe_plan,
    draw_plan,
    floor_draws,
    run_floor,
    run_floor_lanes,
    run_model_floor,
)
from benchmarks.machine import REPO_ROOT, describe, source_revision
from benchmarks.timing import Sample, measure
from engine.block import run_block
from engine.dispatch import unsupported_keys
from engine.kernels.lane_layout import LANES
from engine.params import kernel_inputs
from engine.runner import default_block_paths

SCHEMA = "lphedge-benchmarks/1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_JSON = RESULTS_DIR / "latest.json"
QUICK_JSON = RESULTS_DIR / "quick.json"


class Case(NamedTuple):
    """A scenario whose kernel throughput is measured against its own random-number floor."""

    name: str
    source: str | None  # shipped scenario name; None = the built-in default
    description: str
    overrides: dict[str, Any] | None = None
    needs_data: bool = False  # reads the historical CSVs of ${LPHEDGE_DATA}

    def scenario(self, **more: Any) -> Any:
        return engine.load_scenario(self.source, overrides={**(self.overrides or {}), **more})


# (d) "every feature on", as far as the lane kernel goes: Merton jumps, OU funding with a cap, a v3
# range with the arbitrage fee model and noise volume, the band policy.
EVERY_FEATURE = {
    "market.price.model": "merton",
    "market.price.jump_intensity": 10.0,
    "pool.type": "v3",
    "pool.fees.model": "arbitrage",
    "pool.fees.noise_volume_to_tvl_per_day": 0.5,
    "hedge.rebalance.policy": "band",
}

# (d) every feature of the engine at once (issues 5 and 6 included), on top of the shipped
# managed-v3-insured scenario (v3 range -20 %/+25 % with arbitrage fees and noise volume,
# re-ranged after 12 h out of range, 5 bps swap slippage; a 5x band-rebalanced short, re-hedged 24 h
# after a liquidation; margin topped up from the pool below 10 % and swept above 40 %; gas on every
# move; a rolled 30-day option strip; an insured perp venue): a two-regime price (calm/stressed,
# the regime-eth fit, with drifts of their own and Merton jumps in the stressed regime),
# exchange-style premium funding with jumps (shock-example's), shock-example's scripted crash and
# squeeze (price, vol and forced-funding shocks), tiered maintenance margin, a strangle instead of
# the put, pool and perp venue hazards both insured, and auto-deleveraging. Only one price model
# can be on at a time: GARCH and the historical models have their own cases below.
ALL_FEATURES_TIERS = [
    {"notional_cap": 50_000.0, "maintenance_rate": 0.004},
    {"notional_cap": 250_000.0, "maintenance_rate": 0.005, "maintenance_amount": 50.0},
    {"notional_cap": 1_000_000.0, "maintenance_rate": 0.01, "maintenance_amount": 1_300.0},
]
ALL_FEATURES_COVER = {"premium_rate": 0.025, "payout_fraction": 0.9, "approval_probability": 0.8}
ALL_FEATURES = {
    "market.price.model": "regime",
    "market.price.regime": {
        "initial": "stationary",
        "states": {
            "calm": {
                "drift": 0.10,
                "vol": 0.52,
                "funding_mean": 0.000133,
                "transitions": {"stressed": 25.4},
            },
            "stressed": {
                "drift": -0.30,
                "vol": 1.40,
                "jump_intensity": 20.0,
                "jump_mean": -0.03,
                "jump_vol": 0.05,
                "funding_mean": 0.000227,
                "stressed": True,
                "transitions": {"calm": 66.2},
            },
        },
    },
    "market.funding": {
        "model": "premium",
        "initial": 0.0001,
        "mean": 0.0002,
        "reversion": 50.0,
        "vol": 0.009,
        "corr_with_price": 0.3,
        "interest": 0.0001,
        "clamp": 0.0005,
        "cap": 0.004,
        "jump_intensity": 4.0,
        "jump_mean": 0.0005,
        "jump_vol": 0.001,
    },
    "shocks": [
        {"kind": "vol", "day": 29, "hours": 48, "multiplier": 3.0},
        {"kind": "price", "day": 30, "hours": 12, "move": -0.30},
        {"kind": "funding", "day": 30.5, "hours": 24, "rate": -0.001},
        {"kind": "price", "day": 60, "hours": 24, "move": 0.25},
        {"kind": "funding", "day": 60, "hours": 48, "rate": 0.003},
    ],
    "hedge.tiers": ALL_FEATURES_TIERS,
    "hedge.options.kind": "strangle",
    "venue.pool.hazard_per_year": 0.5,
    "venue.pool.loss_fraction": 0.5,
    "venue.pool.cover": ALL_FEATURES_COVER,
    "venue.perp.hazard_per_year": 0.5,
    "venue.perp.cover": ALL_FEATURES_COVER,
    "venue.adl.probability": 0.5,
}

CASES = (
    Case("default", None, "GBM + OU funding, v2 LP (APR fees), band-rebalanced 3x short"),
    Case("v3-arbitrage", "v3-range", "v3 range -20%/+25%, arbitrage fee model"),
    Case("merton", "merton-jumps", "Merton jump-diffusion, v2 LP"),
    Case(
        "every-feature",
        None,
        "the lane kernel's features at once: Merton + OU funding + v3 range with arbitrage fees "
        "and noise volume + band policy",
        EVERY_FEATURE,
    ),
    Case(
        "all-features",
        "managed-v3-insured",
        "every feature at once: regimes with jumps, premium funding with jumps, shocks, v3 "
        "re-ranged, tiers, top-ups/sweeps, re-hedging, gas, strangle strip, insured venue "
        "hazards, ADL",
        ALL_FEATURES,
    ),
    Case("garch", "garch-eth", "GARCH(1,1) with Student-t (4 dof) innovations, v2 LP"),
    Case("regime", "regime-eth", "two-regime Markov-switching price (calm/stressed), v2 LP"),
    Case(
        "bootstrap",
        "bootstrap-eth",
        "stationary block bootstrap of hourly ETH returns and funding 2020-2024, v2 LP",
        needs_data=True,
    ),
    Case(
        "replay",
        "replay-2022",
        "replay of 2022's hourly ETH prices and funding (90 days from 2022-01-01), v2 LP",
        {"horizon_days": 90, "output.sample_paths": 0},
        needs_data=True,
    ),
)

# The historical CSVs the data-driven cases read (benchmarks/README.md)
DATA_FILES = ("eth_usdt_1h_binance_spot.csv", "eth_usdt_perp_funding_8h_binance.csv")


def data_folder() -> tuple[Path | None, str]:
    """The folder of the historical data, as the shipped scenarios find it: ${LPHEDGE_DATA}, else
    ../shared/data beside the repository (then LPHEDGE_DATA is set to it for this process).
    (None, the reason) when a file is missing."""
    given = os.environ.get("LPHEDGE_DATA")
    folder = Path(given) if given else REPO_ROOT.parent / "shared" / "data"
    where = f"LPHEDGE_DATA={given}" if given else f"{folder} (LPHEDGE_DATA unset)"
    missing = [name for name in DATA_FILES if not (folder / name).is_file()]
    if missing:
        return None, f"historical data not found: {', '.join(missing)} missing in {where}"
    if not given:
        os.environ["LPHEDGE_DATA"] = str(folder)
    return folder, where


def select_cases() -> tuple[list[Case], list[dict[str, str]]]:
    """The cases that can run here, and the skipped ones with the reason (printed, recorded)."""
    folder, where = data_folder()
    cases: list[Case] = []
    skipped: list[dict[str, str]] = []
    for case in CASES:
        if case.needs_data and folder is None:
            skipped.append({"case": case.name, "reason": where})
            log(f"SKIPPED case {case.name}: {where}")
        else:
            cases.append(case)
    return cases, skipped


@dataclass(frozen=True)
class Settings:
    paths: int  # paths per timed run (throughput and parallel)
    repeats: int  # interleaved repeats of each timed pair (throughput)
    slices: int  # each throughput repeat runs its paths in this many model/floor slices
    parallel_repeats: int  # interleaved 1-worker/2-worker pairs
    compile_repeats: int  # cold/warm probe pairs
    check_paths: int  # paths of the pre-timing check runs
    block_paths: int  # task size of the parallel run
    parallel_paths: int  # paths of the parallel run
    measure_compile: bool
    quick: bool
    numpy: bool = True  # the engine vs numpy section
    # (paths, steps) of each timed size of the engine vs numpy comparison; steps 0 = the whole
    # horizon, else the first `steps` steps of the same scenario
    numpy_sizes: tuple[tuple[int, int], ...] = ((16384, 0), (131072, 240), (1048576, 72))
    numpy_repeats: int = 5  # engine, notebook, tuned back to back, per size
    numpy_check_paths: int = 20000  # paths of each side of the statistics check
    memory: bool = True  # (g) peak memory of a run
    memory_paths: int = 1_000_000
    memory_days: float = 1.0


_DEFAULT = engine.load_scenario(None)
DEFAULT_SCENARIO_BLOCK_PATHS = default_block_paths(_DEFAULT.paths, _DEFAULT.n_steps)

# defaults: about 1.5 minutes on a 2-core 2.5 GHz VM; quick: small sizes for tests
FULL: dict[str, Any] = {
    "paths": 8192,
    "repeats": 7,
    "slices": 8,
    "compile_repeats": 2,
    "check_paths": 4096,
    "numpy_sizes": ((16384, 0), (131072, 240), (1048576, 72)),
    "numpy_repeats": 5,
    "numpy_check_paths": 20000,
    "memory_paths": 1_000_000,
    # the parallel run: 8 tasks of the size the engine gives the default scenario's tasks
    # (engine.runner.default_block_paths: 12,288 paths), what a run with default settings gives
    # each worker; 1024-path tasks (about 25 ms each at 85 M path-steps/s) measured the dask
    # scheduling and result assembly more than the engine, and 4096-path ones partly so
    "parallel_paths": 8 * DEFAULT_SCENARIO_BLOCK_PATHS,
    "parallel_block_paths": DEFAULT_SCENARIO_BLOCK_PATHS,
}
QUICK: dict[str, Any] = {
    "paths": 256,
    "repeats": 2,
    "slices": 2,
    "compile_repeats": 1,
    "check_paths": 512,
    "numpy_sizes": ((512, 0), (4096, 48)),
    "numpy_repeats": 2,
    "numpy_check_paths": 2000,
    "memory_paths": 20_000,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median and range of per-repeat values (the values themselves kept)."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "values": list(values),
    }


# --------------------------------------------------------------------------------------------
# 1. Compile time


def run_probe(cache_dir: str | None) -> dict[str, Any]:
    """One fresh interpreter running `benchmarks.probe`; `cache_dir` sets NUMBA_CACHE_DIR
    (None: the environment's default cache, normally engine/kernels/__pycache__)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"compile probe failed (exit {done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_wall_s"] = wall
    report["compile_s"] = report["first_call_s"] - report["second_call_s"]
    return report


def measure_compile(settings: Settings) -> dict[str, Any]:
    """Cold (empty NUMBA_CACHE_DIR) and warm (default cache) probes, interleaved."""
    log("compile: priming the default numba cache")
    priming = run_probe(None)
    cold: list[dict[str, Any]] = []
    warm: list[dict[str, Any]] = []
    for r in range(settings.compile_repeats):
        with tempfile.TemporaryDirectory(prefix="lphedge-numba-cold-") as empty:
            log(f"compile: repeat {r + 1}/{settings.compile_repeats}, cold (empty cache)")
            cold.append(run_probe(empty))
        log(f"compile: repeat {r + 1}/{settings.compile_repeats}, warm (cached)")
        warm.append(run_probe(None))
    warnings = []
    if any(p["cache_misses"] == 0 for p in cold):
        warnings.append("a cold probe found no cache miss: it may not have compiled")
    if any(p["cache_hits"] == 0 or p["cache_misses"] > 0 for p in warm):
        warnings.append(
            "a warm probe did not load the kernel from the cache (sources edited meanwhile?)"
        )

    def fields(probes: list[dict[str, Any]]) -> dict[str, Any]:
        keys = ("import_s", "first_call_s", "second_call_s", "compile_s", "process_wall_s")
        out: dict[str, Any] = {k: summary([p[k] for p in probes]) for k in keys}
        out["cache_hits"] = [p["cache_hits"] for p in probes]
        out["cache_misses"] = [p["cache_misses"] for p in probes]
        return out

    return {
        "kernel": "engine.kernels.lanes.simulate_block_lanes via engine.block.run_block",
        "probe_paths": cold[0]["probe_paths"],
        "n_steps": cold[0]["n_steps"],
        "cold": fields(cold),
        "warm": fields(warm),
        "cold_over_warm_first_call": summary(
            [c["first_call_s"] / w["first_call_s"] for c, w in zip(cold, warm, strict=True)]
        ),
        "priming_cache_hits": priming["cache_hits"],
        "warnings": warnings,
    }


# --------------------------------------------------------------------------------------------
# Checks before timing


def general_reason(scn: Any) -> str:
    """Why the dispatch sends a scenario to the general kernel (engine.dispatch's blocking keys)."""
    keys = unsupported_keys(scn)
    shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
    return f"general kernel (engine.dispatch: {shown} keep it off the lane kernel)"


def adl_draw_counts(inputs: Any, seed: int, n_paths: int) -> np.ndarray | None:
    """Per path of 0 .. n_paths - 1, the ADL cascades (one venue side-stream uniform each), from
    a run of the engine on those paths; None when the scenario has no ADL."""
    if not (inputs.venue.active and inputs.venue.adl_probability > 0.0):
        return None
    return run_block(inputs, seed, 0, n_paths, 0).outputs["adl_cascades"].astype(np.int64)


def run_checks(settings: Settings, cases: Sequence[Case]) -> list[checks.Check]:
    """Per case: accounting identity, finiteness, the price model's law of P_T, workers/blocks
    bit-identity, run_block == simulate, and that the floor makes the engine's draws; on the lane
    kernel's cases also lane == general kernel and lane floor == scalar floor (n/a on the others).
    Raises CheckFailed."""
    done: list[checks.Check] = []
    n = settings.check_paths
    for case in cases:
        log(f"checks: {case.name}")
        scn = case.scenario(paths=n)
        inputs = kernel_inputs(scn)
        ds = engine.simulate(scn, workers=1, block_paths=n)
        outputs = {
            str(name): ds[name].values for name in ds.data_vars if ds[name].dims == ("path",)
        }
        checks.require(checks.finite_outputs(outputs, case.name), done)
        checks.require(
            checks.accounting_identity(outputs, ds.attrs["lp_value0"], scn.capital, case.name),
            done,
        )
        checks.require(
            checks.mean_final_price(
                outputs["final_price"], checks.final_price_law(scn, inputs), case.name
            ),
            done,
        )
        other = engine.simulate(scn, workers=2, block_paths=max(1, n // 3 + 1))
        checks.require(
            checks.identical_outputs(
                outputs,
                {name: other[name].values for name in outputs},
                "workers_blocks_identical",
                f"1 worker x 1 block vs 2 workers x {max(1, n // 3 + 1)}-path blocks",
                case.name,
            ),
            done,
        )
        head = min(n, 512)
        block = run_block(inputs, scn.seed, 0, head, 0)
        checks.require(
            checks.identical_outputs(
                block.outputs,
                {name: values[:head] for name, values in outputs.items()},
                "run_block_matches_simulate",
                f"run_block on the first {head} paths vs simulate",
                case.name,
            ),
            done,
        )
        n_floor = min(3, n)
        if inputs.lanes:
            checks.require(
                checks.identical_outputs(
                    run_block(inputs, scn.seed, 0, head, 0, kernel="general").outputs,
                    run_block(inputs, scn.seed, 0, head, 0, kernel="lanes").outputs,
                    "lanes_match_general",
                    f"lane kernel vs general kernel on the first {head} paths",
                    case.name,
                ),
                done,
            )
            merton = scn.market.price.model == "merton"
            sums = run_floor(scn.seed, 0, n_floor, scn.n_steps, merton)
            checks.require(checks.floor_draws_match(inputs, scn.seed, sums, case.name), done)
            n_lanes = LANES + 3
            same = np.array_equal(
                run_floor(scn.seed, 0, n_lanes, scn.n_steps, merton),
                run_floor_lanes(scn.seed, 0, n_lanes, scn.n_steps, merton),
            )
            checks.require(
                checks.Check(
                    "lane_floor_matches",
                    case.name,
                    bool(same),
                    "lane floor vs scalar floor: per-path sums "
                    f"{'bit-identical' if same else 'differ'} on {n_lanes} paths",
                ),
                done,
            )
        else:
            reason = general_reason(scn)
            done.append(checks.not_applicable("lanes_match_general", case.name, reason))
            adl = outputs["adl_cascades"][:n_floor].astype(np.int64)
            sums = run_model_floor(inputs, scn.seed, 0, n_floor, adl)
            checks.require(checks.floor_draws_match(inputs, scn.seed, sums, case.name, adl), done)
            done.append(
                checks.not_applicable(
                    "lane_floor_matches",
                    case.name,
                    "general kernel: no lane floor (its floor: model_floor)",
                )
            )
    return done


# --------------------------------------------------------------------------------------------
# 2-4. Single-core throughput vs the random-number floor


def slices(n_paths: int, n_slices: int) -> list[tuple[int, int]]:
    """(first_path, n_paths) of n_slices near-equal consecutive slices of the paths."""
    n_slices = max(1, min(n_slices, n_paths))
    edges = [n_paths * j // n_slices for j in range(n_slices + 1)]
    return [(a, b - a) for a, b in itertools.pairwise(edges)]


def _timed_runs(
    inputs: Any, seed: int, steps: int, merton: bool, adl: np.ndarray | None
) -> dict[str, Callable[[int, int], Any]]:
    """The timed calls of a case, each on (first_path, n_paths): on the lane kernel's cases the
    engine, the lane floor, the general kernel and the scalar floor; on the general kernel's
    cases the engine (the general kernel) and its floor (`model_floor`). adl: the ADL cascades of
    each timed path (their side-stream draws are part of the floor), or None."""
    if not inputs.lanes:
        return {
            "model": lambda a, c: run_block(inputs, seed, a, c, 0),
            "floor": lambda a, c: run_model_floor(
                inputs, seed, a, c, None if adl is None else adl[a : a + c]
            ),
        }
    return {
        "model": lambda a, c: run_block(inputs, seed, a, c, 0),
        "floor": lambda a, c: run_floor_lanes(seed, a, c, steps, merton),
        "general": lambda a, c: run_block(inputs, seed, a, c, 0, kernel="general"),
        "scalar_floor": lambda a, c: run_floor(seed, a, c, steps, merton),
    }


def measure_throughput(
    settings: Settings, done: list[checks.Check], cases: Sequence[Case]
) -> dict[str, Any]:
    """Per case, per repeat: the N paths in slices, each slice run by the engine (the kernel the
    dispatch picks) and by its floor (the same draws with the same generator code: the lane floor
    for the lane kernel, `model_floor` for the general kernel), and on the lane kernel's cases
    also by the general (scalar) kernel and the scalar floor, one after the other, so that all
    see the machine at the same moments; a repeat's time is the sum over its slices. Wall time
    and the main thread's CPU time are both recorded."""
    n = settings.paths
    parts = slices(n, settings.slices)
    results: dict[str, Any] = {}
    n_timed = 0
    for case in cases:
        scn = case.scenario()
        inputs = kernel_inputs(scn)
        merton = scn.market.price.model == "merton"
        steps = scn.n_steps
        path_steps = n * steps
        kernel = "lanes" if inputs.lanes else "general"
        # the ADL draws depend on the path's state: counted on an untimed run of the same paths
        adl = None if inputs.lanes else adl_draw_counts(inputs, scn.seed, n)
        runs = _timed_runs(inputs, scn.seed, steps, merton, adl)
        tokens = (inputs.pool.x0, inputs.pool.y0)
        # warm-up: compile or load the kernels, touch the code paths
        for run in runs.values():
            run(0, min(n, 16))
        samples: dict[str, list[Sample]] = {key: [] for key in runs}
        for r in range(settings.repeats):
            log(f"throughput: {case.name}, repeat {r + 1}/{settings.repeats}")
            totals = {key: Sample() for key in runs}
            for first, count in parts:
                for key, run in runs.items():
                    sample, result = measure(run, first, count)
                    totals[key].add(sample)
                    if key in ("model", "general"):  # what was timed is right
                        checks.require(
                            checks.accounting_identity(
                                result.outputs,
                                inputs.pool.value0,
                                inputs.grid.capital,
                                case.name,
                                tokens,
                            ),
                            None,
                        )
                        n_timed += 1
                    elif not np.all(np.isfinite(result)):
                        raise checks.CheckFailed(f"floor kernel made non-finite sums ({case.name})")
            for key in runs:
                samples[key].append(totals[key])
        wall = {key: [x.wall for x in samples[key]] for key in runs}
        cpu = {key: [x.thread_cpu for x in samples[key]] for key in runs}

        def ratio(values: dict[str, list[float]], a: str, b: str) -> dict[str, Any]:
            return summary([x / y for x, y in zip(values[a], values[b], strict=True)])

        plan = draw_plan(floor_draws(inputs), inputs.market.garch.dof)
        entry: dict[str, Any] = {
            "scenario": case.source or "default",
            "overrides": case.overrides or {},
            "description": case.description,
            "kernel": kernel,
            "price_model": scn.market.price.model,
            "pool": scn.pool.type,
            "fee_model": scn.pool.fees.model,
            "rebalance_policy": scn.hedge.rebalance.policy,
            "step_hours": scn.step_hours,
            "n_steps": steps,
            "n_paths": n,
            "slices": len(parts),
            "path_steps": path_steps,
            "draws_per_step": {
                "normals": plan["normals"],
                "uniforms": plan["uniforms"],
                "t_factors": plan["t_factors"],
            },
            "draw_plan": plan,
            "floor": (
                "engine.kernels.lane_draws.draw_floor (benchmarks.floor.run_floor_lanes)"
                if inputs.lanes
                else "benchmarks.floor.model_floor"
            ),
            "floor_draws": describe_plan(plan),
            "adl_draws": None if adl is None else int(adl.sum()),
            **{f"{key}_s": summary(wall[key]) for key in runs},
            **{f"{key}_cpu_s": summary(cpu[key]) for key in runs},
            **{
                f"{key}_path_steps_per_s": summary([path_steps / t for t in wall[key]])
                for key in runs
            },
            "model_over_floor": ratio(wall, "model", "floor"),
            "model_over_floor_cpu": ratio(cpu, "model", "floor"),
            "model_cpu_over_wall": summary([m.thread_cpu / m.wall for m in samples["model"]]),
            "other_load_cores": summary(
                [
                    sum(samples[key][i].other_load * samples[key][i].wall for key in runs)
                    / sum(samples[key][i].wall for key in runs)
                    for i in range(settings.repeats)
                ]
            ),
        }
        if inputs.lanes:
            entry.update(
                {
                    "general_over_scalar_floor": ratio(wall, "general", "scalar_floor"),
                    "general_over_scalar_floor_cpu": ratio(cpu, "general", "scalar_floor"),
                    "speedup_over_general": ratio(wall, "general", "model"),
                    "speedup_over_general_cpu": ratio(cpu, "general", "model"),
                    "floor_speedup_over_scalar_floor": ratio(wall, "scalar_floor", "floor"),
                    "model_over_scalar_floor": ratio(wall, "model", "scalar_floor"),
                    "model_over_scalar_floor_cpu": ratio(cpu, "model", "scalar_floor"),
                }
            )
        results[case.name] = entry
    done.append(
        checks.Check(
            "timed_runs_identity",
            "all",
            True,
            f"accounting identity held on every timed run_block ({n_timed} runs: {len(cases)} "
            f"cases x {settings.repeats} repeats x {len(parts)} slices of {n} paths, both kernels "
            "on the lane kernel's cases)",
        )
    )
    return results


# --------------------------------------------------------------------------------------------
# (g) Peak memory of a 1M-path run


def measure_memory(settings: Settings) -> dict[str, Any]:
    """Peak resident memory of `lphedge run` on `memory_paths` paths of the default scenario over
    `memory_days` days, streamed into a store (benchmarks.scale big, in a fresh interpreter so
    that only that run's process is measured). Memory does not grow with the number of steps:
    nothing of size paths x steps is kept, so a short horizon measures the same peak."""
    with tempfile.TemporaryDirectory(prefix="lphedge-memory-") as tmp:
        record_path = Path(tmp) / "memory.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "big",
            "--paths",
            str(settings.memory_paths),
            "--days",
            f"{settings.memory_days:g}",
            "--json",
            str(record_path),
        ]
        log(f"memory: {settings.memory_paths} paths x {settings.memory_days:g} day(s)")
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"memory run failed (exit {done.returncode}):\n{done.stderr}")
        result = json.loads(record_path.read_text())["result"]
    return {
        "call": shlex.join(["python", *cmd[1:-2]]),
        "paths": result["paths"],
        "horizon_days": result["horizon_days"],
        "n_steps": result["n_steps"],
        "wall_s": result["wall_s"],
        "peak_rss_bytes": result["peak_rss_bytes"],
        "peak_rss_gib": result["peak_rss_gib"],
        "store_bytes": result["store_bytes"],
        "note": "memory does not grow with steps (nothing of size paths x steps is stored; "
        "python -m benchmarks.scale big --paths 1000000 --days 365 measures the whole year)",
    }


# --------------------------------------------------------------------------------------------
# 4b. The engine against two vectorised numpy implementations of the default model

NUMPY_CASE = "default"
# the two numpy programs: all paths at once as arrays, a Python loop over the steps
NUMPY_PROGRAMS: dict[str, dict[str, Any]] = {
    "notebook": {
        "simulate": numpy_notebook.simulate,
        "implementation": "benchmarks/numpy_notebook.py:simulate",
        "label": "numpy, as in a notebook",
        "description": "the model as a quant writes it in a notebook: natural array expressions "
        "(log-price step, exp, sqrt for the LP value, uniform + exp bridge test, masks for the "
        "paths due), temporaries allowed; the program issue 7's 6x target refers to",
        "generator": "numpy.random.default_rng (PCG64): standard_normal x 2, random x 1 "
        "per path-step",
        "seed_offset": 1,
    },
    "tuned": {
        "simulate": numpy_model.simulate,
        "implementation": "benchmarks/numpy_model.py:simulate",
        "label": "numpy, tuned by hand",
        "description": "the same model tuned by hand: preallocated buffers updated in place "
        "(out=), an exponential draw replacing the bridge test's uniform and exp, prices carried "
        "as ln sqrt(P), index arrays for rare events",
        "generator": "numpy.random.default_rng (PCG64): standard_normal x 2, "
        "standard_exponential x 1 per path-step",
        "seed_offset": 0,
    },
}


def _agreement(
    program: str, engine_out: dict[str, np.ndarray], numpy_out: dict[str, np.ndarray], n: int
) -> tuple[checks.Check, list[dict[str, Any]]]:
    rows = numpy_model.compare_statistics(engine_out, numpy_out)
    worst = max(rows, key=lambda r: abs(r["z"]))
    failed = [r["statistic"] for r in rows if not r["passed"]]
    sigmas = numpy_model.AGREEMENT_SIGMAS
    detail = (
        f"{len(rows)} statistics on {n} paths each within {sigmas:g} combined s.e. "
        f"(largest {worst['z']:+.2f} s.e., {worst['statistic']})"
        if not failed
        else f"outside {sigmas:g} combined s.e.: "
        + ", ".join(
            f"{r['statistic']} engine {r['engine']:.6g} numpy {r['numpy']:.6g} ({r['z']:+.2f} s.e.)"
            for r in rows
            if not r["passed"]
        )
    )
    return checks.Check(f"numpy_{program}_stats_agree", NUMPY_CASE, not failed, detail), rows


def run_numpy_check(settings: Settings, done: list[checks.Check]) -> dict[str, Any]:
    """Before any timing: each numpy program and the engine agree on the default scenario's
    statistics within Monte Carlo error (|difference| < 4 combined s.e.), on
    `numpy_check_paths` paths each (independent random numbers). Raises CheckFailed."""
    n = settings.numpy_check_paths
    log(f"checks: numpy programs vs engine, {n} paths each")
    scn = engine.load_scenario(None, overrides={"paths": n})
    ds = engine.simulate(scn, workers=1, block_paths=n)
    engine_out = {str(k): ds[k].values for k in ds.data_vars if ds[k].dims == ("path",)}
    result: dict[str, Any] = {
        "n_paths": n,
        "sigmas": numpy_model.AGREEMENT_SIGMAS,
        "engine_seed": scn.seed,
    }
    for program, spec in NUMPY_PROGRAMS.items():
        seed = scn.seed + spec["seed_offset"]
        check, rows = _agreement(program, engine_out, spec["simulate"](scn, n, seed), n)
        checks.require(check, done)
        result[program] = {"seed": seed, "rows": rows}
    return result


def numpy_size_scenario(steps: int) -> Any:
    """The default scenario, or its first `steps` steps (steps 0: the whole horizon)."""
    base = engine.load_scenario(None)
    if steps == 0 or steps == base.n_steps:
        return base
    return engine.load_scenario(None, overrides={"horizon_days": steps * base.step_hours / 24.0})


def _timed_numpy_run(which: str, n: int, scn: Any, inputs: Any, consts: Any, r: int) -> Sample:
    """One timed run of the engine or of a numpy program on n paths; its outputs are checked
    (accounting identity; finite P&L) and dropped on return (they are large at 1M paths)."""
    if which == "engine":
        sample, block = measure(run_block, inputs, scn.seed, 0, n, 0)
        checks.require(
            checks.accounting_identity(
                block.outputs, inputs.pool.value0, inputs.grid.capital, NUMPY_CASE
            ),
            None,
        )
        return sample
    sample, out = measure(NUMPY_PROGRAMS[which]["simulate"], scn, n, scn.seed + r, consts)
    if not np.all(np.isfinite(out["pnl"])):
        raise checks.CheckFailed(f"numpy {which} program made non-finite P&L")
    return sample


def measure_numpy(settings: Settings, check: dict[str, Any]) -> dict[str, Any]:
    """The engine (run_block, main thread, one call on all the paths) and both numpy programs (all
    paths at once) on the same paths and steps of the default scenario, back to back, the order
    rotating from repeat to repeat, at each size of `numpy_sizes` (sizes interleaved within a
    repeat), `numpy_repeats` times."""
    names = ("engine", *NUMPY_PROGRAMS)
    sizes = []
    for n, steps in settings.numpy_sizes:
        scn = numpy_size_scenario(steps)
        inputs = kernel_inputs(scn)
        consts = numpy_model.constants(scn)
        # warm-up: the kernel's cache load, numpy's first calls
        run_block(inputs, scn.seed, 0, min(n, 16), 0)
        for spec in NUMPY_PROGRAMS.values():
            spec["simulate"](scn, min(n, 64), scn.seed, consts)
        samples: dict[str, list[Sample]] = {name: [] for name in names}
        sizes.append((n, scn, inputs, consts, samples))
    for r in range(settings.numpy_repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n, scn, inputs, consts, samples in sizes:
            log(
                f"engine vs numpy: repeat {r + 1}/{settings.numpy_repeats}, {n} paths x "
                f"{scn.n_steps} steps"
            )
            for which in order:
                samples[which].append(_timed_numpy_run(which, n, scn, inputs, consts, r))

    full_steps = engine.load_scenario(None).n_steps
    results = []
    for n, scn, _, _, samples in sizes:
        path_steps = n * scn.n_steps
        row: dict[str, Any] = {
            "n_paths": n,
            "n_steps": scn.n_steps,
            "horizon_days": scn.horizon_days,
            "whole_horizon": scn.n_steps == full_steps,
            "path_steps": path_steps,
        }
        for name in names:
            wall = [s.wall for s in samples[name]]
            row[f"{name}_s"] = summary(wall)
            row[f"{name}_cpu_s"] = summary([s.thread_cpu for s in samples[name]])
            row[f"{name}_path_steps_per_s"] = summary([path_steps / t for t in wall])
            row[f"{name}_cpu_over_wall"] = summary([s.thread_cpu / s.wall for s in samples[name]])
            row[f"{name}_other_load_cores"] = summary([s.other_load for s in samples[name]])
        for program in NUMPY_PROGRAMS:
            pairs = list(zip(samples["engine"], samples[program], strict=True))
            row[f"engine_over_{program}_speed"] = summary([p.wall / e.wall for e, p in pairs])
            row[f"engine_over_{program}_speed_cpu"] = summary(
                [p.thread_cpu / e.thread_cpu for e, p in pairs]
            )
        results.append(row)
    return {
        "scenario": NUMPY_CASE,
        "target_program": "notebook",
        "target": "issue 7: the engine at least 6x faster than a plain vectorised numpy "
        "implementation (what a quant would write in a notebook) on one core, same run",
        "programs": {
            name: {k: v for k, v in spec.items() if k != "simulate"}
            for name, spec in NUMPY_PROGRAMS.items()
        },
        "engine_call": "engine.block.run_block(inputs, seed, 0, N, 0), main thread",
        "repeats": settings.numpy_repeats,
        "order": "per repeat, each size in turn; within a size engine, notebook, tuned rotated "
        "by one place per repeat",
        "check": check,
        "sizes": results,
    }


# --------------------------------------------------------------------------------------------
# 5. Parallel efficiency


def measure_parallel(settings: Settings, done: list[checks.Check]) -> dict[str, Any]:
    n = settings.parallel_paths
    scn = engine.load_scenario(None, overrides={"paths": n})
    warm = engine.load_scenario(None, overrides={"paths": min(n, 64)})
    engine.simulate(warm, workers=2, block_paths=max(1, min(n, 64) // 2))
    ones: list[Sample] = []
    twos: list[Sample] = []
    for r in range(settings.parallel_repeats):
        log(f"parallel: repeat {r + 1}/{settings.parallel_repeats}")
        # 1 worker then 2, then 2 then 1, ...: a drift of the VM's speed (it moved by 30-50 %
        # within a minute) or a slowdown after sustained load does not favour one worker count
        for workers in (1, 2) if r % 2 == 0 else (2, 1):
            sample, result = measure(
                engine.simulate, scn, block_paths=settings.block_paths, workers=workers
            )
            (ones if workers == 1 else twos).append(sample)
            if workers == 1:
                one = result
            else:
                two = result
        check = checks.identical_outputs(
            {k: one[k].values for k in one.data_vars},
            {k: two[k].values for k in two.data_vars},
            "parallel_identical",
            "workers=1 vs workers=2",
            "default",
        )
        checks.require(check, None)
    done.append(
        check._replace(detail=check.detail + f", on each of {settings.parallel_repeats} repeats")
    )
    path_steps = n * scn.n_steps
    t1 = [s.wall for s in ones]
    t2 = [s.wall for s in twos]
    return {
        "call": "engine.simulate(scenario, block_paths=B, workers=W, scheduler='threads')",
        "scenario": "default",
        "n_paths": n,
        "n_steps": scn.n_steps,
        "block_paths": settings.block_paths,
        "engine_default_block_paths": DEFAULT_SCENARIO_BLOCK_PATHS,
        "n_blocks": math.ceil(n / settings.block_paths),
        "workers_1_s": summary(t1),
        "workers_2_s": summary(t2),
        "workers_1_path_steps_per_s": summary([path_steps / t for t in t1]),
        "workers_2_path_steps_per_s": summary([path_steps / t for t in t2]),
        "speedup": summary([a / b for a, b in zip(t1, t2, strict=True)]),
        "efficiency": summary([a / (2.0 * b) for a, b in zip(t1, t2, strict=True)]),
        "workers_1_process_cores": summary([s.process_cores for s in ones]),
        "workers_2_process_cores": summary([s.process_cores for s in twos]),
        "workers_1_other_load_cores": summary([s.other_load for s in ones]),
        "workers_2_other_load_cores": summary([s.other_load for s in twos]),
    }


# --------------------------------------------------------------------------------------------
# Report


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join("  " + line for line in lines)


def _spread(s: dict[str, Any], fmt: str, scale: float = 1.0) -> str:
    return f"{s['median'] * scale:{fmt}} [{s['min'] * scale:{fmt}}, {s['max'] * scale:{fmt}}]"


def _numpy_report(npy: dict[str, Any]) -> list[str]:
    """The engine vs numpy section of the report: both programs' checks, rates and ratios."""
    progs = npy["programs"]
    chk = npy["check"]
    out = [
        "Engine vs numpy, default scenario, one core: two numpy programs of the same model, all "
        "paths at once as arrays, a Python loop over the steps",
        *(
            f"  {name:<8}  {progs[name]['label']}: {progs[name]['implementation']}"
            for name in progs
        ),
        f"  statistics before timing, {chk['n_paths']} paths each (independent random numbers), "
        f"pass if |numpy - engine| < {chk['sigmas']:g} combined s.e.:",
    ]
    names = list(progs)
    rows = []
    for i, r in enumerate(chk[names[0]]["rows"]):
        row = [r["statistic"], f"{r['engine']:.5g}"]
        for name in names:
            rn = chk[name]["rows"][i]
            row += [f"{rn['numpy']:.5g}", f"{rn['z']:+.2f}"]
        rows.append(row)
    headers = ["statistic", "engine"]
    for name in names:
        headers += [name, "diff / s.e."]
    out.append(_table(headers, rows))
    out.append(
        f"  timing: engine.block.run_block and both programs on the same paths and steps, back "
        f"to back (order rotating), {npy['repeats']} repeats, sizes interleaved; sizes below the "
        "whole horizon run its first steps (the per-step cost does not depend on the horizon; "
        "the engine's per-path start-up weighs a little more on few steps)"
    )

    def steps_label(size: dict[str, Any]) -> str:
        whole = " (whole)" if size["whole_horizon"] else ""
        return f"{size['n_steps']} x 1h{whole}"

    out.append(
        _table(
            [
                "paths",
                "steps",
                "engine M path-steps/s",
                *(f"{n} M/s" for n in names),
                "on-CPU",
                "other load",
            ],
            [
                [
                    f"{size['n_paths']:,}",
                    steps_label(size),
                    _spread(size["engine_path_steps_per_s"], ".1f", 1e-6),
                    *(_spread(size[f"{n}_path_steps_per_s"], ".2f", 1e-6) for n in names),
                    " / ".join(
                        f"{size[f'{n}_cpu_over_wall']['median']:.0%}" for n in ("engine", *names)
                    ),
                    " / ".join(
                        f"{size[f'{n}_other_load_cores']['median']:.2f}" for n in ("engine", *names)
                    ),
                ]
                for size in npy["sizes"]
            ],
        )
    )
    out.append(
        "  engine speed / numpy speed = numpy time / engine time, per repeat, median [min, max]:"
    )
    out.append(
        _table(
            ["paths", *(f"engine / {n} ({w})" for n in names for w in ("wall", "CPU"))],
            [
                [
                    f"{size['n_paths']:,}",
                    *(
                        _spread(size[f"engine_over_{n}_speed{suffix}"], ".2f")
                        for n in names
                        for suffix in ("", "_cpu")
                    ),
                ]
                for size in npy["sizes"]
            ],
        )
    )
    target = progs[npy["target_program"]]
    out.append(
        f"  {npy['target']}: that program is {target['implementation']} ({npy['target_program']}); "
        "the ratio to the tuned program is the less favourable comparison, shown beside it."
    )
    out.append("  on-CPU and other load: engine / " + " / ".join(names) + ".")
    return out


def format_report(record: dict[str, Any]) -> str:
    m = record["machine"]
    cpu = m["cpu"]
    v = m["versions"]
    git = record["git"]
    s = record["settings"]
    out = [
        "lphedge benchmarks"
        + (" (--quick: sizes too small for meaningful figures)" if s["quick"] else ""),
        f"  {record['date']}  commit {str(git['commit'])[:10]}"
        + (" (uncommitted changes)" if git["dirty"] else "")
        + f"  engine sha256 {git['engine_sha256'][:10]}",
        f"  {cpu['model']}, {cpu['logical_cores']} logical cores ({cpu['usable_cores']} usable), "
        f"{m['ram_gib']} GiB RAM, LLVM target {cpu['llvm_host_cpu']}",
        f"  python {v['python']}, numpy {v['numpy']}, numba {v['numba']}, dask {v['dask']}, "
        f"xarray {v['xarray']}",
        f"  command: {record['command']}",
        "  figures: median [min, max] over the repeats; ratios formed per repeat from "
        "back-to-back timings",
        "",
        f"Checks ({len(record['checks'])}, all passed or n/a; all before any timing but the "
        "last two, made on the timed runs)",
    ]
    for c in record["checks"]:
        status = "ok " if c.get("applies", True) else "n/a"
        out.append(f"  {status} {c['name']:<28} {c['case']:<13} {c['detail']}")
    for skip in record.get("skipped_cases", []):
        out.append(f"  SKIPPED case {skip['case']}: {skip['reason']}")

    comp = record.get("compile")
    if comp:
        out += [
            "",
            f"Compile time: first call of the path kernel on a {comp['probe_paths']}-path block "
            f"({comp['n_steps']} steps), fresh interpreter each, {s['compile_repeats']} repeat(s)",
        ]
        rows = []
        for label, key in (
            ("cold (empty NUMBA_CACHE_DIR)", "cold"),
            ("warm (default cache)", "warm"),
        ):
            p = comp[key]
            rows.append(
                [
                    label,
                    _spread(p["import_s"], ".2f"),
                    _spread(p["first_call_s"], ".3f"),
                    f"{p['second_call_s']['median'] * 1e3:.2f}",
                    f"{p['process_wall_s']['median']:.2f}",
                ]
            )
        out.append(
            _table(
                ["", "import s", "first call s", "2nd call ms", "process s"],
                rows,
            )
        )
        out.append(
            f"  cold / warm first call: {_spread(comp['cold_over_warm_first_call'], '.0f')} x"
        )
        for w in comp["warnings"]:
            out.append(f"  WARNING: {w}")

    tp = record["throughput"]
    first = next(iter(tp.values()))
    out += [
        "",
        f"Single-core throughput: engine.block.run_block in the main thread, "
        f"{first['n_paths']} paths, {s['repeats']} repeats, each in {first['slices']} slices "
        "run engine, its floor[, general kernel, scalar floor], engine, ...",
    ]
    rows = []
    for name, c in tp.items():
        rows.append(
            [
                name,
                c["kernel"],
                f"{c['n_steps']} x {c['step_hours']:g}h",
                c["draw_plan"]["label"],
                _spread(c["model_path_steps_per_s"], ".2f", 1e-6),
                _spread(c["floor_path_steps_per_s"], ".1f", 1e-6),
                _spread(c["model_over_floor"], ".2f"),
                _spread(c["model_over_floor_cpu"], ".2f"),
                f"{c['model_cpu_over_wall']['median']:.0%}",
                f"{c['other_load_cores']['median']:.2f}",
            ]
        )
    out.append(
        _table(
            [
                "case",
                "kernel",
                "steps",
                "draws",
                "engine M path-steps/s",
                "its floor M/s",
                "engine/floor (wall)",
                "engine/floor (CPU)",
                "on-CPU",
                "other load",
            ],
            rows,
        )
    )
    lane_cases = {name: c for name, c in tp.items() if "speedup_over_general" in c}
    if lane_cases:
        out.append(
            "  the lane kernel's cases on the scalar (general) kernel and the scalar generator, "
            "same slices:"
        )
        out.append(
            _table(
                [
                    "case",
                    "general M path-steps/s",
                    "scalar floor M/s",
                    "general/scalar floor",
                    "engine speed-up (wall)",
                    "(CPU)",
                    "floor speed-up",
                    "engine/scalar floor",
                ],
                [
                    [
                        name,
                        _spread(c["general_path_steps_per_s"], ".2f", 1e-6),
                        _spread(c["scalar_floor_path_steps_per_s"], ".1f", 1e-6),
                        _spread(c["general_over_scalar_floor"], ".2f"),
                        _spread(c["speedup_over_general"], ".2f"),
                        _spread(c["speedup_over_general_cpu"], ".2f"),
                        _spread(c["floor_speedup_over_scalar_floor"], ".2f"),
                        _spread(c["model_over_scalar_floor"], ".2f"),
                    ]
                    for name, c in lane_cases.items()
                ],
            )
        )
    out.append("  what each floor draws (per path, in the engine's order, nothing else):")
    for name, c in tp.items():
        adl = f"; {c['adl_draws']} ADL draws over the timed paths" if c.get("adl_draws") else ""
        out.append(f"    {name:<13} {c['floor']}: {c['floor_draws']}{adl}")
    out.append(
        "  engine: the kernel engine.simulate picks (lanes: the SIMD lane kernel; general: the "
        "scalar path kernel, for every case the lane kernel\n  does not support); its floor: the "
        "same draws with the same generator code and nothing else (the lane floor for the lane "
        "kernel,\n  benchmarks.floor.model_floor for the general kernel). engine/floor: time of "
        "the engine over time of its floor, same paths and steps.\n"
        "  draws: normals N and uniforms U per step; +t: a Student-t factor per step; +path: "
        "draws per path besides (listed above).\n"
        "  speed-ups: general kernel time / engine time; scalar floor time / lane floor time. "
        "engine/scalar floor: the lane kernel's time over the scalar floor's.\n"
        "  on-CPU: the main thread's CPU time over wall time in the engine runs (< 100 %: it was "
        "descheduled).\n  other load: cores kept busy by everything else on the machine (other "
        "processes, hypervisor steal)."
    )

    npy = record.get("numpy")
    if npy:
        out += ["", *_numpy_report(npy)]

    par = record["parallel"]
    out += [
        "",
        f"Parallel: engine.simulate, threads scheduler, {par['n_paths']} paths in "
        f"{par['n_blocks']} blocks of {par['block_paths']}, {s['parallel_repeats']} repeats "
        "(pairs in the order 1, 2 then 2, 1, ...)",
    ]
    out.append(
        _table(
            ["", "time s", "M path-steps/s", "cores used", "other load"],
            [
                [
                    f"workers={w}",
                    _spread(par[f"workers_{w}_s"], ".3f"),
                    _spread(par[f"workers_{w}_path_steps_per_s"], ".2f", 1e-6),
                    _spread(par[f"workers_{w}_process_cores"], ".2f"),
                    _spread(par[f"workers_{w}_other_load_cores"], ".2f"),
                ]
                for w in (1, 2)
            ],
        )
    )
    out.append(
        f"  speedup t1/t2 {_spread(par['speedup'], '.2f')}, "
        f"efficiency t1/(2 t2) {_spread(par['efficiency'], '.2f')}"
    )
    mem = record.get("memory")
    if mem:
        out += [
            "",
            f"Peak memory (g): {mem['call']}",
            f"  {mem['paths']} paths x {mem['n_steps']} steps: peak RSS "
            f"{mem['peak_rss_gib']:.2f} GiB, wall {mem['wall_s']:.1f} s, store "
            f"{mem['store_bytes'] / 2**20:.0f} MiB ({mem['note']})",
        ]
    out += ["", f"Total {record['total_s']:.0f} s; JSON: {record['json_path']}"]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Command line


def _numpy_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """'16384,131072x240' -> ((16384, 0), (131072, 240)): paths x steps, 0 = the whole horizon."""
    sizes = []
    for item in text.split(","):
        paths, x, steps = item.strip().lower().partition("x")
        try:
            size = (int(paths), int(steps) if x else 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not PATHS or PATHSxSTEPS: {item!r}") from None
        if size[0] < 1 or (x and size[1] < 1):
            raise argparse.ArgumentTypeError(f"paths and steps must be at least 1: {item!r}")
        sizes.append(size)
    return tuple(sizes)


def _format_sizes(sizes: Any) -> str:
    return ",".join(f"{p}x{s}" if s else str(p) for p, s in sizes)


def parse_args(argv: Sequence[str]) -> tuple[Settings, Path]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="lphedge benchmarks: result checks, compile time, single-core throughput vs "
        "the random-number floor, the engine vs numpy (notebook and tuned), parallel efficiency. See "
        "benchmarks/README.md.",
    )
    parser.add_argument("--paths", type=int, help=f"paths per timed run (default {FULL['paths']})")
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"throughput repeats (default {FULL['repeats']})",
    )
    parser.add_argument(
        "--slices",
        type=int,
        help="model/floor slices per throughput repeat: finer interleaving against the VM's drift "
        f"(default {FULL['slices']})",
    )
    parser.add_argument(
        "--parallel-repeats",
        type=int,
        help="interleaved 1-worker/2-worker pairs (default 2 R - 1)",
    )
    parser.add_argument(
        "--compile-repeats",
        type=int,
        help=f"cold/warm compile probe pairs (default {FULL['compile_repeats']}, ~12 s each)",
    )
    parser.add_argument(
        "--check-paths",
        type=int,
        help=f"paths of the pre-timing check runs (default {FULL['check_paths']})",
    )
    parser.add_argument(
        "--block-paths",
        type=int,
        help=f"task size of the parallel run (default {FULL['parallel_block_paths']}, the engine's; "
        "with --quick or --paths: the parallel paths / 8)",
    )
    parser.add_argument(
        "--parallel-paths",
        type=int,
        help=f"paths of the parallel run (default {FULL['parallel_paths']}: 8 tasks of the engine's "
        "default size for the default scenario; with --quick or --paths: the timed paths)",
    )
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time probes")
    parser.add_argument(
        "--no-numpy",
        action="store_true",
        help="skip the engine vs numpy comparison (its statistics checks and its timing)",
    )
    parser.add_argument(
        "--numpy-sizes",
        type=_numpy_sizes,
        help="sizes of the engine vs numpy timing, comma-separated PATHSxSTEPS (the first STEPS "
        "hourly steps of the default scenario) or PATHS (its whole horizon) (default "
        f"{_format_sizes(FULL['numpy_sizes'])})",
    )
    parser.add_argument(
        "--numpy-repeats",
        type=int,
        help=f"repeats of the engine vs numpy timing (default {FULL['numpy_repeats']})",
    )
    parser.add_argument(
        "--numpy-check-paths",
        type=int,
        help=f"paths of each side of the numpy vs engine statistics check (default "
        f"{FULL['numpy_check_paths']})",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run (g)")
    parser.add_argument(
        "--memory-paths",
        type=int,
        help=f"paths of the peak-memory run (default {FULL['memory_paths']}; horizon 1 day)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        help=f"where to write the JSON record (default {DEFAULT_JSON.relative_to(REPO_ROOT)}, "
        f"or {QUICK_JSON.relative_to(REPO_ROOT)} with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small sizes ({QUICK['paths']} paths, {QUICK['repeats']} repeats, one compile pair): "
        "checks the machinery in ~20 s; the figures mean little",
    )
    args = parser.parse_args(list(argv))
    base = QUICK if args.quick else FULL
    paths = args.paths if args.paths is not None else base["paths"]
    repeats = args.repeats if args.repeats is not None else base["repeats"]
    # --quick or --paths size the parallel run like the timed ones (8 tasks of paths / 8)
    sized_by_paths = args.quick or args.paths is not None
    parallel_paths = (
        args.parallel_paths
        if args.parallel_paths is not None
        else (paths if sized_by_paths else base["parallel_paths"])
    )
    settings = Settings(
        paths=paths,
        repeats=repeats,
        slices=args.slices if args.slices is not None else base["slices"],
        parallel_repeats=(
            args.parallel_repeats if args.parallel_repeats is not None else max(1, 2 * repeats - 1)
        ),
        compile_repeats=(
            args.compile_repeats if args.compile_repeats is not None else base["compile_repeats"]
        ),
        check_paths=args.check_paths if args.check_paths is not None else base["check_paths"],
        parallel_paths=parallel_paths,
        block_paths=(
            args.block_paths
            if args.block_paths is not None
            else (max(1, parallel_paths // 8) if sized_by_paths else base["parallel_block_paths"])
        ),
        measure_compile=not args.no_compile,
        quick=args.quick,
        numpy=not args.no_numpy,
        numpy_sizes=args.numpy_sizes if args.numpy_sizes is not None else base["numpy_sizes"],
        numpy_repeats=(
            args.numpy_repeats if args.numpy_repeats is not None else base["numpy_repeats"]
        ),
        numpy_check_paths=(
            args.numpy_check_paths
            if args.numpy_check_paths is not None
            else base["numpy_check_paths"]
        ),
        memory=not args.no_memory,
        memory_paths=(args.memory_paths if args.memory_paths is not None else base["memory_paths"]),
    )
    for name in (
        "paths",
        "repeats",
        "slices",
        "parallel_repeats",
        "check_paths",
        "block_paths",
        "parallel_paths",
        "numpy_repeats",
    ):
        if getattr(settings, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if settings.numpy and settings.numpy_check_paths < 2:
        parser.error("--numpy-check-paths must be at least 2 (or use --no-numpy)")
    if settings.measure_compile and settings.compile_repeats < 1:
        parser.error("--compile-repeats must be at least 1 (or use --no-compile)")
    json_path = args.json if args.json is not None else (QUICK_JSON if args.quick else DEFAULT_JSON)
    return settings, json_path


def run(settings: Settings, argv: Sequence[str], json_path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *argv]),
        "python_executable": sys.executable,
        "settings": asdict(settings),
    }
    record["machine"] = describe()
    record["git"] = source_revision()
    # nothing is timed before the results are checked
    cases, record["skipped_cases"] = select_cases()
    done = run_checks(settings, cases)
    numpy_check = run_numpy_check(settings, done) if settings.numpy else None
    # compile probes: fresh interpreters; this process stays idle meanwhile
    record["compile"] = measure_compile(settings) if settings.measure_compile else None
    record["throughput"] = measure_throughput(settings, done, cases)
    record["numpy"] = measure_numpy(settings, numpy_check) if numpy_check is not None else None
    record["parallel"] = measure_parallel(settings, done)
    record["memory"] = measure_memory(settings) if settings.memory else None
    record["checks"] = [c.as_dict() for c in done]
    record["machine"]["load_average_at_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    record["total_s"] = time.perf_counter() - start
    record["json_path"] = str(json_path)
    return record


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings, json_path = parse_args(argv)
    try:
        record = run(settings, argv, json_path)
    except checks.CheckFailed as exc:
        print(f"ABORTED (no results written): {exc}", file=sys.stderr)
        return 2
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    print(format_report(record))
    return 0

"""Single-core throughput of the path kernel against its random-number floor, case by case, the
two timed slice by slice back to back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from benchmarks import checks
from benchmarks.floor import (
    describe_plan,
    draw_plan,
    floor_draws,
    run_floor,
    run_floor_lanes,
    run_model_floor,
)
from benchmarks.kernel_cases import Case
from benchmarks.progress import log
from benchmarks.settings import Settings
from benchmarks.timing import Sample, measure, summary
from engine.block import run_block
from engine.inputs import kernel_inputs


def adl_draw_counts(inputs: Any, seed: int, n_paths: int) -> np.ndarray | None:
    """Per path of 0 .. n_paths - 1, the ADL cascades (one venue side-stream uniform each), from
    a run of the engine on those paths; None when the scenario has no ADL."""
    if not (inputs.venue.active and inputs.venue.adl_probability > 0.0):
        return None
    return run_block(inputs, seed, 0, n_paths, 0).outputs["adl_cascades"].astype(np.int64)


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


def _time_case(
    case: Case,
    inputs: Any,
    runs: dict[str, Callable[[int, int], Any]],
    parts: list[tuple[int, int]],
    repeats: int,
) -> tuple[dict[str, list[Sample]], int]:
    """Per timed call, its Sample of each repeat (the sum over the slices), and the number of
    engine runs whose accounting identity was checked. Raises CheckFailed."""
    tokens = (inputs.pool.x0, inputs.pool.y0)
    # warm-up: compile or load the kernels, touch the code paths
    n_paths = sum(count for _, count in parts)
    for run in runs.values():
        run(0, min(n_paths, 16))
    samples: dict[str, list[Sample]] = {key: [] for key in runs}
    n_timed = 0
    for r in range(repeats):
        log(f"throughput: {case.name}, repeat {r + 1}/{repeats}")
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
    return samples, n_timed


def _case_entry(
    case: Case,
    scn: Any,
    inputs: Any,
    samples: dict[str, list[Sample]],
    adl: np.ndarray | None,
    n: int,
    n_slices: int,
) -> dict[str, Any]:
    """A case's record: the scenario, the floor's draws, each timed call's summaries and the
    ratios of the calls timed back to back."""
    runs = list(samples)
    repeats = len(samples["model"])
    path_steps = n * scn.n_steps
    wall = {key: [x.wall for x in samples[key]] for key in runs}
    cpu = {key: [x.thread_cpu for x in samples[key]] for key in runs}

    def ratio(values: dict[str, list[float]], a: str, b: str) -> dict[str, Any]:
        return summary([x / y for x, y in zip(values[a], values[b], strict=True)])

    plan = draw_plan(floor_draws(inputs), inputs.market.garch.dof)
    entry: dict[str, Any] = {
        "scenario": case.source or "default",
        "overrides": case.overrides or {},
        "description": case.description,
        "kernel": "lanes" if inputs.lanes else "general",
        "price_model": scn.market.price.model,
        "pool": scn.pool.type,
        "fee_model": scn.pool.fees.model,
        "rebalance_policy": scn.hedge.rebalance.policy,
        "step_hours": scn.step_hours,
        "n_steps": scn.n_steps,
        "n_paths": n,
        "slices": n_slices,
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
        **{f"{key}_path_steps_per_s": summary([path_steps / t for t in wall[key]]) for key in runs},
        "model_over_floor": ratio(wall, "model", "floor"),
        "model_over_floor_cpu": ratio(cpu, "model", "floor"),
        "model_cpu_over_wall": summary([m.thread_cpu / m.wall for m in samples["model"]]),
        "other_load_cores": summary(
            [
                sum(samples[key][i].other_load * samples[key][i].wall for key in runs)
                / sum(samples[key][i].wall for key in runs)
                for i in range(repeats)
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
    return entry


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
        # the ADL draws depend on the path's state: counted on an untimed run of the same paths
        adl = None if inputs.lanes else adl_draw_counts(inputs, scn.seed, n)
        runs = _timed_runs(inputs, scn.seed, scn.n_steps, merton, adl)
        samples, timed = _time_case(case, inputs, runs, parts, settings.repeats)
        n_timed += timed
        results[case.name] = _case_entry(case, scn, inputs, samples, adl, n, len(parts))
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

"""The engine against two vectorised numpy programs of the default model (as written in a notebook,
and tuned by hand): their statistics checked against the engine's, then the three timed back to
back at several sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import engine
from benchmarks import checks, numpy_model, numpy_notebook
from benchmarks.progress import log
from benchmarks.settings import Settings
from benchmarks.timing import Sample, measure, summary
from engine.block import run_block
from engine.inputs import kernel_inputs

NUMPY_CASE = "default"
# the two numpy programs: all paths at once as arrays, a Python loop over the steps
NUMPY_PROGRAMS: dict[str, dict[str, Any]] = {
    "notebook": {
        "simulate": numpy_notebook.simulate,
        "implementation": "benchmarks/numpy_notebook.py:simulate",
        "label": "numpy, as in a notebook",
        "description": "the model as a quant writes it in a notebook: natural array expressions "
        "(log-price step, exp, sqrt for the LP value, uniform + exp bridge test, masks for the "
        "paths due), temporaries allowed; the program the engine's 6x target refers to",
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
        "target": "target: the engine at least 6x faster than a plain vectorised numpy "
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

"""Parallel efficiency of the in-memory engine: 1 and 2 thread workers, interleaved, their outputs
bit-identical.
"""

from __future__ import annotations

import math
from typing import Any

import engine
from benchmarks import checks
from benchmarks.progress import log
from benchmarks.settings import DEFAULT_SCENARIO_BLOCK_PATHS, Settings
from benchmarks.timing import Sample, measure, summary


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

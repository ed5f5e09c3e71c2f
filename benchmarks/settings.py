"""The benchmark's settings: the sizes and repeats of a run (full and --quick defaults) and where
its JSON record goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engine
from engine.results.plan import default_block_paths

SCHEMA = "lphedge-benchmarks/1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_JSON = RESULTS_DIR / "latest.json"
QUICK_JSON = RESULTS_DIR / "quick.json"


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
    memory: bool = True  # peak memory of a run
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
    # (engine.results.plan.default_block_paths: 12,288 paths), what a run with default settings gives
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

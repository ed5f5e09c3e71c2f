"""Compile-time probe, run in a fresh interpreter: `python -m benchmarks.probe`.

Times, in this order: importing the engine (numba, numpy, xarray, dask and the engine modules), then
the first call of the path kernel on a tiny block of the default scenario (compilation, or loading
from numba's on-disk cache, plus a negligible run), then a second identical call (the run alone).
Prints one JSON object on stdout. Whether the kernel compiled or came from the cache depends on the
environment it is started with (NUMBA_CACHE_DIR); the numba dispatcher's cache statistics are
reported so the caller can tell which happened.
"""

from __future__ import annotations

import json
import sys
import time

PROBE_PATHS = 2


def main() -> int:
    t0 = time.perf_counter()
    import engine
    from engine.block import run_block
    from engine.inputs import kernel_inputs
    from engine.kernels.lanes import simulate_block_lanes

    t_import = time.perf_counter()
    scenario = engine.load_scenario()
    inputs = kernel_inputs(scenario)
    t_setup = time.perf_counter()
    run_block(inputs, scenario.seed, 0, PROBE_PATHS, 0)
    t_first = time.perf_counter()
    run_block(inputs, scenario.seed, 0, PROBE_PATHS, 0)
    t_second = time.perf_counter()

    stats = simulate_block_lanes.stats  # the default scenario runs on the lane kernel
    report = {
        "import_s": t_import - t0,
        "setup_s": t_setup - t_import,
        "first_call_s": t_first - t_setup,
        "second_call_s": t_second - t_first,
        "probe_paths": PROBE_PATHS,
        "n_steps": scenario.n_steps,
        "cache_hits": int(sum(stats.cache_hits.values())),
        "cache_misses": int(sum(stats.cache_misses.values())),
        "cache_path": str(stats.cache_path),
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Cost of the venue options (tiered margin, options strip, venue hazards and cover) in
path-steps per second, against the same scenario without them.

    python -m benchmarks.features                 # 4096 paths x 2160 steps, 5 repeats
    python -m benchmarks.features --paths 1024 --repeats 3 --json /tmp/features.json

Each repeat times, for every case, the baseline (the default scenario) and then the case on the
same paths, both on the general kernel (the lane kernel runs the baseline alone: timing it would
mix the kernels' speed-up into the feature's cost), back to back in one process (single thread, `run_block`), after a warm-up that compiles
or loads the kernel. Rates drift on a shared VM (see benchmarks/README.md: read ratios, not rates),
so the figure to read is each case's time over its paired baseline's: the median and the
[min, max] over the repeats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import engine
from engine.block import run_block
from engine.inputs import kernel_inputs

TIERS = [  # illustrative brackets shaped like a venue's published table
    {"notional_cap": 50_000.0, "maintenance_rate": 0.004},
    {"notional_cap": 250_000.0, "maintenance_rate": 0.005, "maintenance_amount": 50.0},
    {"notional_cap": 1_000_000.0, "maintenance_rate": 0.01, "maintenance_amount": 1_300.0},
]
COVER = {"premium_rate": 0.03, "payout_fraction": 0.9, "approval_probability": 0.8}

CASES: dict[str, dict[str, Any]] = {
    "baseline (default)": {},
    "tiered margin (3 brackets)": {"hedge.tiers": TIERS},
    "put strip (30 d, rolled)": {"hedge.options.kind": "put"},
    "strangle strip (30 d, rolled)": {"hedge.options.kind": "strangle"},
    "venue hazards (pool + perp)": {
        "venue.pool.hazard_per_year": 0.5,
        "venue.perp.hazard_per_year": 0.5,
    },
    "venue hazards + cover": {
        "venue.pool.hazard_per_year": 0.5,
        "venue.perp.hazard_per_year": 0.5,
        "venue.pool.cover": COVER,
        "venue.perp.cover": COVER,
    },
    "all of the above (strangle)": {
        "hedge.tiers": TIERS,
        "hedge.options.kind": "strangle",
        "venue.pool.hazard_per_year": 0.5,
        "venue.perp.hazard_per_year": 0.5,
        "venue.pool.cover": COVER,
        "venue.perp.cover": COVER,
    },
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    inputs = {}
    for name, overrides in CASES.items():
        scn = engine.load_scenario(overrides=overrides)
        inputs[name] = (scn, kernel_inputs(scn))
        run_block(inputs[name][1], scn.seed, 0, 16, 0, kernel="general")  # compile or load
    n_steps = next(iter(inputs.values()))[0].n_steps
    path_steps = args.paths * n_steps
    base_scn, base_inputs = inputs["baseline (default)"]

    def timed(scn: Any, kin: Any) -> float:
        t0 = time.thread_time()
        run_block(kin, scn.seed, 0, args.paths, 0, kernel="general")
        return time.thread_time() - t0

    times: dict[str, list[float]] = {name: [] for name in CASES}
    base_times: dict[str, list[float]] = {name: [] for name in CASES}
    for r in range(args.repeats):
        print(f"repeat {r + 1}/{args.repeats}", file=sys.stderr)
        for name, (scn, kin) in inputs.items():
            # each case right after its own baseline run: the pair sees the machine alike
            base_times[name].append(timed(base_scn, base_inputs))
            times[name].append(timed(scn, kin))
    rows = []
    for name, ts in times.items():
        ratios = [t / b for t, b in zip(ts, base_times[name], strict=True)]
        rows.append(
            {
                "case": name,
                "path_steps_per_s": path_steps / statistics.median(ts),
                "time_ratio_median": statistics.median(ratios),
                "time_ratio_min": min(ratios),
                "time_ratio_max": max(ratios),
            }
        )
    print(f"{args.paths} paths x {n_steps} steps, {args.repeats} repeats, CPU time of one thread")
    print(f"{'case':32s} {'Mpath-steps/s':>14s} {'time / baseline':>16s} {'[min, max]':>16s}")
    for row in rows:
        print(
            f"{row['case']:32s} {row['path_steps_per_s'] / 1e6:14.2f} "
            f"{row['time_ratio_median']:16.3f} "
            f"[{row['time_ratio_min']:.3f}, {row['time_ratio_max']:.3f}]"
        )
    if args.json is not None:
        record = {"paths": args.paths, "n_steps": n_steps, "repeats": args.repeats, "rows": rows}
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

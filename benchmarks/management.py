"""The cost of each pool <-> perp option in path-steps per second, single core.

Each option is timed against its own base scenario, both on the general kernel (the lane kernel
runs the bases alone: timing them there would mix its speed-up into the option's cost), the two
runs back to back and interleaved over the repeats, so that the ratio (option rate / base rate) survives the drift of a shared machine.
Before timing, each option's run is checked: the P&L attribution adds up per path (1e-9 K) and the
option's moves happen.

    python -m benchmarks.management [--paths 4096] [--repeats 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import engine
from engine.block import run_block
from engine.inputs import kernel_inputs
from engine.risk import ATTRIBUTION
from engine.scenario import Scenario, load_scenario

TOPUPS = {"margin.topup_below": 0.1, "margin.topup_to": 0.2}


class Option(NamedTuple):
    name: str
    base: tuple[str | None, dict[str, Any]]  # (shipped scenario or None, overrides)
    option: tuple[str | None, dict[str, Any]]
    moves: str  # an output that must be positive somewhere: the option did something


OPTIONS = (
    Option("top-ups (0.1 -> 0.2)", (None, {}), (None, TOPUPS), "n_topups"),
    Option(
        "top-ups + sweeps (> 0.5)",
        (None, {}),
        (None, {**TOPUPS, "margin.sweep_above": 0.5}),
        "n_sweeps",
    ),
    Option(
        "re-hedge after liquidation (10x, 24 h)",
        (None, {"hedge.leverage": 10.0}),
        (None, {"hedge.leverage": 10.0, "hedge.after_liquidation": "rehedge"}),
        "n_rehedges",
    ),
    Option(
        "gas (LP 15, perp 1)",
        (None, {}),
        (None, {"gas.lp_operation": 15.0, "gas.perp_transaction": 1.0}),
        "gas",
    ),
    Option(
        "v3 re-ranging (12 h out)",
        ("v3-range", {}),
        ("v3-range", {"pool.rerange.trigger": "out_for_hours", "pool.rerange.out_for_hours": 12}),
        "n_reranges",
    ),
    Option(
        "managed-v3 (all of them) vs v3-range at 5x",
        ("v3-range", {"hedge.leverage": 5.0}),
        ("managed-v3", {}),
        "n_topups",
    ),
)


def scenario(spec: tuple[str | None, dict[str, Any]]) -> Scenario:
    return load_scenario(spec[0], overrides={**spec[1], "output.sample_paths": 0})


def check(scn: Scenario, moves: str, paths: int) -> None:
    ds = engine.simulate(scn, paths=paths, seed=1)
    parts = sum(p.sign * ds[p.variable].values for p in ATTRIBUTION)
    residual = float(np.max(np.abs(parts - ds["pnl"].values)))
    if residual > 1e-9 * scn.capital:
        raise SystemExit(f"check failed: {scn.name}: attribution residual {residual:.3g}")
    if not np.any(ds[moves].values > 0):
        raise SystemExit(f"check failed: {scn.name}: no {moves} on {paths} paths")


def rate(scn: Scenario, paths: int) -> float:
    """Path-steps per second of one single-threaded block of `paths` paths."""
    inputs = kernel_inputs(scn)
    start = time.perf_counter()
    run_block(inputs, scn.seed, 0, paths, 0, kernel="general")
    return paths * scn.n_steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--check-paths", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    for opt in OPTIONS:
        base, option = scenario(opt.base), scenario(opt.option)
        check(option, opt.moves, args.check_paths)
        rate(base, 64), rate(option, 64)  # compile / load outside the timing
        base_rates, option_rates, ratios = [], [], []
        for _ in range(args.repeats):
            b = rate(base, args.paths)
            o = rate(option, args.paths)
            base_rates.append(b)
            option_rates.append(o)
            ratios.append(o / b)
        base_rate = statistics.median(base_rates)
        option_rate = statistics.median(option_rates)
        row = {
            "option": opt.name,
            "base_path_steps_per_s": base_rate,
            "option_path_steps_per_s": option_rate,
            "ratio_median": statistics.median(ratios),
            "ratio_range": [min(ratios), max(ratios)],
        }
        rows.append(row)
        print(
            f"{opt.name:44s} base {base_rate / 1e6:6.2f} M/s  "
            f"option {option_rate / 1e6:6.2f} M/s  "
            f"ratio {row['ratio_median']:.3f} [{min(ratios):.3f}, {max(ratios):.3f}]",
            flush=True,
        )
    if args.json is not None:
        record = {"paths": args.paths, "repeats": args.repeats, "rows": rows}
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The command line of `python -m benchmarks`: its options and the run's entry point."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import checks
from benchmarks.machine import REPO_ROOT
from benchmarks.report import format_report
from benchmarks.settings import DEFAULT_JSON, FULL, QUICK, QUICK_JSON, Settings
from benchmarks.suite import run


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


def _parser() -> argparse.ArgumentParser:
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
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
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
    return parser


def parse_args(argv: Sequence[str]) -> tuple[Settings, Path]:
    """The settings of a run and the path of its JSON record, from the command line's arguments
    (argparse's exit on bad ones)."""
    parser = _parser()
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, write its JSON record, print the report; 2 when a check fails."""
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

"""Stress testing: the shipped library of historical episodes run against one position.

A stress scenario (`scenarios/stress/*.yaml`) describes a market: `market` (price and funding
models), `shocks`, `horizon_days`, `step_hours`, `name` and `description`. A position is any
scenario file: its `capital`, `pool`, `hedge`, `market.spot`, `paths`, `seed` and `output` are
kept. `stress_scenario` merges the two: the position's scenario with the episode's market (at the
position's spot: shocks and models are relative moves), shocks, horizon and step. Every episode is
validated before anything runs, so bad input writes nothing.

`run_stress` writes, in the output folder: one run directory per episode (`<episode>/results.zarr`
and `summary.json`, through `engine.simulation.streamed.run_to_store`), then the comparison:
`stress.json` and `stress.csv` (one row per episode: liquidation probability with its Wilson 95 %
interval, VaR and ES at 99 % with their intervals, mean P&L with its s.e., max drawdown median and
99 % quantile; money in quote units, fractions of the capital K) and `report.html` (the report
layer's side-by-side comparison of the runs).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.files import write_text_atomic
from engine.results.store import check_output
from engine.scenario import (
    Scenario,
    load_scenario,
    read_scenario_file,
    shipped_scenarios,
    shipped_scenarios_dir,
)
from engine.simulation.cluster import dask_client
from engine.simulation.streamed import run_to_store

STRESS_FOLDER = "stress"
STRESS_JSON = "stress.json"
STRESS_CSV = "stress.csv"
STRESS_REPORT = "report.html"
STRESS_KEYS = ("name", "description", "horizon_days", "step_hours", "market", "shocks")
"""The keys a stress scenario supplies; every other key comes from the position."""
LEVEL = "0.99"


def stress_library() -> dict[str, Path]:
    """The shipped stress scenarios: episode name (file stem) to file, in file-name order."""
    prefix = STRESS_FOLDER + "/"
    return {
        name[len(prefix) :]: path
        for name, path in shipped_scenarios().items()
        if name.startswith(prefix)
    }


def stress_scenario(position: Scenario, episode: Mapping[str, Any], label: str) -> Scenario:
    """The position (pool, hedge, capital, spot, paths, seed, output) in the episode's market.

    `episode` is the stress file's mapping; a key outside `STRESS_KEYS` is an `InputError` (it
    would be silently ignored otherwise). Raises `InputError` naming the episode when the merged
    scenario is invalid (e.g. the position's rebalancing clock is not a multiple of the step)."""
    extra = sorted(set(episode) - set(STRESS_KEYS))
    if extra:
        raise InputError(
            f"stress scenario {label}",
            extra[0],
            f"a stress scenario sets only {', '.join(STRESS_KEYS)}; the position supplies the rest",
        )
    data = position.to_dict()
    data.pop("shocks", None)
    for key in STRESS_KEYS:
        if key in episode:
            data[key] = episode[key]
    market = dict(episode.get("market") or {})
    market["spot"] = position.market.spot
    data["market"] = market
    try:
        return load_scenario(data)
    except InputError as exc:
        raise InputError(
            f"stress scenario {label}",
            exc.value,
            exc.reason,
            message=f"stress scenario {label} with this position: {exc}",
        ) from None


@dataclass(frozen=True)
class StressPlan:
    position: Scenario
    episodes: dict[str, Scenario]  # episode name -> merged scenario, in library order


def plan_stress(
    position: str | Path | None = None,
    *,
    paths: int | None = None,
    seed: int | None = None,
    library: Mapping[str, Path] | None = None,
) -> StressPlan:
    """Load the position (a file, a shipped name, or None for the built-in default) and merge
    every episode of the library with it. All validation happens here."""
    overrides = {k: v for k, v in (("paths", paths), ("seed", seed)) if v is not None}
    pos = load_scenario(position, overrides=overrides or None)
    if pos.sweep:
        raise InputError(
            "--position", str(position), "has a sweep: block; stress one position at a time"
        )
    lib = dict(stress_library() if library is None else library)
    if not lib:
        raise InputError(
            "stress library", str(shipped_scenarios_dir() / STRESS_FOLDER), "holds no scenarios"
        )
    episodes = {
        name: stress_scenario(pos, read_scenario_file(path), name) for name, path in lib.items()
    }
    return StressPlan(pos, episodes)


def stress_row(name: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    """One episode's row of the comparison table, from its run summary."""
    tail = summary["risk"]["tail"][LEVEL]
    capital = float(summary["capital"])
    low, high = summary["liquidation_probability_ci"]
    dd = summary["max_drawdown_quantiles"]
    return {
        "episode": name,
        "scenario": summary["scenario"],
        "horizon_days": summary["horizon_days"],
        "paths": summary["paths"],
        "capital": capital,
        "liquidation_probability": summary["liquidation_probability"],
        "liquidation_probability_ci_low": low,
        "liquidation_probability_ci_high": high,
        "var99": tail["var"],
        "var99_ci_low": tail["var_ci"][0],
        "var99_ci_high": tail["var_ci"][1],
        "es99": tail["es"],
        "es99_ci_low": tail["es_ci"][0],
        "es99_ci_high": tail["es_ci"][1],
        "es99_fraction": tail["es"] / capital,
        "pnl_mean": summary["pnl_mean"],
        "pnl_mean_stderr": summary["pnl_mean_stderr"],
        "max_drawdown_median": dd["0.5"],
        "max_drawdown_99": dd["0.99"],
    }


def check_stress_output(out: Path, overwrite: bool) -> None:
    """Refuse a folder that already holds a stress comparison (unless `overwrite`), a path that
    is not a folder, or one that cannot be written; creates nothing."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "exists and is not a directory")
    if not overwrite and out.is_dir() and any(out.iterdir()):
        raise InputError(
            "--out", str(out), "is not empty; choose another folder or pass --overwrite"
        )
    check_output(out, overwrite=True)


def run_stress(
    plan: StressPlan,
    out: str | Path,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    quiet: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every episode of the plan into out/<episode>/, then write stress.json, stress.csv and
    report.html. Returns the stress.json content."""
    say = log or (lambda message: None)
    out_dir = Path(os.path.abspath(out))
    check_stress_output(out_dir, overwrite)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STRESS_JSON).unlink(missing_ok=True)  # a stale comparison never outlives a rerun
    rows = []
    with dask_client(None, None, workers, False) as client:
        for i, (name, scn) in enumerate(plan.episodes.items(), 1):
            say(f"[{i}/{len(plan.episodes)}] {name}: {scn.paths:,} paths x {scn.n_steps:,} steps")
            done = run_to_store(
                scn, out_dir / name, client=client, overwrite=True, quiet=quiet, log=None
            )
            rows.append(stress_row(name, done.summary))
    from engine.report import report_runs  # deferred: the report imports matplotlib

    report = report_runs([out_dir / name for name in plan.episodes], out_dir / STRESS_REPORT)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out_dir / STRESS_CSV, buffer.getvalue())
    result = {
        "position": {
            "name": plan.position.name,
            "capital": plan.position.capital,
            "spot": plan.position.market.spot,
            "paths": plan.position.paths,
            "seed": plan.position.seed,
        },
        "level": float(LEVEL),
        "money": "quote units; fractions are of the capital K",
        "report": report.name,
        "episodes": rows,
    }
    write_text_atomic(out_dir / STRESS_JSON, json.dumps(result, indent=2, allow_nan=False) + "\n")
    return result

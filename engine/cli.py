"""The `lphedge` command line: parse, call the engine, report. No model logic lives here.

Exit codes: 0 success; 2 bad input (an `InputError`: one `error: ...` line on stderr, nothing
written) or a usage error; 1 an internal error (set LPHEDGE_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich import box
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from engine.calibrate import Calibration, calibrated_scenario
from engine.calibrate import calibrate as run_calibration
from engine.errors import InputError
from engine.risk.run_summary import summary as summarise
from engine.runner import make_plan, run_to_store, stderr_log
from engine.scenario import (
    Scenario,
    load_scenario,
    parse_grid,
    parse_override,
    read_scenario_file,
    shipped_scenarios,
)
from engine.simulate import DEFAULT_BLOCK_PATHS
from engine.store import check_output
from engine.version import __version__

REPORT_NAME = "report.html"

DEBUG_ENV = "LPHEDGE_DEBUG"

app = typer.Typer(
    name="lphedge",
    help="Monte Carlo risk engine for AMM liquidity providers hedged with a short perpetual.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _err(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn an `InputError` into `error: ...` and exit 2; any other exception into an internal
    error and exit 1 (re-raised with its traceback when LPHEDGE_DEBUG is set)."""
    try:
        yield
    except (click.exceptions.Exit, typer.Exit, click.ClickException, click.Abort):
        raise
    except InputError as exc:
        _err("error: " + " ".join(str(exc).split()))
        raise typer.Exit(2) from None
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        _err(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}")
        _err(
            f"hint: this is a bug in lphedge, not in your input; run again with {DEBUG_ENV}=1 "
            "for the traceback and report it"
        )
        raise typer.Exit(1) from None


def _load(
    scenario: str | None, sets: list[str] | None, grids: list[str] | None = None, **fields: Any
) -> Scenario:
    """The scenario with the --set overrides, then the dedicated options (--paths, --seed), then
    the --grid sweeps (each replacing the scenario's sweep of the same key)."""
    overrides = dict(parse_override(item) for item in sets or [])
    overrides.update({k: v for k, v in fields.items() if v is not None})
    if grids:
        base = load_scenario(scenario, overrides=overrides)
        sweep = dict(base.sweep)
        for item in grids:
            key, values = parse_grid(item)
            sweep[key] = values
        return load_scenario({**base.to_dict(), "sweep": sweep})
    return load_scenario(scenario, overrides=overrides)


def default_out_dir(name: str) -> Path:
    """runs/<scenario name>, with anything but letters, digits, '.', '_' and '-' replaced."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".") or "run"
    return Path("runs") / safe


# --------------------------------------------------------------------------------------------
# Formatting the summary


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100.0 * x:.2f} %"


def _num(x: float) -> str:
    return f"{x:g}"


def _ci(bounds: list[float | None]) -> str:
    low, high = bounds
    return f"{_money(low) if low is not None else '-inf'} to {_money(high) if high is not None else '(beyond the sample)'}"


def summary_rows(s: dict[str, Any], out: Path | None = None) -> list[tuple[str, str]]:
    """The run report as (label, value) rows; money in quote units."""
    capital = s["capital"]
    rows = [
        ("scenario", s["scenario"]),
        ("paths", f"{s['paths']:,} (seed {s['seed']})"),
        ("horizon", f"{_num(s['horizon_days'])} days, steps of {_num(s['step_hours'])} h"),
        ("capital", _money(capital)),
        (
            "mean P&L",
            f"{_money(s['pnl_mean'])} ± {_money(s['pnl_mean_stderr'])} "
            f"({_pct(s['pnl_mean'] / capital)})",
        ),
    ]
    tails = s.get("risk", {}).get("tail", {})
    for key in dict.fromkeys([*s["var"], *tails]):
        level = f"{100.0 * float(key):g} %"
        t = tails.get(key)
        var = s["var"].get(key, t["var"] if t else None)
        es = s["es"].get(key, t["es"] if t else None)
        var_ci = es_ci = ""
        if t:
            var_ci = f", 95 % CI {_ci(t['var_ci'])}"
            es_ci = f", 95 % CI {_ci(t['es_ci'])}; {t['tail_paths']:,} tail paths"
        rows.append((f"VaR {level}", f"{_money(var)} ({_pct(var / capital)}{var_ci})"))
        rows.append((f"ES {level}", f"{_money(es)} ({_pct(es / capital)}{es_ci})"))
    low, high = s["liquidation_probability_ci"]
    rows.append(
        (
            "liquidation probability",
            f"{_pct(s['liquidation_probability'])} "
            f"(95 % CI {_pct(low)} to {_pct(high)}, {s['liquidations']:,} paths)",
        )
    )
    dd = s["max_drawdown_quantiles"]
    rows.append(
        (
            "max drawdown",
            " / ".join(_pct(dd[k]) for k in dd)
            + " ("
            + " / ".join("median" if k == "0.5" else f"{100.0 * float(k):g} %" for k in dd)
            + ")",
        )
    )
    rows += [
        ("mean fees", f"{_money(s['fees_mean'])} (steps of {_num(s['step_hours'])} h)"),
        ("mean funding", _money(s["funding_mean"])),
        ("mean IL (LP vs HODL)", _money(s["il_mean"])),
        ("mean trading costs", _money(s["trading_costs_mean"])),
    ]
    he = s.get("hedge_effectiveness")
    rows.append(("hedge effectiveness", "n/a" if he is None else f"{he:.3f}"))
    risk = s.get("risk", {})
    for o in risk.get("overlays", {}).values():
        t = o["tail"].get("0.99")
        tail = (
            ""
            if t is None
            else (f"; ES 99 % {_money(t['es_without'])} without, {_money(t['es_with'])} with")
        )
        rows.append(
            (
                o["label"],
                f"paid {_money(o['paid'])}, received {_money(o['received'])}, net "
                f"{_money(o['net']['mean'])} ± {_money(o['net']['stderr'])}{tail}",
            )
        )
    means = risk.get("means", {})
    for name, label in (
        ("gas", "mean gas"),
        ("swap_costs", "mean swap costs"),
        ("topped_up", "mean pool -> margin"),
        ("swept", "mean margin -> pool"),
        ("pool_exploit_loss", "mean pool-exploit loss"),
        ("perp_venue_loss", "mean perp-venue failure loss"),
    ):
        if means.get(name, {}).get("mean"):
            rows.append((label, _money(means[name]["mean"])))
    for name, label in (
        ("n_topups", "mean top-ups per path"),
        ("n_reranges", "mean re-ranges per path"),
        ("n_rehedges", "mean re-hedges per path"),
    ):
        if means.get(name, {}).get("mean"):
            rows.append((label, f"{means[name]['mean']:.3f}"))
    if means.get("adl_events", {}).get("mean"):
        rows.append(("mean ADL closes of the short", f"{means['adl_events']['mean']:.4f}"))
    for key, p in risk.get("loss_exceedance", {}).items():
        if float(key) > 0:
            rows.append((f"P(loss > {_pct(float(key))} of K)", _pct(p["p"])))
    for key, p in risk.get("drawdown", {}).get("exceedance", {}).items():
        rows.append((f"P(max drawdown > {_pct(float(key))})", _pct(p["p"])))
    for warning in risk.get("warnings", []):
        rows.append(("warning", warning))
    if out is not None:
        rows.append(("output", str(out)))
    return rows


def print_summary(s: dict[str, Any], out: Path | None = None) -> None:
    """Print the report: a rich table on a terminal, plain aligned lines otherwise."""
    rows = summary_rows(s, out)
    console = Console(highlight=False)
    if not console.is_terminal:
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            typer.echo(f"{label:<{width}}  {value}")
        return
    table = Table(box=box.SIMPLE, show_header=False, title="lphedge results (money in quote units)")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(rich_escape(label), rich_escape(value))  # user text is not markup
    console.print(table)


def sweep_rows(s: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The sweep report: one row per point (money in quote units)."""
    points = s["points"]
    first = next(iter(points.values()))
    levels = list(first["var"])
    headers = [
        *s["sweep"],
        "mean P&L",
        *(f"VaR {100 * float(k):g} %" for k in levels),
        *(f"ES {100 * float(k):g} %" for k in levels),
        "P(liquidation)",
        "hedge eff.",
    ]
    rows = []
    for entry in points.values():
        he = entry.get("hedge_effectiveness")
        rows.append(
            [
                *(str(v) for v in entry["coords"].values()),
                _money(entry["pnl_mean"]),
                *(_money(entry["var"][k]) for k in levels),
                *(_money(entry["es"][k]) for k in levels),
                _pct(entry["liquidation_probability"]),
                "n/a" if he is None else f"{he:.3f}",
            ]
        )
    return headers, rows


def print_sweep(s: dict[str, Any], out: Path | None = None) -> None:
    headers, rows = sweep_rows(s)
    console = Console(highlight=False)
    if not console.is_terminal:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        typer.echo("  ".join(f"{h:>{w}}" for h, w in zip(headers, widths, strict=True)))
        for row in rows:
            typer.echo("  ".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)))
    else:
        table = Table(box=box.SIMPLE, title="lphedge sweep (money in quote units)")
        for h in headers:
            table.add_column(h, justify="right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    if out is not None:
        typer.echo(f"output  {out}")


# --------------------------------------------------------------------------------------------
# Commands


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lphedge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Monte Carlo risk engine for AMM liquidity providers hedged with a short perpetual."""


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a scenario key, dotted (e.g. hedge.leverage=5). Repeatable.",
    ),
]


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO", help="Scenario YAML file or shipped scenario name; default: built-in."
    ),
]
PathsOption = Annotated[int | None, typer.Option("--paths", help="Number of Monte Carlo paths.")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Run directory; default: runs/<scenario name>.")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Local workers (threads); default: every core."),
]
ProcessesOption = Annotated[
    bool,
    typer.Option("--processes", help="Local workers are processes instead of threads."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on an existing dask.distributed cluster (e.g. tcp://host:8786); the run "
        "directory must be on a file system every worker can write.",
    ),
]
BlockOption = Annotated[
    int | None,
    typer.Option(
        "--block-paths",
        min=1,
        help=f"Paths per task (default: a multiple of {DEFAULT_BLOCK_PATHS} giving each task about "
        "3e7 path-steps, with at least 8 tasks in the run); changes no result.",
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume", help="Continue an interrupted run in --out: only its missing tasks run."
    ),
]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace the results already in --out.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ReportOption = Annotated[
    bool, typer.Option("--report", help=f"Also write the HTML risk report, DIR/{REPORT_NAME}.")
]


def _execute(
    scn: Scenario,
    out: Path | None,
    *,
    workers: int | None,
    processes: bool,
    scheduler: str | None,
    block_paths: int | None,
    resume: bool,
    overwrite: bool,
    quiet: bool,
    report: bool = False,
) -> None:
    if resume and overwrite:
        raise InputError("--resume", True, "cannot be combined with --overwrite")
    if scheduler and (workers or processes):
        raise InputError(
            "--scheduler", scheduler, "sets the workers itself: drop --workers/--processes"
        )
    plan = make_plan(scn, block_paths)
    out_dir = out if out is not None else default_out_dir(scn.name)
    check_output(out_dir, overwrite or resume)
    if not quiet:
        sweep = f"{len(plan.points):,} sweep points x " if plan.sweep_dims else ""
        _err(
            f"simulating {sweep}{scn.paths:,} paths x {plan.n_steps:,} steps "
            f"({_num(plan.points[0][1].horizon_days)} days of {_num(scn.step_hours)} h) ..."
        )
    try:
        done = run_to_store(
            scn,
            out_dir,
            block_paths=block_paths,
            workers=workers,
            processes=processes,
            scheduler=scheduler,
            resume=resume,
            overwrite=overwrite,
            quiet=quiet,
            log=None if quiet else stderr_log,
        )
    except KeyboardInterrupt:
        _err(f"interrupted: the finished tasks are in {out_dir}; add --resume to finish the run")
        raise typer.Exit(130) from None
    if not quiet:
        _err(
            f"done in {done.elapsed_s:.1f} s ({done.tasks_run} of {done.tasks_total} tasks "
            f"run, {done.path_steps_per_s / 1e6:,.1f} M path-steps/s)"
        )
        if plan.sweep_dims:
            print_sweep(done.summary, out_dir)
        else:
            print_summary(done.summary, out_dir)
    if report:
        from engine.report import report_runs  # matplotlib: only when asked for

        page = report_runs([out_dir], out_dir / REPORT_NAME)
        if not quiet:
            _err(f"report: {page}")


@app.command()
def run(
    scenario: ScenarioArg = None,
    paths: PathsOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    sets: SetOption = None,
    workers: WorkersOption = None,
    processes: ProcessesOption = False,
    scheduler: SchedulerOption = None,
    block_paths: BlockOption = None,
    resume: ResumeOption = False,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
    report: ReportOption = False,
) -> None:
    """Simulate a scenario; write DIR/results.zarr and DIR/summary.json and print a summary.

    A scenario with a `sweep:` block runs every point of the sweep (as `lphedge sweep`)."""
    with _reported_errors():
        scn = _load(scenario, sets, paths=paths, seed=seed)
        _execute(
            scn,
            out,
            workers=workers,
            processes=processes,
            scheduler=scheduler,
            block_paths=block_paths,
            resume=resume,
            overwrite=overwrite,
            quiet=quiet,
            report=report,
        )


@app.command()
def sweep(
    scenario: ScenarioArg = None,
    grids: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            metavar="KEY=V1,V2,...",
            help="Sweep a dotted key over values (e.g. hedge.leverage=2,3,5). Repeatable: the "
            "run covers the Cartesian product, with the scenario's own sweep: block.",
        ),
    ] = None,
    paths: PathsOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    sets: SetOption = None,
    workers: WorkersOption = None,
    processes: ProcessesOption = False,
    scheduler: SchedulerOption = None,
    block_paths: BlockOption = None,
    resume: ResumeOption = False,
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
    report: ReportOption = False,
) -> None:
    """Run a parameter sweep: one dimension per swept key in DIR/results.zarr, one summary
    per point in DIR/summary.json. Every point uses the same seed (common random numbers)."""
    with _reported_errors():
        scn = _load(scenario, sets, grids, paths=paths, seed=seed)
        if not scn.sweep:
            raise InputError(
                "--grid", None, "nothing to sweep: give --grid KEY=V1,V2,... or a sweep: block"
            )
        _execute(
            scn,
            out,
            workers=workers,
            processes=processes,
            scheduler=scheduler,
            block_paths=block_paths,
            resume=resume,
            overwrite=overwrite,
            quiet=quiet,
            report=report,
        )


@app.command("report")
def report_command(
    results: Annotated[
        list[str],
        typer.Argument(
            metavar="RESULTS_DIR...",
            help="Run directories (or their results.zarr); several: a side-by-side comparison.",
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help=f"HTML file; default: RESULTS_DIR/{REPORT_NAME} for one run, compare.html "
            "for several.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Write the HTML risk report of stored runs (no re-simulation) and print their summaries."""
    with _reported_errors():
        from engine.report import build_report, default_report_path, load_run, write_report

        runs = [(r, load_run(r)) for r in results]
        target = output if output is not None else default_report_path(results)
        page = write_report(build_report(runs), target)
        if not quiet:
            for label, ds in runs:
                s = summarise(ds)
                if "sweep" in s:
                    print_sweep(s, Path(label))
                else:
                    print_summary(s, Path(label))
            _err(f"report: {page}")


def _written_description(path: Path) -> str | None:
    """The `description` written in a scenario file, unvalidated (None if unreadable)."""
    try:
        value = read_scenario_file(path).get("description")
    except InputError:
        return None
    return value if isinstance(value, str) else None


@app.command()
def scenarios() -> None:
    """List the shipped scenarios with their descriptions."""
    with _reported_errors():
        shipped = shipped_scenarios()
        width = max((len(name) for name in shipped), default=0)
        for name, path in shipped.items():
            try:
                description = load_scenario(path).description
            except InputError as exc:
                # e.g. a data-driven scenario whose ${LPHEDGE_DATA} is not set here
                written = _written_description(path)
                description = f"{written} [{exc}]" if written else f"(invalid: {exc})"
            typer.echo(f"{name:<{width}}  {description}")


@app.command()
def validate(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="Scenario YAML file or shipped scenario name.")
    ],
    sets: SetOption = None,
) -> None:
    """Validate a scenario without running it."""
    with _reported_errors():
        scn = _load(file, sets)
        typer.echo(
            f"ok: {scn.name} ({scn.n_steps} steps of {_num(scn.step_hours)} h, {scn.paths} paths)"
        )


def stress_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The stress comparison as a table (money in quote units)."""
    headers = [
        "episode",
        "days",
        "P(liquidation) [95 % CI]",
        "VaR 99 %",
        "ES 99 % [95 % CI]",
        "mean P&L",
        "MDD median / 99 %",
    ]
    body = []
    for r in rows:
        es_lo, es_hi = r["es99_ci_low"], r["es99_ci_high"]
        body.append(
            [
                r["episode"],
                _num(r["horizon_days"]),
                f"{_pct(r['liquidation_probability'])} [{_pct(r['liquidation_probability_ci_low'])}"
                f" - {_pct(r['liquidation_probability_ci_high'])}]",
                _money(r["var99"]),
                f"{_money(r['es99'])} [{_money(es_lo)} - {_money(es_hi)}]",
                f"{_money(r['pnl_mean'])} ± {_money(r['pnl_mean_stderr'])}",
                f"{_pct(r['max_drawdown_median'])} / {_pct(r['max_drawdown_99'])}",
            ]
        )
    return headers, body


@app.command()
def stress(
    position: Annotated[
        str | None,
        typer.Option(
            "--position",
            metavar="SCENARIO",
            help="Scenario file (or shipped name) supplying the pool, hedge, capital and spot; "
            "default: the built-in default position.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder; default: runs/stress-<position name>."),
    ] = None,
    paths: PathsOption = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the results already in --out.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Run the stress library (scenarios/stress: historical episodes) against a position.

    Writes one run per episode (DIR/<episode>/results.zarr), the comparison table DIR/stress.json
    and DIR/stress.csv, and the HTML comparison DIR/report.html."""
    with _reported_errors():
        from engine.stress import STRESS_JSON, check_stress_output, plan_stress, run_stress

        plan = plan_stress(position, paths=paths, seed=seed)
        out_dir = out if out is not None else default_out_dir(f"stress-{plan.position.name}")
        check_stress_output(Path(os.path.abspath(out_dir)), overwrite)
        if not quiet:
            _err(
                f"stress: {len(plan.episodes)} episodes x {plan.position.paths:,} paths "
                f"(position {plan.position.name}, capital {_money(plan.position.capital)})"
            )
        result = run_stress(
            plan,
            out_dir,
            workers=workers,
            overwrite=overwrite,
            quiet=quiet,
            log=None if quiet else stderr_log,
        )
        if not quiet:
            headers, body = stress_table(result["episodes"])
            widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
            typer.echo("  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True)))
            for row in body:
                typer.echo("  ".join(f"{v:<{w}}" for v, w in zip(row, widths, strict=True)))
            typer.echo(f"output  {Path(out_dir) / STRESS_JSON}")


def calibration_rows(cal: Calibration) -> list[tuple[str, str, str]]:
    """The fitted values as (parameter, value, s.e.) rows."""

    def fmt(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{x:.6g}"

    p, fit = cal.prices, cal.price
    rows = [
        ("prices", f"{p.path.name}: {p.describe_range()}, every {_num(p.interval_hours)} h", ""),
        (
            "returns",
            f"{fit.n:,} ({p.gaps} gaps dropped, {p.missing_intervals} intervals missing)",
            "",
        ),
        ("spot (last close)", fmt(cal.spot), ""),
        ("price model", fit.model, ""),
    ]
    rows += [(f"price.{k}", fmt(e.value), fmt(e.se)) for k, e in fit.params.items()]
    if fit.model == "merton":
        pp = {k: e.value for k, e in fit.params.items()}
        total = pp["vol"] ** 2 + pp["jump_intensity"] * (pp["jump_mean"] ** 2 + pp["jump_vol"] ** 2)
        rows.append(("total vol (derived)", fmt(math.sqrt(total)), ""))
    rows += [("note", n, "") for n in fit.notes]
    rows += [
        (f"fit vs data: {label}", value + (f"  | data: {data}" if data else ""), "")
        for label, value, data in fit.comparison
    ]
    if cal.funding is not None and cal.funding_fit is not None and cal.funding_stats is not None:
        f, ff, st = cal.funding, cal.funding_fit, cal.funding_stats
        rows += [
            (
                "funding",
                f"{f.path.name}: {f.describe_range()}, every {_num(f.interval_hours)} h",
                "",
            ),
            ("AR(1) pairs", f"{ff.n:,} ({f.gaps} gaps dropped)", ""),
            ("funding lag-1 autocorr", fmt(ff.b.value), fmt(ff.b.se)),
        ]
        rows += [(f"funding.{k}", fmt(e.value), fmt(e.se)) for k, e in ff.params.items()]
        rows += [
            ("funding data mean / sd", f"{fmt(st['mean'])} / {fmt(st['sd'])}", ""),
            ("funding data min / max", f"{fmt(st['min'])} / {fmt(st['max'])}", ""),
            (
                "share < 0 / = 0.01 %",
                f"{_pct(st['share_negative'])} / {_pct(st['share_at_baseline'])}",
                "",
            ),
        ]
    return rows


def write_text_atomic(path: Path, text: str, overwrite: bool) -> None:
    """Write `text` to `path` through a temporary file in the same folder and one rename."""
    if path.exists() and not overwrite:
        raise InputError("--out", str(path), "already exists; pass --overwrite to replace it")
    if path.exists() and not path.is_file():
        raise InputError("--out", str(path), "is not a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("--out", str(path), f"folder {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command()
def calibrate(
    prices: Annotated[
        Path, typer.Argument(metavar="PRICES.csv", help="Price CSV: columns timestamp, close.")
    ],
    funding: Annotated[
        Path | None,
        typer.Option(
            "--funding", metavar="FUNDING.csv", help="Funding CSV: timestamp, funding_rate."
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option("--model", help="Price model to fit: gbm, merton, garch or regime."),
    ] = "gbm",
    regime_hours: Annotated[
        float | None,
        typer.Option(
            "--regime-hours",
            help="--model regime: the interval of the returns it is fitted to (default 24 h).",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First date used (inclusive), e.g. 2020-01-01.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="End date (exclusive), e.g. 2025-01-01.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the scenario YAML here; default: print it to stdout."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing --out file.")
    ] = False,
) -> None:
    """Fit the price model (and OU funding) to historical data; write a ready-to-run scenario.

    The table of fitted values and standard errors goes to stdout with --out, to stderr otherwise
    (stdout then carries the YAML alone).
    """
    with _reported_errors():
        if out is not None and out.exists() and not overwrite:
            raise InputError("--out", str(out), "already exists; pass --overwrite to replace it")
        cal = run_calibration(prices, funding, model, start, end, regime_hours)
        text, _ = calibrated_scenario(cal)  # validated by load_scenario
        rows = calibration_rows(cal)
        width = max(len(r[0]) for r in rows)
        lines = [
            f"{label:<{width}}  {value}" + (f"  (s.e. {se})" if se else "")
            for label, value, se in rows
        ]
        if out is None:
            for line in lines:
                _err(line)
            typer.echo(text, nl=False)
        else:
            write_text_atomic(out, text, overwrite)
            for line in lines:
                typer.echo(line)
            typer.echo(f"wrote {out}")


def main() -> None:
    """Console-script entry point (`lphedge`)."""
    app(prog_name="lphedge")


if __name__ == "__main__":
    main()

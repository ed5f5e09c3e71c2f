"""The `lphedge` command line: parse, call the engine, report. No model logic lives here.

Exit codes: 0 success; 2 bad input (an `InputError`: one `error: ...` line on stderr, nothing
written) or a usage error; 1 an internal error (set LPHEDGE_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from engine.calibrate import calibrate as run_calibration
from engine.calibrate import calibrated_scenario
from engine.cli.options import (
    REPORT_NAME,
    BlockOption,
    OutOption,
    OverwriteOption,
    PathsOption,
    ProcessesOption,
    QuietOption,
    ReportOption,
    ResumeOption,
    ScenarioArg,
    SchedulerOption,
    SeedOption,
    SetOption,
    WorkersOption,
)
from engine.cli.terminal import calibration_lines, print_stress, print_summary, print_sweep
from engine.errors import InputError
from engine.files import write_text_atomic
from engine.formatting import money, num
from engine.results.plan import make_plan
from engine.results.store import check_output
from engine.risk.run_summary import summary as summarise
from engine.scenario import (
    Scenario,
    load_scenario,
    parse_grid,
    parse_override,
    read_scenario_file,
    shipped_scenarios,
)
from engine.simulation.progress import stderr_log
from engine.simulation.streamed import run_to_store
from engine.stress import STRESS_JSON, check_stress_output, plan_stress, run_stress
from engine.version import __version__

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
            f"({num(plan.points[0][1].horizon_days)} days of {num(scn.step_hours)} h) ..."
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
        from engine.report import report_runs  # deferred: the report imports matplotlib

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
        # deferred: the report imports matplotlib
        from engine.report import build_report, default_report_path, load_run, write_report

        runs = [(r, load_run(r)) for r in results]
        summaries = [summarise(ds) for _, ds in runs]  # once: the report reads its metrics
        target = output if output is not None else default_report_path(results)
        page = write_report(build_report(runs, summaries=summaries), target)
        if not quiet:
            for (label, _), s in zip(runs, summaries, strict=True):
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
            f"ok: {scn.name} ({scn.n_steps} steps of {num(scn.step_hours)} h, {scn.paths} paths)"
        )


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
        plan = plan_stress(position, paths=paths, seed=seed)
        out_dir = out if out is not None else default_out_dir(f"stress-{plan.position.name}")
        check_stress_output(Path(os.path.abspath(out_dir)), overwrite)
        if not quiet:
            _err(
                f"stress: {len(plan.episodes)} episodes x {plan.position.paths:,} paths "
                f"(position {plan.position.name}, capital {money(plan.position.capital)})"
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
            print_stress(result["episodes"], Path(out_dir) / STRESS_JSON)


def _check_out_file(path: Path, overwrite: bool) -> None:
    """Refuse an --out file that exists (unless `overwrite`), is not a file, or whose folder does
    not exist; writes nothing."""
    if path.exists() and not overwrite:
        raise InputError("--out", str(path), "already exists; pass --overwrite to replace it")
    if path.exists() and not path.is_file():
        raise InputError("--out", str(path), "is not a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("--out", str(path), f"folder {parent} does not exist")


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
        lines = calibration_lines(cal)
        if out is None:
            for line in lines:
                _err(line)
            typer.echo(text, nl=False)
        else:
            _check_out_file(out, overwrite)
            write_text_atomic(out, text)
            for line in lines:
                typer.echo(line)
            typer.echo(f"wrote {out}")


def main() -> None:
    """Console-script entry point (`lphedge`)."""
    app(prog_name="lphedge")

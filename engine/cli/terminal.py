"""What the command line prints: run and sweep summaries, the stress table, the calibration.

Plain aligned lines when stdout is not a terminal (what the README quotes), a rich table on a
terminal. Numbers go through `engine.formatting`; money in quote units.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from engine.calibrate import Calibration
from engine.formatting import level, money, money_interval, num, pct, pct_interval, ratio
from engine.scenario.instruments.registry import instrument_summary


def summary_rows(s: dict[str, Any], out: Path | None = None) -> list[tuple[str, str]]:
    """The run report as (label, value) rows; money in quote units."""
    capital = s["capital"]
    rows = [
        ("scenario", s["scenario"]),
        ("paths", f"{s['paths']:,} (seed {s['seed']})"),
        ("horizon", f"{num(s['horizon_days'])} days, steps of {num(s['step_hours'])} h"),
        ("capital", money(capital)),
        (
            "mean P&L",
            f"{money(s['pnl_mean'])} ± {money(s['pnl_mean_stderr'])} "
            f"({pct(s['pnl_mean'] / capital)})",
        ),
    ]
    tails = s.get("risk", {}).get("tail", {})
    for key in dict.fromkeys([*s["var"], *tails]):
        at = level(key)
        t = tails.get(key)
        var = s["var"].get(key, t["var"] if t else None)
        es = s["es"].get(key, t["es"] if t else None)
        var_ci = es_ci = ""
        if t:
            var_ci = f", 95 % CI {money_interval(*t['var_ci'])}"
            es_ci = f", 95 % CI {money_interval(*t['es_ci'])}; {t['tail_paths']:,} tail paths"
        rows.append((f"VaR {at}", f"{money(var)} ({pct(var / capital)}{var_ci})"))
        rows.append((f"ES {at}", f"{money(es)} ({pct(es / capital)}{es_ci})"))
    rows.append(
        (
            "liquidation probability",
            f"{pct(s['liquidation_probability'])} "
            f"(95 % CI {pct_interval(*s['liquidation_probability_ci'])}, "
            f"{s['liquidations']:,} paths)",
        )
    )
    dd = s["max_drawdown_quantiles"]
    rows.append(
        (
            "max drawdown",
            " / ".join(pct(dd[k]) for k in dd)
            + " ("
            + " / ".join("median" if k == "0.5" else level(k) for k in dd)
            + ")",
        )
    )
    rows += [
        ("mean fees", f"{money(s['fees_mean'])} (steps of {num(s['step_hours'])} h)"),
        ("mean funding", money(s["funding_mean"])),
        ("mean IL (LP vs HODL)", money(s["il_mean"])),
        ("mean trading costs", money(s["trading_costs_mean"])),
    ]
    he = s.get("hedge_effectiveness")
    rows.append(("hedge effectiveness", ratio(he)))
    risk = s.get("risk", {})
    for o in risk.get("overlays", {}).values():
        t = o["tail"].get("0.99")
        tail = (
            ""
            if t is None
            else (f"; ES 99 % {money(t['es_without'])} without, {money(t['es_with'])} with")
        )
        rows.append(
            (
                o["label"],
                f"paid {money(o['paid'])}, received {money(o['received'])}, net "
                f"{money(o['net']['mean'])} ± {money(o['net']['stderr'])}{tail}",
            )
        )
    means = risk.get("means", {})
    for line in instrument_summary():
        mean = means.get(line.variable, {}).get("mean")
        if mean:
            rows.append(
                (line.label, money(mean) if line.decimals is None else f"{mean:.{line.decimals}f}")
            )
    for key, p in risk.get("loss_exceedance", {}).items():
        if float(key) > 0:
            rows.append((f"P(loss > {pct(float(key))} of K)", pct(p["p"])))
    for key, p in risk.get("drawdown", {}).get("exceedance", {}).items():
        rows.append((f"P(max drawdown > {pct(float(key))})", pct(p["p"])))
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
        *(f"VaR {level(k)}" for k in levels),
        *(f"ES {level(k)}" for k in levels),
        "P(liquidation)",
        "hedge eff.",
    ]
    rows = []
    for entry in points.values():
        he = entry.get("hedge_effectiveness")
        rows.append(
            [
                *(str(v) for v in entry["coords"].values()),
                money(entry["pnl_mean"]),
                *(money(entry["var"][k]) for k in levels),
                *(money(entry["es"][k]) for k in levels),
                pct(entry["liquidation_probability"]),
                ratio(he),
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
                num(r["horizon_days"]),
                f"{pct(r['liquidation_probability'])} [{pct(r['liquidation_probability_ci_low'])}"
                f" - {pct(r['liquidation_probability_ci_high'])}]",
                money(r["var99"]),
                f"{money(r['es99'])} [{money(es_lo)} - {money(es_hi)}]",
                f"{money(r['pnl_mean'])} ± {money(r['pnl_mean_stderr'])}",
                f"{pct(r['max_drawdown_median'])} / {pct(r['max_drawdown_99'])}",
            ]
        )
    return headers, body


def print_stress(rows: list[dict[str, Any]], out: Path) -> None:
    """Print the stress comparison as left-aligned columns, then the comparison file `out`."""
    headers, body = stress_table(rows)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    typer.echo("  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True)))
    for row in body:
        typer.echo("  ".join(f"{v:<{w}}" for v, w in zip(row, widths, strict=True)))
    typer.echo(f"output  {out}")


def calibration_rows(cal: Calibration) -> list[tuple[str, str, str]]:
    """The fitted values as (parameter, value, s.e.) rows."""

    def fmt(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{x:.6g}"

    p, fit = cal.prices, cal.price
    rows = [
        ("prices", f"{p.path.name}: {p.describe_range()}, every {num(p.interval_hours)} h", ""),
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
                f"{f.path.name}: {f.describe_range()}, every {num(f.interval_hours)} h",
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
                f"{pct(st['share_negative'])} / {pct(st['share_at_baseline'])}",
                "",
            ),
        ]
    return rows


def calibration_lines(cal: Calibration) -> list[str]:
    """The rows of `calibration_rows` as aligned lines: "parameter  value  (s.e. x)"."""
    rows = calibration_rows(cal)
    width = max(len(r[0]) for r in rows)
    return [
        f"{label:<{width}}  {value}" + (f"  (s.e. {se})" if se else "") for label, value, se in rows
    ]

"""HTML risk reports from stored runs: one self-contained file, figures embedded as PNG.

    html = build_report([("runs/default", ds)])        # one run, a sweep, or several to compare
    write_report(html, "runs/default/report.html")

`load_run` re-reads a stored run (no re-simulation) and refuses incomplete or foreign stores with an
`InputError`. Metrics come from `engine.risk`; figures from `engine.report.plots`. Every piece of
user text (scenario names, descriptions, run labels, scenario JSON, swept values) goes through
`html.escape`; the page loads nothing from outside (no scripts, no CDN, inline CSS only).

Layout: one run gives one "entity" (a run, or one point of a sweep). A sweep gives one per point
plus charts across the swept settings; several runs give one per run (or per point) side by side.
"""

from __future__ import annotations

import html
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from engine.errors import InputError
from engine.report import plots
from engine.results.store import read_results
from engine.risk import (
    DRAWDOWN_THRESHOLDS,
    LEVELS,
    LOSS_THRESHOLDS,
    MIN_TAIL_PATHS,
    capital_of,
    points,
    risk_metrics,
    sweep_dims,
)
from engine.version import __version__

REQUIRED = ("pnl", "liquidated", "liquidation_time", "max_drawdown")
MAX_DETAILED = 6
"""At most this many runs / sweep points get the full set of per-point sections."""


def esc(x: object) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape(str(x), quote=True)


# --------------------------------------------------------------------------------------------
# Loading


def _capital_text(ds: xr.Dataset) -> str:
    """K for the provenance table: one number, or the range over a sweep's points."""
    if "capital" in ds.variables:
        values = np.asarray(ds["capital"].values, dtype=float).ravel()
        if values.min() != values.max():
            return f"{money(float(values.min()))} to {money(float(values.max()))} (per point)"
        return money(float(values[0]))
    return money(float(ds.attrs["capital"]))


def load_run(path: str | Path) -> xr.Dataset:
    """Re-read a stored run for reporting; `InputError` for a missing, foreign, incomplete store
    or one without the per-path results a report needs."""
    ds = read_results(path)
    missing = [v for v in REQUIRED if v not in ds]
    if missing or ("capital" not in ds.attrs and "capital" not in ds.variables):
        what = ", ".join(missing) if missing else "the capital"
        raise InputError("results", str(path), f"lacks {what}: not an lphedge results store")
    if ds.sizes.get("path", 0) < 1:
        raise InputError("results", str(path), "holds no paths")
    return ds


@dataclass
class Entity:
    """One run or one sweep point: its data, metrics and where it came from."""

    run: int  # index of the run it belongs to
    run_label: str
    coords: dict[str, Any]
    ds: xr.Dataset
    metrics: dict[str, Any]

    @property
    def label(self) -> str:
        if not self.coords:
            return self.run_label
        point = ", ".join(f"{k}={v}" for k, v in self.coords.items())
        return f"{self.run_label} [{point}]" if self.run_label else point


def _entities(runs: Sequence[tuple[str, xr.Dataset]]) -> list[Entity]:
    out = []
    for i, (label, ds) in enumerate(runs):
        for coords, point in points(ds):
            out.append(Entity(i, label, coords, point, risk_metrics(point, LEVELS)))
    return out


# --------------------------------------------------------------------------------------------
# Number formatting (returns escaped HTML)


def money(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def pct(x: float | None, digits: int = 2) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{100.0 * x:.{digits}f} %"


def _g(x: object) -> str:
    """A stored number in its shortest form (90.0 -> 90); anything else escaped."""
    return f"{x:g}" if isinstance(x, int | float | np.number) else esc("?" if x is None else x)


def _level(key: str) -> str:
    return f"{100.0 * float(key):g} %"


def _ci(lo: float | None, hi: float | None, fmt: Any = money) -> str:
    lo_s = "−∞" if lo is None and fmt is money else fmt(lo)
    hi_s = "beyond the sample" if hi is None else fmt(hi)
    return f'<span class="ci">95 % CI {lo_s} to {hi_s}</span>'


def _prob(p: Mapping[str, Any]) -> str:
    return f"{pct(p['p'])} {_ci(p['ci'][0], p['ci'][1], pct)}"


# --------------------------------------------------------------------------------------------
# Tables


def headline_rows(ent: Entity) -> list[tuple[str, str]]:
    """(label, value HTML) rows of the headline table for one entity."""
    m = ent.metrics
    k = m["capital"]
    step = float(ent.ds.attrs.get("step_hours", float("nan")))
    rows = [
        (
            "mean P&L ± s.e.",
            f"{money(m['pnl']['mean'])} ± {money(m['pnl']['stderr'])} "
            f"<span class='ci'>({pct(m['pnl']['mean'] / k)} of K)</span>",
        ),
        ("P&L standard deviation", money(m["pnl"]["std"])),
    ]
    for key, t in m["tail"].items():
        warn = (
            f" <span class='warn'>⚠ only {t['tail_paths']} tail paths</span>"
            if t["tail_paths"] < MIN_TAIL_PATHS
            else ""
        )
        rows.append(
            (
                f"VaR {_level(key)}",
                f"<b>{money(t['var'])}</b> ({pct(t['var_fraction'])}) {_ci(*t['var_ci'])}",
            )
        )
        rows.append(
            (
                f"ES {_level(key)}",
                f"<b>{money(t['es'])}</b> ({pct(t['es_fraction'])}) {_ci(*t['es_ci'])}"
                f" <span class='ci'>{t['tail_paths']:,} tail paths</span>{warn}",
            )
        )
    for key, p in m["loss_exceedance"].items():
        label = "P(loss > 0)" if float(key) == 0 else f"P(loss > {pct(float(key), 0)} of K)"
        rows.append((label, _prob(p)))
    liq = m.get("liquidation")
    if liq:
        rows.append(
            (
                "liquidation probability",
                f"<b>{pct(liq['probability'])}</b> {_ci(liq['ci'][0], liq['ci'][1], pct)} "
                f"<span class='ci'>{liq['count']:,} of {m['paths']:,} paths</span>",
            )
        )
        given = liq.get("time_given_liquidated")
        if given:
            rows.append(
                (
                    "time to liquidation, if liquidated",
                    f"median {given['median']:.1f} days, mean {given['mean']:.1f} days",
                )
            )
    dd = m.get("drawdown")
    if dd:
        q = dd["quantiles"]
        rows.append(
            (
                "max drawdown: median / 95 % / 99 %",
                f"{pct(q['0.5'])} / {pct(q['0.95'])} / {pct(q['0.99'])}",
            )
        )
        for key, p in dd["exceedance"].items():
            rows.append((f"P(max drawdown > {pct(float(key), 0)})", _prob(p)))
    means = m["means"]
    for name, label in (
        ("fees", f"mean LP fees (steps of {step:g} h)"),
        ("funding", "mean funding received"),
        ("il", "mean impermanent loss"),
        ("trading_costs", "mean trading costs"),
    ):
        if name in means:
            rows.append((label, f"{money(means[name]['mean'])} ± {money(means[name]['stderr'])}"))
    hedge = m.get("hedge")
    if hedge:
        he = hedge["effectiveness"]
        rows.append(
            (
                "hedge effectiveness",
                ("n/a" if he is None else f"<b>{he:.3f}</b>")
                + " <span class='ci'>1 − Var(hedged) / Var(unhedged LP), same paths</span>",
            )
        )
        u = hedge["unhedged_pnl"]
        rows.append(
            (
                "unhedged LP: mean P&L / std / ES 99 %",
                f"{money(u['mean'])} / {money(u['std'])} / "
                f"{money(hedge['unhedged_es'].get('0.99'))}",
            )
        )
        rows.append(("P(hedged P&L > unhedged)", _prob(hedge["hedged_better"])))
    return rows


def _headline_table(ents: Sequence[Entity]) -> str:
    rows = [dict(headline_rows(e)) for e in ents]
    labels = list(dict.fromkeys(label for r in rows for label in r))
    head = "".join(f"<th>{esc(e.label)}</th>" for e in ents) if len(ents) > 1 else "<th></th>"
    body = []
    for label in labels:
        cells = "".join(f"<td>{r.get(label, 'n/a')}</td>" for r in rows)
        body.append(f"<tr><th>{esc(label)}</th>{cells}</tr>")
    return (
        f"<table class='headline'><thead><tr><th>metric</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _kv_table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='kv'>{body}</table>"


def _scenario_section(label: str, ds: xr.Dataset, anchor: str) -> str:
    a = ds.attrs
    try:
        scenario = json.loads(a.get("scenario", "{}"))
    except (TypeError, ValueError):
        scenario = {}
    try:
        versions = json.loads(a.get("versions", "{}"))
    except (TypeError, ValueError):
        versions = {}
    dims = sweep_dims(ds)
    rows = [
        ("results", esc(label)),
        ("scenario", f"<b>{esc(a.get('scenario_name', scenario.get('name', '?')))}</b>"),
        ("description", esc(scenario.get("description", ""))),
        ("seed", esc(a.get("seed", "?"))),
        ("paths", f"{int(ds.sizes['path']):,}"),
        (
            "horizon",
            f"{_g(a.get('horizon_days'))} days in {_g(a.get('n_steps'))} steps of "
            f"{_g(a.get('step_hours'))} h",
        ),
        ("capital K", _capital_text(ds)),
    ]
    if not dims and "lp_value0" in a:
        rows.append(
            (
                "split of K",
                f"LP {money(float(a['lp_value0']))}, perp collateral "
                f"{money(float(a.get('collateral0', 0.0)))}; spot P0 = "
                f"{money(float(a.get('spot0', float('nan'))))}",
            )
        )
    for d in dims:
        values = ", ".join(str(v) for v in np.asarray(ds[d].values).tolist())
        rows.append((f"swept: {d}", esc(values)))
    rows += [
        ("simulated on", esc(a.get("created", "?"))),
        ("versions", esc(", ".join(f"{k} {v}" for k, v in sorted(versions.items())))),
        ("random numbers", esc(a.get("rng", "?"))),
    ]
    scenario_json = json.dumps(scenario, indent=2, sort_keys=True)
    return (
        f"<section id='{anchor}'><h2>Scenario and provenance: {esc(label)}</h2>"
        f"{_kv_table(rows)}<details><summary>full resolved scenario</summary>"
        f"<pre>{esc(scenario_json)}</pre></details></section>"
    )


def _attribution_table(ents: Sequence[Entity]) -> str:
    parts = ents[0].metrics["attribution"]["parts"]
    step = float(ents[0].ds.attrs.get("step_hours", float("nan")))
    levels = list(ents[0].metrics["tail"])
    head = "<th>part</th><th>mean ± s.e.</th>" + "".join(
        f"<th>contribution to ES {_level(k)}</th>" for k in levels
    )
    rows = []
    for name, p in parts.items():
        label = p["label"] + (f" (steps of {step:g} h)" if name == "fees" else "")
        cells = "".join(f"<td>{money(p['es_contribution'][k])}</td>" for k in levels)
        rows.append(
            f"<tr><th>{esc(label)}</th><td>{money(p['mean'])} ± {money(p['stderr'])}</td>"
            f"{cells}</tr>"
        )
    m = ents[0].metrics
    total = "".join(f"<td><b>{money(m['tail'][k]['es'])}</b></td>" for k in levels)
    rows.append(
        f"<tr class='total'><th>total = P&amp;L (ES)</th><td><b>{money(m['pnl']['mean'])}</b> ± "
        f"{money(m['pnl']['stderr'])}</td>{total}</tr>"
    )
    return (
        f"<table class='attr'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _overlay_table(ents: Sequence[Entity]) -> str:
    """Per run and overlay (options hedge, venue cover): what it paid, received and cost on
    average, and the tail of the P&L with and without it on the same paths."""
    levels = [k for k in ("0.99", "0.95") if k in ents[0].metrics["tail"]]
    head = "<th>run</th><th>overlay</th><th>paid (mean)</th><th>received (mean)</th>"
    head += "<th>net P&amp;L ± s.e.</th>" + "".join(
        f"<th>ES {_level(k)} without → with</th><th>ES {_level(k)} saved</th>" for k in levels
    )
    rows = []
    for e in ents:
        for o in e.metrics.get("overlays", {}).values():
            tails = "".join(
                f"<td>{money(o['tail'][k]['es_without'])} → {money(o['tail'][k]['es_with'])}</td>"
                f"<td>{money(o['tail'][k]['es_saved'])}</td>"
                for k in levels
            )
            rows.append(
                f"<tr><th>{esc(e.label)}</th><td>{esc(o['label'])}</td><td>{money(o['paid'])}</td>"
                f"<td>{money(o['received'])}</td><td>{money(o['net']['mean'])} ± "
                f"{money(o['net']['stderr'])}</td>{tails}</tr>"
            )
    return (
        f"<table class='attr'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _img(png: str, alt: str) -> str:
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{png}'>"


# --------------------------------------------------------------------------------------------
# Sections


def _warnings(ents: Sequence[Entity]) -> str:
    """The warnings of every entity; one that several entities share is listed once, with them."""
    where: dict[str, list[str]] = {}
    for e in ents:
        for w in e.metrics["warnings"]:
            where.setdefault(w, []).append(e.label)
    if not where:
        return ""
    items = []
    for w, labels in where.items():
        if len(ents) == 1:
            who = ""
        elif len(labels) == len(ents):
            who = "all runs / points: "
        else:
            who = "; ".join(labels) + ": "
        items.append(f"<li>{esc(who)}{esc(w)}</li>")
    return f"<div class='warnbox'><b>Warnings</b><ul>{''.join(items)}</ul></div>"


def _key_findings(e: Entity) -> str:
    """A few plain sentences stating the headline numbers of one run."""
    m = e.metrics
    a = e.ds.attrs
    key = "0.99" if "0.99" in m["tail"] else next(iter(m["tail"]))
    t = m["tail"][key]
    level = _level(key)
    sentences = [
        f"Over {_g(a.get('horizon_days'))} days on capital K = {money(m['capital'])}, the mean "
        f"P&amp;L is {money(m['pnl']['mean'])} (± {money(m['pnl']['stderr'])}, one standard "
        f"error) and a loss occurs on {pct(m['loss_exceedance'].get('0', {}).get('p'), 1)} of "
        "the paths.",
        f"In the worst {pct(1 - float(key), 0)} of paths the loss is at "
        f"least {money(t['var'])} (VaR {level}, {pct(t['var_fraction'], 1)} of K) and "
        f"{money(t['es'])} on average (ES {level}, {pct(t['es_fraction'], 1)} of K).",
    ]
    liq = m.get("liquidation")
    if liq and liq["count"]:
        given = liq.get("time_given_liquidated") or {}
        sentences.append(
            f"The short hedge is liquidated on {pct(liq['probability'], 1)} of the paths "
            f"(95 % CI {pct(liq['ci'][0], 1)} to {pct(liq['ci'][1], 1)}), after a median of "
            f"{given.get('median', float('nan')):.0f} days when it is; the LP then runs unhedged."
        )
    elif liq:
        sentences.append(f"No path is liquidated (95 % upper bound {pct(liq['ci'][1], 2)}).")
    hedge = m.get("hedge")
    if hedge and hedge["effectiveness"] is not None and liq is not None:
        sentences.append(
            f"Against the unhedged LP on the same paths the hedge removes "
            f"{pct(hedge['effectiveness'], 0)} of the P&amp;L variance (ES {level}: "
            f"{money(hedge['unhedged_es'].get(key))} unhedged against {money(t['es'])} hedged)."
        )
    attr = m.get("attribution")
    if attr:
        ranked = sorted(
            attr["parts"].values(), key=lambda p: p["es_contribution"].get(key, 0.0), reverse=True
        )[:2]
        sentences.append(
            f"The largest contributors to ES {level} are "
            + " and ".join(
                f"{esc(p['label'])} ({money(p['es_contribution'].get(key))})" for p in ranked
            )
            + "."
        )
    for o in m.get("overlays", {}).values():
        t_o = o["tail"].get(key)
        if t_o is not None:
            sentences.append(
                f"The {esc(o['label'])} pays {money(o['paid'])} and receives "
                f"{money(o['received'])} on average (net {money(o['net']['mean'])}); without it "
                f"ES {level} would be {money(t_o['es_without'])} instead of {money(t_o['es_with'])}."
            )
    dd = m.get("drawdown")
    if dd:
        sentences.append(
            f"The portfolio's maximum drawdown exceeds 20 % on "
            f"{pct(dd['exceedance'].get('0.2', {}).get('p'), 1)} of paths."
        )
    return f"<div class='findings'><b>Key findings.</b> {' '.join(sentences)}</div>"


def _detail_sections(ents: Sequence[Entity], suffix: str = "") -> str:
    """Distribution, fan chart, survival, drawdown and attribution for one or more entities."""
    single = len(ents) == 1
    e0 = ents[0]
    horizon = float(e0.ds.attrs.get("horizon_days", 1.0))
    out = []
    dist_runs = [
        {"label": e.label, "pnl": e.ds["pnl"].values, "tail": e.metrics["tail"]} for e in ents
    ]
    unhedged = None
    if single and "unhedged_pnl" in e0.ds:
        u = e0.ds["unhedged_pnl"].values
        if not np.allclose(u, e0.ds["pnl"].values):
            unhedged = u
    t = e0.metrics["tail"]
    caption = (
        "Dashed lines: VaR; solid: ES, drawn at minus their value on the P&L axis. "
        if single
        else "Dotted: minus ES 99 % of each run. "
    )
    if single:
        caption += "VaR / ES: " + "; ".join(
            f"{_level(k)}: VaR {money(v['var'])}, ES {money(v['es'])}" for k, v in t.items()
        )
    out.append(
        f"<section><h2>P&amp;L distribution{esc(suffix)}</h2>"
        f"{_img(plots.pnl_distribution(dist_runs, unhedged), 'P&L distribution')}"
        f"<p class='caption'>{caption}</p></section>"
    )

    fans = []
    shown_prices: list[np.ndarray] = []
    for e in ents[:MAX_DETAILED]:
        if "sample_value" in e.ds and e.ds["sample_value"].sizes.get("sample", 0) > 0:
            price = e.ds["sample_price"].values if "sample_price" in e.ds else None
            if price is not None:
                # common random numbers: sweep points share their price paths; draw them once
                if any(np.array_equal(price, p, equal_nan=True) for p in shown_prices):
                    price = None
                else:
                    shown_prices.append(price)
            png = plots.fan_chart(
                np.asarray(e.ds["time"].values, dtype=np.float64),
                np.asarray(e.ds["sample_value"].values),
                capital_of(e.ds),
                price,
                float(e.ds.attrs.get("spot0", np.nan)),
            )
            title = "" if single else f"<h3>{esc(e.label)}</h3>"
            fans.append(f"{title}{_img(png, 'fan chart')}")
    if fans:
        out.append(
            f"<section><h2>Portfolio value over time{esc(suffix)}</h2>{''.join(fans)}"
            "<p class='caption'>Quantile bands of the portfolio value W = LP + fees + perp "
            "equity (and of the price) across the sampled paths, on the observation grid; thin "
            "lines are individual paths.</p></section>"
        )

    surv_runs = [
        {
            "label": e.label,
            "liquidation_time": e.ds["liquidation_time"].values,
            "survival": e.metrics["liquidation"].get("survival"),
        }
        for e in ents
    ]
    rows = []
    for e in ents:
        liq = e.metrics["liquidation"]
        tq = liq.get("time_quantiles", {})
        cells = "".join(
            f"<td>{'beyond horizon' if v is None else f'{v:.2f} d'}</td>" for v in tq.values()
        )
        rows.append(
            f"<tr><th>{esc(e.label) if not single else 'days'}</th>"
            f"<td>{pct(liq['probability'])}</td>{cells}</tr>"
        )
    tq_head = "".join(f"<th>{pct(float(k), 0)} liquidated by</th>" for k in tq)
    out.append(
        f"<section><h2>Liquidation: survival of the hedge{esc(suffix)}</h2>"
        f"{_img(plots.survival(surv_runs, horizon), 'survival curve')}"
        f"<table class='small'><thead><tr><th></th><th>P(liquidated in horizon)</th>{tq_head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='caption'>Probability that the short hedge has not been liquidated by day t "
        "(every path counts; exact step curve). The table gives the day by which a given "
        "fraction of all paths has been liquidated.</p></section>"
    )

    dd_runs = [{"label": e.label, "max_drawdown": e.ds["max_drawdown"].values} for e in ents]
    out.append(
        f"<section><h2>Maximum drawdown{esc(suffix)}</h2>"
        f"{_img(plots.drawdown(dd_runs, DRAWDOWN_THRESHOLDS), 'drawdown distribution')}"
        "<p class='caption'>Maximum drawdown of the portfolio value W over the horizon, as a "
        "fraction of its running peak (the peak starts at K).</p></section>"
    )

    if all("attribution" in e.metrics for e in ents):
        att_runs = [{"label": e.label, "parts": e.metrics["attribution"]["parts"]} for e in ents]
        tables = (
            _attribution_table(ents)
            if single
            else "".join(f"<h3>{esc(e.label)}</h3>{_attribution_table([e])}" for e in ents)
        )
        residual = max(e.metrics["attribution"]["max_residual"] for e in ents)
        out.append(
            f"<section><h2>P&amp;L attribution{esc(suffix)}</h2>"
            f"{_img(plots.attribution(att_runs), 'attribution')}{tables}"
            "<p class='caption'>The parts add up to the P&amp;L on every path (largest "
            f"difference {residual:.2g} quote units); LP price move = x0 (P_T − P0) (HODL), "
            "impermanent loss = V_LP − HODL value (with pool ↔ margin moves, re-ranges or a pool "
            "exploit: plus the quote moved to the margin net of sweeps, the swap costs and the "
            "exploit loss, which have their own parts). A part's contribution to ES is minus its mean "
            "over the paths at or beyond the VaR; the contributions add up to the ES.</p></section>"
        )
    if any(e.metrics.get("overlays") for e in ents):
        out.append(
            f"<section><h2>Options and venue cover: cost and tail{esc(suffix)}</h2>"
            f"{_overlay_table(ents)}<p class='caption'>Paid: premia; received: payoffs, claim "
            "payouts and the Black-76 mark of options alive at the horizon. The P&amp;L without an "
            "overlay is the P&amp;L minus its net on the same paths (nothing else on a path "
            "depends on it); ES saved = ES without − ES with (positive: the overlay reduces the "
            "tail loss).</p></section>"
        )
    return "".join(out)


def _sweep_section(label: str, ds: xr.Dataset, ents: Sequence[Entity]) -> str:
    dims = sweep_dims(ds)
    coords = [np.asarray(ds[d].values).tolist() for d in dims]

    def triple(e: Entity, key: str) -> tuple[Any, Any, Any]:
        m = e.metrics
        if key == "es":
            t = m["tail"]["0.99"]
            return t["es_fraction"], t["es_fraction_ci"][0], t["es_fraction_ci"][1]
        if key == "liq":
            liq = m["liquidation"]
            return liq["probability"], liq["ci"][0], liq["ci"][1]
        mean, se = m["pnl"]["mean"], m["pnl"]["stderr"] or 0.0
        return mean, mean - 1.96 * se, mean + 1.96 * se

    by = {tuple(e.coords[d] for d in dims): e for e in ents}
    if len(dims) == 2:
        grids = {
            key: np.array([[triple(by[(a, b)], key)[0] for b in coords[1]] for a in coords[0]])
            for key in ("es", "liq", "mean")
        }
        png = plots.sweep_heatmaps(dims, coords, grids)
        kind = "Heatmaps"
    else:
        import itertools

        rest = list(itertools.product(*coords[1:]))[:8]
        lines = []
        for combo in rest:
            line_label = ", ".join(f"{d}={v}" for d, v in zip(dims[1:], combo, strict=True))
            sel = [by[(x, *combo)] for x in coords[0]]
            lines.append(
                {
                    "label": line_label,
                    **{k: [triple(e, k) for e in sel] for k in ("es", "liq", "mean")},
                }
            )
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in coords[0])
        png = plots.sweep_lines(dims[0], coords[0], lines, categorical=not numeric)
        kind = "Lines (shaded: 95 % intervals)"
    head = "".join(f"<th>{esc(d)}</th>" for d in dims)
    rows = []
    for e in ents:
        m = e.metrics
        t = m["tail"]["0.99"]
        liq = m["liquidation"]
        he = m.get("hedge", {}).get("effectiveness")
        warn = " ⚠" if m["warnings"] else ""
        cells = "".join(f"<td>{esc(e.coords[d])}</td>" for d in dims)
        rows.append(
            f"<tr>{cells}<td>{money(m['pnl']['mean'])} ± {money(m['pnl']['stderr'])}</td>"
            f"<td>{money(t['var'])}</td><td>{money(t['es'])} ({pct(t['es_fraction'])})</td>"
            f"<td>{pct(liq['probability'])} {_ci(liq['ci'][0], liq['ci'][1], pct)}</td>"
            f"<td>{pct(m['drawdown']['quantiles']['0.95'])}</td>"
            f"<td>{'n/a' if he is None else f'{he:.3f}'}{warn}</td></tr>"
        )
    table = (
        f"<table class='small'><thead><tr>{head}<th>mean P&amp;L ± s.e.</th><th>VaR 99 %</th>"
        "<th>ES 99 % (of K)</th><th>P(liquidation)</th><th>MDD 95 %</th><th>hedge eff.</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        f"<section><h2>Across the swept settings: {esc(label)}</h2>"
        f"{_img(png, 'sweep charts')}<p class='caption'>{esc(kind)} of ES 99 % (fraction of "
        "K), liquidation probability and mean P&amp;L for every swept setting, on common random "
        f"numbers.</p>{table}</section>"
    )


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1280px;
color:#222;padding:0 16px}
h1{margin-bottom:4px}h2{border-bottom:2px solid #1f77b4;padding-bottom:3px;margin-top:34px}
.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:10px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#eef3f9}table.kv th,table.headline tbody th{background:#f7f7f7;white-space:nowrap}
tr.total{background:#f3f3f3}
.ci{color:#666;font-size:12px}.warn{color:#b00;font-size:12px;font-weight:bold}
.warnbox{border:1px solid #e0a000;background:#fff8e1;padding:8px 14px;margin:14px 0}
.findings{border-left:4px solid #1f77b4;background:#f2f7fc;padding:10px 14px;margin:14px 0;
line-height:1.5}
.caption{color:#444;font-size:13px;max-width:1100px}
img{max-width:100%;display:block;margin:8px 0}
pre{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}
nav a{margin-right:14px}
"""


def build_report(
    runs: Sequence[tuple[str, xr.Dataset]], *, generated: datetime | None = None
) -> str:
    """The HTML report of one run, one sweep, or several runs side by side (a comparison).

    `runs`: (label, results Dataset) pairs; the label (usually the run directory) is shown
    escaped. Returns the complete, self-contained HTML document.
    """
    if not runs:
        raise InputError("results", "[]", "nothing to report")
    ents = _entities(runs)
    when = (generated or datetime.now(UTC)).isoformat(timespec="seconds")
    names = [str(ds.attrs.get("scenario_name", "?")) for _, ds in runs]
    compare = len(runs) > 1
    if compare:
        title = "lphedge comparison: " + " vs ".join(names)
    else:
        title = f"lphedge risk report: {names[0]}"
        if sweep_dims(runs[0][1]):
            title += " (sweep over " + ", ".join(sweep_dims(runs[0][1])) + ")"
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p class='sub'>Report generated {esc(when)} by lphedge {esc(__version__)} from the "
        "stored results (no re-simulation). Money in quote units; K = capital; "
        "loss = −P&amp;L; 95 % confidence intervals from the Monte Carlo sample.</p>",
    ]
    for i, (label, ds) in enumerate(runs):
        body.append(_scenario_section(label, ds, f"scenario-{i}"))
    body.append(_warnings(ents))
    if len(ents) == 1:
        body.append(_key_findings(ents[0]))

    for i, (label, ds) in enumerate(runs):
        if sweep_dims(ds):
            body.append(_sweep_section(label, ds, [e for e in ents if e.run == i]))

    detailed = ents[:MAX_DETAILED]
    body.append("<section><h2>Headline</h2>")
    if len(detailed) < len(ents):
        body.append(
            f"<p class='caption'>Showing the first {MAX_DETAILED} of {len(ents)} runs / points; "
            "the table across the swept settings lists all of them.</p>"
        )
    body.append(_headline_table(detailed) + "</section>")

    body.append(_detail_sections(detailed))
    body.append(
        "<section><h2>Method</h2><p class='caption'>VaR<sub>a</sub>: the empirical a-quantile "
        "of the loss; its interval brackets it between order statistics chosen from the "
        "binomial distribution of the count below the quantile (distribution-free). "
        "ES<sub>a</sub>: the mean loss at or beyond VaR<sub>a</sub>; interval ± 1.96 standard "
        "errors (Manistre &amp; Hancock 2005). Probabilities: Wilson 95 % intervals. Means: "
        "± one Monte Carlo standard error, sd / √n. A tail estimate resting on fewer than "
        f"{MIN_TAIL_PATHS} paths is flagged. Loss thresholds: "
        + ", ".join(pct(x, 0) for x in LOSS_THRESHOLDS)
        + " of K.</p></section>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def default_report_path(results: Sequence[str | Path]) -> Path:
    """RUN_DIR/report.html for one run directory (beside a bare .zarr store); else compare.html."""
    if len(results) != 1:
        return Path("compare.html")
    p = Path(results[0])
    if p.suffix == ".zarr":
        p = p.parent
    return p / "report.html"


def write_report(text: str, out: str | Path) -> Path:
    """Write the report atomically (temporary file, then rename); `InputError` naming `--output`
    when the file cannot be written."""
    path = Path(os.path.abspath(out))
    if path.is_dir():
        raise InputError("--output", str(out), "is a directory")
    if not path.parent.is_dir():
        raise InputError("--output", str(out), f"{path.parent} is not a directory")
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError("--output", str(out), f"cannot be written ({exc.strerror})") from None
    return path


def report_runs(results: Sequence[str | Path], out: str | Path | None = None) -> Path:
    """Load each stored run, build the report and write it; returns the written path."""
    runs = [(str(r), load_run(r)) for r in results]
    target = default_report_path(results) if out is None else Path(out)
    return write_report(build_report(runs), target)

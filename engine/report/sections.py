"""The report's sections: scenario and provenance, warnings, key findings, the per-entity
figures (distribution, fan chart, survival, drawdown, attribution, overlays) and the charts across
a sweep. Each returns HTML; money in quote units."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from engine.formatting import level, money, pct
from engine.report import plots
from engine.report.markup import esc, img, kv_table, num_or_text
from engine.report.runs import Entity
from engine.report.tables import (
    attribution_table,
    liquidation_table,
    overlay_table,
    sweep_table,
)
from engine.risk.drawdown import DRAWDOWN_THRESHOLDS
from engine.risk.parts import OVERLAYS
from engine.risk.sweep import capital_of, sweep_dims

MAX_DETAILED = 6
"""At most this many runs / sweep points get the full set of per-point sections."""


def capital_text(ds: xr.Dataset) -> str:
    """K for the provenance table: one number, or the range over a sweep's points."""
    if "capital" in ds.variables:
        values = np.asarray(ds["capital"].values, dtype=float).ravel()
        if values.min() != values.max():
            return f"{money(float(values.min()))} to {money(float(values.max()))} (per point)"
        return money(float(values[0]))
    return money(float(ds.attrs["capital"]))


def scenario_section(label: str, ds: xr.Dataset, anchor: str) -> str:
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
            f"{num_or_text(a.get('horizon_days'))} days in {num_or_text(a.get('n_steps'))} steps of "
            f"{num_or_text(a.get('step_hours'))} h",
        ),
        ("capital K", capital_text(ds)),
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
        f"{kv_table(rows)}<details><summary>full resolved scenario</summary>"
        f"<pre>{esc(scenario_json)}</pre></details></section>"
    )


def warnings_box(ents: Sequence[Entity]) -> str:
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


def key_findings(e: Entity) -> str:
    """A few plain sentences stating the headline numbers of one run."""
    m = e.metrics
    a = e.ds.attrs
    key = "0.99" if "0.99" in m["tail"] else next(iter(m["tail"]))
    t = m["tail"][key]
    at = level(key)
    sentences = [
        f"Over {num_or_text(a.get('horizon_days'))} days on capital K = {money(m['capital'])}, the mean "
        f"P&amp;L is {money(m['pnl']['mean'])} (± {money(m['pnl']['stderr'])}, one standard "
        f"error) and a loss occurs on {pct(m['loss_exceedance'].get('0', {}).get('p'), 1)} of "
        "the paths.",
        f"In the worst {pct(1 - float(key), 0)} of paths the loss is at "
        f"least {money(t['var'])} (VaR {at}, {pct(t['var_fraction'], 1)} of K) and "
        f"{money(t['es'])} on average (ES {at}, {pct(t['es_fraction'], 1)} of K).",
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
            f"{pct(hedge['effectiveness'], 0)} of the P&amp;L variance (ES {at}: "
            f"{money(hedge['unhedged_es'].get(key))} unhedged against {money(t['es'])} hedged)."
        )
    attr = m.get("attribution")
    if attr:
        ranked = sorted(
            attr["parts"].values(), key=lambda p: p["es_contribution"].get(key, 0.0), reverse=True
        )[:2]
        sentences.append(
            f"The largest contributors to ES {at} are "
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
                f"ES {at} would be {money(t_o['es_without'])} instead of {money(t_o['es_with'])}."
            )
    dd = m.get("drawdown")
    if dd:
        sentences.append(
            f"The portfolio's maximum drawdown exceeds 20 % on "
            f"{pct(dd['exceedance'].get('0.2', {}).get('p'), 1)} of paths."
        )
    return f"<div class='findings'><b>Key findings.</b> {' '.join(sentences)}</div>"


def _distribution_section(ents: Sequence[Entity], suffix: str) -> str:
    """The P&L histogram of every entity with its VaR / ES (and the unhedged LP's for one)."""
    single = len(ents) == 1
    e0 = ents[0]
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
            f"{level(k)}: VaR {money(v['var'])}, ES {money(v['es'])}" for k, v in t.items()
        )
    return (
        f"<section><h2>P&amp;L distribution{esc(suffix)}</h2>"
        f"{img(plots.pnl_distribution(dist_runs, unhedged), 'P&L distribution')}"
        f"<p class='caption'>{caption}</p></section>"
    )


def _fan_section(ents: Sequence[Entity], suffix: str) -> str:
    """Quantile bands of the portfolio value (and the price) over time, per entity with samples."""
    single = len(ents) == 1
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
            fans.append(f"{title}{img(png, 'fan chart')}")
    if not fans:
        return ""
    return (
        f"<section><h2>Portfolio value over time{esc(suffix)}</h2>{''.join(fans)}"
        "<p class='caption'>Quantile bands of the portfolio value W = LP + fees + perp "
        "equity (and of the price) across the sampled paths, on the observation grid; thin "
        "lines are individual paths.</p></section>"
    )


def _survival_section(ents: Sequence[Entity], suffix: str) -> str:
    """The survival curve of the short hedge and the liquidation-time table."""
    horizon = float(ents[0].ds.attrs.get("horizon_days", 1.0))
    surv_runs = [
        {
            "label": e.label,
            "liquidation_time": e.ds["liquidation_time"].values,
            "survival": e.metrics["liquidation"].get("survival"),
        }
        for e in ents
    ]
    return (
        f"<section><h2>Liquidation: survival of the hedge{esc(suffix)}</h2>"
        f"{img(plots.survival(surv_runs, horizon), 'survival curve')}{liquidation_table(ents)}"
        "<p class='caption'>Probability that the short hedge has not been liquidated by day t "
        "(every path counts; exact step curve). The table gives the day by which a given "
        "fraction of all paths has been liquidated.</p></section>"
    )


def _drawdown_section(ents: Sequence[Entity], suffix: str) -> str:
    """The distribution of the maximum drawdown per entity."""
    dd_runs = [{"label": e.label, "max_drawdown": e.ds["max_drawdown"].values} for e in ents]
    return (
        f"<section><h2>Maximum drawdown{esc(suffix)}</h2>"
        f"{img(plots.drawdown(dd_runs, DRAWDOWN_THRESHOLDS), 'drawdown distribution')}"
        "<p class='caption'>Maximum drawdown of the portfolio value W over the horizon, as a "
        "fraction of its running peak (the peak starts at K).</p></section>"
    )


def _attribution_section(ents: Sequence[Entity], suffix: str) -> str:
    """The P&L attribution chart and table(s), when every entity has an attribution."""
    single = len(ents) == 1
    if not all("attribution" in e.metrics for e in ents):
        return ""
    att_runs = [{"label": e.label, "parts": e.metrics["attribution"]["parts"]} for e in ents]
    tables = (
        attribution_table(ents)
        if single
        else "".join(f"<h3>{esc(e.label)}</h3>{attribution_table([e])}" for e in ents)
    )
    residual = max(e.metrics["attribution"]["max_residual"] for e in ents)
    return (
        f"<section><h2>P&amp;L attribution{esc(suffix)}</h2>"
        f"{img(plots.attribution(att_runs), 'attribution')}{tables}"
        "<p class='caption'>The parts add up to the P&amp;L on every path (largest "
        f"difference {residual:.2g} quote units); LP price move = x0 (P_T − P0) (HODL), "
        "impermanent loss = V_LP − HODL value (with pool ↔ margin moves, re-ranges or a pool "
        "exploit: plus the quote moved to the margin net of sweeps, the swap costs and the "
        "exploit loss, which have their own parts). A part's contribution to ES is minus its mean "
        "over the paths at or beyond the VaR; the contributions add up to the ES.</p></section>"
    )


def _listed(items: Sequence[str]) -> str:
    """Items as prose: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _overlay_section(ents: Sequence[Entity], suffix: str) -> str:
    """Cost and tail effect of the registered overlays (options hedge, venue cover), when any
    entity has one; the title and the caption name what every registered overlay pays and
    receives (cash on the path first, then marks at the horizon)."""
    if not any(e.metrics.get("overlays") for e in ents):
        return ""
    overlays = list(OVERLAYS.values())
    title = _listed([o.heading for o in overlays])
    paid = _listed(list(dict.fromkeys(item for o in overlays for item in o.paid)))
    received = _listed(
        [item for o in overlays for item in o.received]
        + [item for o in overlays for item in o.marked]
    )
    return (
        f"<section><h2>{esc(title[:1].upper() + title[1:])}: cost and tail{esc(suffix)}</h2>"
        f"{overlay_table(ents)}<p class='caption'>Paid: {esc(paid)}; received: {esc(received)}. "
        "The P&amp;L without an overlay is the P&amp;L minus its net on the same paths (nothing "
        "else on a path depends on it); ES saved = ES without − ES with (positive: the overlay "
        "reduces the tail loss).</p></section>"
    )


def detail_sections(ents: Sequence[Entity], suffix: str = "") -> str:
    """Distribution, fan chart, survival, drawdown, attribution and overlays for one or more
    entities (sections that do not apply are left out)."""
    return "".join(
        section(ents, suffix)
        for section in (
            _distribution_section,
            _fan_section,
            _survival_section,
            _drawdown_section,
            _attribution_section,
            _overlay_section,
        )
    )


def _sweep_chart(
    dims: Sequence[str], coords: Sequence[list[Any]], ents: Sequence[Entity]
) -> tuple[str, str]:
    """(PNG, what it shows) of ES 99 %, liquidation probability and mean P&L across the sweep:
    heatmaps over two swept keys, else lines over the first key (one per combination of the
    others, at most 8)."""

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
    return png, kind


def sweep_section(label: str, ds: xr.Dataset, ents: Sequence[Entity]) -> str:
    """Charts and the table across a sweep's points (one run's entities, `ents`)."""
    dims = sweep_dims(ds)
    coords = [np.asarray(ds[d].values).tolist() for d in dims]
    png, kind = _sweep_chart(dims, coords, ents)
    table = sweep_table(dims, ents)
    return (
        f"<section><h2>Across the swept settings: {esc(label)}</h2>"
        f"{img(png, 'sweep charts')}<p class='caption'>{esc(kind)} of ES 99 % (fraction of "
        "K), liquidation probability and mean P&amp;L for every swept setting, on common random "
        f"numbers.</p>{table}</section>"
    )

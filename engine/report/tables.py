"""The report's tables: headline numbers, P&L attribution, overlays, liquidation times and the
table across a sweep's points. Each returns HTML; money in quote units."""

from __future__ import annotations

from collections.abc import Sequence

from engine.formatting import level, money, pct, ratio
from engine.report.markup import ci_money, ci_pct, esc, prob
from engine.report.runs import Entity
from engine.risk.parts import OVERLAYS
from engine.risk.point_metrics import MIN_TAIL_PATHS


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
                f"VaR {level(key)}",
                f"<b>{money(t['var'])}</b> ({pct(t['var_fraction'])}) {ci_money(*t['var_ci'])}",
            )
        )
        rows.append(
            (
                f"ES {level(key)}",
                f"<b>{money(t['es'])}</b> ({pct(t['es_fraction'])}) {ci_money(*t['es_ci'])}"
                f" <span class='ci'>{t['tail_paths']:,} tail paths</span>{warn}",
            )
        )
    for key, p in m["loss_exceedance"].items():
        label = "P(loss > 0)" if float(key) == 0 else f"P(loss > {pct(float(key), 0)} of K)"
        rows.append((label, prob(p)))
    liq = m.get("liquidation")
    if liq:
        rows.append(
            (
                "liquidation probability",
                f"<b>{pct(liq['probability'])}</b> {ci_pct(liq['ci'][0], liq['ci'][1])} "
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
            rows.append((f"P(max drawdown > {pct(float(key), 0)})", prob(p)))
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
                ("n/a" if he is None else f"<b>{ratio(he)}</b>")
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
        rows.append(("P(hedged P&L > unhedged)", prob(hedge["hedged_better"])))
    return rows


def headline_table(ents: Sequence[Entity]) -> str:
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


def attribution_table(ents: Sequence[Entity]) -> str:
    parts = ents[0].metrics["attribution"]["parts"]
    step = float(ents[0].ds.attrs.get("step_hours", float("nan")))
    levels = list(ents[0].metrics["tail"])
    head = "<th>part</th><th>mean ± s.e.</th>" + "".join(
        f"<th>contribution to ES {level(k)}</th>" for k in levels
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


def overlay_table(ents: Sequence[Entity]) -> str:
    """Per run and overlay (the registered ones, `engine.risk.parts.OVERLAYS`, in their order):
    what it paid, received and cost on average, and the tail of the P&L with and without it on
    the same paths."""
    levels = [k for k in ("0.99", "0.95") if k in ents[0].metrics["tail"]]
    head = "<th>run</th><th>overlay</th><th>paid (mean)</th><th>received (mean)</th>"
    head += "<th>net P&amp;L ± s.e.</th>" + "".join(
        f"<th>ES {level(k)} without → with</th><th>ES {level(k)} saved</th>" for k in levels
    )
    rows = []
    for e in ents:
        present = e.metrics.get("overlays", {})
        for o in (present[key] for key in OVERLAYS if key in present):
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


def liquidation_table(ents: Sequence[Entity]) -> str:
    """Per entity: P(liquidated in the horizon) and the day by which given fractions of all paths
    have been liquidated."""
    single = len(ents) == 1
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
    return (
        f"<table class='small'><thead><tr><th></th><th>P(liquidated in horizon)</th>{tq_head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def sweep_table(dims: Sequence[str], ents: Sequence[Entity]) -> str:
    """One row per sweep point: its coordinates and headline numbers at 99 %."""
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
            f"<td>{pct(liq['probability'])} {ci_pct(liq['ci'][0], liq['ci'][1])}</td>"
            f"<td>{pct(m['drawdown']['quantiles']['0.95'])}</td>"
            f"<td>{ratio(he)}{warn}</td></tr>"
        )
    return (
        f"<table class='small'><thead><tr>{head}<th>mean P&amp;L ± s.e.</th><th>VaR 99 %</th>"
        "<th>ES 99 % (of K)</th><th>P(liquidation)</th><th>MDD 95 %</th><th>hedge eff.</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )

"""The report's figures: matplotlib Figures on the Agg canvas (no pyplot, no global state), returned as base64 PNG strings.

Each function takes data and returns the PNG; none reads files or computes risk metrics beyond
what it draws. User text that reaches a figure (run labels) goes through `plain` so matplotlib does
not read `$...$` as mathtext.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
LEVEL_COLORS = {"0.95": "#ff7f0e", "0.99": "#d62728", "0.999": "#7f0000"}
DPI = 100


def plain(text: object) -> str:
    """User text safe for a matplotlib label: no mathtext."""
    return str(text).replace("$", r"\$")


def _png(fig: Figure) -> str:
    """Render with the Agg canvas (no pyplot, no global backend switch) to base64 PNG."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _money_axis(ax: Any, axis: str = "x") -> None:
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _bins(arrays: Sequence[np.ndarray], n: int = 80) -> list[float]:
    values = np.concatenate([a[np.isfinite(a)] for a in arrays])
    lo, hi = np.quantile(values, [0.0005, 0.9995]) if values.size else (0.0, 1.0)
    lo, hi = float(min(lo, values.min(initial=lo))), float(max(hi, values.max(initial=hi)))
    if hi <= lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, n + 1).tolist()


def pnl_distribution(runs: Sequence[Mapping[str, Any]], unhedged: np.ndarray | None = None) -> str:
    """Histogram(s) of the P&L; for one run, VaR (dashed) and ES (solid) marked at -VaR, -ES.

    `runs`: [{"label", "pnl", "tail": risk_metrics()["tail"]}]; `unhedged`: the unhedged LP's P&L
    on the same paths, drawn as an outline (one run only).
    """
    fig = Figure(figsize=(11, 4.6))
    ax = fig.subplots()
    arrays = [r["pnl"] for r in runs] + ([unhedged] if unhedged is not None else [])
    bins = _bins(arrays)
    if len(runs) == 1:
        ax.hist(runs[0]["pnl"], bins=bins, color=COLORS[0], alpha=0.75, label="hedged P&L")
        if unhedged is not None:
            ax.hist(
                unhedged, bins=bins, histtype="step", color="0.35", lw=1.4,
                label="unhedged LP, same paths",
            )  # fmt: skip
        for key, t in runs[0]["tail"].items():
            c = LEVEL_COLORS.get(key, "k")
            pct = f"{100 * float(key):g} %"
            ax.axvline(-t["var"], color=c, ls="--", lw=1.4, label=f"VaR {pct}: {t['var']:,.0f}")
            ax.axvline(-t["es"], color=c, ls="-", lw=1.8, label=f"ES {pct}: {t['es']:,.0f}")
    else:
        for i, r in enumerate(runs):
            c = COLORS[i % len(COLORS)]
            ax.hist(r["pnl"], bins=bins, histtype="step", lw=1.6, color=c, label=plain(r["label"]))
            t = r["tail"].get("0.99")
            if t is not None:
                ax.axvline(-t["es"], color=c, ls=":", lw=1.4)
        ax.plot([], [], "k:", label="ES 99 % of each (at -ES)")
    ax.axvline(0.0, color="k", lw=0.6)
    _money_axis(ax)
    ax.set_xlabel("P&L over the horizon (quote units); losses to the left")
    ax.set_ylabel("paths")
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    return _png(fig)


def fan_chart(
    time: np.ndarray,
    value: np.ndarray,
    capital: float,
    price: np.ndarray | None = None,
    spot: float | None = None,
) -> str:
    """Quantile bands (5-95 %, 25-75 %, median) of the sampled paths of W (and of the price)."""
    panels = 2 if price is not None else 1
    fig = Figure(figsize=(11, 4.2 * panels))
    axes = np.atleast_1d(fig.subplots(panels, 1, sharex=True))
    series: list[tuple[Any, np.ndarray, float | None, str, str]] = [
        (axes[0], value, capital, "portfolio value W (quote units)", "capital K")
    ]
    if price is not None:
        series.append((axes[1], price, spot, "price of the risky asset (quote per unit)", "P0"))
    for ax, data, ref, ylabel, ref_label in series:
        ok = data[np.all(np.isfinite(data), axis=1)]
        if ok.shape[0] == 0:
            ax.text(0.5, 0.5, "no sampled paths", transform=ax.transAxes, ha="center")
            continue
        q = np.quantile(ok, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        ax.fill_between(time, q[0], q[4], color=COLORS[0], alpha=0.18, label="5-95 %")
        ax.fill_between(time, q[1], q[3], color=COLORS[0], alpha=0.35, label="25-75 %")
        for row in ok[:12]:
            ax.plot(time, row, color="0.3", lw=0.5, alpha=0.5)
        ax.plot([], [], color="0.3", lw=0.5, label="individual paths")
        ax.plot(time, q[2], color=COLORS[0], lw=2.0, label="median")
        if ref is not None:
            ax.axhline(ref, color="k", lw=0.8, ls="--", label=ref_label)
        ax.set_ylabel(ylabel)
        _money_axis(ax, "y")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", ncol=3)
        ax.set_title(f"{ok.shape[0]} sampled paths", fontsize=9, loc="right")
    axes[-1].set_xlabel("days")
    return _png(fig)


def survival(
    runs: Sequence[Mapping[str, Any]], horizon: float, n_steps_grid: np.ndarray | None = None
) -> str:
    """P(hedge not yet liquidated by day t): exact step curves; a Wilson band for one run.

    `runs`: [{"label", "liquidation_time" (per path, NaN if none), "survival": risk survival dict}]
    """
    fig = Figure(figsize=(11, 4.2))
    ax = fig.subplots()
    for i, r in enumerate(runs):
        c = COLORS[i % len(COLORS)]
        t = np.asarray(r["liquidation_time"], dtype=np.float64)
        n = t.size
        hit = np.sort(t[np.isfinite(t)])
        xs = np.concatenate([[0.0], hit, [horizon]])
        ys = np.concatenate([[1.0], 1.0 - np.arange(1, hit.size + 1) / n, [1.0 - hit.size / n]])
        label = "survival" if len(runs) == 1 else plain(r["label"])
        ax.step(xs, ys, where="post", color=c, lw=1.8, label=label)
        if len(runs) == 1 and r.get("survival"):
            s = r["survival"]
            ax.fill_between(
                s["time"], s["low"], s["high"], step="post", color=c, alpha=0.2,
                label="Wilson 95 % interval",
            )  # fmt: skip
    ax.set_xlim(0.0, horizon)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("days")
    ax.set_ylabel("P(not yet liquidated)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return _png(fig)


def drawdown(runs: Sequence[Mapping[str, Any]], thresholds: Sequence[float]) -> str:
    """Histogram of the maximum drawdown, and its exceedance curve P(MDD > x) on a log scale."""
    fig = Figure(figsize=(11, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    arrays = [np.asarray(r["max_drawdown"], dtype=np.float64) for r in runs]
    top = max(float(np.max(a, initial=0.0)) for a in arrays)
    bins = np.linspace(0.0, max(top, 1e-6) * 1.02, 70)
    for i, (r, a) in enumerate(zip(runs, arrays, strict=True)):
        c = COLORS[i % len(COLORS)]
        label = "max drawdown" if len(runs) == 1 else plain(r["label"])
        if len(runs) == 1:
            ax1.hist(a, bins=bins, color=c, alpha=0.75, label=label)
        else:
            ax1.hist(a, bins=bins, histtype="step", lw=1.5, color=c, label=label)
        xs = np.sort(a)
        ys = 1.0 - np.arange(1, xs.size + 1) / xs.size
        keep = ys > 0
        ax2.step(xs[keep], ys[keep], where="post", color=c, lw=1.6, label=label)
    for t in thresholds:
        if t <= bins[-1]:
            for ax in (ax1, ax2):
                ax.axvline(t, color="k", ls="--", lw=0.8)
    ax1.set_yscale("log")
    ax2.set_yscale("log")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("maximum drawdown of W (fraction of its running peak)")
        ax.grid(alpha=0.3)
    ax1.set_ylabel("paths (log scale)")
    ax2.set_ylabel("P(MDD > x) (log scale)")
    ax1.legend(fontsize=8, loc="upper right")
    ax2.set_title(
        "dashed: thresholds " + ", ".join(f"{100 * t:g} %" for t in thresholds), fontsize=9
    )
    return _png(fig)


def attribution(runs: Sequence[Mapping[str, Any]], es_key: str = "0.99") -> str:
    """Mean of each P&L part (with 2 standard errors) and its contribution to ES at es_key.

    `runs`: [{"label", "parts": risk attribution()["parts"]}]; a part missing from a run (a
    feature it does not use) counts as 0 there.
    """
    fig = Figure(figsize=(11, 4.6))
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    names = list(dict.fromkeys(k for r in runs for k in r["parts"]))  # every run's parts
    labels = [next(r["parts"][k]["label"] for r in runs if k in r["parts"]) for k in names]
    y = np.arange(len(names))
    height = 0.8 / len(runs)
    for i, r in enumerate(runs):
        c = COLORS[i % len(COLORS)]
        parts = r["parts"]
        means = [parts[k]["mean"] if k in parts else 0.0 for k in names]
        errs = [2.0 * (parts[k]["stderr"] or 0.0) if k in parts else 0.0 for k in names]
        es = [parts[k]["es_contribution"].get(es_key, 0.0) if k in parts else 0.0 for k in names]
        offs = y + (i - (len(runs) - 1) / 2) * height
        label = None if len(runs) == 1 else plain(r["label"])
        ax1.barh(offs, means, height, xerr=errs, color=c, alpha=0.8, label=label, capsize=2)
        ax2.barh(offs, es, height, color=c, alpha=0.8, label=label)
    ax1.set_yticks(y, labels)
    ax1.invert_yaxis()
    ax1.set_title("mean P&L by part (gain > 0), ± 2 s.e.", fontsize=10)
    ax2.set_title(f"contribution to ES {100 * float(es_key):g} % (adds to loss > 0)", fontsize=10)
    for ax in (ax1, ax2):
        ax.axvline(0.0, color="k", lw=0.7)
        _money_axis(ax)
        ax.set_xlabel("quote units")
        ax.grid(alpha=0.3, axis="x")
    if len(runs) > 1:
        ax1.legend(fontsize=8, loc="upper right")
    return _png(fig)


_SWEEP_PANELS = (
    ("es", "ES 99 % (fraction of K)", True),
    ("liq", "liquidation probability", True),
    ("mean", "mean P&L (quote units)", False),
)


def sweep_lines(
    x_dim: str, x: Sequence[Any], lines: Sequence[Mapping[str, Any]], categorical: bool
) -> str:
    """ES 99 %, liquidation probability and mean P&L against one swept setting, with intervals.

    `lines`: [{"label", "es": (value, low, high) per x, "liq": ..., "mean": ...}].
    """
    fig = Figure(figsize=(13, 3.9))
    axes = fig.subplots(1, 3)
    xs = np.arange(len(x)) if categorical else np.asarray(x, dtype=np.float64)
    for ax, (key, title, pct) in zip(axes, _SWEEP_PANELS, strict=True):
        for i, line in enumerate(lines):
            c = COLORS[i % len(COLORS)]
            v = np.array([np.nan if p[0] is None else p[0] for p in line[key]], dtype=np.float64)
            lo = np.array([np.nan if p[1] is None else p[1] for p in line[key]], dtype=np.float64)
            hi = np.array([np.nan if p[2] is None else p[2] for p in line[key]], dtype=np.float64)
            ax.plot(xs, v, "o-", color=c, lw=1.6, ms=4, label=plain(line["label"]) or None)
            ax.fill_between(xs, lo, hi, color=c, alpha=0.18)
        if pct:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:
            _money_axis(ax, "y")
        if categorical:
            ax.set_xticks(xs, [plain(v) for v in x])
        ax.set_xlabel(plain(x_dim))
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    if any(line["label"] for line in lines):
        axes[0].legend(fontsize=8, loc="best")
    return _png(fig)


def sweep_heatmaps(
    dims: Sequence[str], coords: Sequence[Sequence[Any]], grids: Mapping[str, np.ndarray]
) -> str:
    """Heatmaps of ES 99 %, liquidation probability and mean P&L over two swept settings."""
    fig = Figure(figsize=(14, 4.4))
    axes = fig.subplots(1, 3)
    for ax, (key, title, pct) in zip(axes, _SWEEP_PANELS, strict=True):
        grid = np.asarray(grids[key], dtype=np.float64)
        cmap = "RdYlGn" if key == "mean" else "RdYlGn_r"
        im = ax.imshow(grid, cmap=cmap, aspect="auto", origin="lower")
        fig.colorbar(im, ax=ax, shrink=0.85)
        for (i, j), v in np.ndenumerate(grid):
            text = "n/a" if not np.isfinite(v) else (f"{100 * v:.1f}%" if pct else f"{v:,.0f}")
            shade = im.norm(v) if np.isfinite(v) else 0.5
            color = "white" if abs(float(shade) - 0.5) > 0.3 else "black"  # dark ends of RdYlGn
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color=color)
        ax.set_xticks(range(len(coords[1])), [plain(v) for v in coords[1]])
        ax.set_yticks(range(len(coords[0])), [plain(v) for v in coords[0]])
        ax.set_xlabel(plain(dims[1]))
        ax.set_ylabel(plain(dims[0]))
        ax.set_title(title, fontsize=10)
    return _png(fig)

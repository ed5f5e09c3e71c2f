"""Risk metrics with Monte Carlo error bars, over any sweep dimensions (MODEL.md section 8).

One module per concern: `sample` (checks, means with standard errors), `probability` (Wilson
intervals, exceedances), `tail` (VaR / ES and their intervals), `liquidation` (survival),
`drawdown`, `parts` (P&L attribution and overlay effects), `hedge` (against the unhedged LP),
`sweep` (sweep points, capital), `point_metrics` (every metric of one point) and `run_summary`
(summary.json).
"""

from engine.risk.drawdown import DRAWDOWN_QUANTILES, DRAWDOWN_THRESHOLDS
from engine.risk.hedge import hedge_effectiveness
from engine.risk.liquidation import (
    LIQUIDATION_QUANTILES,
    liquidation_time_quantiles,
    survival_curve,
)
from engine.risk.parts import (
    ATTRIBUTION,
    OVERLAYS,
    attribution,
    attribution_parts,
    overlay_effects,
)
from engine.risk.point_metrics import (
    LOSS_THRESHOLDS,
    MIN_EVENTS,
    MIN_TAIL_PATHS,
    risk_by_point,
    risk_metrics,
)
from engine.risk.probability import Z_95, exceedance, proportion, wilson_interval
from engine.risk.run_summary import summary
from engine.risk.sample import level_key, mean_with_stderr
from engine.risk.sweep import capital_of, capital_scale, points, sweep_dims
from engine.risk.tail import (
    LEVELS,
    es_stderr,
    expected_shortfall,
    quantile_rank_interval,
    tail_mask,
    tail_metrics,
    value_at_risk,
    var_interval,
)

__all__ = [
    "ATTRIBUTION",
    "DRAWDOWN_QUANTILES",
    "DRAWDOWN_THRESHOLDS",
    "LEVELS",
    "LIQUIDATION_QUANTILES",
    "LOSS_THRESHOLDS",
    "MIN_EVENTS",
    "MIN_TAIL_PATHS",
    "OVERLAYS",
    "Z_95",
    "attribution",
    "attribution_parts",
    "capital_of",
    "capital_scale",
    "es_stderr",
    "exceedance",
    "expected_shortfall",
    "hedge_effectiveness",
    "level_key",
    "liquidation_time_quantiles",
    "mean_with_stderr",
    "overlay_effects",
    "points",
    "proportion",
    "quantile_rank_interval",
    "risk_by_point",
    "risk_metrics",
    "summary",
    "survival_curve",
    "sweep_dims",
    "tail_mask",
    "tail_metrics",
    "value_at_risk",
    "var_interval",
    "wilson_interval",
]

"""The calibrated scenario as YAML text: the fitted keys with their standard errors, and the
data's provenance and the fit's comparison with the data in comments."""

from __future__ import annotations

import json
import math

import yaml

from engine.calibrate.calibration import Calibration
from engine.calibrate.estimates import Estimate, PriceFit
from engine.calibrate.regime import REGIMES
from engine.data import iso
from engine.scenario import Scenario, load_scenario


def _g(x: float, digits: int = 6) -> str:
    """A number for YAML: `digits` significant digits, always read back as a float."""
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{int(exponent):+d}"  # YAML 1.1 floats need the sign
    return text if "." in text or "n" in text else text + ".0"


def _line(key: str, est: Estimate, indent: int) -> str:
    se = "n/a" if not math.isfinite(est.se) else _g(est.se, 3)
    return f"{' ' * indent}{key}: {_g(est.value)}  # s.e. {se}"


def _price_lines(fit: PriceFit) -> list[str]:
    """The `market.price` keys after `model:` (indent 4), with s.e. comments."""
    lines = []
    if fit.model in ("gbm", "merton", "garch"):
        for key in ("drift", "vol", "jump_intensity", "jump_mean", "jump_vol"):
            if key in fit.params:
                lines.append(_line(key, fit.params[key], 4))
    if fit.model == "garch":
        lines.append("    garch:")
        for key in ("alpha", "beta", "dof"):
            lines.append(_line(key, fit.params[key], 6))
        lines.append(
            f"      initial_vol: {_g(fit.params['initial_vol'].value)}  # the conditional vol "
            "after the last return (the market's state at the end of the data)"
        )
    if fit.model == "regime":
        extra = fit.extra
        current = float(extra["current_stressed"])
        initial = "stressed" if current > 0.5 else "calm"
        lines += [
            "    regime:",
            f"      initial: {initial}  # the likelier regime at the end of the data "
            f"(filtered P(stressed) = {current:.3f})",
            "      states:",
        ]
        for name, other in (REGIMES, REGIMES[::-1]):
            lines.append(f"        {name}:")
            for key in ("drift", "vol", "funding_mean"):
                if f"{name}.{key}" in fit.params:
                    lines.append(_line(key, fit.params[f"{name}.{key}"], 10))
            if name == "stressed":
                lines.append("          stressed: true")
            lines.append("          transitions:  # intensity per year")
            lines.append(_line(other, fit.params[f"{name}.to_{other}"], 12))
    return lines


def scenario_yaml(cal: Calibration) -> str:
    """The calibrated scenario as YAML text, with the standard errors and provenance in comments.
    Keys not written take the built-in defaults."""
    p, fit = cal.prices, cal.price
    lines = [
        "# Calibrated by `lphedge calibrate` from historical data.",
        f"# prices: {p.path} ({p.column}), {p.describe_range()}, every {p.interval_hours:g} h",
        (
            f"#   {fit.n:,} log returns over {fit.extra['hours']:g}-hour intervals (aligned to "
            "00:00 UTC; intervals without both prices skipped)"
            if fit.model == "regime"
            else f"#   {fit.n:,} log returns between rows one interval apart; {p.gaps} gap(s) "
            f"dropped ({p.missing_intervals} missing intervals)"
        ),
        f"#   price model {fit.model}: parameters annualised (365-day year); s.e. = standard error",
    ]
    if "method" in fit.extra:
        lines.append(f"#   fit: {fit.extra['method']}")
    lines += [f"#   note: {note}" for note in fit.notes]
    if cal.funding is not None and cal.funding_fit is not None and cal.funding_stats is not None:
        f, ff, st = cal.funding, cal.funding_fit, cal.funding_stats
        lines += [
            f"# funding: {f.path}, {f.describe_range()}, every {f.interval_hours:g} h",
            f"#   {ff.n:,} AR(1) pairs; {f.gaps} gap(s) dropped; lag-1 autocorrelation "
            f"{_g(ff.b.value, 4)} (s.e. {_g(ff.b.se, 2)})",
            f"#   data: mean {_g(st['mean'], 4)}, sd {_g(st['sd'], 4)}, min {_g(st['min'], 4)}, "
            f"max {_g(st['max'], 4)}, share < 0 {100 * st['share_negative']:.1f} %, "
            f"share exactly 0.01 % {100 * st['share_at_baseline']:.1f} % (the OU model has no "
            "point mass there)",
        ]
    else:
        lines.append("# funding: not calibrated (no funding file); the engine's defaults apply")
    lines += [
        "# Everything not set here (pool, hedge, horizon, paths, ...) is the built-in default.",
    ]
    if fit.comparison:
        lines.append("# The fit against the data's own statistics (figure: model | data):")
        lines += [
            f"#   {label}: {model_value}" + (f" | {data}" if data else "")
            for label, model_value, data in fit.comparison
        ]
    lines += [
        f"name: calibrated-{fit.model}",
        "description: "
        + json.dumps(
            f"Default position, {fit.model} price"
            + (" and OU funding" if cal.funding_fit is not None else "")
            + f" calibrated to {p.path.name} {p.describe_range()}"
        ),
        f"step_hours: {_g(p.interval_hours)}  # the data's interval"
        + ("; garch alpha and beta are per step" if fit.model == "garch" else ""),
        "market:",
        f"  spot: {_g(cal.spot, 10)}  # the last close, {iso(p.end)} bar",
        "  price:",
        f"    model: {fit.model}",
    ]
    lines += _price_lines(fit)
    if cal.funding is not None and cal.funding_fit is not None:
        ff = cal.funding_fit
        lines += [
            "  funding:",
            "    model: ou",
            f"    interval_hours: {_g(ff.interval_hours)}",
            f"    initial: {_g(float(cal.funding.values[-1]))}  # the last settled rate",
            _line("mean", ff.params["mean"], 4),
            _line("reversion", ff.params["reversion"], 4),
            _line("vol", ff.params["vol"], 4),
        ]
        if "corr_with_price" in ff.params:
            lines.append(
                _line("corr_with_price", ff.params["corr_with_price"], 4)
                + f" (from {ff.n_corr:,} intervals with both prices)"
            )
        else:
            lines.append("    corr_with_price: 0.0  # not estimable: no overlapping prices")
        lines.append(
            f"    cap: 0.004  # not fitted (engine default); data |max| "
            f"{_g(max(abs(float(cal.funding.values.min())), float(cal.funding.values.max())), 4)}"
        )
    return "\n".join(lines) + "\n"


def calibrated_scenario(cal: Calibration) -> tuple[str, Scenario]:
    """The YAML text and the Scenario it validates into (InputError if it does not)."""
    text = scenario_yaml(cal)
    return text, load_scenario(yaml.safe_load(text))

"""Number formatting shared by the terminal and the HTML report (plain text, not escaped).

One set of rules: money with thousands separators and two decimals, percentages with two
decimals (fewer where a caller asks), plain numbers in their shortest form, and "n/a" for a
value that is missing (None) or not finite.
"""

from __future__ import annotations

import math

MISSING = "n/a"
"""Shown for a value that is None or not finite."""


def money(x: float | None) -> str:
    """A money amount (quote units): 1234.5 -> "1,234.50"."""
    return MISSING if x is None or not math.isfinite(x) else f"{x:,.2f}"


def pct(x: float | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.1234 -> "12.34 %" (`digits` decimals)."""
    return MISSING if x is None or not math.isfinite(x) else f"{100.0 * x:.{digits}f} %"


def num(x: float) -> str:
    """A plain number in its shortest form: 90.0 -> "90", 0.25 -> "0.25"."""
    return f"{x:g}"


def ratio(x: float | None) -> str:
    """A dimensionless ratio such as the hedge effectiveness, three decimals."""
    return MISSING if x is None or not math.isfinite(x) else f"{x:.3f}"


def level(key: str | float) -> str:
    """A confidence level (or level key) as a percentage: "0.99" -> "99 %"."""
    return f"{100.0 * float(key):g} %"


def money_interval(low: float | None, high: float | None) -> str:
    """A confidence interval of a money amount: "low to high"; an end the sample cannot bound
    (None) reads "-inf" below and "(beyond the sample)" above."""
    low_s = "-inf" if low is None else money(low)
    high_s = "(beyond the sample)" if high is None else money(high)
    return f"{low_s} to {high_s}"


def pct_interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """A confidence interval of a probability: "low to high", both as percentages."""
    return f"{pct(low, digits)} to {pct(high, digits)}"

"""Checks of the simulation's time grid: durations that must be whole numbers of steps."""

from __future__ import annotations

GRID_TOLERANCE = 1e-9
"""Relative tolerance of a whole multiple: floats such as 0.1 h x 240 are not exact."""


def is_whole_multiple(length: float, unit: float, least: int = 1) -> bool:
    """Whether `length` is a whole multiple of `unit` (relative tolerance GRID_TOLERANCE), of at
    least `least` units. Both in the same unit (hours, usually; `unit` the step)."""
    k = length / unit
    return abs(k - round(k)) <= GRID_TOLERANCE * max(1.0, k) and round(k) >= least

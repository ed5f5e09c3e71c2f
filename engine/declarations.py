"""Plain records that declare what a part of the model adds to the results: a per-path output
(`OutputSpec`), an additive part of the P&L (`Part`), a pure cash overlay (`Overlay`) and a line
of the terminal summary (`SummaryMean`).

The core model (`engine/outputs.py`, `engine/risk/parts.py`) and each hedge instrument
(`engine/scenario/instruments/`) declare theirs with these; nothing here computes.
"""

from __future__ import annotations

from typing import NamedTuple


class OutputSpec(NamedTuple):
    """One per-path output or sampled-path field: its units, a one-line description, its dtype."""

    units: str
    description: str
    dtype: type


class Part(NamedTuple):
    """One additive part of the P&L: `sign * ds[variable]` per path (quote units). An `optional`
    part (a feature that is off by default) is left out of the attribution of a run in which it is
    zero on every path."""

    name: str
    label: str
    variable: str
    sign: float
    optional: bool = False


class Overlay(NamedTuple):
    """A pure cash overlay: Part names whose sum is the overlay's net P&L per path. Nothing else on
    a path depends on them, so the P&L without the overlay is exactly `pnl - net` on the same
    paths.

    key: its key in the metrics' `overlays`. label: its name in tables and summaries. parts: the
    `Part.name`s it sums. How the report's overlay section words it: heading (what it is, in the
    section's title), paid (what its paid parts are), received (the cash it receives on a path)
    and marked (what it is worth at the horizon).
    """

    key: str
    label: str
    parts: tuple[str, ...]
    heading: str
    paid: tuple[str, ...] = ()
    received: tuple[str, ...] = ()
    marked: tuple[str, ...] = ()


class SummaryMean(NamedTuple):
    """A line of the terminal summary: the mean of a per-path variable, shown when it is not zero.
    decimals: None for money (quote units), else the decimals of a count per path."""

    variable: str
    label: str
    decimals: int | None = None

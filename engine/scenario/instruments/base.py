"""The record a hedge instrument registers (`Instrument`).

A hedge instrument is one module of this package: its scenario section(s) and their checks, its
kernel-parameter builder, its per-path outputs, its P&L attribution parts, its cash overlay (if
it is one) and its lines of the terminal summary, and an `INSTRUMENT` record listed in
`registry.py`. Its kernel state and step live in `engine/kernels/`. The core model (the LP
position and the short perpetual with its liquidation) is not an instrument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine.declarations import OutputSpec, Overlay, Part, SummaryMean

Check = Callable[[Any], None]
"""An instrument's checks of the whole validated `Scenario` (its sections against the time grid
and the other sections); raise ValueError `"field = value: reason"`, the field a dotted key of
the scenario."""
Build = Callable[[Any], NamedTuple]
"""An instrument's kernel parameters from a validated `Scenario`."""


@dataclass(frozen=True)
class Instrument:
    """One hedge instrument as the schema, the kernel inputs, the results and the reports see it.

    name: what it is called. kernel_field: the field of `engine.inputs.build.KernelInputs` its
    builder fills. build: the builder. check: its checks of the whole scenario, or None.
    outputs: its per-path outputs by name, in the kernel's `PathOutputs` order. parts: its P&L
    attribution parts. overlay: the cash overlay it is, or None. summary: the means of its
    outputs the terminal summary lists (money lines first, then counts, each in registry order).
    """

    name: str
    kernel_field: str
    build: Build
    check: Check | None = None
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    parts: tuple[Part, ...] = ()
    overlay: Overlay | None = None
    summary: tuple[SummaryMean, ...] = ()

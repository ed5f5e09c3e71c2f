"""The registered hedge instruments, in the order of the kernel's `PathOutputs` (their outputs
follow the core outputs in this order, and so do their attribution parts). Adding an instrument:
a module in this package with its `INSTRUMENT` (docs/architecture.md), and one line here."""

from __future__ import annotations

from engine.declarations import OutputSpec, Overlay, Part, SummaryMean
from engine.scenario.instruments import management, options, venue
from engine.scenario.instruments.base import Instrument

INSTRUMENTS: dict[str, Instrument] = {
    instrument.name: instrument
    for instrument in (
        management.INSTRUMENT,
        options.INSTRUMENT,
        venue.INSTRUMENT,
    )
}


def instrument_outputs() -> dict[str, OutputSpec]:
    """Every instrument's per-path outputs, in registry order."""
    return {name: spec for i in INSTRUMENTS.values() for name, spec in i.outputs.items()}


def instrument_parts() -> tuple[Part, ...]:
    """Every instrument's P&L attribution parts, in registry order."""
    return tuple(part for i in INSTRUMENTS.values() for part in i.parts)


def instrument_overlays() -> dict[str, Overlay]:
    """The cash overlays by key, in registry order."""
    return {i.overlay.key: i.overlay for i in INSTRUMENTS.values() if i.overlay is not None}


def instrument_summary() -> tuple[SummaryMean, ...]:
    """The terminal summary's lines of the instruments: the money lines, then the counts, each
    in registry order."""
    lines = [line for i in INSTRUMENTS.values() for line in i.summary]
    return (
        *(line for line in lines if line.decimals is None),
        *(line for line in lines if line.decimals is not None),
    )

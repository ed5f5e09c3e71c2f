"""The hedge instruments beyond the core short perpetual: one module each (its scenario
section and checks, its kernel parameters, its outputs, P&L parts, overlay and summary lines),
listed in `registry.INSTRUMENTS`."""

from engine.scenario.instruments.base import Instrument
from engine.scenario.instruments.registry import (
    INSTRUMENTS,
    instrument_outputs,
    instrument_overlays,
    instrument_parts,
    instrument_summary,
)

__all__ = [
    "INSTRUMENTS",
    "Instrument",
    "instrument_outputs",
    "instrument_overlays",
    "instrument_parts",
    "instrument_summary",
]

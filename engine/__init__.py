"""lphedge: Monte Carlo risk engine for AMM liquidity providers hedged with a short perpetual.

Public API:
    load_scenario(source=None, overrides=None) -> Scenario
    simulate(scenario=None, paths=None, seed=None, ..., client=None) -> xarray.Dataset
    run_to_store(scenario, out_dir, ...) -> RunReport   (streaming, resumable, sweeps)
    read_results(run_dir) -> xarray.Dataset
"""

from __future__ import annotations

from engine.errors import InputError
from engine.results.store import read_results
from engine.scenario import Scenario, load_scenario
from engine.simulation.memory import simulate
from engine.simulation.streamed import run_to_store
from engine.version import __version__

__all__ = [
    "InputError",
    "Scenario",
    "__version__",
    "load_scenario",
    "read_results",
    "run_to_store",
    "simulate",
]

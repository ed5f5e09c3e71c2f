"""From a validated `Scenario` to the plain numbers and arrays the kernels take.

This is where the capital split of MODEL.md §2 is solved for the run and where every per-step
constant is precomputed once per run (log drift, exact OU transition loads, Poisson CDF of jump
counts, the funding, rebalancing and observation clocks), so that the inner loop recomputes
nothing. One module per core section; the hedge instruments' parameters come from the builders
they register (`engine.scenario.instruments`); `build.kernel_inputs` assembles them.
"""

from engine.inputs.build import KernelInputs, kernel_inputs
from engine.inputs.capital import range_sqrt_bounds, split_capital
from engine.inputs.grid import observation_days, observation_steps

__all__ = [
    "KernelInputs",
    "kernel_inputs",
    "observation_days",
    "observation_steps",
    "range_sqrt_bounds",
    "split_capital",
]

"""Model maths on plain numbers, below the scenario schema: the capital split (MODEL.md §2), the
laws of the regime model's Markov chain, the per-step constants of the diffusion, OU and jump
processes, and the whole-step checks of the time grid."""

from engine.modelmath.capital import CapitalSplit, range_sqrt_bounds, split_capital
from engine.modelmath.grid import GRID_TOLERANCE, is_whole_multiple
from engine.modelmath.markov import (
    cumulative,
    generator,
    stationary_law,
    transition_matrix,
)
from engine.modelmath.steps import JUMP_TAIL, diffusion_constants, jump_count_cdf, ou_loads

__all__ = [
    "GRID_TOLERANCE",
    "JUMP_TAIL",
    "CapitalSplit",
    "cumulative",
    "diffusion_constants",
    "generator",
    "is_whole_multiple",
    "jump_count_cdf",
    "ou_loads",
    "range_sqrt_bounds",
    "split_capital",
    "stationary_law",
    "transition_matrix",
]

"""Model maths on plain numbers, below the scenario schema: the capital split (MODEL.md §2), the
laws of the regime model's Markov chain, and the whole-step checks of the time grid."""

from engine.modelmath.capital import CapitalSplit, range_sqrt_bounds, split_capital
from engine.modelmath.grid import GRID_TOLERANCE, is_whole_multiple
from engine.modelmath.markov import (
    cumulative,
    generator,
    stationary_law,
    transition_matrix,
)

__all__ = [
    "GRID_TOLERANCE",
    "CapitalSplit",
    "cumulative",
    "generator",
    "is_whole_multiple",
    "range_sqrt_bounds",
    "split_capital",
    "stationary_law",
    "transition_matrix",
]

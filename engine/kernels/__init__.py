"""The compiled kernels (numba, `nogil=True, cache=True`).

Importing the package sets how they are compiled first (`engine.kernels.codegen`: numba's
target-feature preferences for this process, and the cache directory keyed by the kernels' sources).
"""

from engine.kernels import codegen

__all__ = ["codegen"]

"""Numba kernels of the path model.

Importing this package sets one code-generation preference for numba, unless the user already
chose the target features (NUMBA_CPU_FEATURES): `+prefer-no-gather`, i.e. LLVM loads table entries
for SIMD lanes one by one instead of with AVX2/AVX-512 gather instructions. Since the 2023 "Gather
Data Sampling" microcode, gathers are several times slower than separate loads on Intel CPUs (on
this project's Cascade Lake VM the lane kernel's ziggurat ran 4.5x slower with them). It is a
tuning preference only: the same values are loaded, no result changes. And on AVX-512 hosts
`-prefer-256-bit`, so that LLVM's loop vectoriser uses 512-bit registers (8 doubles) rather than its
default 256 bits for Intel server cores: the lane kernel ran 16 % faster with them here. Both are
set through the environment so that worker processes inherit them, and numba's cache keys include
them. Integer and floating-point results do not depend on the vector width (no fast-math: every
lane computes the same IEEE operations).
"""

from __future__ import annotations

import os

from numba.core import config
from numba.core.codegen import get_host_cpu_features

if "NUMBA_CPU_FEATURES" not in os.environ:
    _features = get_host_cpu_features()
    _flags = _features.split(",")
    _tuning = ""
    if "+avx2" in _flags:
        _tuning += ",+prefer-no-gather"
    if "+avx512f" in _flags:
        _tuning += ",-prefer-256-bit"
    if _tuning:
        os.environ["NUMBA_CPU_FEATURES"] = _features + _tuning
        config.reload_config()

"""How the kernels are compiled: numba's code-generation preferences and its cache directory.

Imported first by the package (`engine.kernels`), before any kernel is compiled.

Numba's on-disk cache checks only the source file of the function it caches, not the modules whose
functions are inlined into it: after an edit to `lp.py` alone, a cached `driver.simulate_block`
would still be loaded, stale. The kernels' cache directory is therefore keyed by a digest of every
kernel module's source: any change to any kernel selects a fresh directory, and two versions of the
package never share compiled code. The root is `$NUMBA_CACHE_DIR` when set, otherwise
`$XDG_CACHE_HOME/lphedge/numba` (default `~/.cache/lphedge/numba`).

Importing this module sets one code-generation preference for numba, unless the user already chose
the target (NUMBA_CPU_NAME or NUMBA_CPU_FEATURES): `+prefer-no-gather`, i.e. LLVM loads table
entries for SIMD lanes one by one instead of with AVX2/AVX-512 gather instructions. Since the 2023
"Gather Data Sampling" microcode, gathers are several times slower than separate loads on Intel CPUs
(on this project's Cascade Lake VM the lane kernel's ziggurat ran 4.5x slower with them). It is a
tuning preference only: the same values are loaded, no result changes. And on AVX-512 hosts
`-prefer-256-bit`, so that LLVM's loop vectoriser uses 512-bit registers (8 doubles) rather than its
default 256 bits for Intel server cores: the lane kernel ran 16 % faster with them here. Both are
set in this process's numba configuration only (not in the environment: a worker on another host
detects its own CPU when it imports the kernels), never when the user set NUMBA_CPU_NAME or
NUMBA_CPU_FEATURES, and numba's cache keys include them. Integer and floating-point results do not
depend on the vector width (no fast-math: every lane computes the same IEEE operations).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from numba.core import config
from numba.core.codegen import get_host_cpu_features


def _tune_code_generation() -> None:
    """Set numba's target features for this process only (never the environment, so that nothing
    leaks into other programs or into workers started on other hosts; each worker process runs
    this itself when it imports the kernels). Left alone when the user chose the target
    (NUMBA_CPU_NAME or NUMBA_CPU_FEATURES), and effective only if nothing was compiled before."""
    if "NUMBA_CPU_FEATURES" in os.environ or "NUMBA_CPU_NAME" in os.environ:
        return
    flags = get_host_cpu_features().split(",")
    tuning = ""
    if "+avx2" in flags:
        tuning += ",+prefer-no-gather"
    if "+avx512f" in flags:
        tuning += ",-prefer-256-bit"
    if tuning:
        setattr(config, "CPU_FEATURES", ",".join(flags) + tuning)  # noqa: B010


_tune_code_generation()


def source_digest(directory: Path) -> str:
    """A short digest of the names and contents of the `.py` files in `directory`."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """Where compiled kernels are cached, before the per-source digest."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lphedge" / "numba"


CACHE_DIR = cache_root() / source_digest(Path(__file__).parent)
# numba sets its config attributes dynamically (from the environment): no static attribute
setattr(config, "CACHE_DIR", str(CACHE_DIR))  # noqa: B010

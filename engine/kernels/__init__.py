"""The compiled kernels (numba, `nogil=True, cache=True`).

Numba's on-disk cache checks only the source file of the function it caches, not the modules whose
functions are inlined into it: after an edit to `lp.py` alone, a cached `driver.simulate_block`
would still be loaded, stale. The kernels' cache directory is therefore keyed by a digest of every
kernel module's source: any change to any kernel selects a fresh directory, and two versions of the
package never share compiled code. The root is `$NUMBA_CACHE_DIR` when set, otherwise
`$XDG_CACHE_HOME/lphedge/numba` (default `~/.cache/lphedge/numba`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


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
numba.config.CACHE_DIR = str(CACHE_DIR)

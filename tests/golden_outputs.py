"""Golden outputs: SHA-256 digests of every per-path output of every shipped scenario and of every
lane-kernel case, for each kernel that applies.

Shared by `tests/test_golden.py` (which recomputes the digests and compares them with
`tests/golden/digests.json`) and by its writer, `python tests/golden_outputs.py --write`, run only
when a change moves a number on purpose (in a commit of its own that says which numbers moved and
why). A refactor moves none.

Each digest covers an array's dtype, shape and bytes. Three families of cases:
- `run/<scenario>`: every data variable of `engine.simulate` on the shipped scenario (all its
  sweep points), as the API returns it (the kernel `auto` picks);
- `block/<scenario>/<kernel>`: the kernel's own per-path outputs and sampled-path record for the
  scenario's first sweep point, for the general kernel and, where it applies, the lane kernel;
- `lanes/<case>/<kernel>`: the same for every identity case of the case table
  (`benchmarks/kernel_cases.py`), over its identity horizon.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "golden" / "digests.json"
DATA_DIR = HERE.parents[1] / "shared" / "data"
os.environ.setdefault("LPHEDGE_DATA", str(DATA_DIR))

PATHS = 2_000  # not a multiple of the lane width (32)
FIRST_PATH = 13  # blocks that start inside a lane group
RECORD = 5


def array_digest(values: Any) -> str:
    arr = np.ascontiguousarray(np.asarray(values))
    h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def shipped_names() -> list[str]:
    from engine.scenario import shipped_scenarios

    return sorted(shipped_scenarios())


def _block_digests(inputs: Any, seed: int, kernel: str, n_paths: int) -> dict[str, str]:
    from engine.block import run_block

    result = run_block(inputs, seed, FIRST_PATH, n_paths, RECORD, kernel=kernel)
    digests = {name: array_digest(v) for name, v in sorted(result.outputs.items())}
    digests["record"] = array_digest(result.record)
    return digests


def cases() -> Iterator[tuple[str, dict[str, str]]]:
    """(case name, {output name: digest}) for every golden case, in a fixed order."""
    import engine
    from benchmarks.kernel_cases import identity_cases
    from engine.inputs import kernel_inputs
    from engine.scenario import load_scenario, sweep_points

    for name in shipped_names():
        scn = load_scenario(name, overrides={"paths": PATHS})
        ds = engine.simulate(scn, block_paths=512)
        yield f"run/{name}", {v: array_digest(ds[v].values) for v in sorted(ds.data_vars)}
        point = sweep_points(scn)[0][1]
        inputs = kernel_inputs(point)
        for kernel in ("general", "lanes") if inputs.lanes else ("general",):
            yield f"block/{name}/{kernel}", _block_digests(inputs, point.seed, kernel, PATHS)
    for case in identity_cases():
        scn = case.identity_scenario()
        inputs = kernel_inputs(scn)
        for kernel in ("general", "lanes"):
            yield f"lanes/{case.name}/{kernel}", _block_digests(inputs, scn.seed, kernel, PATHS)


def compute() -> dict[str, dict[str, str]]:
    return dict(cases())


def stored() -> dict[str, dict[str, str]]:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/golden_outputs.py --write")
    DIGESTS.parent.mkdir(exist_ok=True)
    DIGESTS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS}")

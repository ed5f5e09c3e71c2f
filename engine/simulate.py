"""Run the kernel on one block of paths: the kernel choice and the block's raw outputs.

Each path's random stream depends only on (seed, path index) (see `engine.kernels.rng`), so a
path's results do not depend on the block it runs in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.inputs import KernelInputs
from engine.kernels.driver import RECORD_FIELDS, simulate_block
from engine.kernels.lanes import simulate_block_lanes
from engine.outputs import allocate_path_outputs

KERNELS = ("auto", "general", "lanes")


class BlockResult(NamedTuple):
    first_path: int
    outputs: dict[str, np.ndarray]
    record: np.ndarray


def run_block(
    inputs: KernelInputs,
    seed: int,
    first_path: int,
    n_paths: int,
    n_record: int,
    kernel: str = "auto",
) -> BlockResult:
    """Simulate paths [first_path, first_path + n_paths); keep whole paths for the first n_record.

    `kernel`: "auto" runs the lane (SIMD) kernel when it supports the scenario
    (`inputs.lanes`, from `engine.dispatch.supports`) and the general kernel otherwise; "general"
    forces the general kernel; "lanes" forces the lane kernel (an error if it does not support the
    scenario). Both give the same bits where both apply.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel = {kernel!r}: must be one of {', '.join(KERNELS)}")
    if kernel == "lanes" and not inputs.lanes:
        raise ValueError("kernel = 'lanes': the lane kernel does not support this scenario")
    out = allocate_path_outputs(n_paths)
    n_obs = int(inputs.grid.observe_index.max(initial=0)) + 1
    record = np.full((n_record, n_obs, len(RECORD_FIELDS)), np.nan)
    models = (
        inputs.market,
        inputs.pool,
        inputs.hedge,
        inputs.grid,
        inputs.manage,
        inputs.funding,
        inputs.shocks,
    )
    stream = (np.uint64(seed), np.int64(first_path), out, record)
    if inputs.lanes and kernel != "general":
        # options and venue hazards are off in every scenario the lane kernel supports
        simulate_block_lanes(*models, *stream)
    else:
        simulate_block(*models, inputs.options, inputs.venue, *stream)
    return BlockResult(first_path, out._asdict(), record)

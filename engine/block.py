"""Run one block of paths on a kernel: the kernel choice, made here and nowhere else.

Two kernels compute the same model bit for bit: the lane (SIMD) kernel
(`engine.kernels.lanes.simulate_block_lanes`) for the scenarios it supports (`KernelInputs.lanes`,
from `engine.dispatch.supports`), and the general path-by-path kernel
(`engine.kernels.driver.simulate_block`) for every scenario. Both take the kernel inputs whole.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.inputs import KernelInputs
from engine.kernels.driver import simulate_block
from engine.kernels.lanes import simulate_block_lanes
from engine.kernels.layout import RECORD_FIELDS
from engine.outputs import allocate_path_outputs

KERNELS = ("auto", "general", "lanes")


class BlockResult(NamedTuple):
    """first_path: the block's first global path index. outputs: name -> per-path array (the
    fields of `PathOutputs`). record: (n_record, n_obs, len(RECORD_FIELDS)) sampled paths."""

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
    run = simulate_block_lanes if inputs.lanes and kernel != "general" else simulate_block
    run(inputs, np.uint64(seed), np.int64(first_path), out, record)
    return BlockResult(first_path, out._asdict(), record)

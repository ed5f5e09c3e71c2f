"""What one block of paths produces: every per-path variable and the sampled whole paths."""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

from engine.block import BlockResult, run_block
from engine.inputs import kernel_inputs, split_capital
from engine.outputs import SAMPLE_OUTPUTS
from engine.results.plan import Task
from engine.scenario import Scenario, load_scenario


def block_values(scn: Scenario, result: BlockResult) -> dict[str, np.ndarray]:
    """Every per-path variable of one block (kernel outputs and derived P&Ls), plus the sampled
    paths as `sample_<field>` arrays (n_record, n_time)."""
    split = split_capital(scn)
    values = dict(result.outputs)
    values["hodl_pnl"] = split.x0 * (values["final_price"] - scn.market.spot)
    for f, name in enumerate(SAMPLE_OUTPUTS):
        values[f"sample_{name}"] = result.record[:, :, f]
    return values


@functools.lru_cache(maxsize=64)
def _point_inputs(scenario_json: str) -> tuple[Scenario, Any]:
    """A point's scenario and kernel inputs, made once per worker process and point."""
    scn = load_scenario(json.loads(scenario_json))
    return scn, kernel_inputs(scn)


def compute_block(scenario_json: str, task: Task) -> dict[str, np.ndarray]:
    """Run one task's block of paths of the point whose scenario is `scenario_json`."""
    scn, inputs = _point_inputs(scenario_json)
    result = run_block(inputs, scn.seed, task.first_path, task.n_paths, task.n_record)
    return block_values(scn, result)

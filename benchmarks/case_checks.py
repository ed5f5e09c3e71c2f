"""The checks every case passes before anything is timed: finite outputs, the accounting identity,
the price model's law of P_T, bit-identity across workers and blocks and between the entry points,
and that the floor kernel draws what the engine draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import engine
from benchmarks import checks
from benchmarks.floor import run_floor, run_floor_lanes, run_model_floor
from benchmarks.kernel_cases import Case
from benchmarks.progress import log
from benchmarks.settings import Settings
from engine.block import run_block
from engine.dispatch import unsupported_keys
from engine.inputs import kernel_inputs
from engine.kernels.lane_layout import LANES


def general_reason(scn: Any) -> str:
    """Why the dispatch sends a scenario to the general kernel (engine.dispatch's blocking keys)."""
    keys = unsupported_keys(scn)
    shown = ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")
    return f"general kernel (engine.dispatch: {shown} keep it off the lane kernel)"


def run_checks(settings: Settings, cases: Sequence[Case]) -> list[checks.Check]:
    """Per case: accounting identity, finiteness, the price model's law of P_T, workers/blocks
    bit-identity, run_block == simulate, and that the floor makes the engine's draws; on the lane
    kernel's cases also lane == general kernel and lane floor == scalar floor (n/a on the others).
    Raises CheckFailed."""
    done: list[checks.Check] = []
    n = settings.check_paths
    for case in cases:
        log(f"checks: {case.name}")
        scn = case.scenario(paths=n)
        inputs = kernel_inputs(scn)
        ds = engine.simulate(scn, workers=1, block_paths=n)
        outputs = {
            str(name): ds[name].values for name in ds.data_vars if ds[name].dims == ("path",)
        }
        checks.require(checks.finite_outputs(outputs, case.name), done)
        checks.require(
            checks.accounting_identity(outputs, ds.attrs["lp_value0"], scn.capital, case.name),
            done,
        )
        checks.require(
            checks.mean_final_price(
                outputs["final_price"], checks.final_price_law(scn, inputs), case.name
            ),
            done,
        )
        other = engine.simulate(scn, workers=2, block_paths=max(1, n // 3 + 1))
        checks.require(
            checks.identical_outputs(
                outputs,
                {name: other[name].values for name in outputs},
                "workers_blocks_identical",
                f"1 worker x 1 block vs 2 workers x {max(1, n // 3 + 1)}-path blocks",
                case.name,
            ),
            done,
        )
        head = min(n, 512)
        block = run_block(inputs, scn.seed, 0, head, 0)
        checks.require(
            checks.identical_outputs(
                block.outputs,
                {name: values[:head] for name, values in outputs.items()},
                "run_block_matches_simulate",
                f"run_block on the first {head} paths vs simulate",
                case.name,
            ),
            done,
        )
        n_floor = min(3, n)
        if inputs.lanes:
            checks.require(
                checks.identical_outputs(
                    run_block(inputs, scn.seed, 0, head, 0, kernel="general").outputs,
                    run_block(inputs, scn.seed, 0, head, 0, kernel="lanes").outputs,
                    "lanes_match_general",
                    f"lane kernel vs general kernel on the first {head} paths",
                    case.name,
                ),
                done,
            )
            merton = scn.market.price.model == "merton"
            sums = run_floor(scn.seed, 0, n_floor, scn.n_steps, merton)
            checks.require(checks.floor_draws_match(inputs, scn.seed, sums, case.name), done)
            n_lanes = LANES + 3
            same = np.array_equal(
                run_floor(scn.seed, 0, n_lanes, scn.n_steps, merton),
                run_floor_lanes(scn.seed, 0, n_lanes, scn.n_steps, merton),
            )
            checks.require(
                checks.Check(
                    "lane_floor_matches",
                    case.name,
                    bool(same),
                    "lane floor vs scalar floor: per-path sums "
                    f"{'bit-identical' if same else 'differ'} on {n_lanes} paths",
                ),
                done,
            )
        else:
            reason = general_reason(scn)
            done.append(checks.not_applicable("lanes_match_general", case.name, reason))
            adl = outputs["adl_cascades"][:n_floor].astype(np.int64)
            sums = run_model_floor(inputs, scn.seed, 0, n_floor, adl)
            checks.require(checks.floor_draws_match(inputs, scn.seed, sums, case.name, adl), done)
            done.append(
                checks.not_applicable(
                    "lane_floor_matches",
                    case.name,
                    "general kernel: no lane floor (its floor: model_floor)",
                )
            )
    return done

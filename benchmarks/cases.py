"""The benchmark's cases: the scenarios of the case table (`benchmarks/kernel_cases.py`) whose
results are checked and whose kernel throughput is measured, and the historical data the
data-driven ones need.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.kernel_cases import DATA_DIR, Case, timed_cases
from benchmarks.progress import log

CASES = timed_cases()
"""The benchmark's cases, in the order it runs and prints them: the case table's `timed` ones."""

# The historical CSVs the data-driven cases read (benchmarks/README.md)
DATA_FILES = ("eth_usdt_1h_binance_spot.csv", "eth_usdt_perp_funding_8h_binance.csv")


def data_folder() -> tuple[Path | None, str]:
    """The folder of the historical data, as the shipped scenarios find it: ${LPHEDGE_DATA}, else
    ../shared/data beside the repository (then LPHEDGE_DATA is set to it for this process).
    (None, the reason) when a file is missing."""
    given = os.environ.get("LPHEDGE_DATA")
    folder = Path(given) if given else DATA_DIR
    where = f"LPHEDGE_DATA={given}" if given else f"{folder} (LPHEDGE_DATA unset)"
    missing = [name for name in DATA_FILES if not (folder / name).is_file()]
    if missing:
        return None, f"historical data not found: {', '.join(missing)} missing in {where}"
    if not given:
        os.environ["LPHEDGE_DATA"] = str(folder)
    return folder, where


def select_cases() -> tuple[list[Case], list[dict[str, str]]]:
    """The cases that can run here, and the skipped ones with the reason (printed, recorded)."""
    folder, where = data_folder()
    cases: list[Case] = []
    skipped: list[dict[str, str]] = []
    for case in CASES:
        if case.needs_data and folder is None:
            skipped.append({"case": case.name, "reason": where})
            log(f"SKIPPED case {case.name}: {where}")
        else:
            cases.append(case)
    return cases, skipped

"""Shared fixtures of the model tests.

`run(overrides, paths=..., seed=...)` simulates the built-in default scenario with dotted-key
overrides (`{"hedge.leverage": 5}`), so that each test states only what it changes.

`figures.close(name, estimate, theory, se)` is the one assertion of every statistical check:
|estimate - theory| <= k s.e. with k = 4 by default, the standard error computed from the same
sample. Every check (and every figure a test wants reported, `figures.note`) is recorded; with the
environment variable LPHEDGE_FIGURES set to a file path, the session writes the records there as
JSON lines at its end. Nothing is printed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import xarray as xr

import engine
from engine.scenario import apply_overrides

_RECORDS: list[dict[str, Any]] = []

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
"""The historical ETH data (../shared/data beside the repository; never copied into it)."""
# the shipped data-driven scenarios name their CSVs as ${LPHEDGE_DATA}/...
os.environ.setdefault("LPHEDGE_DATA", str(DATA_DIR))


class Figures:
    """Recorder and checker of the analytic figures: engine estimate, theory, standard error."""

    def __init__(self, test_id: str) -> None:
        self.test_id = test_id

    def note(self, name: str, **values: Any) -> None:
        """Record figures without asserting anything (e.g. the inputs of a power check)."""
        clean = {k: (float(v) if isinstance(v, int | float) else v) for k, v in values.items()}
        _RECORDS.append({"test": self.test_id, "check": name, **clean})

    def close(self, name: str, estimate: float, theory: float, se: float, k: float = 4.0) -> None:
        """Assert |estimate - theory| <= k se, and record the figures."""
        estimate, theory, se = float(estimate), float(theory), float(se)
        z = (estimate - theory) / se if se > 0.0 else math.inf
        self.note(name, engine=estimate, theory=theory, se=se, z=z, kind=f"|z| <= {k:g}")
        assert se > 0.0 and math.isfinite(se), f"{name}: standard error {se!r} is not positive"
        assert abs(estimate - theory) <= k * se, (
            f"{name}: engine {estimate:.10g} vs theory {theory:.10g}: "
            f"{z:+.2f} s.e. (s.e. {se:.4g}), beyond {k:g} s.e."
        )

    def apart(self, name: str, estimate: float, other: float, se: float, k: float = 4.0) -> None:
        """Assert |estimate - other| > k se (a power check: the test can tell the two apart)."""
        estimate, other, se = float(estimate), float(other), float(se)
        z = (estimate - other) / se if se > 0.0 else math.inf
        self.note(name, engine=estimate, theory=other, se=se, z=z, kind=f"|z| > {k:g}")
        assert abs(estimate - other) > k * se, (
            f"{name}: engine {estimate:.10g} vs {other:.10g}: only {z:+.2f} s.e. apart "
            f"(s.e. {se:.4g}); the test has no power at {k:g} s.e."
        )


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    return Figures(request.node.nodeid)


def scenario_dict(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A scenario mapping: the defaults, with dotted-key overrides applied (validated when run)."""
    return apply_overrides({}, dict(overrides or {}))


def _run(
    overrides: Mapping[str, Any] | None = None,
    paths: int = 2_000,
    seed: int = 12345,
    **kwargs: Any,
) -> xr.Dataset:
    return engine.simulate(scenario_dict(overrides), paths=paths, seed=seed, **kwargs)


@pytest.fixture(scope="session")
def run() -> Callable[..., xr.Dataset]:
    """run(overrides, paths=2000, seed=12345, **simulate_kwargs) -> results Dataset."""
    return _run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("LPHEDGE_FIGURES")
    if target and _RECORDS:
        with Path(target).open("w", encoding="utf-8") as fh:
            for rec in _RECORDS:
                fh.write(json.dumps(rec) + "\n")

"""The kernels' numba cache directory follows every kernel module's source (engine.kernels)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numba

from engine.kernels import codegen as kernels


def test_cache_directory_is_keyed_by_the_kernel_sources() -> None:
    assert numba.config.CACHE_DIR == str(kernels.CACHE_DIR)
    assert kernels.CACHE_DIR.name == kernels.source_digest(Path(kernels.__file__).parent)


def test_editing_any_kernel_module_changes_the_directory(tmp_path: Path) -> None:
    source = Path(kernels.__file__).parent
    copy = tmp_path / "kernels"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert kernels.source_digest(copy) == kernels.source_digest(source)
    helper = copy / "lp.py"  # inlined into the driver: its edit alone must change the digest
    helper.write_text(helper.read_text() + "\n# edited\n")
    assert kernels.source_digest(copy) != kernels.source_digest(source)


def test_code_generation_tuning_stays_in_this_process() -> None:
    """The target-feature tuning is set in numba's configuration, never in the environment (a
    worker on another host must detect its own CPU), and not at all when the user chose the target."""
    import os
    import subprocess
    import sys

    assert "NUMBA_CPU_FEATURES" not in os.environ
    probe = "import engine.kernels; from numba.core import config; print(repr(config.CPU_FEATURES))"
    env = {**os.environ, "NUMBA_CPU_NAME": "generic"}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() in ("''", "None")

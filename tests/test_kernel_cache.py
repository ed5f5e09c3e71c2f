"""The kernels' numba cache directory follows every kernel module's source (engine.kernels)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numba

import engine.kernels as kernels


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

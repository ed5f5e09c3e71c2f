"""The results store: a run directory holding `results.zarr` and `summary.json`.

`results.zarr` is the results Dataset written by xarray in zarr format 3 (no consolidated metadata:
it is not part of the v3 specification and a local store does not need it). Two root attributes
mark a store lphedge wrote: `lphedge_store` (the store layout version) and `lphedge_complete`,
written last, after every array and the summary.

Two writers make such stores:

- `write_run` (a Dataset held in memory) is atomic as seen from the run directory: everything is
  written into a temporary directory first (a hidden sibling of the run directory, or a hidden
  folder inside it when it already exists), marked complete, then renamed into place. A crash
  leaves at most a hidden `*.lphedge-tmp-*` folder, never a half-written `results.zarr`.
- `engine.simulation.streamed.run_to_store` (the command line) creates `results.zarr` in place
  with every array at its final shape and streams the results into it task by task
  (`engine.results.resumable`); each task then sets its flag in the `lphedge_tasks/done` array (a
  child group, which xarray does not read). The store also records its task size
  (`lphedge_block_paths`) and a run id (`lphedge_run_id`). Until the completion mark is written
  the store is incomplete, and `read_results` refuses it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr
import zarr

from engine.errors import InputError
from engine.files import TMP_MARK

RESULTS_NAME = "results.zarr"
SUMMARY_NAME = "summary.json"
STORE_ATTR = "lphedge_store"
STORE_VERSION = 1
COMPLETE_ATTR = "lphedge_complete"
BLOCK_ATTR = "lphedge_block_paths"
RUN_ID_ATTR = "lphedge_run_id"
TASKS_ARRAY = "lphedge_tasks/done"
_STORE_ATTRS = (STORE_ATTR, COMPLETE_ATTR, BLOCK_ATTR, RUN_ID_ATTR)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Check that a run can be written to `out_dir`, without creating anything.

    Raises `InputError` (field `--out`) when `out_dir` is not a directory, already holds a
    `results.zarr` (unless `overwrite`), or cannot be written. Returns `out_dir` as an absolute
    path.
    """
    given = str(out_dir)
    out = Path(os.path.abspath(out_dir))
    if out.exists() and not out.is_dir():
        raise InputError("--out", given, "exists and is not a directory")
    if not overwrite and (out / RESULTS_NAME).exists():
        raise InputError(
            "--out",
            given,
            f"already holds {RESULTS_NAME}; choose another --out, pass --overwrite to replace it, "
            "or --resume to finish an interrupted run",
        )
    base = _nearest_existing(out)
    if not base.is_dir():
        raise InputError("--out", given, f"{base} is not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError("--out", given, f"cannot write into {base} (permission denied)")
    return out


def _store_attrs(ds: xr.Dataset) -> dict[str, Any]:
    attrs = {k: v for k, v in ds.attrs.items() if k not in _STORE_ATTRS}
    attrs[STORE_ATTR] = STORE_VERSION
    return attrs


def _install(tmp: Path, out: Path) -> None:
    """Move the finished run in `tmp` into `out`: summary first, then the completed store."""
    if not out.exists():
        os.rename(tmp, out)  # one atomic rename creates the run directory
        return
    old = out / RESULTS_NAME
    if old.exists() or old.is_symlink():
        os.rename(old, tmp / "replaced.zarr")  # removed with tmp
    os.replace(tmp / SUMMARY_NAME, out / SUMMARY_NAME)
    os.rename(tmp / RESULTS_NAME, out / RESULTS_NAME)


def write_run(
    out_dir: str | Path, ds: xr.Dataset, summary: Mapping[str, Any], *, overwrite: bool = False
) -> Path:
    """Write `ds` to out_dir/results.zarr and `summary` to out_dir/summary.json, atomically.

    Raises `InputError` naming `--out` if out_dir/results.zarr exists (unless `overwrite`) or
    the directory cannot be written. Returns the absolute run directory.
    """
    out = check_output(out_dir, overwrite)
    summary_text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
    to_write = ds.drop_encoding()
    to_write.attrs = _store_attrs(ds)

    parent = out if out.is_dir() else out.parent
    tmp = parent / f".{out.name or 'run'}{TMP_MARK}{secrets.token_hex(4)}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(tmp)  # honours the umask (tempfile.mkdtemp would make it private)
    except OSError as exc:
        raise InputError("--out", str(out_dir), f"cannot be created ({exc.strerror})") from None
    try:
        store = tmp / RESULTS_NAME
        to_write.to_zarr(store, mode="w-", consolidated=False, zarr_format=3)
        (tmp / SUMMARY_NAME).write_text(summary_text, encoding="utf-8")
        zarr.open_group(store, mode="r+").attrs[COMPLETE_ATTR] = True  # written last
        _install(tmp, out)
    except OSError as exc:
        raise InputError("--out", str(out_dir), f"cannot be written ({exc.strerror})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def results_store(path: str | Path) -> Path:
    """The zarr store of a run directory, or `path` itself if it is a store."""
    p = Path(path)
    if not p.exists():
        raise InputError("results", str(path), "no such file or directory")
    if (p / RESULTS_NAME).is_dir():
        return p / RESULTS_NAME
    if not p.is_dir():
        raise InputError("results", str(path), "is not a run directory or a .zarr store")
    return p


def read_results(path: str | Path) -> xr.Dataset:
    """Load the results Dataset from a run directory or its `results.zarr`.

    Refuses (with `InputError`) anything that is not a zarr store, a zarr store lphedge did not
    write, and a store whose writer did not finish. The Dataset is loaded into memory and carries
    the attributes it was written with (the store's own markers removed).
    """
    store = results_store(path)
    try:
        attrs = dict(zarr.open_group(store, mode="r").attrs)
    except (OSError, ValueError) as exc:  # zarr's errors derive from ValueError
        raise InputError(
            "results", str(path), f"is not a zarr store ({type(exc).__name__})"
        ) from None
    if STORE_ATTR not in attrs:
        raise InputError("results", str(path), "is a zarr store that lphedge did not write")
    if attrs.get(COMPLETE_ATTR) is not True:
        raise InputError(
            "results",
            str(path),
            "is an incomplete store: the run that wrote it did not finish; run it again",
        )
    if attrs[STORE_ATTR] != STORE_VERSION:
        raise InputError(
            "results",
            str(path),
            f"has store version {attrs[STORE_ATTR]!r}; this lphedge reads {STORE_VERSION}",
        )
    with xr.open_zarr(store, consolidated=False, decode_timedelta=False, chunks=None) as opened:
        ds = opened.load()
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in _STORE_ATTRS}
    return ds

"""The results store: round trip, atomic writes, refusal of foreign or incomplete stores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import engine
from engine.errors import InputError
from engine.files import TMP_MARK
from engine.results import store
from engine.results.store import read_results, write_run
from engine.risk import summary


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    scn = engine.load_scenario(
        None, ["horizon_days=3", "paths=300", "output.sample_paths=5", "hedge.leverage=8"]
    )
    return engine.simulate(scn)


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if TMP_MARK in p.name]


def test_round_trip(ds: xr.Dataset, tmp_path: Path) -> None:
    s = summary(ds)
    out = write_run(tmp_path / "run", ds, s)
    assert out == tmp_path / "run"
    assert sorted(p.name for p in out.iterdir()) == ["results.zarr", "summary.json"]
    assert json.loads((out / "summary.json").read_text()) == s

    for where in (out, out / "results.zarr", str(out)):
        back = read_results(where)
        xr.testing.assert_identical(back, ds)
        for name, var in ds.variables.items():
            assert back[name].dtype == var.dtype, name
            np.testing.assert_array_equal(back[name].values, var.values)
    assert back["liquidated"].dtype == np.bool_
    assert back["liquidated"].values.any()  # 8x leverage: some liquidations, NaN times elsewhere
    assert np.isnan(back["liquidation_time"].values).any()
    assert leftovers(tmp_path) == []


def test_store_is_marked(ds: xr.Dataset, tmp_path: Path) -> None:
    write_run(tmp_path / "run", ds, summary(ds))
    attrs = zarr.open_group(tmp_path / "run" / "results.zarr", mode="r").attrs
    assert attrs[store.COMPLETE_ATTR] is True
    assert attrs[store.STORE_ATTR] == store.STORE_VERSION
    assert store.COMPLETE_ATTR not in ds.attrs  # the caller's Dataset is untouched


def test_existing_output_refused(ds: xr.Dataset, tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, ds, summary(ds))
    before = (out / "summary.json").read_text()
    with pytest.raises(InputError, match="--out") as err:
        write_run(out, ds, {"other": 1})
    assert err.value.field == "--out"
    assert (out / "summary.json").read_text() == before
    assert leftovers(tmp_path) == []


def test_overwrite(ds: xr.Dataset, tmp_path: Path) -> None:
    out = tmp_path / "run"
    write_run(out, ds, summary(ds))
    (out / "notes.txt").write_text("mine")
    smaller = ds.isel(path=slice(0, 10))
    smaller.attrs["paths"] = 10
    write_run(out, smaller, {"paths": 10}, overwrite=True)
    assert read_results(out).sizes["path"] == 10
    assert json.loads((out / "summary.json").read_text()) == {"paths": 10}
    assert (out / "notes.txt").read_text() == "mine"  # other files in the run dir are kept
    assert leftovers(tmp_path) == []


def test_write_into_existing_directory(ds: xr.Dataset, tmp_path: Path) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    write_run(out, ds, summary(ds))
    xr.testing.assert_identical(read_results(out), ds)
    assert leftovers(tmp_path) == []


def test_out_is_a_file(ds: xr.Dataset, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_run(tmp_path / "afile", ds, {})
    with pytest.raises(InputError, match="not a directory"):
        write_run(tmp_path / "afile" / "run", ds, {})


def test_crash_leaves_nothing(
    ds: xr.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(store, "_install", crash)
    with pytest.raises(RuntimeError, match="killed"):
        write_run(tmp_path / "run", ds, summary(ds))
    assert list(tmp_path.iterdir()) == []

    (tmp_path / "existing").mkdir()
    with pytest.raises(RuntimeError, match="killed"):
        write_run(tmp_path / "existing", ds, summary(ds))
    assert list((tmp_path / "existing").iterdir()) == []


def test_summary_must_be_json(ds: xr.Dataset, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_run(tmp_path / "run", ds, {"bad": float("nan")})
    assert list(tmp_path.iterdir()) == []


def test_incomplete_store_refused(ds: xr.Dataset, tmp_path: Path) -> None:
    # what a writer that died after the arrays but before the completion mark leaves behind
    crashed = ds.copy()
    crashed.attrs[store.STORE_ATTR] = store.STORE_VERSION
    path = tmp_path / "run" / "results.zarr"
    crashed.to_zarr(path, consolidated=False, zarr_format=3)
    with pytest.raises(InputError, match="incomplete") as err:
        read_results(tmp_path / "run")
    assert err.value.field == "results"

    # a finished store whose mark was removed is refused too
    done = tmp_path / "done"
    write_run(done, ds, summary(ds))
    group = zarr.open_group(done / "results.zarr", mode="r+")
    del group.attrs[store.COMPLETE_ATTR]
    with pytest.raises(InputError, match="incomplete"):
        read_results(done)


def test_foreign_zarr_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.zarr"
    xr.Dataset({"x": ("a", np.arange(3.0))}).to_zarr(path, consolidated=False)
    with pytest.raises(InputError, match="lphedge did not write"):
        read_results(path)


def test_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_results(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a zarr store"):
        read_results(tmp_path / "empty")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="not a run directory"):
        read_results(tmp_path / "afile")

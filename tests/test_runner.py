"""Scale-out runs: bit-identity across workers, task sizes and schedulers; the streaming store;
kill and resume; sweeps and common random numbers; bad grids."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from typer.testing import CliRunner

import engine
from engine import cli
from engine.errors import InputError
from engine.results import store
from engine.results.plan import (
    DEFAULT_BLOCK_PATHS,
    MIN_TASKS,
    TASK_PATH_STEPS,
    default_block_paths,
    make_plan,
)
from engine.results.resumable import done_flags
from engine.results.store import read_results
from engine.simulation.streamed import run_to_store

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

SMALL = ["horizon_days=3", "paths=300", "output.sample_paths=5", "hedge.leverage=8"]


def same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Bit-identical variables, coordinates and attributes (but the creation time)."""
    a, b = a.copy(), b.copy()
    for ds in (a, b):
        ds.attrs.pop("created", None)
    xr.testing.assert_identical(a, b)
    for name, var in a.variables.items():
        assert var.dtype == b[name].dtype, name
        np.testing.assert_array_equal(var.values, b[name].values, err_msg=name)


@pytest.fixture(scope="module")
def small() -> engine.Scenario:
    return engine.load_scenario(None, SMALL)


@pytest.fixture(scope="module")
def small_ds(small: engine.Scenario) -> xr.Dataset:
    return engine.simulate(small, workers=1, block_paths=small.paths)


@pytest.fixture(scope="module")
def swept(small: engine.Scenario) -> engine.Scenario:
    data = small.to_dict()
    data["sweep"] = {"hedge.ratio": [0, 0.5, 1], "hedge.leverage": [2, 8]}
    return engine.load_scenario(data)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_one_vs_two_workers_and_task_sizes(small: engine.Scenario, small_ds: xr.Dataset) -> None:
    assert small_ds["liquidated"].values.any()  # 8x leverage: liquidations and NaN times
    for workers, block in ((2, 64), (2, 7), (1, 100)):
        same(small_ds, engine.simulate(small, workers=workers, block_paths=block))
    same(small_ds, engine.simulate(small, block_paths=50, scheduler="processes", workers=2))


def test_distributed_equals_threaded(small: engine.Scenario, small_ds: xr.Dataset, client) -> None:
    same(small_ds, engine.simulate(small, client=client, block_paths=33))


def test_distributed_processes_cluster(small: engine.Scenario, small_ds: xr.Dataset) -> None:
    """Worker processes (each compiles or loads the kernel once) give the same numbers."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        same(small_ds, engine.simulate(small, client=c, block_paths=40))


def test_store_equals_in_memory(
    small: engine.Scenario, small_ds: xr.Dataset, client, tmp_path: Path
) -> None:
    report = run_to_store(small, tmp_path / "a", block_paths=64, workers=2)
    assert (report.tasks_run, report.tasks_total, report.resumed) == (5, 5, False)
    same(small_ds, read_results(tmp_path / "a"))
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary == engine.risk.summary(small_ds)

    run_to_store(small, tmp_path / "b", block_paths=300, client=client)
    same(small_ds, read_results(tmp_path / "b"))

    # the store's chunks follow the blocks; the done flags are one chunk per task
    group = zarr.open_group(tmp_path / "a" / "results.zarr", mode="r")
    assert group["pnl"].chunks == (64,)
    assert done_flags(tmp_path / "a" / "results.zarr").all()


def test_existing_store_refused_then_resume_and_overwrite(
    small: engine.Scenario, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    run_to_store(small, out, block_paths=100, workers=1)
    with pytest.raises(InputError, match=r"already holds results\.zarr"):
        run_to_store(small, out, workers=1)
    again = run_to_store(small, out, resume=True)  # complete: nothing to do
    assert (again.tasks_run, again.resumed) == (0, True)
    other = engine.load_scenario(small, {"hedge.leverage": 3})
    with pytest.raises(InputError, match="different scenario"):
        run_to_store(other, out, resume=True)
    with pytest.raises(InputError, match="block-paths 100"):
        run_to_store(small, out, resume=True, block_paths=64)
    run_to_store(other, out, overwrite=True, workers=1)
    assert json.loads(read_results(out).attrs["scenario"])["hedge"]["leverage"] == 3


def test_partial_store_resumes_to_the_same_result(
    small: engine.Scenario, small_ds: xr.Dataset, tmp_path: Path
) -> None:
    """Unset some flags of a finished store and scramble their data: resume rewrites only them."""
    out = tmp_path / "run"
    run_to_store(small, out, block_paths=50, workers=2)
    path = out / "results.zarr"
    group = zarr.open_group(path, mode="r+")
    flags = group[store.TASKS_ARRAY]
    flags[1] = 0
    flags[4] = 0
    group["pnl"][50:100] = 0.0
    del group.attrs[store.COMPLETE_ATTR]
    (out / "summary.json").unlink()
    with pytest.raises(InputError, match="incomplete"):
        read_results(out)
    report = run_to_store(small, out, resume=True, workers=1)
    assert (report.tasks_run, report.tasks_total) == (2, 6)
    same(small_ds, read_results(out))


def test_kill_and_resume(tmp_path: Path) -> None:
    """SIGKILL a CLI run once some of its tasks are done; --resume finishes it, and the store
    equals an uninterrupted run's (made with other task sizes and workers)."""
    sets = ["--set", "horizon_days=365", "--set", "output.sample_paths=120"]
    args = ["run", "--paths", "2000", *sets, "--quiet"]
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "engine.cli", *args, "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--block-paths", "50", "--workers", "1"], env=env, stderr=subprocess.PIPE
    )
    path = out / "results.zarr"
    done = 0
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                done = int(done_flags(path).sum())
            except Exception:  # the store is not created yet
                done = 0
            if done >= 3:
                break
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    flags = done_flags(path)
    assert 3 <= flags.sum() < flags.size, f"killed after {flags.sum()} of {flags.size} tasks"
    with pytest.raises(InputError, match="incomplete"):
        read_results(out)
    assert not (out / "summary.json").exists()

    refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = subprocess.run(
        [*cmd, "--resume", "--workers", "2"], env=env, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert done_flags(path).all()

    scn = engine.load_scenario(None, ["horizon_days=365", "output.sample_paths=120", "paths=2000"])
    ref = tmp_path / "uninterrupted"
    run_to_store(scn, ref, block_paths=700, workers=2)
    same(read_results(ref), read_results(out))
    assert json.loads((ref / "summary.json").read_text()) == json.loads(
        (out / "summary.json").read_text()
    )


def test_dead_worker_costs_only_its_tasks(tmp_path: Path) -> None:
    """Kill one of two worker processes midway: the scheduler reruns its tasks elsewhere, and the
    store equals an in-memory run's."""
    import threading

    from distributed import Client, LocalCluster

    scn = engine.load_scenario(None, ["horizon_days=365", "output.sample_paths=60", "paths=1600"])
    out = tmp_path / "run"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        c.wait_for_workers(2)
        errors: list[BaseException] = []

        def job() -> None:
            try:
                run_to_store(scn, out, block_paths=40, client=c)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        thread = threading.Thread(target=job)
        thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if done_flags(out / "results.zarr").sum() >= 3:
                    break
            except Exception:
                pass
            time.sleep(0.01)
        victim = sorted(c.scheduler_info()["workers"])[0]
        at_kill = int(done_flags(out / "results.zarr").sum())
        with pytest.raises(Exception):  # noqa: B017 - the worker dies before answering
            c.run(os._exit, 1, workers=[victim], wait=True)
        thread.join(300)
        assert not thread.is_alive() and not errors, errors
        flags = done_flags(out / "results.zarr")
        assert flags.all() and at_kill < flags.size, (at_kill, flags.size)
    same(engine.simulate(scn, workers=2), read_results(out))


# --------------------------------------------------------------------------------------------
# Sweeps


def test_sweep_dims_and_common_random_numbers(swept: engine.Scenario, tmp_path: Path) -> None:
    ds = engine.simulate(swept, block_paths=128)
    assert ds["pnl"].dims == ("hedge.ratio", "hedge.leverage", "path")
    assert ds["hedge.ratio"].values.tolist() == [0.0, 0.5, 1.0]
    assert ds["hedge.leverage"].values.tolist() == [2, 8]
    assert ds["sample_price"].dims == ("hedge.ratio", "hedge.leverage", "sample", "time")

    # every point sees the same market paths
    prices = ds["final_price"].values.reshape(6, -1)
    assert (prices == prices[0]).all()

    # at ratio 0: exactly the shipped unhedged scenario's P&L on the same paths
    unhedged = engine.load_scenario("unhedged", SMALL)
    alone = engine.simulate(unhedged)
    for lev in (2, 8):
        at_zero = ds.sel({"hedge.ratio": 0, "hedge.leverage": lev})
        np.testing.assert_array_equal(at_zero["pnl"].values, alone["pnl"].values)
    # and each point equals the same scenario run on its own
    point = engine.load_scenario(swept.to_dict() | {"sweep": {}}, {"hedge.ratio": 0.5})
    one = engine.simulate(engine.load_scenario(point, {"hedge.leverage": 8}))
    np.testing.assert_array_equal(
        ds["pnl"].sel({"hedge.ratio": 0.5, "hedge.leverage": 8}).values, one["pnl"].values
    )
    assert ds["collateral0"].sel({"hedge.ratio": 0}).values.tolist() == [0.0, 0.0]

    report = run_to_store(swept, tmp_path / "sweep", block_paths=100, workers=2)
    same(ds, read_results(tmp_path / "sweep"))
    points = report.summary["points"]
    assert list(points)[:2] == ["hedge.ratio=0,hedge.leverage=2", "hedge.ratio=0,hedge.leverage=8"]
    assert points["hedge.ratio=0.5,hedge.leverage=8"]["coords"] == {
        "hedge.ratio": 0.5,
        "hedge.leverage": 8,
    }
    assert points["hedge.ratio=0,hedge.leverage=2"]["hedge_effectiveness"] == pytest.approx(0.0)
    assert report.summary["sweep"] == {"hedge.ratio": [0, 0.5, 1], "hedge.leverage": [2, 8]}


def test_plain_run_has_only_the_path_dim(small_ds: xr.Dataset) -> None:
    assert small_ds["pnl"].dims == ("path",)
    assert "sweep" not in json.loads(small_ds.attrs["scenario"])


def test_sweep_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "name: s\nhorizon_days: 2\npaths: 200\nsweep:\n  hedge.leverage: [2, 4]\n"
    )
    args = ["sweep", "s.yaml", "--grid", "hedge.ratio=0,1", "--out", "o", "--block-paths", "64"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert "simulating 4 sweep points x 200 paths" in result.stderr
    assert result.stderr.count("sweep point ") == 4  # a log line per finished point
    assert "hedge.leverage" in result.stdout and "mean P&L" in result.stdout
    ds = read_results("o")
    assert ds["pnl"].dims == ("hedge.leverage", "hedge.ratio", "path")
    summary = json.loads(Path("o/summary.json").read_text())
    assert set(summary["points"]) == {
        f"hedge.leverage={lev},hedge.ratio={r}" for lev in (2, 4) for r in (0, 1)
    }

    quiet = runner.invoke(cli.app, [*args[:-2], "--block-paths", "200", "--out", "q", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    same(ds, read_results("q"))

    # `run` on a scenario with a sweep block runs the sweep
    plain = runner.invoke(cli.app, ["run", "s.yaml", "--out", "r", "-q"])
    assert plain.exit_code == 0, plain.output
    assert read_results("r")["pnl"].dims == ("hedge.leverage", "path")


BAD_GRIDS = {
    "unknown key": (["--grid", "hedge.foo=1,2"], "hedge.foo"),
    "empty list": (["--grid", "hedge.ratio="], "hedge.ratio"),
    "empty value": (["--grid", "hedge.ratio=1,,2"], "hedge.ratio"),
    "wrong type": (["--grid", "hedge.leverage=2,high"], "hedge.leverage"),
    "out of range": (["--grid", "hedge.leverage=2,-1"], "hedge.leverage"),
    "no equals": (["--grid", "hedge.ratio"], "--grid"),
    "paths": (["--grid", "paths=10,20"], "paths"),
    "seed": (["--grid", "seed=1,2"], "seed"),
    "repeated": (["--grid", "hedge.ratio=1,1"], "hedge.ratio"),
    "section": (["--grid", "hedge=1,2"], "hedge"),
    "shape": (["--grid", "horizon_days=2,3"], "horizon_days"),
    "nothing": ([], "--grid"),
}


@pytest.mark.parametrize("case", list(BAD_GRIDS))
def test_bad_grid_exits_2(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args, key = BAD_GRIDS[case]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, ["sweep", "--set", "horizon_days=1", *args, "--out", "o"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert key in lines[0]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("sweep", "fragment"),
    [
        ({"hedge.ratio": []}, "sweep.hedge.ratio"),
        ({"hedge.ratio": 1}, "sweep.hedge.ratio"),
        ({"market.price.vol": [0.5, "x"]}, "market.price.vol"),
        ({"market.price.nope": [1]}, "market.price.nope"),
        ({"hedge.ratio": [[1]]}, "sweep.hedge.ratio"),
    ],
)
def test_bad_sweep_block(sweep: dict, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment.replace(".", r"\.")):
        engine.load_scenario({"sweep": sweep})


def test_plan_tasks_cover_every_path_once(swept: engine.Scenario) -> None:
    plan = make_plan(swept, 128)
    tasks = plan.tasks()
    assert [t.index for t in tasks] == list(range(plan.n_tasks)) == list(range(6 * 3))
    for p in range(6):
        blocks = [(t.first_path, t.n_paths) for t in tasks if t.point == p]
        assert blocks == [(0, 128), (128, 128), (256, 44)]
    assert sum(t.n_record for t in tasks) == 6 * 5


@pytest.mark.parametrize(
    ("paths", "n_steps", "n_points"),
    [
        (100_000, 2160, 1),
        (1_000_000, 8760, 1),
        (10_000, 2160, 1),
        (100_000, 2160, 50),
        (100, 24, 1),
        (5_000_000, 24, 1),
        (40_000, 24, 3),
    ],
)
def test_default_task_size(paths: int, n_steps: int, n_points: int) -> None:
    """A multiple of DEFAULT_BLOCK_PATHS, at least one. Above one unit: MIN_TASKS full tasks in
    the run, and no unit more than TASK_PATH_STEPS of work asks; short of that work only where a
    unit more would leave fewer than MIN_TASKS full tasks."""
    block = default_block_paths(paths, n_steps, n_points)
    unit = DEFAULT_BLOCK_PATHS
    assert block % unit == 0 and block >= unit
    if block > unit:
        assert n_points * (paths // block) >= MIN_TASKS
        assert (block - unit) * n_steps < TASK_PATH_STEPS
        if block * n_steps < TASK_PATH_STEPS:
            assert n_points * (paths // (block + unit)) < MIN_TASKS


def test_make_plan_defaults_to_the_work_sized_task(small: engine.Scenario) -> None:
    scn = small.model_copy(update={"paths": 100_000})
    assert make_plan(scn).block_paths == default_block_paths(100_000, scn.n_steps) == 12_288
    assert make_plan(scn, 777).block_paths == 777


def test_cli_on_a_cluster(client, small_ds: xr.Dataset, tmp_path: Path) -> None:
    """`--scheduler ADDRESS` runs the job on an existing cluster and prints its dashboard."""
    address = client.scheduler.address
    args = ["run", *(arg for item in SMALL for arg in ("--set", item))]
    result = runner.invoke(
        cli.app,
        [*args, "--scheduler", address, "--out", str(tmp_path / "c"), "--block-paths", "64"],
    )
    assert result.exit_code == 0, result.output
    assert "dask dashboard: " in result.stderr
    same(small_ds, read_results(tmp_path / "c"))

    both = runner.invoke(cli.app, [*args, "--scheduler", address, "--workers", "2"])
    assert both.exit_code == 2 and "--scheduler" in both.stderr


def test_unreachable_scheduler_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        cli.app,
        ["run", "--paths", "10", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2, result.output
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: --scheduler = 'tcp://127.0.0.1:9': cannot connect")
    assert not (tmp_path / "o").exists()  # nothing written

"""Dask execution: the client a run uses (given, remote, or a local cluster) and its tasks."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import InputError, short
from engine.results.plan import Task


@contextlib.contextmanager
def dask_client(
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = False,
) -> Iterator[Any]:
    """A dask.distributed Client: the one given; one connected to `scheduler` (an address);
    or a LocalCluster of `workers` threads (default: every usable core) in this process, or of
    `workers` single-threaded processes."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            with Client(scheduler, timeout="10s") as remote:
                yield remote
        except OSError as exc:
            raise InputError("--scheduler", scheduler, f"cannot connect ({exc})") from None
        except ValueError as exc:
            if not _malformed_address(scheduler):
                raise
            reason = (
                f"is not a scheduler address ({short(str(exc))}); expected e.g. tcp://HOST:8786"
            )
            raise InputError("--scheduler", short(scheduler), reason) from None
        return
    n = workers or default_workers()
    if processes:
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    else:
        cluster = LocalCluster(
            n_workers=1,
            threads_per_worker=n,
            processes=False,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster) as local:
        yield local


def _malformed_address(address: str) -> bool:
    """Whether distributed refuses `address` itself (its scheme, host or port), as opposed to a
    ValueError raised while the run used the client."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)
        get_backend(scheme)
    except ValueError:
        return True
    return False


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_tasks(
    client: Any,
    fn: Callable[..., Any],
    tasks: list[Task],
    args: Callable[[Task], tuple[Any, ...]],
    on_done: Callable[[Task, Any], None],
) -> None:
    """Submit `fn(*args(task))` for every task and call `on_done(task, result)` as each finishes
    (in completion order). A failed task cancels the rest and raises its exception."""
    from distributed import as_completed

    token = secrets.token_hex(4)
    by_key = {}
    futures = []
    for task in tasks:
        fut = client.submit(fn, *args(task), key=f"lphedge-{token}-{task.index}", pure=False)
        by_key[fut.key] = task
        futures.append(fut)
    try:
        for fut in as_completed(futures):
            result = fut.result()
            on_done(by_key[fut.key], result)
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])

"""The scheduler-agnostic map over replicates: joblib on this machine, or a Dask cluster.

Replicates are independent tasks. :func:`run_simulation` cuts ``range(replicates)`` into chunks and runs
:func:`run_chunk` on each:

* ``scheduler="local"``: joblib's ``loky`` process pool with ``workers`` processes (default: the CPUs this process
  may use); one worker runs the chunks in this process;
* ``scheduler="dask-local"``: a ``dask.distributed.LocalCluster`` of ``workers`` single-threaded worker processes
  (``processes=False``: threads of this process), started and closed here;
* any other value is the address of a running Dask scheduler (``tcp://host:8786``), which the call joins as a
  client and leaves; its workers need this package installed (the same version).

Replicate ``i`` takes its randomness only from the ``i``-th :class:`numpy.random.SeedSequence` spawned from ``seed``
(:func:`gvisage_lib.simulation.scenarios.replicate_seeds`), and the records are put back in replicate order, so the
records and tables are identical for the same ``seed`` whatever the scheduler, the number of workers and the
chunking.

Examples
--------
>>> light = SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)
>>> res = run_simulation(2, seed=1, scheduler="local", workers=1, settings=light)
>>> res.records["replicate"].unique().tolist()
[0, 1]
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gvisage_lib.core.validation import check_int
from gvisage_lib.simulation.scenarios import SimulationSettings, records_frame, simulate_replicate

__all__ = ["SCHEDULERS", "SimulationResult", "check_scheduler", "dask_client", "default_workers", "run_chunk",
           "run_simulation"]

#: Named schedulers; anything else is read as the address of a Dask scheduler.
SCHEDULERS: tuple[str, ...] = ("local", "dask-local")
#: How long to try to reach a Dask scheduler given by its address.
CONNECT_TIMEOUT = "20s"


def default_workers() -> int:
    """The CPUs this process may run on (``os.sched_getaffinity`` where available).

    Examples
    --------
    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def check_scheduler(scheduler: str) -> str:
    """``scheduler`` itself if it is ``"local"``, ``"dask-local"`` or a Dask scheduler address; else a ValueError.

    An address is ``[protocol://]host:port`` (``tcp://10.0.0.5:8786``, ``localhost:8786``, ``inproc://...``).

    Examples
    --------
    >>> check_scheduler("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> check_scheduler("dask")
    Traceback (most recent call last):
    ...
    ValueError: scheduler must be 'local', 'dask-local' or a Dask scheduler address such as tcp://host:8786, got 'dask'
    """
    if not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be a string, got {type(scheduler).__name__}")
    if scheduler in SCHEDULERS:
        return scheduler
    rest = scheduler.split("://", 1)[1] if "://" in scheduler else scheduler
    host, _, port = rest.rpartition(":")
    if scheduler.startswith("inproc://") or (host and port.isdigit()):
        return scheduler
    raise ValueError("scheduler must be 'local', 'dask-local' or a Dask scheduler address such as tcp://host:8786, "
                     f"got {scheduler!r}")


def run_chunk(seed: int, indices: Sequence[int], settings: SimulationSettings) -> list[dict[str, Any]]:
    """Records of the replicates ``indices`` (one task of the map; runs wherever the scheduler puts it).

    Examples
    --------
    >>> len(run_chunk(3, [0], SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)))
    7
    """
    out: list[dict[str, Any]] = []
    for i in indices:
        out.extend(simulate_replicate(int(i), seed, settings))
    return out


def _chunks(replicates: int, workers: int) -> list[list[int]]:
    """Consecutive chunks of ``range(replicates)``, about four per worker (fewer task overheads, balanced load)."""
    size = max(1, math.ceil(replicates / (4 * workers)))
    return [list(range(a, min(a + size, replicates))) for a in range(0, replicates, size)]


@dataclass
class SimulationResult:
    """Records of every replicate and how they were computed."""

    #: one row per replicate x record (``replicate`` then ``scenarios.RECORD_COLUMNS``), in replicate order.
    records: pd.DataFrame
    settings: SimulationSettings
    seed: int
    replicates: int
    scheduler: str
    workers: int
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four summary tables (:func:`gvisage_lib.simulation.summary.simulation_tables`)."""
        from gvisage_lib.simulation.summary import simulation_tables

        return simulation_tables(self.records, level=self.settings.level)

    def to_dict(self) -> dict[str, Any]:
        """What ``simulation.json`` records: seed, replicates, scheduler, workers, seconds, settings."""
        return {"seed": self.seed, "replicates": self.replicates, "scheduler": self.scheduler,
                "workers": self.workers, "seconds": round(self.seconds, 2), "settings": self.settings.to_dict(),
                **self.meta}


def _map_local(tasks: list[list[int]], seed: int, settings: SimulationSettings, workers: int) -> list[list[dict]]:
    if workers == 1:
        return [run_chunk(seed, t, settings) for t in tasks]
    from joblib.externals.loky import get_reusable_executor

    # loky's executor itself rather than joblib.Parallel on it: Parallel registers a memory-mapping folder with the
    # resource tracker for every call (even with nothing to map) and forgets it only at interpreter exit, which a
    # notebook kernel reaches after the tracker has warned on the terminal about "leaked folder objects"
    executor = get_reusable_executor(max_workers=workers)
    try:
        return list(executor.map(run_chunk, [seed] * len(tasks), tasks, [settings] * len(tasks)))
    finally:
        # loky keeps its worker processes for reuse; a notebook kernel that exits with them alive makes the
        # resource tracker warn about leaked semaphores on the terminal. The replicates are done: end them now.
        executor.shutdown(wait=True)


def _map_dask(client: Any, tasks: list[list[int]], seed: int, settings: SimulationSettings) -> list[list[dict]]:
    futures = client.map(run_chunk, [seed] * len(tasks), tasks, [settings] * len(tasks), pure=False)
    return client.gather(futures)


@contextmanager
def dask_client(scheduler: str, workers: int, *, processes: bool = True) -> Iterator[tuple[Any, int]]:
    """A Dask client and its number of workers: a new ``LocalCluster`` of ``workers`` single-threaded workers
    (``scheduler="dask-local"``), or the running cluster at the address ``scheduler`` (its workers counted).

    Raises
    ------
    ConnectionError
        When the scheduler at the address cannot be reached within :data:`CONNECT_TIMEOUT`.

    Examples
    --------
    >>> with dask_client("dask-local", 1, processes=False) as (client, n):  # doctest: +SLOW
    ...     client.submit(sum, [1, 2]).result(), n
    (3, 1)
    """
    import logging

    from dask.distributed import Client, LocalCluster

    if scheduler == "dask-local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client, workers
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        yield client, max(1, len(client.scheduler_info().get("workers", {})))


def run_simulation(replicates: int, seed: int, *, settings: SimulationSettings | None = None,
                   scheduler: str = "local", workers: int | None = None, dask_processes: bool = True,
                   log: Callable[[str], None] | None = None) -> SimulationResult:
    """Run ``replicates`` replicates of the simulation (:mod:`gvisage_lib.simulation.scenarios`) and collect them.

    Parameters
    ----------
    replicates : int
        Number of replicates (>= 1).
    seed : int
        Master seed (>= 0); replicate ``i`` uses the ``i``-th SeedSequence spawned from it.
    settings : SimulationSettings, optional
        What each replicate simulates (default: the paper's numbers).
    scheduler : str
        ``"local"`` (joblib), ``"dask-local"`` (a LocalCluster started here) or a Dask scheduler's address.
    workers : int, optional
        Worker processes for ``local`` and ``dask-local`` (default: the CPUs available); ignored for an address
        (the cluster has its own).
    dask_processes : bool
        ``dask-local`` only: worker processes (default) or threads of this process.
    log : callable, optional
        Receives one line when the run starts and one when it ends.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> run_simulation(0, seed=1)
    Traceback (most recent call last):
    ...
    ValueError: replicates must be a positive integer, got 0
    """
    check_int("replicates", replicates, minimum=1)
    check_int("seed", seed, minimum=0)
    check_int("workers", workers, minimum=1, allow_none=True)
    sched = check_scheduler(scheduler)
    st = SimulationSettings() if settings is None else settings
    if not isinstance(st, SimulationSettings):
        raise TypeError(f"settings must be a SimulationSettings, got {type(st).__name__}")
    n_workers = min(workers or default_workers(), replicates)
    t0 = time.perf_counter()
    meta: dict[str, Any] = {}
    if log:
        log(f"simulation: {replicates} replicates, seed {seed}, scheduler {sched}")
    if sched == "local":
        tasks = _chunks(replicates, n_workers)
        results = _map_local(tasks, seed, st, n_workers)
    else:
        with dask_client(sched, n_workers, processes=dask_processes) as (client, n_workers):
            results = _map_dask(client, _chunks(replicates, n_workers), seed, st)
        meta["dask_workers"] = n_workers
    records = records_frame([r for chunk in results for r in chunk])
    records = records.sort_values("replicate", kind="stable").reset_index(drop=True)
    secs = time.perf_counter() - t0
    if log:
        log(f"simulation: done in {secs:.1f} s ({replicates / secs:.2f} replicates/s)")
    return SimulationResult(records, st, seed, replicates, sched, n_workers, secs, meta)

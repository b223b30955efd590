"""Process pools whose workers never outlive the process that started them.

The pipeline's process pools (face preprocessing in notebook 02, rendering of the synthetic twin's photos) start
their workers with the ``spawn`` method. A spawned worker is an ordinary process: if its parent is killed outright
(``SIGKILL``, the out-of-memory killer, a notebook kernel that exits with ``os._exit`` when the ``gvisage`` process
that started it has gone), the worker is re-parented and keeps running and holding its memory, waiting forever for
work that never comes. :func:`worker_pool` prevents that in two ways:

* every worker asks the Linux kernel for ``SIGKILL`` when its parent dies (``prctl(PR_SET_PDEATHSIG)``, set in the
  worker's initializer through :mod:`ctypes`), and exits at once if the parent is already gone by then;
* where ``prctl`` is not available (macOS, Windows), a daemon thread in each worker polls the parent's process id
  once a second and ends the worker when it changes.

And when the block that uses the pool is left by an interruption (``KeyboardInterrupt``, ``SystemExit`` or any other
``BaseException`` that is not an ``Exception``), the pending work is cancelled and the workers are terminated at once
instead of being waited for, which is what :class:`concurrent.futures.ProcessPoolExecutor` would do.

Use it where a ``ProcessPoolExecutor`` would be used, from the thread that outlives the pool (Linux's death
signal follows the thread that started a worker)::

    with worker_pool(4) as pool:
        results = list(pool.map(work, jobs))

Examples
--------
>>> with worker_pool(1.5) as pool:  # the number of workers is checked before any process starts
...     pass
Traceback (most recent call last):
...
TypeError: n_workers must be a positive integer, got 1.5 (float)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from gvisage_lib.core.validation import check_int

__all__ = ["die_with_parent", "worker_pool"]

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent thread exits; ``False`` where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(interval)


def die_with_parent(parent_pid: int, *, poll_interval: float = 1.0) -> None:
    """Make the calling process end when the process ``parent_pid`` (its parent) ends.

    Meant as (part of) a pool's worker initializer. On Linux the kernel delivers ``SIGKILL`` to this process when
    its parent exits (``PR_SET_PDEATHSIG``); elsewhere a daemon thread polls :func:`os.getppid` every
    ``poll_interval`` seconds. If the parent is already gone when this is called, the process exits at once. The
    process also ignores ``SIGINT`` from then on: Ctrl-C reaches every process of the terminal's process group, and
    the parent, which receives it too, ends its workers itself.

    Parameters
    ----------
    parent_pid : int
        Process id of the parent as the parent saw it (``os.getpid()`` there), so that a parent that died before
        this call is noticed.
    poll_interval : float
        Seconds between two checks of the parent where ``prctl`` is unavailable.

    Examples
    --------
    >>> die_with_parent(0)
    Traceback (most recent call last):
    ...
    ValueError: parent_pid must be a positive integer, got 0
    """
    check_int("parent_pid", parent_pid, minimum=1)
    # Ctrl-C reaches the whole foreground process group; the parent decides what happens to its workers (it ends
    # them), so a worker does not die on its own with a KeyboardInterrupt traceback.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _set_pdeathsig(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent_pid, poll_interval), daemon=True,
                         name="gvisage-parent-watch").start()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (``ProcessPoolExecutor`` has no public call for it)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + 5.0
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()


@contextlib.contextmanager
def worker_pool(n_workers: int) -> Iterator[ProcessPoolExecutor]:
    """A ``spawn`` :class:`~concurrent.futures.ProcessPoolExecutor` of ``n_workers`` that die with this process.

    Every worker runs :func:`die_with_parent` first. Leaving the block normally or by an ``Exception`` shuts the pool
    down as usual (waiting for the workers); leaving it by an interruption (``KeyboardInterrupt``, ``SystemExit``,
    the pipeline's :class:`gvisage_lib.run.pipeline.RunInterrupted`) cancels the pending work and terminates the
    workers without waiting.

    Parameters
    ----------
    n_workers : int
        Number of worker processes (>= 1).

    Examples
    --------
    >>> worker_pool(0).__enter__()
    Traceback (most recent call last):
    ...
    ValueError: n_workers must be a positive integer, got 0
    """
    check_int("n_workers", n_workers, minimum=1)
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=get_context("spawn"), initializer=die_with_parent,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except Exception:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown(wait=True)

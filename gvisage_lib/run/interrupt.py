"""Stopping a run cleanly: ``SIGINT`` (Ctrl-C) and ``SIGTERM`` end ``gvisage reproduce`` with nothing left running.

While :func:`gvisage_lib.run.pipeline.reproduce` runs, :func:`signals_interrupt` turns both signals into
:class:`RunInterrupted`; the pipeline then records ``"interrupted"`` in ``run.json``, stops the notebook kernel with
everything it started (:func:`stop_kernels`), releases the run folder's lock and re-raises; ``gvisage`` prints one
line and exits with 128 + the signal's number (130 for ``SIGINT``, 143 for ``SIGTERM``), as a shell would.

How the kernel is reached: each notebook is executed by papermill in a helper thread
(:func:`execute_notebook_in_thread`), so that the signals reach the main thread and this module's handlers rather than
the handlers nbclient installs in its own event loop (those only shut the kernel down, after which the run went on
with the next notebook). The kernel is started by :class:`TrackedKernelManager`, which remembers it; Jupyter starts
every kernel in a process group of its own, so ending that group ends the kernel and the worker processes it started
(face preprocessing in notebook 02), which in addition die with their parent
(:func:`gvisage_lib.core.workers.die_with_parent`). A kernel whose ``gvisage`` process is killed outright exits by
itself within a second (ipykernel watches its parent).

Examples
--------
>>> import signal
>>> err = RunInterrupted(signal.SIGTERM)
>>> err.signal_name, err.exit_code
('SIGTERM', 143)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from jupyter_client.manager import AsyncKernelManager

__all__ = ["RunInterrupted", "TrackedKernelManager", "execute_notebook_in_thread", "quiet_kernel_exit",
           "signals_interrupt", "stop_kernels"]

_LIVE: weakref.WeakSet[TrackedKernelManager] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


class RunInterrupted(BaseException):
    """The run was stopped by a signal (``SIGINT`` or ``SIGTERM``).

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.signal_name = signal.Signals(self.signum).name
        #: the exit status a shell gives a process ended by the signal
        self.exit_code = 128 + self.signum
        super().__init__(f"interrupted by {self.signal_name}")


@contextlib.contextmanager
def signals_interrupt(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Within the block, each of ``signals`` raises :class:`RunInterrupted` in the main thread (once).

    A second signal while the first is being handled (the run recording and stopping) is ignored, so that the
    clean-up finishes. Outside the main thread (where Python cannot install handlers) the block runs unchanged.
    The previous handlers are restored on exit.

    Examples
    --------
    >>> import os, signal
    >>> try:
    ...     with signals_interrupt():
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...         __import__("time").sleep(5)
    ... except RunInterrupted as exc:
    ...     print(exc)
    interrupted by SIGTERM
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if fired:
            return
        fired.append(signum)
        raise RunInterrupted(signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old if old is not None else signal.SIG_DFL)


class TrackedKernelManager(AsyncKernelManager):
    """Jupyter's kernel manager, remembering the kernels it starts so that :func:`stop_kernels` can end them.

    Its shutdown sends no ``SIGINT``: jupyter_client interrupts a kernel before asking it to shut down, which
    ipykernel, idle once papermill has run the last cell, reports on the terminal ("KeyboardInterrupt caught in
    kernel", then asyncio's "Task was destroyed but it is pending!"). The shutdown request alone ends an idle kernel;
    one that does not end in time is killed as before. A running cell is still interrupted by an explicit
    ``interrupt_kernel`` (papermill's cell timeout) and a stopped run by :func:`stop_kernels`.
    """

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        await super().start_kernel(**kw)
        with _LIVE_LOCK:
            _LIVE.add(self)

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # the interrupt jupyter_client sends before its shutdown request
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel


class _PendingControlTask(logging.Filter):
    """Drops asyncio's "Task was destroyed but it is pending!" about ipykernel's control handler, nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (text.startswith("Task was destroyed but it is pending") and "dispatch_control" in text)


def quiet_kernel_exit() -> None:
    """In a notebook kernel: keep ipykernel's exit from printing asyncio's report of a pending control task.

    ipykernel stops its event loops from within the handler of the shutdown request, so that handler's task can still
    be pending when the process exits, and asyncio reports it ("Task was destroyed but it is pending! task: <Task
    pending ... Kernel.dispatch_control() ...>") on the terminal of ``gvisage reproduce``, after a notebook that
    succeeded. Other asyncio messages pass. Installed in every kernel of a run (``--IPKernelApp.exec_lines`` in
    :data:`gvisage_lib.run.pipeline.KERNEL_ARGUMENTS`); a second call adds nothing.

    Examples
    --------
    >>> quiet_kernel_exit(); quiet_kernel_exit()
    >>> [quiet] = [f for f in logging.getLogger("asyncio").filters if isinstance(f, _PendingControlTask)]
    >>> rec = lambda msg: logging.LogRecord("asyncio", logging.ERROR, "", 0, msg, None, None)
    >>> pending = "Task was destroyed but it is pending! task: <Task pending coro=<Kernel.dispatch_control()>>"
    >>> quiet.filter(rec(pending))
    False
    >>> quiet.filter(rec("Task exception was never retrieved"))
    True
    >>> logging.getLogger("asyncio").removeFilter(quiet)
    """
    log = logging.getLogger("asyncio")
    if not any(isinstance(f, _PendingControlTask) for f in log.filters):
        log.addFilter(_PendingControlTask())


def _kernel_process(km: AsyncKernelManager) -> tuple[Any, int | None]:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    pgid = getattr(prov, "pgid", None)
    return proc, (pgid if isinstance(pgid, int) and pgid > 0 else None)


def stop_kernels(grace: float = 3.0) -> int:
    """End every kernel started by :class:`TrackedKernelManager` that still runs, with its process group.

    ``SIGTERM`` first; what is left after ``grace`` seconds gets ``SIGKILL``. Returns the number of kernels found
    running.

    Examples
    --------
    >>> stop_kernels()  # none running
    0
    """
    with _LIVE_LOCK:
        managers = list(_LIVE)
    targets = []
    for km in managers:
        proc, pgid = _kernel_process(km)
        if proc is None or proc.poll() is not None:
            continue
        targets.append((proc, pgid))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc, pgid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                if pgid is not None and pgid != os.getpgid(0):
                    os.killpg(pgid, sig)
                else:
                    proc.send_signal(sig)
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline and any(p.poll() is None for p, _ in targets):
            time.sleep(0.05)
    return len(targets)


def execute_notebook_in_thread(source: str, dest: str, *, parameters: dict[str, Any], cwd: str, stop_grace: float = 3.0,
                               **papermill_options: Any) -> None:
    """Execute a notebook with papermill in a helper thread; the main thread stays free to receive signals.

    Raises what papermill raises (:class:`papermill.PapermillExecutionError` for a failing cell). If the waiting
    thread is interrupted (:class:`RunInterrupted`, ``KeyboardInterrupt``), the kernel is stopped
    (:func:`stop_kernels`), the helper thread is given a few seconds to write the partial notebook, and the
    interruption is re-raised. ``papermill_options`` go to ``papermill.execute_notebook`` (e.g. ``config`` and
    ``extra_arguments`` of the kernel).
    """
    import papermill as pm

    outcome: dict[str, BaseException] = {}

    def target() -> None:
        try:
            pm.execute_notebook(source, dest, parameters=parameters, cwd=cwd, kernel_name="python3",
                                progress_bar=False, log_output=False, kernel_manager_class=TrackedKernelManager,
                                **papermill_options)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"papermill {os.path.basename(source)}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
    except BaseException:
        stop_kernels(stop_grace)
        worker.join(10.0)
        raise
    if "error" in outcome:
        raise outcome["error"]

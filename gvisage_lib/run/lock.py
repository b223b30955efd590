"""One run at a time per run folder: the lock file ``<run>/run.lock``.

``gvisage reproduce`` takes the lock before it writes anything into the run folder and releases it when it ends,
however it ends (success, a failing notebook, an interruption). The lock file holds the process id, host name and
start time of the run that holds it, and is created atomically (written to a temporary file, then hard-linked to its
name, which fails if the name exists; where the file system has no hard links, ``O_CREAT | O_EXCL``).

A second run into the same folder is refused with :class:`RunLocked`, naming the holder. A lock left behind by a run
that was killed outright (``SIGKILL``, a power cut) is *stale*: when its process id names no live process on this
host, the next run takes the lock over and marks the killed run's ``run.json`` ``"interrupted"`` (it still said
``"running"``). A lock taken on another host (a shared file system) cannot be checked and is never taken over; the
message says which file to remove once that run is known to be gone.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> with RunLock(d) as lock:
...     (d / "run.lock").is_file(), lock.holder()["pid"] == __import__("os").getpid()
(True, True)
>>> (d / "run.lock").exists()
False
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["LOCK_NAME", "RunLock", "RunLocked", "pid_alive"]

LOCK_NAME = "run.lock"


class RunLocked(RuntimeError):
    """Another run holds the run folder's lock."""


def pid_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this host (and is not a zombie, where ``/proc`` tells).

    Examples
    --------
    >>> import os
    >>> pid_alive(os.getpid()), pid_alive(0)
    (True, False)
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class RunLock:
    """The lock of a run folder; a context manager that acquires on entry and releases on exit.

    Parameters
    ----------
    run_dir : path-like
        The run folder; it must exist.
    log : callable
        Receives one line when a stale lock is taken over.
    """

    def __init__(self, run_dir: str | os.PathLike[str], log: Callable[[str], None] = print) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.log = log
        self._held = False

    def holder(self) -> dict[str, Any] | None:
        """The lock file's content (``pid``, ``host``, ``started_utc``), or ``None`` without a readable lock."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _create(self) -> bool:
        """Create the lock file with this process's record; ``False`` if it exists already."""
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        text = json.dumps(record, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".run.lock.", dir=self.run_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            try:
                os.link(tmp, self.path)
                return True
            except FileExistsError:
                return False
            except OSError:  # no hard links on this file system
                try:
                    fd2 = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    return False
                with os.fdopen(fd2, "w", encoding="utf-8") as fh:
                    fh.write(text)
                return True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _mark_interrupted(self, holder: dict[str, Any]) -> None:
        """Record in the killed run's record that it did not finish."""
        from gvisage_lib.core.record import RunRecord

        record = RunRecord.load_or_none(self.run_dir)
        if record is not None and record.status == "running":
            record.mark_interrupted(f"the process {holder.get('pid')} ended without finishing the run (found by the "
                                    "next run, which took its lock over)")
            record.save(self.run_dir)

    def acquire(self) -> RunLock:
        """Take the lock; take a stale one over (see the module's notes). Raises :class:`RunLocked` if held."""
        if self._held:
            return self
        for _ in range(3):
            if self._create():
                self._held = True
                return self
            holder = self.holder()
            if holder is None:
                # unreadable: a lock being written this instant, or one truncated; not ours to judge
                raise RunLocked(f"run folder {self.run_dir} is locked ({self.path} exists but cannot be read); "
                                f"if no run is using this folder, remove {self.path}")
            same_host = holder.get("host") == socket.gethostname()
            pid = holder.get("pid")
            if not same_host or pid_alive(pid):
                where = f"process {pid} on {holder.get('host')}"
                raise RunLocked(f"run folder {self.run_dir} is in use by another run ({where}, started "
                                f"{holder.get('started_utc')}); wait for it, use another --out, or remove "
                                f"{self.path} if that run is gone")
            self.log(f"run folder {self.run_dir}: the run of process {pid} (started {holder.get('started_utc')}) "
                     "ended without releasing its lock; taking it over and marking that run interrupted")
            self._mark_interrupted(holder)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        raise RunLocked(f"run folder {self.run_dir}: could not take the lock {self.path} (other runs keep taking it)")

    def release(self) -> None:
        """Remove the lock file if this object holds it."""
        if self._held:
            holder = self.holder()
            if holder is None or holder.get("pid") == os.getpid():
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

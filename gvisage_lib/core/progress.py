"""Progress for the terminal: one line per step, with the time spent and an estimate of the time left.

The notebooks of a run are executed by kernels that are child processes of ``gvisage reproduce``. A kernel's
``sys.stdout`` and ``sys.stderr`` are captured into the executed notebook, but its own standard error
(``sys.__stderr__``, file descriptor 2) is inherited from the ``gvisage`` command: what is written there reaches the
user's terminal and never the rendered notebook (the pipeline starts the kernels with ipykernel's capture of file
descriptors 1 and 2 off, :data:`gvisage_lib.run.pipeline.KERNEL_ARGUMENTS`; with it on, as in an interactive
Jupyter session, the lines would show in the notebook too). Library code reports progress through :func:`report` (or a
:class:`Ticker`), which writes there, so a long step (training, preprocessing) is followed on the terminal while the
notebooks stay free of progress bars. Outside a kernel ``sys.__stderr__`` is the ordinary standard error.

Lines, not bars: a progress bar redrawn with carriage returns becomes thousands of lines in a log file or CI output.
A :class:`Ticker` writes one line per unit of a slow step (an epoch) or, for many fast units (subjects), at most one
line every ``every_s`` seconds, plus a closing line.

The pipeline names the notebook being executed in the environment variable :data:`PREFIX_ENV` (e.g. ``03 train``),
which the kernel inherits; every line starts with it, so the terminal reads
``03 train: resnet50 stage 2: epoch 4/10, 38 s, about 55 s left (loss 0.512, test AUC 0.710)``.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> clock = iter([0.0, 10.0, 20.0, 40.0]).__next__
>>> t = Ticker("resnet50 stage 2", 4, unit="epoch", every_s=0, stream=out, clock=clock, prefix="")
>>> _ = t.update(detail="loss 0.693")
>>> _ = t.update()
>>> print(out.getvalue(), end="")
resnet50 stage 2: epoch 1/4, 10 s, about 30 s left (loss 0.693)
resnet50 stage 2: epoch 2/4, 20 s, about 20 s left
>>> format_seconds(3725)
'1 h 02 min'
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from gvisage_lib.core.validation import check_int

__all__ = ["PREFIX_ENV", "Ticker", "format_seconds", "report", "terminal"]

#: Environment variable holding the prefix of every progress line (the pipeline sets it to the notebook's name).
PREFIX_ENV = "GVISAGE_PROGRESS_PREFIX"


def format_seconds(seconds: float) -> str:
    """A duration for people: ``"38 s"``, ``"4 min 05 s"``, ``"1 h 02 min"``.

    Examples
    --------
    >>> format_seconds(0.4), format_seconds(245), format_seconds(7200)
    ('0 s', '4 min 05 s', '2 h 00 min')
    >>> format_seconds(-1)
    Traceback (most recent call last):
    ...
    ValueError: seconds must be a finite number >= 0, got -1
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
    s = round(float(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def terminal() -> TextIO:
    """The stream progress goes to: the process's own standard error (``sys.__stderr__``), else ``sys.stderr``.

    Examples
    --------
    >>> terminal() is (sys.__stderr__ or sys.stderr)
    True
    """
    return sys.__stderr__ if sys.__stderr__ is not None else sys.stderr


def report(message: str, *, stream: TextIO | None = None, prefix: str | None = None) -> str:
    """Write one progress line (``prefix: message``) to the terminal and return it.

    Parameters
    ----------
    message : str
        The line, without its prefix or newline.
    stream : file-like, optional
        Where to write (default :func:`terminal`).
    prefix : str, optional
        Start of the line (default: the environment variable :data:`PREFIX_ENV`; none when unset or empty).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> report("preprocessing faces: done", stream=out, prefix="02 faces")
    '02 faces: preprocessing faces: done'
    >>> out.getvalue()
    '02 faces: preprocessing faces: done\\n'
    """
    prefix = os.environ.get(PREFIX_ENV, "") if prefix is None else prefix
    line = f"{prefix}: {message}" if prefix else message
    out = terminal() if stream is None else stream
    out.write(line + "\n")
    out.flush()
    return line


class Ticker:
    """Counts the finished units of one step and reports them, one line at a time, with an estimate of the time left.

    Parameters
    ----------
    label : str
        What is being done (``"resnet50 stage 2"``, ``"preprocessing faces"``).
    total : int
        Units the step has in all.
    unit : str
        Name of a unit, written before the count (``"epoch"`` gives ``epoch 4/10``); empty gives ``4/10``.
    start : int
        Units already done before this process began (a resumed training): counted, but not used for the estimate.
    every_s : float
        Report at most one line per ``every_s`` seconds (0: every update); :meth:`finish` closes the step.
    enabled : bool
        False: count silently.
    stream, prefix
        As in :func:`report`.
    clock : callable
        Seconds since an arbitrary origin (default :func:`time.perf_counter`; a fake one in tests).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> clock = iter([0.0, 1.0, 70.0, 71.0, 72.0]).__next__
    >>> t = Ticker("preprocessing faces", 3, unit="subject", every_s=60, stream=out, clock=clock, prefix="02 faces")
    >>> [t.update() for _ in range(3)]
    [None, '02 faces: preprocessing faces: subject 2/3, 1 min 10 s, about 35 s left', None]
    >>> t.finish("3 subjects, 1 cache hit")
    '02 faces: preprocessing faces: done in 1 min 12 s (3 subjects, 1 cache hit)'
    >>> Ticker("x", -1)
    Traceback (most recent call last):
    ...
    ValueError: total must be a non-negative integer, got -1
    """

    def __init__(self, label: str, total: int, *, unit: str = "", start: int = 0, every_s: float = 30.0,
                 enabled: bool = True, stream: TextIO | None = None, prefix: str | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        check_int("total", total, minimum=0)
        check_int("start", start, minimum=0, maximum=total)
        if not isinstance(every_s, (int, float)) or not every_s >= 0:
            raise ValueError(f"every_s must be a number >= 0, got {every_s!r}")
        self.label, self.total, self.unit, self.every_s, self.enabled = label, total, unit, float(every_s), enabled
        self.stream, self.prefix, self.clock = stream, prefix, clock
        self.start = self.done = start
        self.t0 = clock()
        self._last = self.t0

    def _count(self) -> str:
        return f"{self.unit} {self.done}/{self.total}" if self.unit else f"{self.done}/{self.total}"

    def update(self, n: int = 1, detail: str = "") -> str | None:
        """Count ``n`` more finished units; return the line written, or None when none was due."""
        self.done = min(self.total, self.done + n)
        now = self.clock()
        if not self.enabled or now - self._last < self.every_s:
            return None
        self._last = now
        elapsed = now - self.t0
        line = f"{self.label}: {self._count()}, {format_seconds(elapsed)}"
        fresh = self.done - self.start
        if 0 < fresh and self.done < self.total:
            line += f", about {format_seconds(elapsed / fresh * (self.total - self.done))} left"
        if detail:
            line += f" ({detail})"
        return report(line, stream=self.stream, prefix=self.prefix)

    def finish(self, detail: str = "") -> str | None:
        """Report the step as done, with the time it took; return the line (None when disabled)."""
        if not self.enabled:
            return None
        line = f"{self.label}: done in {format_seconds(self.clock() - self.t0)}"
        return report(line + (f" ({detail})" if detail else ""), stream=self.stream, prefix=self.prefix)

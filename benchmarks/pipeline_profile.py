"""Where a run's time went: per notebook, and per cell, from the run record of a run folder.

Reads ``<run>/run.json`` through :class:`gvisage_lib.core.record.RunRecord` (nothing is run again) and prints:

1. one line per notebook: status, who ran it, its wall time and share of the notebooks' total;
2. the slowest cells over all notebooks (``--top``, default 10), with their notebook, number and first line, where
   the notebooks recorded their cells' times (every notebook run with ``setup_notebook(notebook=...)``);
3. the ``gvisage train`` runs the record holds (model, stage, world size, time).

Usage::

    python benchmarks/pipeline_profile.py runs/quick [--top 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gvisage_lib.core.progress import format_seconds
from gvisage_lib.core.record import RunRecord


def notebook_lines(record: RunRecord) -> list[str]:
    """One line per notebook of the record, and a total line.

    Examples
    --------
    >>> from gvisage_lib.core.record import NotebookRecord
    >>> rec = RunRecord(notebooks=[NotebookRecord("01_a.ipynb", "succeeded", seconds=30.0, runner="notebook"),
    ...                            NotebookRecord("02_b.ipynb", "succeeded", seconds=90.0)])
    >>> print("\\n".join(notebook_lines(rec)))
    notebook  status     runner           time  share
    01_a      succeeded  notebook         30 s    25%
    02_b      succeeded  -          1 min 30 s    75%
    total                           2 min 00 s
    """
    total = sum(n.seconds or 0.0 for n in record.notebooks)
    width = max([len(Path(n.notebook).stem) for n in record.notebooks] + [8])
    who = max([len(n.runner) for n in record.notebooks] + [6])
    out = [f"{'notebook':<{width}}  {'status':<9}  {'runner':<{who}}  {'time':>11}  {'share':>5}"]
    for n in record.notebooks:
        secs = n.seconds or 0.0
        share = f"{100 * secs / total:.0f}%" if total > 0 else ""
        out.append(f"{Path(n.notebook).stem:<{width}}  {n.status:<9}  {(n.runner or '-'):<{who}}  "
                   f"{format_seconds(secs) if n.seconds is not None else '':>11}  {share:>5}")
    out.append(f"{'total':<{width}}  {'':<9}  {'':<{who}}  {format_seconds(total):>11}")
    return out


def cell_lines(record: RunRecord, top: int = 10) -> list[str]:
    """The ``top`` slowest cells of the record's notebooks (empty where no notebook recorded its cells).

    Examples
    --------
    >>> from gvisage_lib.core.record import NotebookRecord
    >>> rec = RunRecord(notebooks=[NotebookRecord("01_a.ipynb", cells=[{"cell": 2, "seconds": 4.0, "source": "x = f()"},
    ...                                                                {"cell": 3, "seconds": 0.5, "source": "g()"}])])
    >>> cell_lines(rec, top=1)
    ['01_a In [2]      4.0 s  x = f()']
    """
    cells = [(float(c.get("seconds") or 0.0), Path(n.notebook).stem, c.get("cell"), str(c.get("source", "")))
             for n in record.notebooks for c in n.cells]
    cells.sort(key=lambda c: -c[0])
    width = max([len(f"{stem} In [{cell}]") for _, stem, cell, _ in cells[:top]] + [0])
    return [f"{f'{stem} In [{cell}]':<{width}} {secs:8.1f} s  {source}" for secs, stem, cell, source in cells[:top]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="run folder (with its run.json)")
    ap.add_argument("--top", type=int, default=10, help="slowest cells to list (default 10)")
    args = ap.parse_args(argv)
    try:
        record = RunRecord.load(args.run)
    except (FileNotFoundError, ValueError) as exc:
        print(f"pipeline_profile: error: {exc}", file=sys.stderr)
        return 2
    s = record.settings
    print(f"run {args.run}: status {record.status}; profile {s.profile}, seed {s.seed}; "
          f"{record.environment.get('cpu_count', '?')} CPUs, device {record.environment.get('cuda_device') or 'CPU'}")
    if record.total_seconds is not None:
        print(f"whole run (gvisage reproduce, the twin and the checklists included): "
              f"{format_seconds(record.total_seconds)}")
    print("\n".join(notebook_lines(record)))
    cells = cell_lines(record, args.top)
    if cells:
        print(f"\nslowest {len(cells)} cells:")
        print("\n".join(cells))
    if record.trainings:
        print("\ngvisage train:")
        for t in record.trainings:
            print(f"{t.model} stage {t.stage}: {t.outcome}, world size {t.world_size}, {t.device}, "
                  f"{format_seconds(t.seconds or 0.0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

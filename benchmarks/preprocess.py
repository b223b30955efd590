"""Benchmark of face preprocessing: photos per second, cold (empty cache) and cached, on the default twin.

Generates the twin (scale 1, the quick profile's photo size) once into a temporary folder, then times
:func:`gvisage_lib.faces.preprocess.preprocess_cohort` with the quick profile's image size: ``--repeats`` cold runs
(each into an empty run folder) and as many cached runs (same run folder again), and prints the median of each. Also
prints the twin's rendering time and the Haar detection rate (share of photos passing QC).

Usage::

    python benchmarks/preprocess.py [--scale 1.0] [--repeats 3] [--workers N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.faces.preprocess import load_qc_photos, preprocess_cohort
from gvisage_lib.twin import synthesize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="twin scale (1 = the paper's group sizes)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per condition (median reported)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--keep", type=str, default="", help="folder to keep the twin in (default: a temp folder)")
    args = ap.parse_args()
    prof = get_profile("quick")
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gvisage_bench_"))
    cohort = root / "cohort"
    t0 = time.perf_counter()
    manifest = synthesize(cohort, seed=20250130, scale=args.scale, photo_size=prof.photo_size, workers=args.workers)
    t_render = time.perf_counter() - t0
    n_photos = sum(1 for _ in (cohort / "photos").glob("*.jpg"))
    print(f"twin: {n_photos} photos of {prof.photo_size[0]}x{prof.photo_size[1]} rendered in {t_render:.1f} s "
          f"({n_photos / t_render:.0f} photos/s) on {args.workers or os.cpu_count()} worker(s)")
    cold, cached = [], []
    for r in range(args.repeats):
        run = RunPaths(root / f"run{r}")
        shutil.rmtree(run.root, ignore_errors=True)
        t0 = time.perf_counter()
        faces = preprocess_cohort(manifest, run, image_size=prof.image_size, workers=args.workers, progress=False)
        cold.append(time.perf_counter() - t0)
        if faces["cache_hit"].any():
            raise RuntimeError("a cold run hit the cache")
        t0 = time.perf_counter()
        again = preprocess_cohort(manifest, run, image_size=prof.image_size, workers=args.workers, progress=False)
        cached.append(time.perf_counter() - t0)
        if not again["cache_hit"].all():
            raise RuntimeError("a cached run missed the cache")
    qc = load_qc_photos(RunPaths(root / "run0"))
    c, h = statistics.median(cold), statistics.median(cached)
    print(f"preprocess cold:   median {c:.1f} s over {args.repeats} runs -> {n_photos / c:.0f} photos/s")
    print(f"preprocess cached: median {h:.1f} s over {args.repeats} runs -> {n_photos / h:.0f} photos/s")
    print(f"photos passing QC (Haar detection etc.): {qc['passed'].mean():.2%}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

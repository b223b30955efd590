"""Benchmark: replicates per second of the simulation (notebook 07, ``gvisage simulate``), default scenarios.

Runs ``--replicates`` replicates (default 1,000) ``--repeats`` times (default 3) with ``run_simulation`` on the given
scheduler and workers (default: joblib with 2 worker processes, the project's 2-core budget), and prints per run the
wall time, the replicates per second and the time 1,000 replicates take at that rate, then the median over the runs.
It also prints the CPU time of one replicate in this process (the median over ``--cpu-sample`` replicates), which
does not depend on what else the machine runs: on 2 free cores, 1,000 replicates take about 1,000 x that / 2 plus the
start of the workers. The target is 1,000 replicates in 2 minutes on 2 cores.

Usage::

    .venv/bin/python benchmarks/simulation.py                       # 3 x 1,000 replicates on 2 workers
    .venv/bin/python benchmarks/simulation.py --replicates 200      # quicker; the time for 1,000 is extrapolated
    .venv/bin/python benchmarks/simulation.py --scheduler dask-local --workers 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from gvisage_lib.simulation import SimulationSettings, run_simulation, simulate_replicate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default="local")
    ap.add_argument("--seed", type=int, default=20250130)
    ap.add_argument("--cpu-sample", type=int, default=10, help="replicates timed in this process (CPU time)")
    args = ap.parse_args()
    settings = SimulationSettings()
    print(f"simulation benchmark: {args.replicates} replicates x {args.repeats} runs, scheduler {args.scheduler}, "
          f"{args.workers} workers; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    simulate_replicate(0, args.seed, settings)  # warm: imports, the reference twin
    cpu = []
    for i in range(1, args.cpu_sample + 1):
        t0 = time.process_time()
        simulate_replicate(i, args.seed, settings)
        cpu.append(time.process_time() - t0)
    per_rep = statistics.median(cpu)
    print(f"CPU time of one replicate (median of {len(cpu)}): {per_rep * 1000:.0f} ms -> 1,000 replicates on 2 free "
          f"cores: about {1000 * per_rep / 2:.0f} s plus the workers' start")

    rates = []
    for run in range(1, args.repeats + 1):
        t0 = time.perf_counter()
        run_simulation(args.replicates, args.seed + run, settings=settings, scheduler=args.scheduler,
                       workers=args.workers)
        secs = time.perf_counter() - t0
        rates.append(args.replicates / secs)
        print(f"run {run}: {secs:7.1f} s  {rates[-1]:6.2f} replicates/s  "
              f"-> 1,000 replicates in {1000 / rates[-1]:6.1f} s")
    med = statistics.median(rates)
    print(f"median: {med:.2f} replicates/s; 1,000 replicates in {1000 / med:.1f} s (target: 120 s on 2 cores)")


if __name__ == "__main__":
    main()

"""The ``gvisage`` command: ``reproduce``, ``parameters``, ``validate``, ``synth``, ``predict``, ``simulate``,
``replicate``, ``train`` and ``report``.

Exit codes: 0 success; 1 a notebook failed (the partial notebook is kept and named: a failing cell, a dead kernel,
a file that could not be written, a declared output not written) or the run could not be finished; 2 invalid input
(a bad manifest, an input of a partial rerun that differs from the run's record, a bad argument or notebook
parameter, a run folder that cannot be used or is in use by another run, a run folder ``predict`` cannot use, or
photos none of which passes quality control);
130 / 143 the run was interrupted by ``SIGINT`` / ``SIGTERM`` (``run.json`` says ``"interrupted"``).

Errors are one line on stderr (``gvisage: error: ...``), never a traceback; an unexpected error gets one too, and
its traceback only with the environment variable ``GVISAGE_DEBUG=1``.

Examples
--------
>>> main(["--version"])  # doctest: +SKIP
gvisage 0.1.0
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from gvisage_lib import __version__
from gvisage_lib.core.profiles import DEFAULT_PROFILE, DEFAULT_SEED, PROFILES, SCORE_FITS


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvisage", description="GVisage: reproduce the GVisageNet study end to end.")
    parser.add_argument("--version", action="version", version=f"gvisage {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_reproduce_parser(sub)

    sub.add_parser("parameters", help="list the notebook parameters that reproduce -p and --params can set")

    trn = sub.add_parser("train", help="train one candidate for one stage in a run folder whose faces are "
                                       "preprocessed; under torchrun as DistributedDataParallel")
    trn.add_argument("--out", type=Path, required=True, help="run folder (faces preprocessed by notebook 02)")
    trn.add_argument("--model", required=True, help="candidate architecture (alexnet, resnet50, inception_v3)")
    trn.add_argument("--stage", type=int, choices=(1, 2), required=True, help="1: tumour vs control, 2: iGCT vs other")
    trn.add_argument("--retrain", action="store_true", help="train even when a finished model.pt matches")
    trn.add_argument("--profile", choices=sorted(PROFILES), default=None, help="default: the run's (run.json)")
    trn.add_argument("--seed", type=int, default=None, help="default: the run's (run.json)")
    trn.add_argument("--device", default="auto", help="auto (CUDA if available), cuda or cpu")

    val = sub.add_parser("validate", help="check a cohort manifest and print every problem at once")
    val.add_argument("manifest", type=Path, help="manifest CSV (photo paths relative to its folder)")

    syn = sub.add_parser("synth", help="write the synthetic digital-twin cohort (manifest.csv, truth.csv, photos/)")
    syn.add_argument("--out", type=Path, required=True, help="output folder")
    syn.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    syn.add_argument("--scale", type=float, default=1.0, help="multiplier of the paper's group sizes (default: 1)")
    syn.add_argument("--photo-size", type=int, nargs=2, default=(320, 400), metavar=("W", "H"),
                     help="photo width and height in pixels (default: 320 400)")
    syn.add_argument("--capture-shift", type=float, default=0.0,
                     help="photograph controls differently from patients (0 = off; see docs)")
    syn.add_argument("--no-photos", action="store_true", help="write the tables only")

    _add_predict_parser(sub)
    sim = sub.add_parser("simulate", help="Monte-Carlo simulation of the paper's tests on the twin (notebook 07)")
    sim.add_argument("--replicates", type=int, default=1000, help="number of replicates (default: 1000)")
    sim.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"master seed (default: {DEFAULT_SEED})")
    sim.add_argument("--out", type=Path, required=True,
                     help="output folder (tables/, figures/, simulation_records.parquet, simulation.json)")
    sim.add_argument("--scheduler", default="local", metavar="local|dask-local|ADDRESS",
                     help="joblib on this machine (local, default), a Dask LocalCluster (dask-local) or the address "
                          "of a running Dask scheduler (tcp://host:8786)")
    sim.add_argument("--workers", type=int, default=None,
                     help="worker processes for local and dask-local (default: the CPUs available)")
    _add_replicate_parser(sub)
    rpt = sub.add_parser("report", help="render a run's notebook pages and overview (index.html) again from its "
                                        "record, e.g. after running a notebook with papermill")
    rpt.add_argument("run", type=Path, help="run folder (made by gvisage reproduce or by the notebooks)")
    rpt.add_argument("--zip", action="store_true",
                     help="also write RUN/report.zip: index, notebook pages, figures, tables, design notes, run.json "
                          "(no models, caches or photos)")
    return parser


def _add_reproduce_parser(sub: argparse._SubParsersAction) -> None:
    """The ``gvisage reproduce`` subcommand's arguments."""
    rep = sub.add_parser("reproduce", help="run every numbered notebook through papermill into a run folder")
    rep.add_argument("--profile", choices=sorted(PROFILES), default=None,
                     help=f"parameter set (default: {DEFAULT_PROFILE}; with --from, the run's)")
    rep.add_argument("--manifest", type=Path, default=None,
                     help="cohort manifest of your own; without it the synthetic twin is generated into the run folder")
    rep.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<profile>)")
    rep.add_argument("--seed", type=int, default=None,
                     help=f"master seed (default: {DEFAULT_SEED}; with --from, the run's)")
    rep.add_argument("--twin-seed", type=int, default=None, metavar="N",
                     help="seed of the synthetic twin alone (default: --seed); --seed then drives the training and "
                          "the statistics only")
    rep.add_argument("--score-fit", choices=SCORE_FITS, default=None,
                     help="where thresholds and models on CNN scores are fitted: out_of_fold (k extra trainings of the "
                          "selected network) or test (the internal test split, marked in-sample); default: the "
                          "profile's")
    rep.add_argument("--gpus", type=int, default=None, metavar="N",
                     help="CUDA devices for training: one candidate per GPU (default: one GPU if available, "
                          "trainings one after another on it)")
    rep.add_argument("--from", dest="start_at", default=None, metavar="NN",
                     help="rerun from notebook NN on (e.g. 04), continuing the run in --out with its profile, seed, "
                          "cohort and notebook parameters (a different one given is refused) and what its earlier "
                          "notebooks wrote")
    rep.add_argument("-p", "--parameter", dest="parameters", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"),
                     help="set a notebook parameter (repeatable), e.g. -p crop_mode box -p corr_method pearson; "
                          "checked against the parameters the notebooks declare and parsed to the declared type")
    rep.add_argument("--params", type=Path, default=None, metavar="FILE.yaml",
                     help="notebook parameters from a YAML file of name: value lines (-p wins over it)")


def _add_predict_parser(sub: argparse._SubParsersAction) -> None:
    """The ``gvisage predict`` subcommand's arguments."""
    from gvisage_lib.stats.operating_points import RULES

    pre = sub.add_parser("predict", help="screen one child from 1 to 4 face photos with a run's GVisageNet (QC, "
                                         "stage 1, stage 2) and print the probabilities and the call as JSON")
    pre.add_argument("--run", type=Path, required=True, help="run folder made by gvisage reproduce")
    pre.add_argument("photos", type=Path, nargs="+", metavar="PHOTO", help="1 to 4 photos of the same child")
    pre.add_argument("--rule", choices=(*RULES, "argmax"), default="youden",
                     help="thresholds: an operating point of the run's notebook 04 (default: youden), or argmax "
                          "(0.5, the cascade rule of notebook 03)")
    pre.add_argument("--combine", choices=("stack", "mean"), default="stack",
                     help="stack: the accepted photos stacked as one subject, as in training (default); mean: the "
                          "average of each photo's score")
    pre.add_argument("--crop-mode", choices=("detect", "none"), default=None,
                     help="detect the face, or take the photos as face crops already (none); default: the crop mode "
                          "the run's networks were trained on (its run.json)")
    pre.add_argument("--device", default="cpu", help="torch device: cpu (default), cuda or auto")


def _add_replicate_parser(sub: argparse._SubParsersAction) -> None:
    """The ``gvisage replicate`` subcommand's arguments."""
    rpl = sub.add_parser("replicate", help="run the pipeline for several seeds (each a run folder DIR/seed-<s>) on "
                                           "a scheduler and summarise the spread over seeds (notebook 08)")
    rpl.add_argument("--out", type=Path, required=True, help="study folder (seed-<s>/, study.json, index.html)")
    rpl.add_argument("--seeds", type=int, required=True, metavar="N", help="number of seeds (replicates), >= 1")
    rpl.add_argument("--first-seed", type=int, default=DEFAULT_SEED, metavar="S",
                     help=f"the first seed; the replicates use S, S+1, ..., S+N-1 (default: {DEFAULT_SEED})")
    rpl.add_argument("--vary", default="both", metavar="training|cohort|both",
                     help="what changes between replicates: training (the twin fixed at the first seed), cohort "
                          "(the training seed fixed at the first seed) or both (default: the master seed)")
    rpl.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                     help=f"parameter set of every replicate (default: {DEFAULT_PROFILE})")
    rpl.add_argument("--scheduler", default="local", metavar="local|dask-local|ADDRESS",
                     help="one after another here (local, default), a Dask LocalCluster (dask-local) or the address "
                          "of a running Dask scheduler (tcp://host:8786; DIR on a file system its workers share)")
    rpl.add_argument("--workers", type=int, default=None, metavar="K",
                     help="replicates at a time: local default 1, dask-local default the CPUs available")


def _err(msg: str) -> None:
    print(f"gvisage: error: {msg}", file=sys.stderr, flush=True)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cmd_validate(args: argparse.Namespace) -> int:
    from gvisage_lib.cohort.manifest import validate_manifest

    report = validate_manifest(args.manifest)
    print(report)
    return 0 if report.ok else 2


def _cmd_synth(args: argparse.Namespace) -> int:
    from gvisage_lib.twin import synthesize

    if args.scale <= 0:
        _err(f"--scale must be positive, got {args.scale}")
        return 2
    if args.capture_shift < 0:
        _err(f"--capture-shift must be >= 0, got {args.capture_shift}")
        return 2
    path = synthesize(args.out, seed=args.seed, scale=args.scale, photos=not args.no_photos,
                      photo_size=tuple(args.photo_size), capture_shift=args.capture_shift)
    print(path)
    return 0


def _cmd_parameters(args: argparse.Namespace) -> int:
    from gvisage_lib.run import pipeline
    from gvisage_lib.run.parameters import PIPELINE_PARAMETERS, declared_parameters

    declared = declared_parameters(pipeline.list_notebooks(pipeline.NOTEBOOK_DIR))
    rows = [(p.name, p.type, repr(p.default), " ".join(b[:2] for b in p.notebooks), p.help)
            for p in declared.values() if p.name not in PIPELINE_PARAMETERS]
    head = ("name", "type", "default", "notebooks", "meaning")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
    print("\nset with: gvisage reproduce -p NAME VALUE (or --params FILE.yaml); the run's own settings have options: "
          + ", ".join(f"{k} ({v})" for k, v in PIPELINE_PARAMETERS.items()))
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from gvisage_lib.cohort.manifest import ManifestError
    from gvisage_lib.run.interrupt import RunInterrupted, signals_interrupt
    from gvisage_lib.run.lock import RunLocked
    from gvisage_lib.run.parameters import load_params_file
    from gvisage_lib.run.pipeline import RunStepFailed, reproduce

    out = args.out if args.out is not None else Path("runs") / (args.profile or DEFAULT_PROFILE)
    try:
        with signals_interrupt():  # also while the arguments are checked, before the run itself takes the signals
            parameters = load_params_file(args.params) if args.params is not None else {}
            parameters.update(dict(args.parameters))
            reproduce(out, profile=args.profile, manifest=args.manifest, seed=args.seed, start_at=args.start_at,
                      score_fit=args.score_fit, parameters=parameters, gpus=args.gpus,
                      twin_seed=args.twin_seed, log=_log)
    except ManifestError as exc:
        report = getattr(exc, "report", None)
        print(report if report is not None else exc, file=sys.stderr)
        _err("the cohort manifest is invalid; nothing was written")
        return 2
    except RunStepFailed as exc:  # a notebook, or the checklists and overview page at the end
        _err(str(exc))
        return 1
    except RunLocked as exc:
        _err(str(exc))
        return 2
    except RunInterrupted as exc:
        _err(f"{exc}; {_interrupted_where(Path(out))}")
        return exc.exit_code
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import json

    from gvisage_lib.cnn.screen import screen_run
    from gvisage_lib.core.paths import RunPaths

    try:
        result = screen_run(RunPaths(args.run), args.photos, rule=args.rule, crop_mode=args.crop_mode,
                            combine=args.combine, device=args.device)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError) as exc:
        _err(str(exc))
        return 2
    print(json.dumps(result, indent=2))
    if result["call"] is None:
        _err(result["reason"])
        return 2
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from gvisage_lib.run.refresh import refresh_report

    print(refresh_report(args.run, bundle=args.zip, log=_log)["index"])
    return 0


def _interrupted_where(out: Path) -> str:
    """What an interrupted ``reproduce`` left in the run folder ``out``: a run record saying so, or nothing."""
    from gvisage_lib.core.record import RunRecord

    record = RunRecord.load_or_none(out)
    if record is not None and record.status == "interrupted":
        return f"{RunRecord.path(out)} records the run as interrupted"
    return "the run had not started"


def _describe(exc: BaseException) -> str:
    """One line for an expected error: its message, or for an OS error the file and the reason."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = str(exc).strip()
    return text if text else type(exc).__name__


def _cmd_simulate(args: argparse.Namespace) -> int:
    from gvisage_lib.simulation import check_scheduler, run_simulation, write_simulation

    if args.replicates < 1:
        _err(f"--replicates must be >= 1, got {args.replicates}")
        return 2
    if args.seed < 0:
        _err(f"--seed must be >= 0, got {args.seed}")
        return 2
    if args.workers is not None and args.workers < 1:
        _err(f"--workers must be >= 1, got {args.workers}")
        return 2
    try:
        check_scheduler(args.scheduler)
    except ValueError as exc:
        _err(f"--scheduler: {exc}")
        return 2
    if args.out.exists() and not args.out.is_dir():
        _err(f"--out {args.out} exists and is not a folder")
        return 2
    try:
        result = run_simulation(args.replicates, args.seed, scheduler=args.scheduler, workers=args.workers, log=_log)
    except ConnectionError as exc:
        _err(str(exc))
        return 2
    for path in write_simulation(result, args.out):
        print(path)
    return 0


def _replicate_settings(args: argparse.Namespace) -> object:
    """The study's settings from the arguments; a ValueError naming the option and the value."""
    from gvisage_lib.run.parameters import SEED_MAX
    from gvisage_lib.run.replicates import VARIES, StudySettings
    from gvisage_lib.simulation import check_scheduler

    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    if not 0 <= args.first_seed <= SEED_MAX:
        raise ValueError(f"--first-seed must be an integer from 0 to {SEED_MAX}, got {args.first_seed}")
    if args.first_seed + args.seeds - 1 > SEED_MAX:
        raise ValueError(f"--first-seed {args.first_seed} with --seeds {args.seeds} goes past the largest seed "
                         f"{SEED_MAX}")
    if args.vary not in VARIES:
        raise ValueError(f"--vary must be one of {', '.join(VARIES)}, got {args.vary!r}")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    try:
        check_scheduler(args.scheduler)
    except ValueError as exc:
        raise ValueError(f"--scheduler: {exc}") from None
    return StudySettings(profile=args.profile, seeds=args.seeds, first_seed=args.first_seed, vary=args.vary)


def _cmd_replicate(args: argparse.Namespace) -> int:
    from gvisage_lib.run.interrupt import RunInterrupted, signals_interrupt
    from gvisage_lib.run.lock import RunLocked
    from gvisage_lib.run.replicates import StudyFailed, run_study

    settings = _replicate_settings(args)
    try:
        with signals_interrupt():
            result = run_study(args.out, settings, scheduler=args.scheduler, workers=args.workers, log=_log)
    except (StudyFailed, RunLocked) as exc:
        _err(str(exc))
        return 1 if isinstance(exc, StudyFailed) else 2
    except ConnectionError as exc:
        _err(str(exc))
        return 2
    except RunInterrupted as exc:
        _err(f"{exc}; {args.out / 'study.json'} records the study as interrupted; rerun the same command to resume")
        return exc.exit_code
    print(result.files.get("index", result.study_dir / "study.json"))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import time

    import torch.distributed as dist

    from gvisage_lib.cnn.candidates import train_from_run
    from gvisage_lib.core.paths import RunPaths
    from gvisage_lib.core.record import RunRecord, TrainingRecord, now_utc

    started, t0 = now_utc(), time.perf_counter()
    try:  # a bad run folder, model or stage is a ValueError / FileNotFoundError: main() makes it one line, exit 2
        tm = train_from_run(RunPaths(args.out), args.model, args.stage, profile=args.profile, seed=args.seed,
                            retrain=args.retrain, device=args.device)
        world_size = dist.get_world_size() if dist.is_initialized() else 1
        rank = dist.get_rank() if dist.is_initialized() else 0
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if rank != 0:  # under torchrun every rank trains; rank 0 alone reports and records
        return 0
    outcome = "reused" if tm.reused else "trained"
    if RunRecord.exists(args.out):
        with RunRecord.updating(args.out) as record:
            record.add_training(TrainingRecord(tm.name, tm.stage, world_size=world_size, device=str(tm.device),
                                               outcome=outcome, started_utc=started, finished_utc=now_utc(),
                                               seconds=round(time.perf_counter() - t0, 2)))
    if tm.path.name == "model.pt":
        ranks = f" by {world_size} processes (DistributedDataParallel)" if world_size > 1 else ""
        print(f"{tm.name} stage {tm.stage}: {outcome}{ranks if outcome == 'trained' else ''}: {tm.path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gvisage`` console script; returns the exit code.

    Expected errors (bad input, files that cannot be read or written) print one line and return 2; an unexpected
    one prints one line and returns 1, with its traceback only when ``GVISAGE_DEBUG=1``; Ctrl-C returns 130.
    """
    args = _build_parser().parse_args(argv)
    handlers = {"reproduce": _cmd_reproduce, "validate": _cmd_validate, "synth": _cmd_synth,
                "parameters": _cmd_parameters, "predict": _cmd_predict,
                "simulate": _cmd_simulate, "train": _cmd_train, "report": _cmd_report,
                "replicate": _cmd_replicate}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except (ValueError, OSError) as exc:  # invalid input, FileNotFoundError, PermissionError, a run folder problem
        if os.environ.get("GVISAGE_DEBUG") == "1":
            traceback.print_exc()
        _err(_describe(exc))
        return 2
    except Exception as exc:  # noqa: BLE001 - the command line shows no traceback unless asked to
        if os.environ.get("GVISAGE_DEBUG") == "1":
            traceback.print_exc()
            _err(f"unexpected {type(exc).__name__}: {_describe(exc)}")
        else:
            _err(f"unexpected {type(exc).__name__}: {_describe(exc)} (set GVISAGE_DEBUG=1 for the traceback)")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

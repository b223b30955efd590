"""The ``gvisage`` command: ``reproduce``, ``validate``, ``synth`` and ``train``.

Exit codes: 0 success; 1 a notebook failed (the partial notebook is kept and named); 2 invalid input (a bad
manifest, a bad argument).

Examples
--------
>>> main(["--version"])  # doctest: +SKIP
gvisage 0.1.0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gvisage_lib import __version__
from gvisage_lib.core.profiles import PROFILES, SCORE_FITS
from gvisage_lib.run.pipeline import DEFAULT_SEED


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gvisage", description="GVisage: reproduce the GVisageNet study end to end.")
    parser.add_argument("--version", action="version", version=f"gvisage {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("reproduce", help="run every numbered notebook through papermill into a run folder")
    rep.add_argument("--profile", choices=sorted(PROFILES), default=None,
                     help="parameter set (default: quick; with --from, the run's)")
    rep.add_argument("--manifest", type=Path, default=None,
                     help="cohort manifest of your own; without it the synthetic twin is generated into the run folder")
    rep.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<profile>)")
    rep.add_argument("--seed", type=int, default=None,
                     help=f"master seed (default: {DEFAULT_SEED}; with --from, the run's)")
    rep.add_argument("--score-fit", choices=SCORE_FITS, default=None,
                     help="where thresholds and models on CNN scores are fitted: out_of_fold (k extra trainings of the "
                          "selected network) or test (the internal test split, marked in-sample); default: the profile's")
    rep.add_argument("--gpus", type=int, default=None, metavar="N",
                     help="CUDA devices for training: one candidate per GPU (default: one GPU if available, "
                          "candidates concurrent on it as memory allows)")
    rep.add_argument("--from", dest="start_at", default=None, metavar="NN",
                     help="rerun from notebook NN on (e.g. 04), continuing the run in --out with its profile, seed "
                          "and cohort (a different one given is refused) and what its earlier notebooks wrote")

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
    return parser


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


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from gvisage_lib.cohort.manifest import ManifestError
    from gvisage_lib.run.pipeline import NotebookFailed, reproduce

    out = args.out if args.out is not None else Path("runs") / (args.profile or "quick")
    try:
        reproduce(out, profile=args.profile, manifest=args.manifest, seed=args.seed, start_at=args.start_at,
                  score_fit=args.score_fit, gpus=args.gpus, log=_log)
    except ManifestError as exc:
        report = getattr(exc, "report", None)
        print(report if report is not None else exc, file=sys.stderr)
        _err("the cohort manifest is invalid; nothing was written")
        return 2
    except NotebookFailed as exc:
        _err(str(exc))
        return 1
    except (ValueError, FileNotFoundError) as exc:
        _err(str(exc))
        return 2
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import torch.distributed as dist

    from gvisage_lib.cnn.training import train_from_run

    try:
        tm = train_from_run(args.out, args.model, args.stage, profile=args.profile, seed=args.seed,
                            retrain=args.retrain, device=args.device)
    except (ValueError, FileNotFoundError) as exc:
        _err(str(exc))
        return 2
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if tm.path.name == "model.pt":
        print(f"{tm.name} stage {tm.stage}: {'reused' if tm.reused else 'trained'}: {tm.path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gvisage`` console script; returns the exit code."""
    args = _build_parser().parse_args(argv)
    handlers = {"reproduce": _cmd_reproduce, "validate": _cmd_validate, "synth": _cmd_synth, "train": _cmd_train}
    return handlers[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

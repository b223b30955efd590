"""Does the CUDA-graph training step learn as the eager one does? (a GPU check; on the CPU both are eager)

Trains one candidate twice with :func:`gvisage_lib.cnn.training.train_model` on the same learnable synthetic stacks
(:func:`gvisage_lib.cnn.datasets.write_synthetic_stacks`) and the same seed: once with eager steps
(``compile_mode=""``) and once with every full batch replayed as one CUDA graph (``"cuda_graph"``). On a GPU the two
are not bit-identical (bfloat16 rounding, cuDNN's nondeterministic kernels, capturable Adam's float32 bias
corrections) but must follow the same curve. Prints each epoch's training loss, test AUC and images/s of both, and
the largest relative difference of the final weights.

Usage::

    python benchmarks/cuda_graph_check.py [--model resnet50] [--size 128] [--per-group 96] [--epochs 4]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from gvisage_lib.cnn.datasets import StackSet, load_stacks, load_subjects, stage_subjects, write_synthetic_stacks
from gvisage_lib.cnn.training import train_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--per-group", type=int, default=96)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        root = write_synthetic_stacks(tmp, n_per_group=args.per_group, image_size=args.size, seed=0, signal=0.5)
        subjects = load_subjects(root / "manifest.csv", root / "faces.parquet", root)
        st = stage_subjects(subjects, 1)
        data = StackSet(tuple(st.subject_id), load_stacks(st.stack_path, args.size), torch.tensor(st.label.values))
        train, test = data.subset(st.split == "train"), data.subset(st.split == "test")
        results = {}
        for mode in ("", "cuda_graph"):
            t0 = time.perf_counter()
            res = train_model(args.model, train, test, stage=1, epochs=args.epochs, batch_size=args.batch_size,
                              learning_rate=1e-4, seed=0, out_dir=f"{tmp}/m{mode or 'eager'}", device=dev,
                              progress=False, compile_mode=mode)
            results[mode or "eager"] = (res, time.perf_counter() - t0)
    print(f"{args.model}, {args.size} px, batch {args.batch_size}, {len(train)} training stacks, "
          f"{len(test)} test, {args.epochs} epochs, device {torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu'}")
    print("| mode | epoch | train loss | test AUC | train images/s |")
    print("|---|---|---|---|---|")
    for mode, (res, _) in results.items():
        h = res.history
        for e in range(1, args.epochs + 1):
            tr = h[(h["epoch"] == e) & (h["split"] == "train")].iloc[0]
            te = h[(h["epoch"] == e) & (h["split"] == "test")].iloc[0]
            print(f"| {mode} | {e} | {tr['loss']:.4f} | {te['auc']:.4f} | {tr['images_per_s']:,.0f} |")
    (a, ta), (b, tb) = results["eager"], results["cuda_graph"]
    sa, sb = a.net.state_dict(), b.net.state_dict()
    rel = max(float((sa[k].float() - sb[k].float()).norm() / (sa[k].float().norm() + 1e-12))
              for k in sa if sa[k].is_floating_point())
    print(f"wall: eager {ta:.1f} s, cuda_graph {tb:.1f} s; largest relative weight difference {rel:.3g}")


if __name__ == "__main__":
    main()

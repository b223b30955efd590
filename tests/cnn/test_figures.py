"""Learning-curve figure: train and test told apart in the axes and in the legend."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from gvisage_lib.cnn.figures import plot_learning_curves

matplotlib.use("Agg")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_train_and_test_differ_in_line_and_marker_face_in_the_axes_and_the_legend() -> None:
    hist = pd.DataFrame([{"model": m, "stage": 1, "epoch": e, "split": sp, "loss": 0.5, "auc": 0.7}
                         for m in ("alexnet", "resnet50") for e in (1, 2) for sp in ("train", "test")])
    fig = plot_learning_curves(hist)
    ax = fig.axes[1]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    train, test = lines["AlexNet (train)"], lines["AlexNet (test)"]
    assert train.get_color() == test.get_color()  # one colour per candidate
    assert (train.get_linestyle(), test.get_linestyle()) == ("-", "--")
    assert train.get_markerfacecolor() != test.get_markerfacecolor()
    handles = {h.get_label(): h for h in ax.get_legend().legend_handles}
    assert handles["AlexNet (train)"].get_markerfacecolor() != handles["AlexNet (test)"].get_markerfacecolor()
    assert handles["AlexNet (test)"].get_linestyle() == "--"
    assert ax.get_legend().handlelength >= 3

"""The figure of Fig 5C: group-averaged attribution maps per stage and method, with one shared colour scale per row.

Every map a panel shows sums to 1 (a group map is the mean of its subjects' normalised maps over the four photos; an
example's map is its first photo's map normalised), so panels are comparable. Values are drawn as **multiples of a
uniform map** (the per-pixel share times the number of pixels: 1 = as much as if the attribution were spread evenly
over the crop), on one colour scale per row (a stage and a method) from 0 to the row's largest 99.5th percentile,
with a colour bar. A group whose subjects' maps were zero everywhere (Grad-CAM with no positive evidence) says so in
its title: those maps are counted, not averaged in.

Examples
--------
>>> import matplotlib, pandas as pd
>>> from pathlib import Path
>>> matplotlib.use("Agg")
>>> m = np.random.default_rng(0).random((16, 16)).astype(np.float32); m /= m.sum()
>>> r = Fig5C(False, Path("m.csv"), "validation", {1: "resnet50", 2: "resnet50"}, {1: 8, 2: 8}, pd.DataFrame(),
...           {(1, "gradcam", "NC"): m, (2, "integrated_gradients", "iGCT"): m}, {(1, "NC"): 20, (2, "iGCT"): 20},
...           n_zero={(1, "gradcam", "NC"): 3})
>>> fig = plot_fig5c(r)                    # 2 stages x 2 methods x 3 panels; a colour bar per row with a map
>>> sum(ax.get_label() == "<colorbar>" for ax in fig.axes), max(len(ax.images) for ax in fig.axes)
(2, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gvisage_lib.cnn.attribution_maps import METHOD_LABEL, METHODS
from gvisage_lib.cnn.fig5c import MIN_GROUP_REAL, Fig5C
from gvisage_lib.cohort.privacy import assert_renderable
from gvisage_lib.core import schema

__all__ = ["plot_fig5c"]

#: Quantile of a row's maps that tops its colour scale (a few hot pixels do not wash out the rest).
_TOP_QUANTILE = 0.995


def _panels(result: Fig5C, stage: int, method: str,
            n_attributed: dict[tuple[int, str], int]) -> list[tuple[str, np.ndarray | None, np.ndarray | None, str]]:
    """(title, map or None, face underlay or None, why there is no map) of one row, group maps then examples."""
    panels: list[tuple[str, np.ndarray | None, np.ndarray | None, str]] = []
    for g in schema.STAGES[stage]["groups"]:  # type: ignore[union-attr]
        n = n_attributed.get((stage, g), 0)
        zero = result.n_zero.get((stage, method, g), 0)
        title = f"{g} (n={n})" + (f"\n{zero} zero map{'s' if zero != 1 else ''}, not averaged" if zero else "")
        if (stage, g) in result.n_maps:
            why = f"all {n} maps zero\n(no positive\nevidence)" if zero else "no map"
        else:
            why = f"not shown\n(n < {MIN_GROUP_REAL})"
        panels.append((title, result.maps.get((stage, method, g)), result.underlays.get((stage, g)), why))
    for e in (e for e in result.examples if e["stage"] == stage):
        panels.append((f"{e['group']} {e['subject_id']}\nscore {e['score']:.2f}", e["maps"].get(method),
                       e["crop"].astype(np.float32) / 255.0, "zero map\n(no positive\nevidence)"))
    return panels


def _draw_row(sub: Any, axes: np.ndarray, panels: list[tuple[str, np.ndarray | None, np.ndarray | None, str]],
              label: str, alpha: float, first_row: bool) -> None:
    """One row of panels on one colour scale, with its colour bar."""
    from gvisage_lib.core.style import FONT

    scaled = [None if p[1] is None else p[1] * p[1].size for p in panels]
    tops = [float(np.quantile(a, _TOP_QUANTILE)) for a in scaled if a is not None]
    top = max(tops) if tops and max(tops) > 0 else 1.0
    image = None
    for c, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if c >= len(panels):
            ax.axis("off")
            continue
        title, _, under, why = panels[c]
        if under is not None:
            ax.imshow(np.clip(under, 0, 1))
        if scaled[c] is None:
            ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=FONT.small, transform=ax.transAxes)
        else:
            image = ax.imshow(scaled[c], cmap="inferno", vmin=0, vmax=top,
                              alpha=alpha if under is not None else 1.0)
        if first_row:
            ax.set_title(title, fontsize=FONT.small)
        if c == 0:
            ax.set_ylabel(label, fontsize=FONT.small)
    if image is not None:
        bar = sub.colorbar(image, ax=list(axes), shrink=0.85, extend="max", pad=0.01)
        bar.ax.tick_params(labelsize=FONT.small)
        bar.set_label("x uniform", fontsize=FONT.small)


def plot_fig5c(result: Fig5C, *, fig: Any | None = None, alpha: float = 0.6) -> Any:
    """Fig 5C: per stage, the group-averaged maps of each method (rows) and, on the twin, one example per group.

    On the synthetic twin every map lies over a face: the group's average crop for a group map, the subject's first
    crop for an example (checked by :func:`gvisage_lib.cohort.privacy.assert_renderable`). For any other cohort the
    maps are drawn alone. One colour scale and colour bar per row (module docstring).

    Parameters
    ----------
    result : Fig5C
        From :func:`gvisage_lib.cnn.fig5c.fig5c_attribution`.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw into (default: a new one).
    alpha : float
        Opacity of the map over the face.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    See the module docstring.
    """
    import matplotlib.pyplot as plt

    from gvisage_lib.core.style import FONT, PANEL_SIZE, model_label

    if result.underlays or result.examples:
        assert_renderable(result.manifest_path, [e["subject_id"] for e in result.examples])
    methods = [m for m in METHODS if any(k[1] == m for k in result.maps)] or list(METHODS)
    stages = sorted(result.models)
    n_attributed = (result.subjects.groupby(["stage", "group"]).size().to_dict() if len(result.subjects)
                    else dict(result.n_maps))
    rows = {(s, m): _panels(result, s, m, n_attributed) for s in stages for m in methods}
    ncols = max(len(p) for p in rows.values())
    w, h = PANEL_SIZE["crop"]
    own = fig is None
    if fig is None:
        fig = plt.figure(figsize=(w * ncols + 1.2, (h + 0.35) * len(methods) * len(stages) + 0.5 * len(stages)))
    subs = np.atleast_1d(fig.subfigures(len(stages), 1))
    for sub, s in zip(subs, stages):
        axes = sub.subplots(len(methods), ncols, squeeze=False)
        has_examples = any(e["stage"] == s for e in result.examples)
        layer = result.gradcam_layers.get(s)
        sub.suptitle(f"Stage {s} ({schema.STAGES[s]['name']}), {model_label(result.models[s])}: group averages"
                     + (" and one example per group" if has_examples else "")
                     + (f"; Grad-CAM on {layer} ({result.map_sides[s]}x{result.map_sides[s]})" if layer else ""),
                     fontsize=FONT.medium)
        for r, m in enumerate(methods):
            _draw_row(sub, axes[r], rows[(s, m)], METHOD_LABEL[m], alpha, first_row=r == 0)
    subs[-1].supxlabel("attribution per pixel in multiples of a uniform map (1 = spread evenly over the crop); one "
                       "scale per row", fontsize=FONT.note)
    if own:
        fig.set_layout_engine("constrained")
    return fig

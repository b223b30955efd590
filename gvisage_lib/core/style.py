"""The figures' shared style: display labels, colours, figure and font sizes, and the axes helpers.

Every ``figures.py`` of a pipeline stage (cohort, faces, cnn, roc, clinical, endocrine) takes its labels, colours and
sizes from here, so that a split, a model, a tumour group or an HPT stratum looks the same in every figure.

Conventions of the plot functions:

* a function that draws one Axes accepts ``ax=None`` (keyword): with an Axes it draws into it and returns
  ``ax.figure``, leaving the figure's size and layout to the caller; without one it makes a figure of its default
  size (:data:`FIGSIZE`), lays it out and returns it (:func:`new_axes`, :func:`finish`);
* a function that draws several panels accepts ``fig=None`` (keyword): with an empty figure it adds its panels to it
  and returns it, else it makes its own (:func:`new_panels`);
* no function calls ``plt.show()`` or chooses the matplotlib backend.

Colours not named here (a model or stratum of another name) come from :data:`CYCLE` in order of appearance
(:func:`pick_colour`), as matplotlib's default cycle would give them.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig, ax = new_axes(figsize=FIGSIZE["curve"])
>>> _ = ax.plot([0, 1], [0, 1], color=SPLIT_COLOUR["validation"], label=SPLIT_LABEL["validation"])
>>> finish(fig, own=True) is fig
True
>>> model_label("resnet50"), pick_colour(MODEL_COLOUR, "Hybrid model", 0)
('ResNet-50', '#2ca02c')
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase

from gvisage_lib.core import schema
from gvisage_lib.core.labels import (
    GROUP_LABEL,
    METRIC_LABEL,
    MODEL_LABEL,
    RULE_LABEL,
    SITE_LABEL,
    SPLIT_LABEL,
)
from gvisage_lib.core.validation import check_int

__all__ = [
    "CORRELATION_CMAP", "CYCLE", "FIGSIZE", "FLOW_BOX_COLOUR", "FONT", "FontSizes", "GROUP_COLOUR", "GROUP_LABEL",
    "HPT_COLOUR", "METRIC_LABEL", "MODEL_COLOUR", "MODEL_LABEL", "PANEL_SIZE", "QC_COLOUR", "RULE_LABEL",
    "RULE_MARKER", "SITE_COLOUR", "SITE_LABEL", "SPLIT_COLOUR", "SPLIT_LABEL", "STAGE_CLASS_LABEL", "STAGE_TITLE",
    "STRATEGY_STYLE",
    "finish", "grid_figsize", "model_label", "new_axes", "new_panels", "pick_colour",
]

#: matplotlib's default colour cycle ("tab10"), for anything without a colour of its own.
CYCLE: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf")

# --- labels -----------------------------------------------------------------------------------------------------

# the display names are part of the report's one label map (gvisage_lib.core.labels), re-exported here
#: Panel titles of the two stages of the cascade.
STAGE_TITLE: Mapping[int, str] = MappingProxyType(
    {s: f"Stage {s}: {spec['name']}" for s, spec in schema.STAGES.items()})


def _class_labels(spec: Mapping[str, object]) -> tuple[str, str]:
    pos = [g for g in spec["groups"] if g in spec["positive"]]  # type: ignore[attr-defined,operator]
    neg = [g for g in spec["groups"] if g not in spec["positive"]]  # type: ignore[attr-defined,operator]
    return ("Midline tumour" if len(pos) > 1 else GROUP_LABEL[pos[0]]), " or ".join(GROUP_LABEL[g] for g in neg)


#: Display names of the positive and the negative class of each stage (the reference standard's two results).
STAGE_CLASS_LABEL: Mapping[int, tuple[str, str]] = MappingProxyType(
    {s: _class_labels(spec) for s, spec in schema.STAGES.items()})
#: Marker of each operating-point rule on a ROC curve.
RULE_MARKER: Mapping[str, str] = MappingProxyType(
    {"youden": "o", "sensitivity_at_specificity": "^", "specificity_at_sensitivity": "s"})

# --- colours ----------------------------------------------------------------------------------------------------

#: One colour per split.
SPLIT_COLOUR: Mapping[str, str] = MappingProxyType({"test": "#1f77b4", "validation": "#d62728", "train": "#7f7f7f"})
#: One colour per model: the CNN candidates and the stage-2 models (GVisageNet, logistic regression, hybrid).
MODEL_COLOUR: Mapping[str, str] = MappingProxyType({
    "alexnet": CYCLE[0], "resnet50": CYCLE[1], "inception_v3": CYCLE[2],
    "GVisageNet": CYCLE[0], "Logistic regression": CYCLE[1], "Hybrid model": CYCLE[2],
})
#: One colour per tumour group.
GROUP_COLOUR: Mapping[str, str] = MappingProxyType(dict(zip(schema.GROUPS, (CYCLE[7], CYCLE[3], CYCLE[4]))))
#: One colour per HPT-axis damage stratum (Table 3, Fig 5B).
HPT_COLOUR: Mapping[str, str] = MappingProxyType(dict(zip(schema.HPT_LEVELS, CYCLE)))
#: One colour per tumour site (Fig 3A, 3B).
SITE_COLOUR: Mapping[str, str] = MappingProxyType(
    {"sellar": "#4c72b0", "pineal": "#dd8452", "fourth_ventricle": "#55a868"})
#: Fill of the boxes of the study-flow diagram (Figure 1), by row.
FLOW_BOX_COLOUR: Mapping[str, str] = MappingProxyType({"development": "#dbe9f6", "validation": "#fde2c8",
                                                       "split": "#f2f2f2", "stage1": "#e3f1e0", "stage2": "#efe3f4"})
#: Bars of the face-QC figure: photos that passed and photos excluded for any reason.
QC_COLOUR: Mapping[str, str] = MappingProxyType({"passed": "tab:green", "excluded": "tab:red"})
#: Lines of the reference strategies of a decision curve.
STRATEGY_STYLE: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "treat all": MappingProxyType({"color": "0.4", "ls": "--"}),
    "treat none": MappingProxyType({"color": "0.2", "ls": ":"}),
})
#: Diverging colour map of correlation heatmaps (-1 blue, +1 red).
CORRELATION_CMAP = "RdBu_r"

# --- sizes ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontSizes:
    """Font sizes in points, from the numbers in heatmap cells to figure titles.

    Examples
    --------
    >>> FONT.title, FONT.heading
    (10.0, 11.0)
    """

    #: numbers inside heatmap cells (7 pt: the smallest size that stays legible in print)
    cell: float = 7.0
    #: legends of dense panels, heatmap tick labels, captions of faces
    small: float = 7.0
    #: legends, bar labels, annotations
    note: float = 8.0
    #: text of the flow-diagram boxes
    box: float = 8.5
    #: titles of small figures
    medium: float = 9.0
    #: panel titles
    title: float = 10.0
    #: figure titles
    heading: float = 11.0


FONT = FontSizes()

#: Default size (inches) of each single-panel figure kind.
FIGSIZE: Mapping[str, tuple[float, float]] = MappingProxyType({
    "flow": (11.0, 6.2),        # study flow diagram (Figure 1)
    "roc": (5.2, 5.0),          # ROC curves with bands (Fig 4A/4B)
    "curve": (4.8, 4.6),        # ROC or calibration curves of several models
    "decision": (5.2, 4.2),     # decision curves
    "bars": (6.0, 3.6),         # metric bars (Fig 4C/4D)
    "wide_bars": (6.4, 3.8),    # metric bars by stratum (Fig 5B)
    "strip": (6.0, 3.0),        # a few horizontal bars (face QC)
})
#: Size (inches) of one panel of each multi-panel figure kind (see :func:`grid_figsize`).
PANEL_SIZE: Mapping[str, tuple[float, float]] = MappingProxyType({
    "square": (4.2, 4.2),       # one split of Fig 3A
    "bars": (6.0, 3.8),         # one stage of Fig 3C
    "curve": (5.0, 4.4),        # one stage of the precision-recall curves
    "history": (5.0, 3.4),      # one metric x stage of the learning curves
    "face": (2.3, 3.4),         # one twin of the phenotype montage
    "crop": (1.6, 1.7),         # one crop of the crops montage
    "flow": (5.6, 5.4),         # one stage x split of the STARD flow diagram
})


def grid_figsize(panel: str, nrows: int, ncols: int) -> tuple[float, float]:
    """Size of a figure of ``nrows`` x ``ncols`` panels of kind ``panel`` (:data:`PANEL_SIZE`).

    Examples
    --------
    >>> grid_figsize("history", 2, 2)
    (10.0, 6.8)
    """
    if panel not in PANEL_SIZE:
        raise ValueError(f"panel must be one of {sorted(PANEL_SIZE)}, got {panel!r}")
    check_int("nrows", nrows, minimum=1)
    check_int("ncols", ncols, minimum=1)
    w, h = PANEL_SIZE[panel]
    return w * ncols, h * nrows


# --- helpers ----------------------------------------------------------------------------------------------------


def model_label(model: str) -> str:
    """Display name of ``model`` (:data:`MODEL_LABEL`, else the name itself).

    Examples
    --------
    >>> model_label("inception_v3"), model_label("Hybrid model")
    ('Inception-v3', 'Hybrid model')
    """
    return MODEL_LABEL.get(model, model)


def pick_colour(palette: Mapping[Hashable, str], key: Hashable, index: int) -> str:
    """Colour of ``key`` in ``palette``, else the ``index``-th colour of :data:`CYCLE` (wrapping around).

    ``index`` is the position of ``key`` among the things drawn, so unnamed keys get the colours matplotlib's default
    cycle would give them.

    Examples
    --------
    >>> pick_colour(SPLIT_COLOUR, "test", 5), pick_colour(SPLIT_COLOUR, "external", 1)
    ('#1f77b4', '#ff7f0e')
    """
    return palette[key] if key in palette else CYCLE[index % len(CYCLE)]


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] | None = None) -> tuple[FigureBase, Axes]:
    """The figure and Axes to draw on: ``(ax.figure, ax)`` when ``ax`` is given, else a new figure of ``figsize``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; ``figsize`` is then ignored.
    figsize : (float, float), optional
        Size of the new figure in inches (default: matplotlib's).

    Returns
    -------
    (matplotlib.figure.Figure, matplotlib.axes.Axes)

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> new_axes(ax)[0] is fig
    True
    >>> new_axes(figsize=(3, 2))[0].get_size_inches().tolist()
    [3.0, 2.0]
    >>> new_axes("left")
    Traceback (most recent call last):
    ...
    TypeError: ax must be a matplotlib Axes or None, got str
    """
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def new_panels(fig: FigureBase | None = None, nrows: int = 1, ncols: int = 1,
               figsize: tuple[float, float] | None = None) -> tuple[FigureBase, np.ndarray]:
    """A figure and its ``nrows`` x ``ncols`` grid of Axes (always 2-D): added to ``fig`` when given, else new.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or SubFigure, optional
        An empty figure to add the panels to; ``figsize`` is then ignored.
    nrows, ncols : int
        Shape of the grid.
    figsize : (float, float), optional
        Size of the new figure in inches.

    Returns
    -------
    (matplotlib.figure.Figure, numpy.ndarray of Axes)

    Examples
    --------
    >>> fig, axes = new_panels(nrows=1, ncols=3, figsize=(6, 2))
    >>> axes.shape
    (1, 3)
    >>> new_panels(fig)
    Traceback (most recent call last):
    ...
    ValueError: fig must be an empty figure, got one with 3 Axes
    """
    if fig is None:
        import matplotlib.pyplot as plt

        return plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig must be a matplotlib Figure or None, got {type(fig).__name__}")
    if fig.axes:
        raise ValueError(f"fig must be an empty figure, got one with {len(fig.axes)} Axes")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def finish(fig: FigureBase, *, own: bool) -> FigureBase:
    """Lay out ``fig`` (``tight_layout``) when the plot function made it (``own``); return it.

    A figure the caller passed in (or the figure of a caller's Axes) is left as it is: its layout is the caller's.

    Examples
    --------
    >>> fig, _ = new_axes()
    >>> finish(fig, own=False) is fig
    True
    """
    if own and isinstance(fig, Figure):
        fig.tight_layout()
    return fig

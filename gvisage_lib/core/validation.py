"""Input validators for the whole library (in the style of scikit-learn's ``utils/validation.py``).

Each validator returns the clean input (a NumPy array, or the DataFrame itself) or raises
``ValueError``/``TypeError`` naming the argument and the bad value; none uses ``assert``. :func:`check_frame` is the
one check of a DataFrame argument and its columns that every module uses.

Examples
--------
>>> check_binary_labels([True, False, True], "y_true")
array([1, 0, 1], dtype=int8)
>>> check_binary_labels([0, 2, 1], "y_true")
Traceback (most recent call last):
...
ValueError: y_true must hold binary labels {0, 1} (or bool); found value 2 at index 1
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["check_binary_labels", "check_choice", "check_frame", "check_int", "check_level", "check_scores"]


def check_frame(frame: Any, name: str, columns: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` itself if it is a DataFrame holding every one of ``columns``; otherwise an error naming them.

    Examples
    --------
    >>> check_frame(pd.DataFrame({"a": [1]}), "scores", ["a"]).shape
    (1, 1)
    >>> check_frame(pd.DataFrame({"a": [1]}), "scores", ["a", "split"])
    Traceback (most recent call last):
    ...
    ValueError: scores lacks column(s) ['split']; it has ['a']
    >>> check_frame([1, 2], "scores")
    Traceback (most recent call last):
    ...
    TypeError: scores must be a pandas DataFrame, got list
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")
    return frame


def _as_1d(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a 1-D array, got a scalar {arr!r}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def check_binary_labels(y: Any, name: str = "y_true", require_both: bool = True) -> np.ndarray:
    """Validate binary labels (0/1 integers, 0.0/1.0 floats or bools) and return them as ``int8``.

    Parameters
    ----------
    y : array-like
        Labels; 1 (or True) is the positive class.
    name : str
        Argument name used in error messages.
    require_both : bool
        Raise if only one class is present.
    """
    arr = _as_1d(y, name)
    if arr.dtype == bool:
        out = arr.astype(np.int8)
    elif arr.dtype.kind in "iuf":
        if arr.dtype.kind == "f":
            nan = np.flatnonzero(np.isnan(arr))
            if nan.size:
                raise ValueError(f"{name} contains NaN (first at index {int(nan[0])})")
        bad = np.flatnonzero((arr != 0) & (arr != 1))
        if bad.size:
            raise ValueError(f"{name} must hold binary labels {{0, 1}} (or bool); found value "
                             f"{arr[bad[0]].item()!r} at index {int(bad[0])}")
        out = arr.astype(np.int8)
    elif arr.dtype == object:
        vals = list(arr)
        for i, v in enumerate(vals):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                raise ValueError(f"{name} contains a missing value (first at index {i})")
            if isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, float, np.integer, np.floating))
                                                   and v in (0, 1)):
                continue
            raise ValueError(f"{name} must hold binary labels {{0, 1}} (or bool); found value {v!r} at index {i}")
        out = np.asarray([int(v) for v in vals], dtype=np.int8)
    else:
        raise TypeError(f"{name} must hold binary labels {{0, 1}} (or bool), got dtype {arr.dtype}")
    if require_both:
        n_pos = int(out.sum())
        if n_pos == 0 or n_pos == out.size:
            only = int(out[0])
            raise ValueError(f"{name} must contain both classes 0 and 1; all {out.size} labels are {only}")
    return out


def check_scores(score: Any, name: str = "score", n: int | None = None, n_name: str = "y_true") -> np.ndarray:
    """Validate a 1-D array of finite real scores (optionally of length ``n``) and return it as float64."""
    arr = _as_1d(score, name)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}") from exc
    arr = arr.astype(np.float64, copy=False)
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has length {arr.size} but {n_name} has length {n}; they must be equal")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} must be finite; found {arr[bad[0]].item()!r} at index {int(bad[0])}")
    return arr


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer between {minimum} and {maximum}"
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None,
              allow_none: bool = False) -> int | None:
    """``value`` as a Python int when it is an integer (NumPy integers too, never a bool) in ``[minimum, maximum]``.

    The one check of an integer argument: a bool, a float (even ``2.0``), a string or another type is a
    ``TypeError``; an integer out of range a ``ValueError``; both messages name the argument and the value. With
    ``allow_none``, None passes through (an optional argument left unset).

    Parameters
    ----------
    name : str
        The argument's name, as the caller spells it.
    value : object
        What was given.
    minimum, maximum : int, optional
        Inclusive bounds.
    allow_none : bool, default False
        Accept None (returned as None).

    Returns
    -------
    int or None

    Examples
    --------
    >>> check_int("epochs", np.int64(3), minimum=1)
    3
    >>> check_int("epochs", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be a positive integer, got 0
    >>> check_int("seed", True, minimum=0)
    Traceback (most recent call last):
    ...
    TypeError: seed must be a non-negative integer, got True (bool)
    >>> check_int("workers", None, minimum=1, allow_none=True) is None
    True
    """
    if value is None and allow_none:
        return None
    what = _int_range(minimum, maximum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be {what}{' or None' if allow_none else ''}, got {value!r} "
                        f"({type(value).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_level(level: Any, name: str = "level") -> float:
    """Validate a confidence level strictly between 0 and 1."""
    try:
        lv = float(level)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number in (0, 1), got {level!r}") from exc
    if not 0.0 < lv < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {level!r}")
    return lv


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Validate that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return str(value)

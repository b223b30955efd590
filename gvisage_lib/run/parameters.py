"""Notebook parameters set from the command line: ``gvisage reproduce -p NAME VALUE`` and ``--params FILE.yaml``.

Every numbered notebook declares its parameters in its first code cell (tagged ``parameters``), one per line with a
type annotation, a default and a comment::

    crop_mode: str = "detect"  # face crop: detect | box | none

:func:`declared_parameters` reads these declarations with :func:`papermill.inspect_notebook`;
:func:`check_overrides` checks the values a user gives against them. The rules:

* a name must be declared by at least one notebook; the value goes to every notebook that declares it (and only to
  those, so papermill never injects a parameter a notebook does not read);
* the five parameters that set up the run (``run_dir``, ``manifest``, ``profile``, ``seed``, ``score_fit``) have
  options of their own (``--out``, ``--manifest``, ``--profile``, ``--seed``, ``--score-fit``) and are refused here;
* a value given as text (``-p level 0.9``, or a string in the YAML file) is parsed to the declared type: ``int``
  (``"12"``), ``float`` (``"0.9"``, ``"1e-3"``), ``bool`` (``true``/``false``, ``yes``/``no``, ``1``/``0``, any case)
  or ``str`` (as given); a value the YAML file already typed must be of the declared type (an integer is accepted
  for a ``float``; ``True`` is not an integer);
* a parameter with a fixed set of values declares it at the end of its comment, ``[one of: a, b, c]``::

      corr_method: str = "spearman"  # correlation: spearman | pearson [one of: spearman, pearson]

  and a value outside it is refused (:class:`NotebookParameter` ``choices``), before anything runs;
* a parameter declared with different types by two notebooks cannot be set.

The run's seed is checked here too (:func:`check_seed`: an integer from 0 to :data:`SEED_MAX`, the range of NumPy's
and PyTorch's seeds).

The values are recorded in ``run.json`` (``parameters.notebook_parameters``); a partial rerun (``--from``) reuses
them (see :func:`gvisage_lib.run.pipeline.reproduce`).

Examples
--------
>>> params = {"level": NotebookParameter("level", "float", 0.95, "confidence level", ("04_stage_roc.ipynb",))}
>>> check_overrides({"level": "0.9"}, params)
{'level': 0.9}
>>> check_overrides({"levle": "0.9"}, params)
Traceback (most recent call last):
...
ValueError: no notebook declares a parameter 'levle' (did you mean level?); the notebooks' parameters: level (04)
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PIPELINE_PARAMETERS", "SEED_MAX", "NotebookParameter", "check_overrides", "check_seed",
           "declared_parameters", "load_params_file", "parse_choices", "parse_value"]

#: Parameters every notebook declares that set up the run; each has an option of ``gvisage reproduce``.
PIPELINE_PARAMETERS: dict[str, str] = {"run_dir": "--out", "manifest": "--manifest", "profile": "--profile",
                                       "seed": "--seed", "score_fit": "--score-fit"}
_TYPES = ("int", "float", "bool", "str")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
#: Largest seed: ``np.random.seed`` and ``RandomState`` take 32 bits.
SEED_MAX: int = 2**32 - 1
_CHOICES = re.compile(r"\[one of:\s*([^\]]+)\]\s*$")


def parse_choices(help_text: str) -> tuple[str, ...]:
    """The fixed set of values a parameter's comment declares (``[one of: a, b]`` at its end), or ``()``.

    Examples
    --------
    >>> parse_choices("correlation: spearman | pearson [one of: spearman, pearson]")
    ('spearman', 'pearson')
    >>> parse_choices("confidence level")
    ()
    """
    match = _CHOICES.search(help_text or "")
    if match is None:
        return ()
    return tuple(v.strip() for v in match.group(1).split(",") if v.strip())


def check_seed(seed: object, *, option: str = "--seed") -> int:
    """Return ``seed`` when it is an integer from 0 to :data:`SEED_MAX`; else a ``ValueError`` naming it.

    Examples
    --------
    >>> check_seed(11)
    11
    >>> check_seed(2**32)
    Traceback (most recent call last):
    ...
    ValueError: --seed must be an integer from 0 to 4294967295, got 4294967296
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= SEED_MAX:
        raise ValueError(f"{option} must be an integer from 0 to {SEED_MAX}, got {seed!r}")
    return seed


@dataclass(frozen=True)
class NotebookParameter:
    """A parameter as the notebooks declare it: name, type (``int``, ``float``, ``bool``, ``str``), default, help,
    the notebooks (file names, in run order) that declare it and its allowed values (``()``: any of its type)."""

    name: str
    type: str
    default: Any
    help: str
    notebooks: tuple[str, ...]
    choices: tuple[str, ...] = ()

    @property
    def first_notebook(self) -> str:
        """The first notebook (in run order) that reads the parameter."""
        return self.notebooks[0]


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def declared_parameters(notebooks: Iterable[str | os.PathLike[str]]) -> dict[str, NotebookParameter]:
    """The parameters the notebooks declare, keyed by name, the pipeline's five included.

    Parameters
    ----------
    notebooks : iterable of path-like
        Notebook files in run order.

    Returns
    -------
    dict
        ``name -> NotebookParameter``. A name whose declarations disagree on the type gets the type ``"conflict"``
        (:func:`check_overrides` refuses it). A parameter without a type annotation takes the type of its default
        (``str`` when the default is not a literal).

    Examples
    --------
    >>> from gvisage_lib.run.pipeline import list_notebooks
    >>> p = declared_parameters(list_notebooks())
    >>> p["corr_method"].type, p["corr_method"].notebooks
    ('str', ('06_endocrine.ipynb',))
    """
    import papermill as pm

    found: dict[str, NotebookParameter] = {}
    for book in notebooks:
        name = Path(book).name
        for pname, info in pm.inspect_notebook(str(book)).items():
            default = _literal(str(info.get("default", "")))
            ptype = str(info.get("inferred_type_name") or "None")
            if ptype not in _TYPES:
                kind = type(default).__name__
                ptype = kind if kind in _TYPES else "str"
            prior = found.get(pname)
            help_text = str(info.get("help") or "")
            choices = parse_choices(help_text)
            if prior is None:
                found[pname] = NotebookParameter(pname, ptype, default, help_text, (name,), choices)
            else:  # two notebooks' sets of values: only a value both accept
                both = tuple(c for c in prior.choices if c in choices) if prior.choices and choices else \
                    (prior.choices or choices)
                found[pname] = NotebookParameter(pname, prior.type if prior.type == ptype else "conflict",
                                                 prior.default, prior.help, prior.notebooks + (name,), both)
    return found


def parse_value(text: str, type_name: str, *, name: str = "value") -> Any:
    """Parse ``text`` to the declared type ``type_name`` (``int``, ``float``, ``bool`` or ``str``).

    Examples
    --------
    >>> parse_value("12", "int"), parse_value("1e-3", "float"), parse_value("No", "bool"), parse_value("x", "str")
    (12, 0.001, False, 'x')
    >>> parse_value("0.5", "int", name="calibration_bins")
    Traceback (most recent call last):
    ...
    ValueError: calibration_bins must be an int, got '0.5'
    """
    text = str(text)
    if type_name == "str":
        return text
    if type_name == "bool":
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise ValueError(f"{name} must be a bool (true/false, yes/no, 1/0), got {text!r}")
    try:
        return int(text.strip()) if type_name == "int" else float(text.strip())
    except ValueError:
        raise ValueError(f"{name} must be a{'n' if type_name == 'int' else ''} {type_name}, got {text!r}") from None


def _typed(value: Any, type_name: str, name: str) -> Any:
    if isinstance(value, str):
        return parse_value(value, type_name, name=name)
    if type_name == "bool" and isinstance(value, bool):
        return value
    if type_name == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if type_name == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{name} must be a{'n' if type_name == 'int' else ''} {type_name}, got {value!r} "
                     f"({type(value).__name__})")


def _listing(declared: Mapping[str, NotebookParameter]) -> str:
    names = [f"{p.name} ({', '.join(b[:2] for b in p.notebooks)})" for p in declared.values()
             if p.name not in PIPELINE_PARAMETERS]
    return ", ".join(sorted(names)) or "none"


def check_overrides(overrides: Mapping[str, Any], declared: Mapping[str, NotebookParameter]) -> dict[str, Any]:
    """Check notebook-parameter overrides against the notebooks' declarations; return them typed.

    Parameters
    ----------
    overrides : mapping
        ``name -> value``; a value may be text (parsed to the declared type) or already typed (checked).
    declared : mapping
        What :func:`declared_parameters` returns.

    Raises
    ------
    ValueError
        A name no notebook declares, one of the pipeline's own parameters, a value that does not parse or is of
        the wrong type, or a parameter declared with two types. The message names the parameter, the value and
        the notebooks that declare it.

    Examples
    --------
    >>> seed = NotebookParameter("seed", "int", 1, "master seed", ("01_cohort.ipynb",))
    >>> check_overrides({"seed": "3"}, {"seed": seed})
    Traceback (most recent call last):
    ...
    ValueError: seed sets up the run: give it with --seed, not as a notebook parameter
    >>> corr = NotebookParameter("corr_method", "str", "spearman", "", ("06_endocrine.ipynb",), ("spearman", "pearson"))
    >>> check_overrides({"corr_method": "bogus"}, {"corr_method": corr})
    Traceback (most recent call last):
    ...
    ValueError: corr_method must be one of spearman, pearson, got 'bogus' (declared in 06_endocrine.ipynb)
    """
    out: dict[str, Any] = {}
    for name, value in overrides.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"a parameter name must be a non-empty string, got {name!r}")
        if name in PIPELINE_PARAMETERS:
            raise ValueError(f"{name} sets up the run: give it with {PIPELINE_PARAMETERS[name]}, not as a notebook "
                             "parameter")
        param = declared.get(name)
        if param is None:
            close = difflib.get_close_matches(name, [n for n in declared if n not in PIPELINE_PARAMETERS], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"no notebook declares a parameter {name!r}{hint}; the notebooks' parameters: "
                             f"{_listing(declared)}")
        if param.type == "conflict":
            raise ValueError(f"parameter {name} is declared with different types by {', '.join(param.notebooks)}; "
                             "it cannot be set from the command line")
        try:
            out[name] = _typed(value, param.type, name)
        except ValueError as exc:
            raise ValueError(f"{exc} (declared in {', '.join(param.notebooks)})") from None
        if param.choices and str(out[name]) not in param.choices:
            raise ValueError(f"{name} must be one of {', '.join(param.choices)}, got {out[name]!r} (declared in "
                             f"{', '.join(param.notebooks)})")
    return out


def load_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML file of notebook parameters (one ``name: value`` per line, a flat mapping).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        It is not YAML, or not a mapping of names to single values (numbers, booleans, strings).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = f.write_text("corr_method: pearson\\nlevel: 0.9\\n")
    >>> load_params_file(f)
    {'corr_method': 'pearson', 'level': 0.9}
    """
    import yaml

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--params file {file} not found")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"--params file {file} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"--params file {file} must hold a mapping of parameter names to values, got a "
                         f"{type(data).__name__}")
    for name, value in data.items():
        if not isinstance(name, str):
            raise ValueError(f"--params file {file}: parameter name {name!r} is not a string")
        if not isinstance(value, (str, int, float, bool)):
            raise ValueError(f"--params file {file}: parameter {name} must be a number, boolean or string, got "
                             f"{value!r} ({type(value).__name__})")
    return dict(data)

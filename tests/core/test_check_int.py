"""core.validation.check_int: the one check of an integer argument."""

from __future__ import annotations

import numpy as np
import pytest

from gvisage_lib.core.validation import check_int


@pytest.mark.parametrize("value", [0, 7, np.int64(3), np.int32(0), np.uint8(255)])
def test_integers_pass_as_python_ints(value):
    out = check_int("n", value, minimum=0)
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.0, 1.5, "3", None, [1]])
def test_non_integers_are_type_errors_naming_argument_value_and_type(value):
    with pytest.raises(TypeError) as err:
        check_int("n_boot", value, minimum=1)
    msg = str(err.value)
    assert msg.startswith("n_boot must be a positive integer, got ")
    assert repr(value) in msg and type(value).__name__ in msg


@pytest.mark.parametrize(("kwargs", "value", "message"), [
    ({"minimum": 1}, 0, "epochs must be a positive integer, got 0"),
    ({"minimum": 0}, -1, "epochs must be a non-negative integer, got -1"),
    ({"minimum": 100}, 99, "epochs must be an integer >= 100, got 99"),
    ({"maximum": 5}, 6, "epochs must be an integer <= 5, got 6"),
    ({"minimum": 0, "maximum": 5}, 6, "epochs must be an integer between 0 and 5, got 6"),
    ({"minimum": 0, "maximum": 5}, -1, "epochs must be an integer between 0 and 5, got -1"),
])
def test_out_of_range_is_a_value_error(kwargs, value, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_int("epochs", value, **kwargs)


def test_bounds_are_inclusive_and_none_only_when_allowed():
    assert check_int("k", 2, minimum=2, maximum=2) == 2
    assert check_int("workers", None, minimum=1, allow_none=True) is None
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        check_int("workers", 0, minimum=1, allow_none=True)
    with pytest.raises(TypeError, match="workers must be a positive integer, got None"):
        check_int("workers", None, minimum=1)
    with pytest.raises(TypeError, match=r"workers must be a positive integer or None, got 1.5 \(float\)"):
        check_int("workers", 1.5, minimum=1, allow_none=True)


def test_callers_name_their_argument():
    from gvisage_lib.core.profiles import get_profile
    from gvisage_lib.stats.bootstrap import bootstrap_indices

    with pytest.raises(ValueError, match="oof_folds must be an integer >= 2, got 1"):
        get_profile("smoke", oof_folds=1)
    with pytest.raises(TypeError, match=r"n_boot must be a positive integer, got True \(bool\)"):
        bootstrap_indices([0, 1, 0, 1], n_boot=True)

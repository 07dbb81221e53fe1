"""Errors that used to be unclear (no source line, or a message about the wrong thing) now say
what is wrong and name the user's line."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl

HERE = __file__


def test_len_and_iter_of_0d_tracer_name_the_line():
    with pytest.raises(TypeError, match=r"len\(\) of unsized object.*0-d") as e:
        xl.jit(lambda x: len(x))(np.array(1.0))
    assert HERE in str(e.value)
    with pytest.raises(TypeError, match="iteration over a 0-d array") as e:
        xl.jit(lambda x: [y for y in x])(np.float32(1.0))
    assert HERE in str(e.value)
    with pytest.raises(TypeError):      # NumPy's own behaviour, for reference
        len(np.array(1.0))


@pytest.mark.parametrize("k", [2**70, -2**70, 2**63])
def test_python_int_argument_too_large_for_int64(k):
    with pytest.raises(OverflowError, match=rf"argument k of .*Python int {k} does not fit in int64") as e:
        xl.jit(lambda x, k: x + k)(np.ones(3), k)
    assert HERE in str(e.value)


def test_python_int_argument_at_the_int64_limits_still_works():
    f = xl.jit(lambda x, k: x + k)
    x = np.zeros(2, np.int64)
    for k in (2**63 - 1, -2**63):
        np.testing.assert_array_equal(f(x, k), x + k)


def _returns_str(x):
    return "hello"


def _returns_generator(x):
    return (y for y in range(3))


def _returns_object_in_a_tuple(x):
    return x, object()


@pytest.mark.parametrize("f, what", [(_returns_str, r"a str object \('hello'\)"),
                                     (_returns_generator, "a generator object"),
                                     (_returns_object_in_a_tuple, "an? object object")])
def test_returning_a_non_array_names_the_function(f, what):
    with pytest.raises(xl.UnsupportedError, match=what) as e:
        xl.jit(f)(np.ones(3))
    msg = str(e.value)
    assert f"defined at {HERE}:{f.__code__.co_firstlineno}" in msg and "not an array" in msg


_leaked = []


def _leaks(x):
    _leaked.append(x * 2)
    return x


def test_leaked_tracer_used_outside_names_the_problem_and_line():
    _leaked.clear()
    xl.jit(_leaks)(np.ones(3))
    for use in (lambda: _leaked[0] + 1, lambda: np.sin(_leaked[0]), lambda: _leaked[0].sum()):
        with pytest.raises(xl.TraceError, match="escaped") as e:
            use()
        assert HERE in str(e.value)
    with pytest.raises(xl.TraceError, match="escaped") as e:    # ... or inside another trace
        xl.jit(lambda x: x + _leaked[0])(np.ones(3))
    assert HERE in str(e.value)

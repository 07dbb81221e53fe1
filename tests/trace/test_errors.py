"""Tracing errors: each is the right exception type with a clear message that names the
user's file and line (``(at <file>:<line>)``) and what went wrong."""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import xlaish as xl

HERE = os.path.abspath(__file__)


def line_of(fn, marker="# <- error here"):
    """The line number of the line of ``fn``'s source that carries ``marker``."""
    lines, start = inspect.getsourcelines(fn)
    for i, text in enumerate(lines):
        if marker in text:
            return start + i
    raise AssertionError(f"no marker in {fn}")


def assert_located(excinfo, fn, *fragments):
    """The message names this file and the marked line of ``fn``, and every fragment."""
    msg = str(excinfo.value)
    assert f"{HERE}:{line_of(fn)}" in msg, msg
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"


X = np.ones((3, 4), np.float32)


def test_if_on_traced_value():
    def f(x):
        if x.sum() > 0:  # <- error here
            return x
        return -x
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(f, autograph=False)(X)       # (converted, this `if` compiles to a cond)
    assert_located(e, f, "truth value", "bool[]", "where")
    assert isinstance(e.value, TypeError)  # also what NumPy-style code catches


def test_float_int_bool_of_traced_value():
    def f(x):
        return float(x[0, 0])  # <- error here
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "float()", "f32[]")

    def g(x):
        return int(x.sum())  # <- error here
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(g)(X)
    assert_located(e, g, "int()")

    def h(x):
        return x if bool(x.all()) else 0  # <- error here
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(h)(X)
    assert_located(e, h, "truth value", "bool[]")


def test_while_loop_on_traced_value():
    def f(x):
        while x.max() > 1:  # <- error here
            x = x / 2
        return x
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(f, autograph=False)(X)       # (converted, this loop compiles to a while op)
    assert_located(e, f, "truth value")


def test_converting_to_numpy_array():
    def f(x):
        return np.asarray(x) + 1  # <- error here
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "NumPy array", "f32[3,4]")


def test_numpy_scalar_type_of_a_traced_scalar():
    def f(x):
        return np.uint32(x) + 1  # <- error here
    with pytest.raises(xl.ConcretizationError) as e:
        xl.jit(f)(np.uint8(3))
    assert_located(e, f, "traced scalar (u8[])", "np.uint32(x)", "x.astype(np.uint32)")


def test_traced_integer_index():
    def f(x, i):
        return x[i]       # a gather (out-of-range values raise IndexError: tests/indexing)
    np.testing.assert_array_equal(xl.jit(f)(X, 1), X[1])
    assert xl.jit(f, static_argnums=1)(X, 1).shape == (4,)


def test_broadcasting_mismatch_names_both_shapes():
    def f(x, y):
        return x + y  # <- error here
    with pytest.raises(xl.ShapeError) as e:
        xl.jit(f)(np.ones((3, 4)), np.ones((5,)))
    assert_located(e, f, "(3, 4)", "(5,)", "broadcast")
    assert isinstance(e.value, ValueError)  # NumPy raises ValueError here too


def test_broadcasting_mismatch_in_a_library_function():
    def f(x, y):
        return np.where(x > 0, x, y)  # <- error here
    with pytest.raises(ValueError) as e:
        xl.jit(f)(np.ones((2, 3)), np.ones((4, 3)))
    assert_located(e, f, "(2, 3)", "(4, 3)")


def test_matmul_mismatch_names_shapes():
    def f(a, b):
        return a @ b  # <- error here
    with pytest.raises(ValueError) as e:
        xl.jit(f)(np.ones((2, 3)), np.ones((4, 5)))
    assert_located(e, f, "(2, 3)", "(4, 5)")


@pytest.mark.parametrize("make,name", [
    (lambda: (lambda x: np.fft.hfft(x)), "numpy.fft.hfft"),
    (lambda: (lambda x: np.histogram2d(x[0], x[1])), "numpy.histogram2d"),
    (lambda: (lambda x: np.unique(x)), "numpy.unique"),
    (lambda: (lambda x: np.linalg.eig(x)), "numpy.linalg.eig"),
    (lambda: (lambda x: np.add.reduceat(x, [0])), "numpy.add.reduceat"),
    (lambda: (lambda x: np.isnat(x)), "numpy.isnat"),
    (lambda: (lambda x: np.add(x, x, where=x > 0)), "numpy.add(..., where=...)"),
], ids=["fft.hfft", "histogram2d", "unique", "linalg.eig", "ufunc.reduceat", "unsupported ufunc", "where="])
def test_unsupported_numpy_function_is_named(make, name):
    f = make()
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(np.ones((3, 3), np.float32))
    msg = str(e.value)
    assert name in msg and f"{HERE}:" in msg, msg


def test_unsupported_function_line_is_the_users():
    def f(x):
        y = x + 1
        return np.histogram2d(y[0], y[1])  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "numpy.histogram2d")


@pytest.mark.parametrize("arg,what", [
    (np.ones(3, np.clongdouble), "complex"), (np.array([1, "a"], dtype=object), "object"),
    (np.array(["ab", "c"]), "<U2"), (np.ones(2, "datetime64[s]"), "datetime64"),
    ("text", "str"), (b"bytes", "bytes"),
], ids=["clongdouble", "object", "str array", "datetime", "str", "bytes"])
def test_unsupported_argument_dtype(arg, what):
    def call():
        return xl.jit(lambda x: x)(arg)  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        call()
    assert_located(e, call, what)


def test_unsupported_dtype_inside_the_function():
    def f(x):
        return x + np.ones(4, np.longdouble)  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "float128")

    def g(x):
        return x.astype(np.clongdouble)  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(g)(X)
    assert_located(e, g, "complex256")

    def h(x):
        return x + np.array(["a", "b", "c", "d"])  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(h)(X)
    assert_located(e, h, "<U1")


def test_dtype_combination_numpy_rejects():
    def f(x):
        return np.invert(x)  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "invert", "float32")

    def g(x):
        return x + 300  # <- error here
    with pytest.raises(OverflowError) as e:
        xl.jit(g)(np.ones(3, np.int8))
    assert_located(e, g, "300", "int8")


@pytest.mark.parametrize("args,kwargs,fragment", [
    ((X,), {}, "missing a required argument: 'y'"),
    ((X, X, X), {}, "too many positional arguments"),
    ((X, X), {"z": X}, "unexpected keyword argument 'z'"),
])
def test_wrong_number_of_arguments(args, kwargs, fragment):
    def f(x, y):
        return x + y

    def call():
        return xl.jit(f)(*args, **kwargs)  # <- error here
    with pytest.raises(TypeError) as e:
        call()
    assert_located(e, call, fragment, "f(x, y)")
    code = f.__code__
    assert f"{code.co_filename}:{code.co_firstlineno}" in str(e.value)  # where f is defined


def test_data_dependent_mask_read_is_located():
    def f(x):
        return x[x > 0]  # <- error here
    with pytest.raises(xl.UnsupportedError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "depends on the values")


def test_reshape_and_axis_errors_are_located():
    def f(x):
        return x.reshape(5, 5)  # <- error here
    with pytest.raises(ValueError) as e:
        xl.jit(f)(X)
    assert_located(e, f, "(5, 5)")

    def g(x):
        return np.sum(x, axis=2)  # <- error here
    with pytest.raises(np.exceptions.AxisError) as e:
        xl.jit(g)(X)
    assert_located(e, g, "axis 2 is out of bounds for array of dimension 2")


def test_escaped_tracer_from_outer_trace():
    leaked = []

    def inner_leak(x):
        leaked.append(x)
        return x

    xl.make_ir(inner_leak)(X)

    def f(y):
        return leaked[0] + y
    with pytest.raises(xl.TraceError, match="escaped while that function was being traced"):
        xl.make_ir(f)(X)


def test_errors_leave_no_trace_state_behind():
    """After a failed trace, the next trace (and eager NumPy) works normally."""
    with pytest.raises(xl.ConcretizationError):
        xl.jit(lambda x: float(x))(np.ones(()))
    assert xl.jit(lambda x: x * 2)(np.ones(2)).tolist() == [2.0, 2.0]
    assert xl.numpy.exp(np.zeros(2)).tolist() == [1.0, 1.0]

"""Result dtypes equal NumPy's for every elementwise op, every dtype and dtype pair, and
Python int/float/bool scalars on either side (NumPy 2 / NEP 50 weak scalars).

These only trace (``xl.make_ir``): the result type of the IR is what every backend returns.
The jitted results' dtypes are checked against NumPy in test_unary/test_binary.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import ALL_DTYPES, numpy_result
from tests.ops.registry import BINARY, UNARY, user_fn

# Python scalars of each kind, small enough to fit every dtype (out-of-range ints are an error)
PY_SCALARS = [True, 3, 2.5]


def _result_type(fn, *args):
    """``(dtype, shape)`` of the traced result, or the exception raised while tracing."""
    try:
        f = xl.make_ir(fn)(*args)
    except (TypeError, ValueError, OverflowError, xl.UnsupportedError) as e:
        return e
    (t,) = f.result_types
    return t.dtype, t.shape


def _compare(fn, args, what):
    expected, err = numpy_result(fn, *args)
    got = _result_type(fn, *args)
    if err is not None:
        assert isinstance(got, Exception), f"{what}: NumPy raises {err!r}, xlaish traced {got}"
        return
    assert not isinstance(got, Exception), \
        f"{what}: xlaish raised {got!r}; NumPy gives {np.asarray(expected).dtype}"
    exp = np.asarray(expected)
    assert got == (exp.dtype, exp.shape), f"{what}: xlaish {got}, NumPy {(exp.dtype, exp.shape)}"


def _ufunc(name):
    """NumPy's function of op ``name`` (``xlaish.numpy``'s for rows NumPy lacks: eagerly it runs
    the op's reference, whose dtype rule is np.exp's)."""
    return user_fn(name)


@pytest.mark.parametrize("name", UNARY)
def test_unary_result_dtypes(name):
    f = _ufunc(name)
    fn = lambda x: f(x)  # noqa: E731
    for dt in ALL_DTYPES:
        _compare(fn, (np.ones((2,), dt),), f"np.{name}({dt})")
        _compare(fn, (np.ones((), dt),), f"np.{name}({dt} 0-d)")


@pytest.mark.parametrize("name", ["erf", "erfc", "expit"])
def test_special_result_dtypes(name):
    """erf/erfc/expit take np.exp's dtype rule (documented in xlaish.ir.ops.elementwise)."""
    fn = getattr(xl.special, name)
    for dt in ALL_DTYPES:
        got = _result_type(lambda x: fn(x), np.ones((2,), dt))
        assert got == (np.exp(np.ones((2,), dt)).dtype, (2,)), f"special.{name}({dt}): {got}"


@pytest.mark.parametrize("name", BINARY)
def test_binary_result_dtypes_all_pairs(name):
    f = _ufunc(name)
    fn = lambda x, y: f(x, y)  # noqa: E731
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        _compare(fn, (np.ones((2,), d1), np.ones((1,), d2)), f"np.{name}({d1}, {d2})")


@pytest.mark.parametrize("name", BINARY)
def test_binary_result_dtypes_python_scalars(name):
    """``f32_array * 1.5`` stays float32; ``int8_array + 3`` stays int8; scalar on either side."""
    f = _ufunc(name)
    for dt, s in itertools.product(ALL_DTYPES, PY_SCALARS):
        x = np.ones((2,), dt)
        _compare(lambda x: f(x, s), (x,), f"np.{name}({dt} array, {s!r})")
        _compare(lambda x: f(s, x), (x,), f"np.{name}({s!r}, {dt} array)")


@pytest.mark.parametrize("name", ["add", "multiply", "subtract", "divide", "power", "less",
                                  "maximum", "arctan2", "bitwise_or"])
def test_binary_result_dtypes_python_scalar_arguments(name):
    """Python scalars passed as arguments of the jitted function are weak as well."""
    f = _ufunc(name)
    for dt, s in itertools.product(ALL_DTYPES, [3, 2.5]):
        x = np.ones((2,), dt)
        _compare(lambda x, s: f(x, s), (x, s), f"np.{name}({dt} array, argument {s!r})")
        _compare(lambda x, s: f(s, x), (x, s), f"np.{name}(argument {s!r}, {dt} array)")


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_operator_result_dtypes(dtype):
    """Python operators (``+ - * / // % ** & | ^ << >> < == ...``), unary ``- + ~ abs``, and
    in-place operators (which keep the left operand's dtype, or fail like NumPy)."""
    x = np.ones((3,), dtype)
    y = np.ones((3,), np.int16)
    for op in ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "<", "<=", "==",
               "!=", ">", ">="]:
        _compare(eval(f"lambda x, y: x {op} y"), (x, y), f"{dtype} {op} int16")
        _compare(eval(f"lambda x: x {op} 2"), (x,), f"{dtype} {op} 2")
        _compare(eval(f"lambda x: 2.0 {op} x"), (x,), f"2.0 {op} {dtype}")
    for op in ["-", "+", "~", "abs"]:
        _compare(eval(f"lambda x: {op}(x)"), (x,), f"{op}({dtype})")

    for op in ["+=", "*=", "-=", "/=", "//=", "|="]:
        src = f"def g(x, y):\n    x = x.copy()\n    x {op} y\n    return x"
        ns: dict = {}
        exec(src, ns)
        _compare(ns["g"], (x, y), f"{dtype} {op} int16")


def test_where_and_clip_result_dtypes():
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        c = np.array([True, False])
        a, b = np.ones((2,), d1), np.ones((2,), d2)
        _compare(lambda c, a, b: np.where(c, a, b), (c, a, b), f"where({d1}, {d2})")
    for dt, s in itertools.product(ALL_DTYPES, [0, 1.5]):
        a = np.ones((2,), dt)
        _compare(lambda a: np.where(a > 0, a, s), (a,), f"where({dt}, {s!r})")
        _compare(lambda a: np.where(a > 0, s, a), (a,), f"where({s!r}, {dt})")
        _compare(lambda a: np.clip(a, s, 5), (a,), f"clip({dt}, {s!r}, 5)")

"""Reductions against NumPy: sum, prod, max, min, mean, var, std, argmax, argmin, any, all,
with axis int / tuple / None / negative and keepdims, across dtypes, shapes and layouts.

Floating-point sums may be evaluated in any order, so sum/mean/var/std/prod are compared
with the standard error bound of recursive summation, ``n * eps * sum(|x|)`` (a valid bound
for every order), instead of a purely relative tolerance; everything else is exact.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import DTYPE_GROUPS, assert_matches_numpy, dtype_id, eps, layouts, make_input, numpy_result

REDUCTIONS = ["sum", "prod", "max", "min", "mean", "var", "std", "argmax", "argmin", "any", "all"]
ORDER_FREE = {"max", "min", "argmax", "argmin", "any", "all"}   # exact whatever the order

# (axis, keepdims) cases for a 3-D input
AXES = [(None, False), (None, True), (0, False), (1, True), (-1, False), (-2, True),
        ((0, 2), False), ((2, 0), True), ((-1, -3), False), ((0, 1, 2), True), ((), False)]
ARG_AXES = [(None, False), (None, True), (0, False), (1, True), (-1, False), (-3, True)]


def _red(name):
    return getattr(np, name)


def _call(name, x, axis, keepdims):
    return _red(name)(x, axis=axis, keepdims=keepdims)


def _n(x, axis):
    if axis is None:
        return max(x.size, 1)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return max(int(np.prod([x.shape[a] for a in axes])), 1)


def _atol(name, x, axis, keepdims, out_dtype):
    """Absolute error bound of an order-free float reduction (see the module docstring)."""
    out_dtype = np.dtype(out_dtype)
    if out_dtype.kind != "f" or name in ORDER_FREE:
        return None
    # the accumulation dtype: float16 results are accumulated at least in float16
    e = eps(out_dtype)
    n = _n(x, axis)
    a = np.abs(x.astype(np.float64))
    with np.errstate(all="ignore"):
        if name == "sum":
            return 2 * n * e * np.sum(a, axis=axis, keepdims=keepdims)
        if name == "mean":
            return 2 * n * e * np.mean(a, axis=axis, keepdims=keepdims)
        if name == "prod":
            return 2 * n * e * np.prod(a, axis=axis, keepdims=keepdims)
        m2 = np.mean(a * a, axis=axis, keepdims=keepdims) + np.mean(a, axis=axis, keepdims=keepdims) ** 2
        atol_var = 8 * n * e * m2
        if name == "var":
            return atol_var
        return np.sqrt(atol_var)  # |sqrt(u) - sqrt(v)| <= sqrt(|u - v|)


def _inputs(rng, name, dtype, shape):
    dt = np.dtype(dtype)
    if name in ORDER_FREE:
        return make_input(rng, shape, dt)              # with NaN, infinities, dtype min/max
    if dt.kind == "f":
        # no infinities (inf - inf depends on the order) and, for prod, no overflow in any order
        return make_input(rng, shape, dt, edges=False, low=-1.5, high=1.5)
    return make_input(rng, shape, dt)                  # integer sums/products wrap identically


def _check_cases(jit, name, xs, cases):
    """One program computing np.<name>(x, axis, keepdims) for every x in xs and every case."""
    fn = _red(name)
    expected = []
    for x in xs:
        for a, k in cases:
            e, np_err = numpy_result(fn, x, axis=a, keepdims=k)
            assert np_err is None, f"NumPy rejects np.{name}(axis={a}, keepdims={k}): {np_err}"
            expected.append((x, a, k, e))
    got = jit(lambda xs: [fn(x, axis=a, keepdims=k) for x in xs for a, k in cases])(xs)
    assert len(got) == len(expected)
    for g, (x, a, k, e) in zip(got, expected):
        assert_matches_numpy(g, e, atol=_atol(name, x, a, k, np.asarray(e).dtype),
                             err_msg=f"np.{name}({x.dtype}{list(x.shape)}, axis={a}, keepdims={k})")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_axes(jit, rng, name):
    """Every axis form (None, int, negative, tuple, unsorted tuple, all, empty tuple) with and
    without keepdims, on float32 and int32."""
    xs = [_inputs(rng, name, dt, (3, 4, 5)) for dt in (np.float32, np.int32)]
    _check_cases(jit, name, xs, ARG_AXES if name.startswith("arg") else AXES)


SHORT_AXES = [(None, False), (1, True), ((0, 2), False)]
SHORT_ARG_AXES = [(None, False), (1, True), (-1, False)]


@pytest.mark.parametrize("group", DTYPE_GROUPS)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_dtypes(jit, rng, name, group):
    """Every dtype (one program per dtype group): NumPy's result dtype (sum of int8 is int64,
    mean of ints is float64, ...) and values. Dtypes NumPy rejects are rejected while tracing."""
    fn = _red(name)
    xs = []
    for dt in DTYPE_GROUPS[group]:
        x = _inputs(rng, name, dt, (3, 4, 5))
        _, np_err = numpy_result(fn, x)
        if np_err is not None:
            with pytest.raises((TypeError, ValueError)):
                xl.make_ir(lambda x: fn(x))(x)
            continue
        xs.append(x)
    if xs:
        _check_cases(jit, name, xs, SHORT_ARG_AXES if name.startswith("arg") else SHORT_AXES)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_methods(jit, rng, name):
    """``x.sum(axis=...)`` etc. as methods of the traced array."""
    x = _inputs(rng, name, np.float64, (4, 6))
    got = jit(lambda x: getattr(x, name)(axis=-1))(x)
    expected = getattr(x, name)(axis=-1)
    assert_matches_numpy(got, expected, atol=_atol(name, x, -1, False, expected.dtype))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_layouts(jit, rng, name):
    x = _inputs(rng, name, np.float32, (5, 6))
    fn = _red(name)
    jf = jit(lambda x: (fn(x, axis=0), fn(x, axis=1)))
    for kind, xv in layouts(x):
        for g, axis in zip(jf(xv), (0, 1)):
            e = fn(x, axis=axis)
            assert_matches_numpy(g, e, atol=_atol(name, x, axis, False, e.dtype), err_msg=kind)
    xb = np.broadcast_to(x[:1], x.shape)  # zero-stride input
    for g, axis in zip(jf(xb), (0, 1)):
        e = fn(xb, axis=axis)
        assert_matches_numpy(g, e, atol=_atol(name, xb, axis, False, e.dtype), err_msg="broadcast")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_0d(jit, rng, name):
    x = _inputs(rng, name, np.float32, ())
    fn = _red(name)
    axes, expected = [], []
    for axis in [None, (), 0, -1, 1]:
        e, err = numpy_result(fn, x, axis=axis)
        if err is not None:  # NumPy accepts axis 0 and -1 for 0-d input to some reductions only
            with pytest.raises((ValueError, IndexError, TypeError)):
                xl.make_ir(lambda x: fn(x, axis=axis))(x)
            continue
        axes.append(axis)
        expected.append(e)
    for g, e, axis in zip(jit(lambda x: [fn(x, axis=a) for a in axes])(x), expected, axes):
        assert_matches_numpy(g, e, err_msg=f"axis={axis}")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_empty(jit, name):
    """Empty inputs: sum -> 0, prod -> 1, any -> False, all -> True, mean/var -> NaN; max/min/
    argmax/argmin over an empty axis are errors, as in NumPy (and fine over a non-empty one)."""
    x = np.zeros((0, 3), np.float32)
    fn = _red(name)
    cases, expected = [], []
    for axis, keepdims in [(0, False), (1, False), (None, False), (0, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            e, err = numpy_result(fn, x, axis=axis, keepdims=keepdims)
        if err is not None:
            with pytest.raises(ValueError):
                xl.make_ir(lambda x: fn(x, axis=axis, keepdims=keepdims))(x)
            continue
        cases.append((axis, keepdims))
        expected.append(e)
    got = jit(lambda x: [fn(x, axis=a, keepdims=k) for a, k in cases])(x)
    for g, e, (axis, keepdims) in zip(got, expected, cases):
        assert_matches_numpy(g, e, err_msg=f"axis={axis} keepdims={keepdims}")


@pytest.mark.parametrize("n", [7, 5000, 3_000_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=dtype_id)
def test_sums_with_infinities(jit, dtype, n):
    """inf in a sum stays inf (and inf + -inf is NaN), through the blocked and compensated
    (Kahan) float64 sums and the split full reductions: the compensation term must not turn
    inf into NaN."""
    cases = [[np.inf], [-np.inf, -np.inf], [np.inf, -np.inf], [np.nan], [np.finfo(dtype).max] * 3]
    for vals in cases:
        x = np.ones(n, dtype)
        x[np.linspace(0, n - 1, len(vals)).astype(int)] = vals
        with np.errstate(all="ignore"):
            got = jit(lambda x: (np.sum(x), np.mean(x), np.sum(x[: n - n % 7].reshape(7, -1), axis=1)))(x)
            exp = (np.sum(x), np.mean(x), np.sum(x[: n - n % 7].reshape(7, -1), axis=1))
        for g, e in zip(got, exp):
            assert_matches_numpy(g, e, err_msg=str(vals))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=dtype_id)
def test_nan_propagation(jit, dtype):
    """max/min propagate NaN; argmax/argmin return the first NaN; any/all treat NaN as true."""
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.inf, -np.inf, 2.0, 0.0], [-0.0, 0.0, 5.0, np.nan]], dtype)
    names = ["max", "min", "argmax", "argmin", "any", "all", "sum"]
    got = jit(lambda x: [(_red(n)(x), _red(n)(x, axis=0), _red(n)(x, axis=1)) for n in names])(x)
    for gs, name in zip(got, names):
        fn = _red(name)
        with np.errstate(all="ignore"):
            expected = (fn(x), fn(x, axis=0), fn(x, axis=1))
        for g, e in zip(gs, expected):
            assert_matches_numpy(g, e, err_msg=name)


def test_arg_ties_pick_first(jit, rng):
    x = rng.integers(0, 3, (6, 7)).astype(np.int8)
    for name in ["argmax", "argmin"]:
        fn = _red(name)
        got = jit(lambda x: (fn(x), fn(x, axis=0), fn(x, axis=1)))(x)
        for g, e in zip(got, (fn(x), fn(x, axis=0), fn(x, axis=1))):
            assert_matches_numpy(g, e, err_msg=name)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "float16", "float32", "bool"])
@pytest.mark.parametrize("acc", ["float64", "int64", "float32", "uint16"])
def test_reduction_dtype_argument(jit, rng, dtype, acc):
    """``dtype=`` of sum/prod/mean/var/std; NumPy decides the result dtype."""
    x = make_input(rng, (4, 5), dtype, edges=False, low=-2, high=3)
    names, expected = [], []
    for name in ["sum", "prod", "mean", "var", "std"]:
        fn = _red(name)
        e, err = numpy_result(fn, x, axis=1, dtype=acc)
        if err is not None:  # std with an integer dtype= cannot hold the square root
            with pytest.raises((TypeError, ValueError)):
                xl.make_ir(lambda x: fn(x, axis=1, dtype=acc))(x)
            continue
        names.append(name)
        expected.append(e)
    got = jit(lambda x: [_red(n)(x, axis=1, dtype=acc) for n in names])(x)
    for g, e, name in zip(got, expected, names):
        assert_matches_numpy(g, e, atol=_atol(name, x.astype(e.dtype), 1, False, e.dtype),
                             err_msg=f"np.{name}({x.dtype}, dtype={acc})")


@pytest.mark.parametrize("ddof", [0, 1, 5])
def test_var_std_ddof(jit, rng, ddof):
    x = make_input(rng, (3, 5), np.float64, edges=False)
    got = jit(lambda x: [(fn(x, ddof=ddof), fn(x, axis=1, ddof=ddof)) for fn in (np.var, np.std)])(x)
    for gs, name in zip(got, ["var", "std"]):
        fn = _red(name)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # ddof >= n: division by zero
            expected = (fn(x, ddof=ddof), fn(x, axis=1, ddof=ddof))
        for g, e, a in zip(gs, expected, (None, 1)):
            assert_matches_numpy(g, e, atol=_atol(name, x, a, False, e.dtype), err_msg=f"{name} ddof={ddof}")


def test_ufunc_reduce(jit, rng):
    """np.add.reduce and friends (reached through __array_ufunc__)."""
    x = make_input(rng, (4, 5), np.float64, edges=False)
    fns = [lambda x: np.add.reduce(x), lambda x: np.multiply.reduce(x, axis=1),
           lambda x: np.maximum.reduce(x, axis=None), lambda x: np.minimum.reduce(x, axis=-1, keepdims=True),
           lambda x: np.logical_or.reduce(x > 0, axis=0)]
    for g, fn in zip(jit(lambda x: [fn(x) for fn in fns])(x), fns):
        e = fn(x)
        assert_matches_numpy(g, e, atol=_atol("prod", x, None, False, e.dtype))


def test_large_sum_accuracy(jit, rng):
    """A 4000-element float32 sum (pairwise/blocked/sequential are all within the bound)."""
    x = rng.uniform(0, 1, 4000).astype(np.float32)
    got = jit(lambda x: (np.sum(x), np.mean(x), np.sum(x.reshape(40, 100), axis=0)))(x)
    assert_matches_numpy(got[0], np.sum(x), atol=_atol("sum", x, None, False, np.float32))
    assert_matches_numpy(got[1], np.mean(x), atol=_atol("mean", x, None, False, np.float32))
    x2 = x.reshape(40, 100)
    assert_matches_numpy(got[2], np.sum(x2, axis=0), atol=_atol("sum", x2, 0, False, np.float32))

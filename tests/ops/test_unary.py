"""Every unary elementwise op against NumPy, across dtypes, shapes and memory layouts.

The jitted functions call NumPy's own functions (``np.exp(x)``), as user code
does; the expected values are NumPy's on the same inputs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import (DTYPE_GROUPS, FLOATS, assert_matches_numpy, dtype_id, eps, layout_batches,
                           make_input, math_vectorized, numpy_result)

UNARY = ["negative", "positive", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log10",
         "log1p", "sqrt", "cbrt", "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor", "ceil",
         "trunc", "rint", "isnan", "isinf", "isfinite", "logical_not", "invert"]

# Trigonometric functions: huge arguments (finfo.max) need exact range reduction, which is not what
# these tests are about; keep |x| <= 1000. Their results cross zero, where a relative bound is
# meaningless, so they also allow an absolute error of one eps of the dtype (results are O(1)).
TRIG = {"sin", "cos", "tan"}


def _np_fn(name):
    return np.absolute if name == "abs" else getattr(np, name)


def _inputs(rng, name, dtype, shape=(96,)):
    x = make_input(rng, shape, dtype)
    if name in TRIG and x.dtype.kind == "f":
        x = np.where(np.abs(x) > 1000, np.float64(1000.0).astype(x.dtype), x).astype(x.dtype)
    elif name in TRIG and x.dtype.kind in "iu":
        x = np.clip(x, -1000 if x.dtype.kind == "i" else 0, 1000).astype(x.dtype)
    if name == "reciprocal" and x.dtype.kind in "iub":
        # integer reciprocal of 0 divides by zero (undefined in C): use 1 instead
        x = np.where(x == 0, np.ones((), x.dtype), x).astype(x.dtype)
    return x


def _atol(name, dtype):
    dt = np.dtype(dtype)
    return eps(dt) if name in TRIG and dt.kind == "f" else None


@pytest.mark.parametrize("group", DTYPE_GROUPS)
@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes(jit, rng, name, group):
    """Each op on each dtype (one program per dtype group): edge values of the dtype and of the
    function's domain plus random values, in every memory layout (C, read-only, strided,
    reversed, Fortran). Dtypes NumPy rejects must be rejected while tracing."""
    f = _np_fn(name)
    xs, expected = [], []
    for dt in DTYPE_GROUPS[group]:
        x = _inputs(rng, name, dt, shape=(6, 16))
        e, err = numpy_result(f, x)
        if err is not None:  # NumPy has no loop for this dtype: xlaish must refuse it too
            with pytest.raises((TypeError, xl.UnsupportedError)):
                xl.make_ir(lambda x: f(x))(x)
            continue
        xs.append(x)
        expected.append(e)
    if not xs:
        return
    jf = jit(lambda xs: [f(x) for x in xs])
    for kind, batch in layout_batches(xs):
        for g, e, x in zip(jf(batch), expected, xs):
            assert_matches_numpy(g, e, atol=_atol(name, e.dtype), err_msg=f"np.{name} on {kind} {x.dtype}")


SHAPES = [(), (0,), (0, 3), (1,), (1, 1), (2, 3, 4)]


@pytest.mark.parametrize("name", UNARY)
def test_unary_shapes(jit, rng, name):
    """0-d, empty, size-1 and 3-D inputs; all in one jitted program per op."""
    dtype = np.float32 if name != "invert" else np.int16
    f = _np_fn(name)
    xs = [_inputs(rng, name, dtype, shape=s) for s in SHAPES]
    jf = jit(lambda xs: [f(x) for x in xs])
    got = jf(xs)
    assert isinstance(got, list) and len(got) == len(SHAPES)
    for g, x in zip(got, xs):
        with np.errstate(all="ignore"):
            expected = f(x)
        assert_matches_numpy(g, expected, atol=_atol(name, expected.dtype),
                             err_msg=f"np.{name} on shape {x.shape}")


@pytest.mark.parametrize("name", ["exp", "negative", "sqrt", "isnan", "sign"])
def test_unary_scalar_inputs(jit, name):
    """NumPy scalars (not arrays) as arguments give NumPy scalars of the same dtype."""
    f = _np_fn(name)
    vs = [np.float32(2.5), np.float64(-0.5), np.int16(7), np.float16(0.25)]
    got = jit(lambda vs: [f(v) for v in vs])(vs)
    for g, v in zip(got, vs):
        with np.errstate(all="ignore"):
            expected = f(v)
        assert_matches_numpy(g, expected, err_msg=f"np.{name}({v!r})")


@pytest.mark.parametrize("name", ["abs", "negative", "exp", "floor", "invert", "logical_not"])
def test_unary_broadcast_input(jit, rng, name):
    """A zero-stride (np.broadcast_to) input."""
    dtype = np.int32 if name == "invert" else np.float32
    base = make_input(rng, (5,), dtype)
    x = np.broadcast_to(base, (4, 5))
    f = _np_fn(name)
    with np.errstate(all="ignore"):
        expected = f(x)
    assert_matches_numpy(jit(lambda x: f(x))(x), expected)


# --------------------------------------------------------------------------- special
def _special_expected(name, x):
    """The oracle: float64 math from the standard library or NumPy, rounded to the result dtype
    NumPy's np.exp gives for x's dtype (the documented dtype rule of erf/erfc/expit)."""
    out_dt = np.exp(np.ones((1,), x.dtype)).dtype
    xin = x.astype(out_dt)  # xlaish casts to the loop dtype first, as NumPy's np.exp does
    if name == "erf":
        return math_vectorized(math.erf, xin, out_dt)
    if name == "erfc":
        return math_vectorized(math.erfc, xin, out_dt)
    x64 = xin.astype(np.float64)
    with np.errstate(all="ignore"):
        return (1.0 / (1.0 + np.exp(-x64))).astype(out_dt)


@pytest.mark.parametrize("group", DTYPE_GROUPS)
@pytest.mark.parametrize("name", ["erf", "erfc", "expit"])
def test_special_elementwise(jit, rng, name, group):
    xs = []
    for dt in DTYPE_GROUPS[group]:
        if np.dtype(dt).kind in "iu":
            # keep integer inputs where float16/32 results are not all saturated
            xs.append(make_input(rng, (64,), dt, low=-8, high=9))
        else:
            xs.append(make_input(rng, (64,), dt))
    fn = getattr(xl.special, name)
    got = jit(lambda xs: [fn(x) for x in xs])(xs)
    for g, x in zip(got, xs):
        expected = _special_expected(name, x)
        # results O(1) near cancellation (1 - erf, 1 - expit) also get two eps absolute
        assert_matches_numpy(g, expected, atol=eps(expected.dtype) * 2, err_msg=f"special.{name} {x.dtype}")


@pytest.mark.parametrize("name", ["erf", "erfc", "expit"])
def test_special_elementwise_shapes(jit, rng, name):
    fn = getattr(xl.special, name)
    xs = [make_input(rng, s, np.float64) for s in SHAPES]
    got = jit(lambda xs: [fn(x) for x in xs])(xs)
    for g, x in zip(got, xs):
        assert_matches_numpy(g, _special_expected(name, x), atol=eps(np.float64) * 2,
                             err_msg=f"special.{name} shape {x.shape}")


# oracles written with NumPy, in the input's dtype, the numerically stable way
def _np_logsumexp(a, axis=None, keepdims=False):
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(a.dtype)
        s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


def _np_softmax(a, axis=None):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(a, axis=None):
    s = a - np.max(a, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def _np_logit(p):
    with np.errstate(all="ignore"):
        return np.log(p / (1 - p))


# composites chain a few ops (max, subtract, exp, sum, log/divide): allow 10x the per-dtype
# tolerance, plus an absolute 10 eps where results cross zero (log_softmax of the largest element)
def _composite_tol(dtype):
    from tests.helpers import tol
    return dict(rtol=10 * tol(dtype).rtol, atol=10 * eps(dtype))


COMPOSITE_AXES = [None, 0, -1, (0, 1)]


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_special_composites(jit, rng, name, dtype):
    """softmax/log_softmax/logsumexp over axis None (SciPy's default), 0, -1 and (0, 1)."""
    x = make_input(rng, (3, 5), dtype, edges=False)
    fn = getattr(xl.special, name)
    oracle = {"softmax": _np_softmax, "log_softmax": _np_log_softmax,
              "logsumexp": _np_logsumexp}[name]
    got = jit(lambda x: [fn(x, axis=a) for a in COMPOSITE_AXES])(x)
    for g, axis in zip(got, COMPOSITE_AXES):
        with np.errstate(all="ignore"):
            expected = oracle(x, axis=axis)
        assert_matches_numpy(g, expected, **_composite_tol(dtype), err_msg=f"special.{name} axis={axis}")


@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_keepdims_and_infinities(jit, keepdims):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0]], np.float64)
    got = jit(lambda x: xl.special.logsumexp(x, axis=1, keepdims=keepdims))(x)
    assert_matches_numpy(got, _np_logsumexp(x, axis=1, keepdims=keepdims))


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
def test_logit(jit, rng, dtype):
    # domain edges 0 and 1 (-inf, inf) and values outside [0, 1] (NaN)
    p = np.concatenate([rng.uniform(0, 1, 40), [0.0, 1.0, 0.5, -0.5, 1.5, np.nan]]).astype(dtype)
    got = jit(lambda p: xl.special.logit(p))(p)
    assert_matches_numpy(got, _np_logit(p), **_composite_tol(dtype))

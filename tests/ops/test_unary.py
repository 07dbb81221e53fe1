"""Every unary elementwise op of the registry against NumPy, across dtypes, shapes and layouts.

The ops are the registry's unary rows (``xlaish.ir.groups.UNARY``): a new row is tested here
with no edit. The jitted functions call NumPy's own functions (``np.exp(x)``), as user code
does (ops NumPy lacks, ``erf``..., through ``xlaish.numpy``); the expected values are NumPy's
on the same inputs (for those, the op's registry reference on the loop dtype). Per-op input
domains and tolerances: :mod:`tests.ops.registry`.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import (
    DTYPE_GROUPS,
    FLOATS,
    assert_matches_numpy,
    dtype_id,
    eps,
    layout_batches,
    make_input,
    math_vectorized,
    numpy_result,
)
from tests.ops.registry import UNARY, oracle, user_fn
from tests.ops.registry import atol_for as _atol
from tests.ops.registry import unary_input as _inputs

_np_fn = user_fn


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
        e, err = numpy_result(oracle(name), x)
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
    """0-d, empty, size-1 and 3-D inputs and a zero-stride (broadcast_to) input; all in one
    jitted program per op, on the op's first dtype of float32, int16, bool NumPy has a loop for."""
    dtype = next(d for d in (np.float32, np.int16, np.bool_)
                 if numpy_result(oracle(name), np.zeros(1, d))[1] is None)
    f = _np_fn(name)
    xs = [_inputs(rng, name, dtype, shape=s) for s in SHAPES]
    xs.append(np.broadcast_to(_inputs(rng, name, dtype, shape=(5,)), (4, 5)))
    jf = jit(lambda xs: [f(x) for x in xs])
    got = jf(xs)
    assert isinstance(got, list) and len(got) == len(xs)
    for g, x in zip(got, xs):
        expected, _ = numpy_result(oracle(name), x)
        assert_matches_numpy(g, expected, atol=_atol(name, expected.dtype),
                             err_msg=f"np.{name} on shape {x.shape} strides {x.strides}")


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


@pytest.mark.parametrize("name", ["erf", "erfc", "expit"])
def test_special_elementwise_against_math(jit, rng, name):
    """xl.special's functions against the standard library's float64 math (an oracle independent
    of the registry's reference), on every float dtype."""
    xs = [make_input(rng, (64,), dt) for dt in FLOATS] + [make_input(rng, (64,), np.int8, low=-8, high=9)]
    fn = getattr(xl.special, name)
    got = jit(lambda xs: [fn(x) for x in xs])(xs)
    for g, x in zip(got, xs):
        expected = _special_expected(name, x)
        # results O(1) near cancellation (1 - erf, 1 - expit) also get two eps absolute
        assert_matches_numpy(g, expected, atol=eps(expected.dtype) * 2, err_msg=f"special.{name} {x.dtype}")


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

"""matmul / dot / @ against NumPy: 1-D, 2-D, batched (with batch broadcasting), across dtypes.

Floating-point dot products may be summed in any order; they are compared with the bound
``k * eps * (|a| @ |b|)`` (k the contracted length), valid for every summation order.
Integer products wrap modulo 2**bits identically in every order, so they are exact.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import ALL_DTYPES, assert_matches_numpy, dtype_id, eps, layouts, make_input, numpy_result

SHAPE_PAIRS = [
    ((5,), (5,)),                 # 1-D . 1-D -> 0-d
    ((3, 5), (5,)),               # matrix . vector
    ((5,), (5, 4)),               # vector . matrix
    ((3, 5), (5, 4)),
    ((1, 1), (1, 1)),
    ((2, 3, 5), (5, 4)),          # batched, right operand broadcast
    ((5,), (2, 5, 4)),            # 1-D left with a batch on the right
    ((2, 1, 3, 5), (4, 5, 2)),    # batch dims broadcast against each other
    ((3, 0), (0, 4)),             # empty contraction: zeros
    ((0, 5), (5, 2)),             # empty result
]


def _bound(a, b, out_dtype):
    """Absolute error bound of a float matmul in any summation order."""
    dt = np.dtype(out_dtype)
    if dt.kind != "f":
        return None
    k = a.shape[-1] if a.ndim else 1
    return 2 * max(k, 1) * eps(dt) * np.matmul(np.abs(a.astype(np.float64)), np.abs(b.astype(np.float64)))


def _inputs(rng, shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return make_input(rng, shape, dt, edges=False, low=-2, high=2)  # no inf - inf, no overflow
    return make_input(rng, shape, dt)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_matmul_dtypes(jit, rng, dtype):
    pairs = [((3, 5), (5, 4)), ((2, 3, 5), (5, 4)), ((5,), (5,))]
    As = [_inputs(rng, sa, dtype) for sa, _ in pairs]
    Bs = [_inputs(rng, sb, dtype) for _, sb in pairs]
    e0, err = numpy_result(np.matmul, As[0], Bs[0])
    jf = jit(lambda As, Bs: [a @ b for a, b in zip(As, Bs)])
    if err is not None:
        with pytest.raises((TypeError, xl.UnsupportedError)):
            jf(As, Bs)
        return
    for g, a, b in zip(jf(As, Bs), As, Bs):
        e = np.matmul(a, b)
        assert_matches_numpy(g, e, atol=_bound(a, b, e.dtype), err_msg=f"{a.shape} @ {b.shape}")


@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS, ids=[f"{a}@{b}" for a, b in SHAPE_PAIRS])
def test_matmul_shapes(jit, rng, sa, sb):
    a, b = _inputs(rng, sa, np.float32), _inputs(rng, sb, np.float32)
    fns = [lambda a, b: a @ b, lambda a, b: np.matmul(a, b)]
    if len(sa) <= 2 and len(sb) <= 2:
        fns.append(lambda a, b: np.dot(a, b))
        fns.append(lambda a, b: a.dot(b))
    for g, fn in zip(jit(lambda a, b: [fn(a, b) for fn in fns])(a, b), fns):
        e = fn(a, b)
        assert_matches_numpy(g, e, atol=_bound(a, b, e.dtype))


def test_matmul_layouts(jit, rng):
    a, b = _inputs(rng, (4, 6), np.float64), _inputs(rng, (6, 3), np.float64)
    jf = jit(lambda a, b: a @ b)
    e = a @ b
    for (ka, av), (kb, bv) in zip(layouts(a), reversed(list(layouts(b)))):
        assert_matches_numpy(jf(av, bv), e, atol=_bound(a, b, e.dtype), err_msg=f"{ka} @ {kb}")


@pytest.mark.parametrize("pair", [(np.int32, np.float32), (np.int8, np.uint8), (np.float16, np.float64),
                                  (np.bool_, np.int16)], ids=str)
def test_matmul_promotes(jit, rng, pair):
    a, b = _inputs(rng, (3, 4), pair[0]), _inputs(rng, (4, 2), pair[1])
    e = a @ b
    assert_matches_numpy(jit(lambda a, b: a @ b)(a, b), e, atol=_bound(a, b, e.dtype))


def test_dot_variants(jit, rng):
    a, b = _inputs(rng, (3, 4), np.float64), _inputs(rng, (4,), np.float64)
    s = np.float64(1.5)
    fns = [lambda a, b, s: np.dot(a, s), lambda a, b, s: np.dot(s, b), lambda a, b, s: np.vdot(b, b),
           lambda a, b, s: np.inner(a, b), lambda a, b, s: np.inner(a, a), lambda a, b, s: np.outer(b, b),
           lambda a, b, s: a.T @ a, lambda a, b, s: b @ a.T @ a @ b]
    got = jit(lambda a, b, s: [fn(a, b, s) for fn in fns])(a, b, s)
    for i, (g, fn) in enumerate(zip(got, fns)):
        e = fn(a, b, s)
        k = 4 * 4 * 4  # at most three chained products of length 4
        atol = 2 * k * eps(np.float64) * np.abs(fn(np.abs(a), np.abs(b), s))
        assert_matches_numpy(g, e, atol=atol, err_msg=f"function #{i}")


def test_matmul_errors(jit):
    a, b = np.ones((3, 4)), np.ones((5, 2))
    with pytest.raises(ValueError):
        a @ b
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        jit(lambda a, b: a @ b)(a, b)
    with pytest.raises(ValueError):
        jit(lambda a: a @ np.float64(2.0))(a)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.float16], ids=lambda d: np.dtype(d).name)
def test_vdot_keeps_the_dtype(jit, dtype):
    """vdot is dot of the flattened operands in their dtype, as NumPy (uint8 wraps, bool is
    or-of-ands), not a sum (which would widen to uint64 / int64)."""
    a = np.array([[200, 1], [0, 3]]).astype(dtype)
    b = np.array([[3, 1], [1, 1]]).astype(dtype)
    with np.errstate(all="ignore"):
        got = jit(lambda a, b: (np.vdot(a, b), np.vdot(a, a.T)))(a, b)
        for g, e in zip(got, (np.vdot(a, b), np.vdot(a, a.T))):
            assert_matches_numpy(g, e)


@pytest.mark.parametrize("sa,sb", [((3, 2, 2), (3, 2, 2)), ((), (2, 3)), ((2, 3), ()), ((3, 2, 2), (2,)),
                                   ((2,), (3, 2, 2)), ((2,), (2,)), ((3, 2), (4, 2)), ((2, 1, 3), (5, 3))])
def test_inner_shapes(jit, rng, sa, sb):
    """inner sums over the last axes: shape a.shape[:-1] + b.shape[:-1]; a 0-d operand multiplies."""
    a, b = _inputs(rng, sa, np.float64), _inputs(rng, sb, np.float64)
    e = np.inner(a, b)
    atol = 8 * eps(np.float64) * np.inner(np.abs(a), np.abs(b)) * max(sa[-1:] + sb[-1:] + (1,))
    assert_matches_numpy(jit(lambda a, b: np.inner(a, b))(a, b), e, atol=atol)

"""Every elementwise op family on the CUDA path (simulator), against NumPy.

The op lists are derived from the registry (``xlaish.ir.groups``): per dtype, every NumPy
function of the registry with a loop taking that dtype as it is. Ops are grouped into
multi-output programs; every op reads ``x - z`` (``z`` a
zero passed in, so the values are exactly ``x``'s, signed zeros included),
which makes fusion put the whole group in one kernel with many outputs
(fewer kernels to simulate and to compile to PTX). A failure names the op.
Tolerances are the per-dtype ones of ``tests.helpers`` (float32 1e-6
relative, float64 1e-12).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_matches_numpy, make_input
from xlaish.ir import groups
from xlaish.ir.ops import elementwise as ew


def _native(names, dtype):
    """The ops of ``names`` with a NumPy loop taking ``dtype`` operands as they are (no cast)."""
    dt = np.dtype(dtype)
    out = []
    for n in names:
        arity = 1 if n in groups.UNARY else 2
        try:
            loop = ew.loop_dtypes(n, (dt,) * arity)
        except Exception:
            continue
        if all(d == dt for d in loop[:-1]):
            out.append(n)
    return out


# derived from the registry (a new row is tested here with no edit): ops of NumPy functions,
# taking the dtype natively; erf/erfc/expit (not NumPy functions) have their own test below
_UFUNC_UNARY = sorted(n for n in groups.UNARY if isinstance(ew.ELEMENTWISE_FUNCS[n], np.ufunc))
_UFUNC_BINARY = sorted(n for n in groups.BINARY if isinstance(ew.ELEMENTWISE_FUNCS[n], np.ufunc))
UNARY_FLOAT = _native(_UFUNC_UNARY, np.float32)
BINARY_FLOAT = _native(_UFUNC_BINARY, np.float32)
UNARY_INT = [n for n in _native(_UFUNC_UNARY, np.int32) if n != "reciprocal"]   # 1 // 0 traps in NumPy
BINARY_INT = [n for n in _native(_UFUNC_BINARY, np.int32) if n != "power"]     # negative powers raise
UNARY_BOOL = _native(_UFUNC_UNARY, np.bool_)
BINARY_BOOL = [n for n in _native(_UFUNC_BINARY, np.bool_)
               if n not in ("subtract", "remainder", "power", "divide")]


def _check_all(names, got, exp, dtype_rtol=None):
    for name, g, e in zip(names, got, exp):
        e = np.asarray(e)
        rtol = None
        if dtype_rtol and e.dtype in dtype_rtol:
            rtol = dtype_rtol[e.dtype]
        assert_matches_numpy(np.asarray(g), e, rtol=rtol, err_msg=f"op {name} on CUDA")


def _unary_prog(names):
    fns = [getattr(np, n) for n in names]
    return lambda x: tuple(f(x) for f in fns)


def _binary_prog(names):
    fns = [getattr(np, n) for n in names]
    return lambda x, y: tuple(f(x, y) for f in fns)


def _zero(x):
    return np.zeros((), np.asarray(x).dtype)


def _shared(body):
    """body(x, y, ...) evaluated on x - z, y - z, ... (one shared producer: one kernel)."""
    def f(*args):
        *xs, z = args
        return body(*[(x ^ z) if z.dtype == np.bool_ else (x - z) for x in xs])
    return f


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_float(cuda_jit, rng, dtype):
    x = make_input(rng, (7, 19), dtype)
    f = _shared(_unary_prog(UNARY_FLOAT))
    with np.errstate(all="ignore"):
        exp = f(x, _zero(x))
    j = cuda_jit(f)
    got = j(x, _zero(x))
    assert len(j.lower(x, _zero(x)).executable.plan) == 1          # one kernel, many outputs
    _check_all(UNARY_FLOAT, got, exp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_float(cuda_jit, rng, dtype):
    x = make_input(rng, (6, 17), dtype)
    y = make_input(rng, (6, 17), dtype)
    y[0, :4] = x[0, :4]                  # ties (maximum/equal/logaddexp)
    f = _shared(_binary_prog(BINARY_FLOAT))
    with np.errstate(all="ignore"):
        exp = f(x, y, _zero(x))
    _check_all(BINARY_FLOAT, cuda_jit(f)(x, y, _zero(x)), exp)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.int64, np.uint64])
def test_integer_ops(cuda_jit, rng, dtype):
    x = make_input(rng, (5, 23), dtype)
    y = make_input(rng, (5, 23), dtype)
    y[0, :3] = 0                                    # division by zero gives 0
    if np.dtype(dtype).kind == "i":
        x[1, :2] = np.iinfo(dtype).min              # MIN // -1 wraps, MIN % -1 is 0
        y[1, :2] = -1
    bits = np.dtype(dtype).itemsize * 8
    y[2, :6] = np.array([0, 1, bits - 1, bits, bits + 3, 2]).astype(dtype)  # shifts past the width
    xr = np.where(x == 0, np.ones((), x.dtype), x)   # integer 1/0 is undefined in C (and NumPy)

    @_shared
    def f(x, y, xr):
        return _binary_prog(BINARY_INT)(x, y) + _unary_prog(UNARY_INT)(x) + (np.reciprocal(xr),)
    with np.errstate(all="ignore"):
        exp = f(x, y, xr, _zero(x))
    got = cuda_jit(f)(x, y, xr, _zero(x))
    _check_all(BINARY_INT + UNARY_INT + ["reciprocal"], got, exp)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_integer_power(cuda_jit, rng, dtype):
    x = rng.integers(0 if np.dtype(dtype).kind == "u" else -9, 10, size=(40,)).astype(dtype)
    y = rng.integers(0, 9, size=(40,)).astype(dtype)
    with np.errstate(all="ignore"):
        exp = np.power(x, y)
    assert_matches_numpy(np.asarray(cuda_jit(np.power)(x, y)), exp)


def test_bool_ops(cuda_jit, rng):
    x = rng.random((9, 11)) < 0.5
    y = rng.random((9, 11)) < 0.5
    f = _shared(lambda x, y: _binary_prog(BINARY_BOOL)(x, y) + _unary_prog(UNARY_BOOL)(x))
    _check_all(BINARY_BOOL + UNARY_BOOL, cuda_jit(f)(x, y, _zero(x)), f(x, y, _zero(x)))


def test_select_and_where(cuda_jit, rng):
    x = make_input(rng, (4, 30), np.float32)
    y = make_input(rng, (30,), np.float32)
    f = lambda x, y: (np.where(x > y, x, y), np.where(x != x, 0.0, x), np.where(y > 0, 1, -1))  # noqa
    _check_all(["where1", "where2", "where3"], cuda_jit(f)(x, y), f(x, y))


CASTS = [(np.float32, np.int32), (np.float32, np.float64), (np.float64, np.float32),
         (np.float32, np.bool_), (np.bool_, np.float32), (np.int32, np.float32), (np.int32, np.int8),
         (np.int64, np.int32), (np.uint8, np.int32), (np.int32, np.uint8), (np.float32, np.uint8),
         (np.int32, np.bool_), (np.bool_, np.int64), (np.float64, np.int64), (np.float32, np.float16),
         (np.float16, np.float32), (np.int32, np.uint64), (np.uint32, np.float64)]


@pytest.mark.parametrize("src,dst", CASTS, ids=[f"{np.dtype(a).name}-{np.dtype(b).name}" for a, b in CASTS])
def test_astype(cuda_jit, rng, src, dst):
    src, dst = np.dtype(src), np.dtype(dst)
    if src.kind == "f" and dst.kind in "iu":      # in range here; invalid values: the test below
        lo, hi = (0, 200) if dst.kind == "u" else (-100, 100)
        x = rng.uniform(lo, hi, size=(64,)).astype(src)
    else:
        x = make_input(rng, (64,), src)
    with np.errstate(all="ignore"):
        exp = x.astype(dst)
    got = cuda_jit(lambda a: a.astype(dst))(x)
    assert_matches_numpy(np.asarray(got), exp, err_msg=f"astype {src}->{dst}")


@pytest.mark.parametrize("src", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_astype_float_to_int_invalid_values(cuda_jit, src):
    """NaN, +-inf and out-of-range floats to every integer type: the CPU column's defined result
    (NumPy's x86-64 SIMD cast loops), not the GPU's saturating conversion. One program casts a
    column of such values to all eight integer types."""
    specials = [np.nan, np.inf, -np.inf, 1e20, -1e20, 3e9, -3e9, 6e4, -6e4, 7e4 + 0.5, -300.7,
                -1.5, 2.0 ** 31, -2.0 ** 31, 2.0 ** 32, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, 5.5]
    ints = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
    with np.errstate(all="ignore"):
        x = np.array(specials).astype(src)
        got = cuda_jit(lambda a: [a.astype(d) for d in ints])(x)
        for g, d in zip(got, ints):
            # NumPy's own result for one value, from its SIMD body (a whole array of it)
            exp = np.array([np.full(64, v).astype(d)[0] for v in x])
            assert_matches_numpy(np.asarray(g), exp, err_msg=f"{np.dtype(src)} -> {np.dtype(d)}")


def test_float16_math(cuda_jit, rng):
    x = make_input(rng, (50,), np.float16, edges=False)
    y = make_input(rng, (50,), np.float16, edges=False)
    f = _shared(lambda x, y: (x + y, x * y, x / y, np.exp(x), np.sqrt(np.abs(y)), np.maximum(x, y), x > y))
    with np.errstate(all="ignore"):
        exp = f(x, y, _zero(x))
    _check_all(["add", "multiply", "divide", "exp", "sqrt", "maximum", "greater"],
               cuda_jit(f)(x, y, _zero(x)), exp)


def test_special_functions(cuda_jit, rng):
    import math

    import xlaish.special as xsp
    from tests.helpers import math_vectorized
    x = make_input(rng, (3, 33), np.float32)
    got = cuda_jit(_shared(lambda x: (xsp.erf(x), xsp.erfc(x), xsp.expit(x))))(x, _zero(x))
    with np.errstate(all="ignore"):
        expit = (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float32)
    _check_all(["erf", "erfc", "expit"], got,
               (math_vectorized(math.erf, x, np.float32), math_vectorized(math.erfc, x, np.float32), expit))


def test_constants_and_weak_scalars(cuda_jit, rng):
    x = make_input(rng, (8, 8), np.float32, edges=False)
    f = lambda x, s: (x * 2.5 + s, x - np.float32(1e30), np.float32(-np.inf) < x, x + np.arange(8))  # noqa
    got = cuda_jit(f)(x, 3.0)
    _check_all(["scale", "big", "inf", "arange"], got, f(x, 3.0))


def test_array_constant_and_iota(cuda_jit, rng):
    c = np.linspace(-1, 1, 12).astype(np.float32)
    x = make_input(rng, (3, 12), np.float32, edges=False)
    f = lambda x: (x * c + np.arange(12, dtype=np.float32), np.eye(3, 12, dtype=np.float32) + x)  # noqa
    _check_all(["const", "eye"], cuda_jit(f)(x), f(x))


# ---- layouts: broadcasting, transposes, slices (read through index arithmetic) -----------------------
def test_broadcasting(cuda_jit, rng):
    a = make_input(rng, (3, 1, 5), np.float32, edges=False)
    b = make_input(rng, (4, 1), np.float32, edges=False)
    c = make_input(rng, (5,), np.float32, edges=False)
    f = lambda a, b, c: (a * b + c, np.broadcast_to(c, (2, 4, 5)) - b)  # noqa
    _check_all(["bcast", "broadcast_to"], cuda_jit(f)(a, b, c), f(a, b, c))


def test_transposed_and_sliced_inputs(cuda_jit, rng):
    x = make_input(rng, (6, 10), np.float64, edges=False)
    y = make_input(rng, (10, 6), np.float64, edges=False)
    z = make_input(rng, (2, 3, 4), np.float64, edges=False)
    f = lambda x, y, z: (x + y.T, x[::2, 1:8:3] * 2, np.transpose(z, (2, 0, 1)) + 1, x[:, ::-1] - x)  # noqa
    _check_all(["transpose", "slice", "permute", "reverse"], cuda_jit(f)(x, y, z), f(x, y, z))


def test_noncontiguous_host_inputs(cuda_jit, rng):
    x = make_input(rng, (8, 12), np.float32, edges=False)
    f = lambda a: np.tanh(a) * 2  # noqa
    j = cuda_jit(f)
    for view in (x[:, ::2], np.asfortranarray(x)[:, :6]):
        assert_matches_numpy(np.asarray(j(view)), f(view))


def test_zero_d_and_empty(cuda_jit, rng):
    f = lambda x: (x * 2 + 1, np.sum(x))  # noqa
    for shape in [(), (0,), (0, 3)]:
        x = make_input(rng, shape, np.float32, edges=False)
        _check_all(["map", "sum"], cuda_jit(f)(x), f(x))


def test_mixed_uint64_int64_comparisons(cuda_jit):
    """``uint64(2**63) > int64(2**63 - 1)`` and friends: NumPy's exact answers (not float64's)."""
    u = np.array([2**63, 2**64 - 1, 5, 0], np.uint64)
    i = np.array([2**63 - 1, -1, 5, -2**63], np.int64)
    f = lambda u, i: (u > i, i < u, u == i, i >= u, u != i, u <= i)  # noqa: E731
    _check_all(["gt", "lt", "eq", "ge", "ne", "le"], cuda_jit(f)(u, i), f(u, i))

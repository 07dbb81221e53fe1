"""Complex elementwise ops against NumPy, driven from the op registry.

Every elementwise row whose NumPy ufunc has a complex loop is checked on complex64 and
complex128 random inputs in several layouts (2-D, 0-d, empty, broadcast, non-contiguous); rows
NumPy refuses for complex must be refused too. Tolerances (norm-wise, |got - want| <= rtol |want|
+ atol): complex64 rtol 1e-5, complex128 rtol 1e-12 (measured worst cases are ~2e-6 and ~1e-14:
asin near 0 in complex64, atanh near |z| = 1); NaN positions must match exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir import groups
from xlaish.ir.ops import elementwise as ew

CDTYPES = [np.complex64, np.complex128]
RTOL = {np.dtype(np.complex64): 1e-5, np.dtype(np.complex128): 1e-12}


def complex_loop(name) -> bool:
    fn = ew.ELEMENTWISE_FUNCS[name]
    if not isinstance(fn, np.ufunc):
        return False
    try:
        fn.resolve_dtypes((np.dtype(np.complex128),) * fn.nin + (None,))
        return True
    except (TypeError, np.exceptions.DTypePromotionError):
        return False


ROWS = sorted(groups.UNARY | groups.BINARY)
COMPLEX_OPS = [n for n in ROWS if complex_loop(n)]
REAL_ONLY = [n for n in ROWS if n not in COMPLEX_OPS]


def crandom(rng, shape, dt, scale=3.0):
    return (rng.uniform(-scale, scale, shape) + 1j * rng.uniform(-scale, scale, shape)).astype(dt)


def assert_close(got, want, rtol=None):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    rtol = rtol or RTOL.get(want.dtype, RTOL[np.dtype(np.complex128)] if want.dtype == np.float64 else 1e-5)
    gn, wn = np.isnan(got), np.isnan(want)
    np.testing.assert_array_equal(gn, wn, err_msg="NaN positions differ")
    ok = ~wn
    g, w = got[ok], want[ok]
    inf = ~np.isfinite(w)
    np.testing.assert_array_equal(g[inf], w[inf], err_msg="infinities differ")
    err = np.abs(g[~inf] - w[~inf])
    bound = rtol * np.abs(w[~inf]) + rtol * 1e-3
    assert np.all(err <= bound), f"max rel err {np.max(err / np.maximum(np.abs(w[~inf]), 1e-30))}"


def numpy_of(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*args)


def _operands(rng, name, dt, nin, shape):
    xs = [crandom(rng, shape, dt) for _ in range(nin)]
    if name == "power":       # keep |result| moderate: |base| <= 2, exponent components <= 2
        xs = [crandom(rng, shape, dt, 1.5), crandom(rng, shape, dt, 2.0)]
    return xs


@pytest.mark.parametrize("dt", CDTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", COMPLEX_OPS)
def test_op_matches_numpy(jit, rng, name, dt):
    fn = ew.ELEMENTWISE_FUNCS[name]
    xs = _operands(rng, name, dt, fn.nin, (7, 9))
    assert_close(jit(lambda *a: fn(*a))(*xs), numpy_of(fn, *xs))


LAYOUTS = {
    "0d": lambda x: x[0, 0].reshape(()),
    "empty": lambda x: x[:0],
    "transposed": lambda x: x.T,
    "strided": lambda x: x[::2, 1::3],
    "broadcast": lambda x: np.broadcast_to(x[:1], x.shape),
}


@pytest.mark.parametrize("dt", CDTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts(jit, rng, layout, dt):
    """A chain of complex ops (mixing a broadcast row) on each layout of the arguments."""
    z, w = crandom(rng, (6, 8), dt), crandom(rng, (6, 8), dt)
    z, w = LAYOUTS[layout](z), LAYOUTS[layout](w)

    def f(z, w):
        return np.exp(z) * w - np.sqrt(z) / (w + 2), np.abs(z - w), np.log(z * w + 1j)
    got = jit(f)(z, w)
    for g, e in zip(got, numpy_of(f, z, w)):
        assert_close(g, e)


@pytest.mark.parametrize("name", REAL_ONLY)
def test_ops_numpy_refuses_for_complex_are_refused(name):
    fn = ew.ELEMENTWISE_FUNCS[name]
    if name in ("invert", "left_shift", "right_shift", "bitwise_and", "bitwise_or", "bitwise_xor",
                "gcd", "lcm", "bitwise_count"):
        pass
    xs = [np.ones(3, np.complex128)] * (2 if name in groups.BINARY else 1)
    call = fn if isinstance(fn, np.ufunc) else getattr(xl.numpy, name)
    with pytest.raises((xl.UnsupportedError, TypeError)):
        xl.jit(lambda *a: call(*a))(*xs)


# ---- special values ---------------------------------------------------------------------------
_S = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, np.nan]
SPECIAL = np.array([complex(a, b) for a in _S for b in _S])


def _fix_inputs(z):
    """Real and imaginary parts written separately (complex(a, b) keeps -0.0 and infinities)."""
    out = np.empty(z.shape, np.complex128)
    out.real, out.imag = z.real, z.imag
    return out


SPECIAL_OPS = ["exp", "log", "sqrt", "sign", "isnan", "isinf", "isfinite", "abs", "negative", "square",
               "reciprocal", "log1p", "expm1", "tanh", "tan", "sin", "cos", "sinh", "cosh"]


@pytest.mark.parametrize("name", SPECIAL_OPS)
def test_special_values(name):
    """inf/nan/signed-zero components: NumPy's (C99's) special values, signs of zeros included."""
    fn = getattr(np, name)
    z = _fix_inputs(SPECIAL)
    got = xl.jit(lambda z: fn(z))(z)
    want = numpy_of(fn, z)
    if want.dtype.kind == "b":
        np.testing.assert_array_equal(got, want)
        return
    g, w = np.atleast_1d(got).astype(complex), np.atleast_1d(want).astype(complex)
    for part in (np.real, np.imag):
        gp, wp = part(g), part(w)
        with np.errstate(invalid="ignore"):
            diff = np.abs(gp - wp)
        close = np.isfinite(wp) & np.isfinite(gp) & (diff <= 1e-15 * np.abs(wp)) \
            & (np.signbit(gp) == np.signbit(wp))
        same = (np.isnan(gp) & np.isnan(wp)) | ((gp == wp) & (np.signbit(gp) == np.signbit(wp))) | close
        bad = ~same
        assert not bad.any(), f"{name}: inputs {z[bad]} -> {g[bad]}, NumPy {w[bad]}"


@pytest.mark.parametrize("name", ["log", "sqrt"])
def test_branch_cuts_bit_exact(name):
    """On the negative real axis the sign of a zero imaginary part picks the side of the cut:
    identical to NumPy bit for bit (values and signs of zeros)."""
    fn = getattr(np, name)
    re = np.array([-4.0, -1.0, -0.25, -1e-300, -1e300, 0.0, -0.0, 4.0])
    z = np.concatenate([re + 0.0j, re - 0.0j])
    z = _fix_inputs(z)
    z.imag[len(re):] = -0.0
    got, want = xl.jit(lambda z: fn(z))(z), numpy_of(fn, z)
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


# ---- promotion ---------------------------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda a, b: a.astype(np.complex64) * b,            # complex64 * float64 -> complex128
    lambda a, b: a.astype(np.complex64) * 1.5,          # weak float keeps complex64
    lambda a, b: a.astype(np.complex64) * 1j,           # weak complex keeps complex64
    lambda a, b: a.astype(np.int32) + 1j,               # int + 1j -> complex128
    lambda a, b: b.astype(np.float32) + 2j,             # float32 + 1j -> complex64
    lambda a, b: np.arange(3) * (1 + 2j),
    lambda a, b: a.astype(np.complex64) + b.astype(np.float16),
], ids=["c64*f64", "c64*py_float", "c64*py_complex", "i32+1j", "f32+1j", "arange*complex", "c64+f16"])
def test_promotion(jit, f):
    a, b = np.arange(3.0) + 0.5, np.arange(3.0) - 1.25
    assert_close(jit(f)(a, b), f(a, b))


def test_complex_scalar_arguments(jit):
    f = jit(lambda x, z: x * z + 1)
    for z in (1 + 2j, np.complex64(1 - 2j), np.complex128(3j)):
        x = np.arange(3, dtype=np.float32)
        assert_close(f(x, z), x * z + 1)

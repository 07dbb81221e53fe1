"""where (select), clip and astype against NumPy."""
from __future__ import annotations

import itertools
import platform

import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from tests.helpers import (
    ALL_DTYPES,
    FLOATS,
    INTS,
    assert_matches_numpy,
    dtype_id,
    layouts,
    make_input,
    numpy_result,
)


# ----------------------------------------------------------------------------- where
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_where_dtypes(jit, rng, dtype):
    c = rng.random(50) < 0.5
    x, y = make_input(rng, (50,), dtype), make_input(rng, (50,), dtype)
    # the second: a non-bool condition is truth-tested, as in NumPy
    got = jit(lambda c, x, y: (np.where(c, x, y), np.where(x, x, y)))(c, x, y)
    assert_matches_numpy(got[0], np.where(c, x, y))
    assert_matches_numpy(got[1], np.where(x, x, y))


@pytest.mark.parametrize("pair", [(np.int8, np.float32), (np.uint8, np.int8), (np.bool_, np.int64),
                                  (np.float16, np.uint16)], ids=str)
def test_where_promotes(jit, rng, pair):
    c = rng.random(20) < 0.5
    x, y = make_input(rng, (20,), pair[0]), make_input(rng, (20,), pair[1])
    assert_matches_numpy(jit(lambda c, x, y: np.where(c, x, y))(c, x, y), np.where(c, x, y))


def test_where_broadcasting_and_scalars(jit, rng):
    c = rng.random((3, 1, 4)) < 0.5
    x = make_input(rng, (5, 1), np.float32)
    y = make_input(rng, (4,), np.float32)
    jf = jit(lambda c, x, y: (np.where(c, x, y), np.where(c, x, 0), np.where(c, 2.5, y),
                              np.where(c, 1, 0), np.where(True, x, y)))
    got = jf(c, x, y)
    expected = (np.where(c, x, y), np.where(c, x, 0), np.where(c, 2.5, y), np.where(c, 1, 0),
                np.where(True, x, y))
    for g, e in zip(got, expected):
        assert_matches_numpy(g, e)


def test_where_layouts(jit, rng):
    c = rng.random((4, 6)) < 0.5
    x, y = make_input(rng, (4, 6), np.float64), make_input(rng, (4, 6), np.float64)
    jf = jit(lambda c, x, y: np.where(c, x, y))
    for (_, cv), (kx, xv), (ky, yv) in zip(layouts(c), layouts(x), reversed(list(layouts(y)))):
        assert_matches_numpy(jf(cv, xv, yv), np.where(c, x, y), err_msg=f"{kx}/{ky}")


def test_where_0d_and_empty(jit, rng):
    shapes = [(), (0,), (2, 0)]
    cs = [np.zeros(s, bool) for s in shapes]
    xs = [make_input(rng, s, np.float32) for s in shapes]
    ys = [make_input(rng, s, np.float32) for s in shapes]
    got = jit(lambda cs, xs, ys: [np.where(c, x, y) for c, x, y in zip(cs, xs, ys)])(cs, xs, ys)
    for g, c, x, y in zip(got, cs, xs, ys):
        assert_matches_numpy(g, np.where(c, x, y))


# ------------------------------------------------------------------------------ clip
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_clip_dtypes(jit, rng, dtype):
    x = make_input(rng, (64,), dtype)
    lo, hi = (False, True) if np.dtype(dtype).kind == "b" else (1, 100)
    fns, expected = [], []
    for fn in [lambda x: np.clip(x, lo, hi), lambda x: np.clip(x, lo, None),
               lambda x: np.clip(x, None, hi), lambda x: x.clip(lo, hi)]:
        e, err = numpy_result(fn, x)
        if err is not None:
            with pytest.raises((TypeError, ValueError)):
                xl.make_ir(fn)(x)
            continue
        fns.append(fn)
        expected.append(e)
    for g, e in zip(jit(lambda x: [fn(x) for fn in fns])(x), expected):
        assert_matches_numpy(g, e, err_msg=f"clip on {x.dtype}")


def test_clip_arrays_and_nan(jit, rng):
    x = make_input(rng, (3, 8), np.float32)          # includes NaN and infinities
    lo = make_input(rng, (8,), np.float32, edges=False, low=-2, high=0)
    hi = make_input(rng, (3, 1), np.float32, edges=False, low=0, high=2)
    jf = jit(lambda x, lo, hi: (np.clip(x, lo, hi), np.clip(x, hi, lo), np.clip(x, -1.5, 1.5)))
    for g, e in zip(jf(x, lo, hi), (np.clip(x, lo, hi), np.clip(x, hi, lo), np.clip(x, -1.5, 1.5))):
        assert_matches_numpy(g, e)


# ---------------------------------------------------------------------------- astype
def _cast_source(rng, src, dst):
    """Values of ``src`` whose conversion to ``dst`` is defined.

    Float -> integer conversion of NaN, infinities or values outside the target's range is
    undefined behaviour in C (NumPy's results are platform-specific), so float sources are
    drawn inside the target's range (and >= 0 for unsigned targets). Integer -> integer
    conversion wraps modulo 2**bits and is fully defined, so integer sources use full range.
    """
    src, dst = np.dtype(src), np.dtype(dst)
    if src.kind == "f" and dst.kind in "iu":
        info = np.iinfo(dst)
        hi = min(float(info.max), float(np.finfo(src).max), 2.0 ** 62) / 2
        lo = 0.0 if dst.kind == "u" else -hi
        vals = np.concatenate([rng.uniform(lo, hi, 20), rng.uniform(max(lo, -100), 100, 20),
                               [0.0, 0.5, 0.99, 1.5, 2.5, -0.0]] + ([[-0.5, -0.99, -1.5, -2.5]]
                                                                     if dst.kind == "i" else []))
        return vals.astype(src)
    return make_input(rng, (48,), src)


@pytest.mark.parametrize("src", ALL_DTYPES, ids=dtype_id)
def test_astype(jit, rng, src):
    """From ``src`` to every dtype (one program per source dtype)."""
    xs = [_cast_source(rng, src, dst) for dst in ALL_DTYPES]
    got = jit(lambda xs: [x.astype(dst) for x, dst in zip(xs, ALL_DTYPES)])(xs)
    for g, x, dst in zip(got, xs, ALL_DTYPES):
        with np.errstate(all="ignore"):
            expected = x.astype(dst)
        assert_matches_numpy(g, expected, err_msg=f"{np.dtype(src)} -> {np.dtype(dst)}")


@pytest.mark.parametrize("spelling", ["float32", "f4", np.float32, np.dtype("float32"), float, int,
                                      bool, "int8", "u2"], ids=str)
def test_astype_spellings(jit, rng, spelling):
    x = make_input(rng, (10,), np.float64, edges=False)
    # (np.asarray itself cannot return a traced array; xlaish.numpy.asarray can)
    got = jit(lambda x: (x.astype(spelling), xnp.asarray(x, dtype=spelling), np.astype(x, spelling)))(x)
    for g in got:
        assert_matches_numpy(g, x.astype(spelling))


def test_astype_float_special_values(jit):
    """Casts between float types keep inf/NaN/-0 and overflow to inf; float -> bool makes NaN True."""
    x = np.array([np.inf, -np.inf, np.nan, -0.0, 1e30, -1e30, 1e-30, 70000.0, 65519.0, 65520.0])
    dsts = FLOATS + [np.dtype(bool)]
    for g, dst in zip(jit(lambda x: [x.astype(d) for d in dsts])(x), dsts):
        with np.errstate(all="ignore"):
            expected = x.astype(dst)
        assert_matches_numpy(g, expected, err_msg=str(dst))


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="NumPy's invalid float->int casts are CPU-specific; xlaish gives x86-64's")
@pytest.mark.parametrize("src", FLOATS, ids=dtype_id)
def test_astype_float_to_int_invalid_values(jit, src):
    """NaN, +-inf and out-of-range floats cast to integers: NumPy warns and gives its x86-64
    cast loops' result; xlaish gives the same, deterministic one (never LLVM poison). Each value
    fills a whole array of 64 (NumPy's own float32/float64 -> uint32 result for such a value
    differs between its SIMD body, which xlaish follows, and its scalar tail loop)."""
    specials = [np.nan, np.inf, -np.inf, 1e20, -1e20, 3e9, -3e9, 6e4, -6e4, 7e4 + 0.5, -300.7,
                -1.5, 2.0 ** 31, -2.0 ** 31, 2.0 ** 32, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64]
    with np.errstate(all="ignore"):
        xs = [np.full(64, v).astype(src) for v in specials]
        for dst in INTS:
            got = jit(lambda xs: [x.astype(dst) for x in xs])(xs)
            for g, x in zip(got, xs):
                assert_matches_numpy(g, x.astype(dst), err_msg=f"{x[0]!r} -> {np.dtype(dst)}")


@pytest.mark.parametrize("src,dst", list(itertools.product([np.int8, np.uint32, np.float16],
                                                           [np.float64, np.int16])), ids=str)
def test_astype_shapes_and_layouts(jit, rng, src, dst):
    x = _cast_source(rng, src, dst)[:30].reshape(5, 6)
    jf = jit(lambda x: x.astype(dst))
    for kind, xv in layouts(x):
        assert_matches_numpy(jf(xv), x.astype(dst), err_msg=kind)
    zs = [np.zeros(shape, src) for shape in [(), (0,), (3, 0)]]
    for g, z in zip(jit(lambda zs: [z.astype(dst) for z in zs])(zs), zs):
        assert_matches_numpy(g, z.astype(dst))


def test_clip_with_out_of_range_python_ints(jit):
    """NumPy ignores an integer bound beyond the dtype's range on its no-op side, and raises
    OverflowError on the other side."""
    x = np.array([-128, -5, 0, 7, 127], np.int8)
    cases, expected = [], []
    for lo, hi in [(-1000, 1000), (None, 1000), (-1000, None), (0, 1000), (-1000, 3), (1.5, 2000),
                   (1000, 2000), (-2000, -1000)]:
        fn = (lambda lo, hi: lambda x: np.clip(x, lo, hi))(lo, hi)
        e, err = numpy_result(fn, x)
        if err is not None:
            with pytest.raises(type(err)):
                xl.make_ir(fn)(x)
            continue
        cases.append(fn)
        expected.append(e)
    for g, e in zip(jit(lambda x: [f(x) for f in cases])(x), expected):
        assert_matches_numpy(g, e)


def test_round_and_copy(jit, rng):
    x = (make_input(rng, (20,), np.float64, edges=False) * 100).astype(np.float64)
    x[:4] = [0.5, 1.5, 2.5, -0.5]   # halves round to even
    i = make_input(rng, (6,), np.int16)
    fns = [lambda x, i: np.round(x), lambda x, i: np.round(x, 2), lambda x, i: np.around(x, 1),
           lambda x, i: x.round(), lambda x, i: np.round(i), lambda x, i: np.copy(x),
           lambda x, i: x.copy() + 1]
    got = jit(lambda x, i: [f(x, i) for f in fns])(x, i)
    for k, (g, f) in enumerate(zip(got, fns)):
        assert_matches_numpy(g, f(x, i), err_msg=f"function #{k}")


def test_round_of_bool_is_float16_and_other_decimals_raise(jit):
    b = np.array([True, False, True])
    got = jit(lambda b: (np.round(b), b.round(), np.around(b)))(b)
    for g in got:
        assert_matches_numpy(g, np.round(b))
    with pytest.raises(TypeError, match="bool"):
        xl.make_ir(lambda b: np.round(b, 1))(b)


@pytest.mark.parametrize("dtype,value", [(np.uint8, -1), (np.uint8, 300), (np.uint8, -1000),
                                         (np.int8, 200), (np.int8, -129), (np.uint16, 70000)])
def test_where_wraps_out_of_range_python_ints_as_numpy(jit, dtype, value):
    """np.where casts a Python int operand to the integer result dtype with wrapping (unlike
    the ufuncs, which raise OverflowError)."""
    a = np.arange(5, dtype=dtype)
    got = jit(lambda a: (np.where(a > 1, a, value), np.where(a < 3, value, a)))(a)
    for g, e in zip(got, (np.where(a > 1, a, value), np.where(a < 3, value, a))):
        assert_matches_numpy(g, e)


def test_float64_to_float16_rounds_once(jit, rng):
    """float64 -> float16 rounds once to nearest even, as NumPy: through float32 it would round
    twice and miss values just off a float16 halfway point."""
    h = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    h = h[np.isfinite(h)]
    with np.errstate(over="ignore"):
        nxt = np.nextafter(h, np.float16(np.inf)).astype(np.float64)
    mid = (h.astype(np.float64) + nxt) / 2
    x = np.concatenate([mid, mid * (1 + 1e-12), mid * (1 - 1e-12),
                        rng.standard_normal(5000) * 10.0 ** rng.integers(-9, 6, 5000),
                        [np.inf, -np.inf, np.nan, 1e300, -1e-300, 0.0, -0.0, 65519.99, 65520.0]])
    with np.errstate(all="ignore"):
        got = jit(lambda x: (x.astype(np.float16), (x * 1.0).astype(np.float16) * 1))(x)
        for g in got:
            assert_matches_numpy(g, x.astype(np.float16), rtol=0.0, atol=0.0)


def test_where_of_two_python_scalars_is_a_strong_array(jit):
    """np.where(c, 7, 0.25) is a float64 array in NumPy (arrays are never weak), so it promotes
    a float16 / float32 operand to float64."""
    b = np.array([1.0, -2.0, 3.0], np.float16)
    fns = [lambda b: b * np.where(b > 0, 7, 0.25), lambda b: np.where(b > 0, b, np.where(b > 0, -3, 2)),
           lambda b: b.astype(np.float32) % np.where(b > 0, 1.5, 2), lambda b: b + np.where(b > 0, 1, 2)]
    for k, (g, f) in enumerate(zip(jit(lambda b: [f(b) for f in fns])(b), fns)):
        assert_matches_numpy(g, f(b), err_msg=f"function #{k}")

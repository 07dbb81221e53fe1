"""The ops whose NumPy result is exact, compared bit for bit (the registry tests compare them
within the per-dtype tolerances): ``fmod``, ``ldexp``, ``nextafter``, ``frexp`` (the
``frexp_exponent`` op and an ``ldexp``), ``spacing`` (a ``nextafter``), ``gcd``, ``lcm`` and
``bitwise_count``. Floats: every pair of special values (zeros of both signs, infinities, NaN,
the largest and smallest normal and subnormal numbers, powers of two) and random values over
the whole exponent range; ``ldexp`` exponents whose power of two alone overflows or underflows.
Integers: every integer dtype with its minimum, maximum and zero. Plus 0-d, empty, broadcast
and non-contiguous operands."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import xlaish as xl

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


def assert_bits_equal(got, expected, what):
    g, e = np.asarray(got), np.asarray(expected)
    assert g.dtype == e.dtype and g.shape == e.shape, f"{what}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
    if e.dtype.kind == "f":
        nan = np.isnan(e)
        assert np.array_equal(np.isnan(g), nan), f"{what}: NaN positions differ"
        g, e = g[~nan], e[~nan]
        bad = g.view(f"u{e.itemsize}") != e.view(f"u{e.itemsize}")
    else:
        bad = g != e
    assert not bad.any(), f"{what}: {np.count_nonzero(bad)} differ, e.g. got {g[bad][:4]} for {e[bad][:4]}"


def _numpy(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _floats(dt, rng):
    fi = np.finfo(dt)
    sp = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny, -fi.tiny,
                   fi.smallest_subnormal, -fi.smallest_subnormal, 1.0, -1.0, 0.5, 3.0], dt)
    span = int(np.log10(float(fi.max)))
    rand = (rng.standard_normal(200) * 10.0 ** rng.integers(-span, span, 200)).astype(dt)
    x = np.concatenate([np.repeat(sp, sp.size), rand])
    y = np.concatenate([np.tile(sp, sp.size), rng.standard_normal(200).astype(dt)])
    return x, y


def _float_fns(x, y, n):
    return (np.fmod(x, y), np.nextafter(x, y), np.ldexp(x, n), *np.frexp(x), np.spacing(x))


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n_dtype", [np.int32, np.int64], ids=["int32", "int64"])
def test_float_bit_functions_are_exact(jit, dt, n_dtype):
    rng = np.random.default_rng(5)
    x, y = _floats(dt, rng)
    ii = np.iinfo(n_dtype)
    edges = [ii.max, ii.min, 3000, -3000, 1100, -1100, 1074, -1074, 160, -160, 60, -60, 25, -25, 1, -1, 0]
    n = np.concatenate([rng.integers(-1200, 1200, x.size - len(edges)), edges]).astype(n_dtype)
    f = jit(_float_fns)
    names = ("fmod", "nextafter", "ldexp", "frexp mantissa", "frexp exponent", "spacing")
    for name, g, e in zip(names, f(x, y, n), _numpy(_float_fns, x, y, n)):
        assert_bits_equal(g, e, f"np.{name}({np.dtype(dt).name})")
    # non-contiguous and reversed operands, same program
    m = x.size // 2 - 1
    xs, ys, ns = x[::-2][:m], y[1::2][::-1][:m], n[::2][:m]
    for name, g, e in zip(names, f(xs, ys, ns), _numpy(_float_fns, xs, ys, ns)):
        assert_bits_equal(g, e, f"np.{name}({np.dtype(dt).name}) strided")


def _int_fns(x, y):
    return np.gcd(x, y), np.lcm(x, y), np.fmod(x, y), np.bitwise_count(x)


@pytest.mark.parametrize("dt", INTS, ids=lambda d: np.dtype(d).name)
def test_integer_bit_functions_are_exact(jit, dt):
    rng = np.random.default_rng(6)
    ii = np.iinfo(dt)
    sp = np.array(sorted({ii.min, ii.min + 1, -1 if ii.min else 2, 0, 1, 6, ii.max}), dt)
    small = rng.integers(max(ii.min, -40), 41, 120).astype(dt)
    wide = rng.integers(ii.min, ii.max, (2, 100), dtype=dt, endpoint=True)
    x = np.concatenate([np.repeat(sp, sp.size), small, wide[0]])
    y = np.concatenate([np.tile(sp, sp.size), small[::-1], wide[1]])
    f = jit(_int_fns)
    for name, g, e in zip(("gcd", "lcm", "fmod", "bitwise_count"), f(x, y), _numpy(_int_fns, x, y)):
        assert_bits_equal(g, e, f"np.{name}({np.dtype(dt).name})")


def test_shapes_and_mixed_dtypes(jit):
    """0-d, empty and broadcast operands; operands of different dtypes promote as NumPy's."""
    a = np.array([[1.5], [-2.25], [0.0]], np.float32)
    b = np.array([0.5, -3.0, np.inf, 7.0], np.float64)
    k = np.array([3, -2, 0, 9], np.int16)
    cases = [
        lambda a, b, k: (np.fmod(a, b), np.nextafter(a, b), np.ldexp(a, k), np.gcd(k, np.int64(12)),
                 np.lcm(k[:, None], k), np.spacing(a), np.bitwise_count(k), np.frexp(b)),
        lambda a, b, k: (np.fmod(a[0, 0], 0.75), np.ldexp(np.float16(3.0), 20), np.frexp(np.float32(-0.0)),
                 np.nextafter(a[1, 0], 1), np.gcd(k[0], 6), np.fmod(k, 5)),
        lambda a, b, k: (np.fmod(b[:0], b[:0]), np.ldexp(a[:0], k[:0]), np.frexp(b[:0]), np.gcd(k[:0], 3)),
    ]
    for case in cases:
        got, exp = jit(case)(a, b, k), _numpy(case, a, b, k)
        flat_g, flat_e = [], []
        for g, e in zip(got, exp):
            (flat_g.extend if isinstance(e, tuple) else flat_g.append)(g)
            (flat_e.extend if isinstance(e, tuple) else flat_e.append)(e)
        for i, (g, e) in enumerate(zip(flat_g, flat_e)):
            assert_bits_equal(g, e, f"result {i}")


def test_frexp_and_ldexp_under_grad():
    g = xl.grad(lambda x: np.sum(np.ldexp(x, 3) + np.frexp(x)[0]))(np.array([1.5, -6.0, 0.3]))
    m, e = np.frexp(np.array([1.5, -6.0, 0.3]))
    np.testing.assert_allclose(g, 8.0 + np.ldexp(1.0, -e), rtol=1e-12)

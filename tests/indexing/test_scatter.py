"""Writing with index arrays (scatter) against NumPy: np.add.at and the other ufunc.at
methods (unbuffered: repeated indices accumulate), np.put, np.put_along_axis, np.bincount,
and the value function the in-place assignment uses (buffered: x[idx] += v applies once)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.numpy._indexing import setitem_value

DEVICES = ["cpu", "interpreter"]
REPEATED = np.array([0, 1, 1, 4, 4, 4, -1, 2, -5])


def _at(ufunc):
    def f(c, idx, w):
        c = c.copy()
        ufunc.at(c, idx, w)
        return c
    return f


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.maximum, np.minimum])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int64])
def test_ufunc_at_repeated_indices(device, ufunc, dtype):
    rng = np.random.default_rng(0)
    c = rng.integers(-3, 4, 5).astype(dtype)
    w = rng.integers(-3, 4, REPEATED.size).astype(dtype)
    f = _at(ufunc)
    got = xl.jit(f, device=device)(c, REPEATED, w)
    assert got.dtype == f(c, REPEATED, w).dtype
    np.testing.assert_array_equal(got, f(c, REPEATED, w))


@pytest.mark.parametrize("device", DEVICES)
def test_ufunc_at_forms(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5, 5))

    def f(x, i, j):
        x = x.copy()
        np.add.at(x, (i, j), 1.0)                   # two index arrays
        np.add.at(x, (slice(None), j), 2.0)         # after a full slice
        np.maximum.at(x, (i, slice(None), j[:2, None]), 0.5)   # separated: broadcast (2, 4)
        np.add.at(x, 0, 10.0)                       # an integer
        np.multiply.at(x, np.array(2), x[0].copy())   # 0-d index, traced values
        return x
    i, j = np.array([0, 3, 3, -1]), np.array([[1, 1, 4, 0], [2, 2, 2, 2]])
    np.testing.assert_allclose(xl.jit(f, device=device)(x, i, j), f(x, i, j), rtol=1e-14)


@pytest.mark.parametrize("device", DEVICES)
def test_put_and_put_along_axis(device):
    def f(a, ind, v, k):
        a = a.copy()
        np.put(a, ind, v)
        np.put(a, [0, 1, 2, 3, 4], [7.0, 8.0])      # v repeated over the indices
        np.put_along_axis(a, k, -1.0, axis=1)
        np.put_along_axis(a, k[:, :1] * 0, a[:, 1:2] * 3, axis=1)
        return a
    a = np.arange(12.0).reshape(3, 4)
    ind, v, k = np.array([5, -1, 5]), np.array([1.0, 2.0, 3.0]), np.array([[3], [0], [-1]])
    np.testing.assert_array_equal(xl.jit(f, device=device)(a, ind, v, k), f(a, ind, v, k))


@pytest.mark.parametrize("device", DEVICES)
def test_bincount(device):
    x = np.array([0, 1, 1, 5, 3, 3, 3])
    w = np.linspace(0, 1, 7)
    f = lambda x, w: (np.bincount(x, minlength=8), np.bincount(x, weights=w, minlength=6))
    for got, want in zip(xl.jit(f, device=device)(x, w), f(x, w)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-15)
    with pytest.raises(xl.UnsupportedError, match="static minlength"):
        xl.jit(lambda x: np.bincount(x))(x)
    with pytest.raises(IndexError):
        xl.jit(lambda x: np.bincount(x, minlength=3), device=device)(x)


@pytest.mark.parametrize("device", DEVICES)
def test_buffered_assignment_value(device):
    """setitem_value: NumPy's x[idx] = v and x[idx] += v (a repeated index applies once)."""
    def f(x, i, v):
        a = setitem_value(xl.numpy.asarray(x), (i,), v)
        b = setitem_value(xl.numpy.asarray(x), (i,), v, op="add")
        c = setitem_value(xl.numpy.asarray(x), (slice(None), i[:2]), 9.0, op="multiply")
        return a, b, c

    def ref(x, i, v):
        a, b, c = x.copy(), x.copy(), x.copy()
        a[i] = v
        b[i] += v
        c[:, i[:2]] *= 9.0
        return a, b, c
    x = np.arange(20.0).reshape(5, 4)
    i, v = np.array([1, 1, -1, 0]), np.arange(4.0)[:, None]
    for got, want in zip(xl.jit(f, device=device)(x, i, v), ref(x, i, v)):
        np.testing.assert_array_equal(got, want)


def test_scatter_is_deterministic_across_thread_counts(monkeypatch):
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 7, 200_000)
    w = rng.standard_normal(200_000)
    f = _at(np.add)
    want = f(np.zeros(7), idx, w)
    results = []
    for n in ("1", "4"):
        monkeypatch.setenv("XLAISH_NUM_THREADS", n)
        results.append(xl.jit(f)(np.zeros(7), idx, w))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], want)


def test_out_of_range_scatter_raises():
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 0 with size 5"):
        xl.jit(_at(np.add))(np.zeros(5), np.array([1, 9]), np.ones(2))


def test_at_on_an_array_made_inside_the_function():
    def h(i):
        c = np.zeros(3)
        np.add.at(c, i, 1.0)
        return c
    i = np.array([0, 2, 0])
    np.testing.assert_array_equal(xl.jit(h)(i), h(i))


def test_mutating_an_argument_in_place_matches_numpy():
    """np.add.at / np.put on an argument or a view of one change the caller's array, as NumPy."""
    def f(c, i):
        np.add.at(c, i, 1.0)
        return c.sum()

    def g(c):
        np.put(c[1:], [0], 7.0)
        return c * 2

    for fn, args in ((f, (np.zeros(3), np.array([0, 0, 2]))), (g, (np.arange(3.0),))):
        mine = [a.copy() for a in args]
        theirs = [a.copy() for a in args]
        np.testing.assert_array_equal(xl.jit(fn)(*mine), fn(*theirs))
        for m, t in zip(mine, theirs):
            np.testing.assert_array_equal(m, t)


def test_integer_array_assignment_matches_numpy():
    def f(x, i, v):
        x[i] = v
        x[i[:1]] += 10.0             # buffered: a repeated index is written once
        return x

    args = (np.zeros(5), np.array([1, 3, 1, -1]), np.array([1.0, 2.0, 3.0, 4.0]))
    mine, theirs = [a.copy() for a in args], [a.copy() for a in args]
    np.testing.assert_array_equal(xl.jit(f)(*mine), f(*theirs))
    np.testing.assert_array_equal(mine[0], theirs[0])


@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.uint8, np.int8])
def test_add_at_small_dtypes(dtype):
    c = np.array([0, 1, 0, 1]).astype(dtype)
    w = np.array([1, 0, 1, 1, 1, 0]).astype(dtype)
    i = np.array([0, 1, 1, 3, 3, 3])
    f = _at(np.add)
    for device in ("cpu", "interpreter"):
        got = xl.jit(f, device=device)(c, i, w)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, f(c, i, w))


@pytest.mark.parametrize("device", DEVICES)
def test_histogram_with_static_bins(device):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(5000)
    x[:5] = [-3, 3, 2.9999999999, -3.0000001, np.nan]     # edges, just inside/outside, NaN
    w = rng.random(5000)
    forms = [lambda x, w: np.histogram(x, bins=7, range=(-3, 3)),
             lambda x, w: np.histogram(x, bins=20, range=(-2.5, 1), weights=w),
             lambda x, w: np.histogram(x, bins=[-1, 0, 0.5, 2]),
             lambda x, w: np.histogram(x, bins=5, range=(-2, 2), density=True),
             lambda x, w: np.histogram(x.astype(np.float32), bins=13, range=(-1.3, 2.2))]
    for f in forms:
        with np.errstate(invalid="ignore"):
            want = f(x, w)
        got = xl.jit(f, device=device)(x, w)
        assert got[0].dtype == want[0].dtype
        np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
        np.testing.assert_array_equal(got[1], want[1])
    with pytest.raises(xl.UnsupportedError, match="static bins and a static range"):
        xl.jit(lambda x: np.histogram(x, bins=4))(x)

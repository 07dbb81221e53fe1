"""``xlaish.numpy._fill.__all__`` against NumPy: in-place writes (copyto, place, putmask,
fill_diagonal), index arithmetic, nan-arg reductions, digitize, interp, lexsort and
histogram_bin_edges; NumPy's ValueErrors raised by the compiled call; 0-d and empty inputs."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError
from xlaish.numpy import _fill

from ..helpers import edge_values, make_input
from ._harness import check


def _ints(a, m):
    """Non-negative int64 values below m made from any array (NaN and inf included)."""
    return np.abs(a.astype(np.int64) % m)


def _written(fn):
    """fn(y, a) on a traced copy y of a; returns y."""
    def f(a):
        y = a.copy()
        fn(y, a)
        return y
    return f


CASES = {
    "copyto": [_written(lambda y, a: np.copyto(y, a[::-1], where=a > 1)),
               _written(lambda y, a: np.copyto(y, a[0]))],
    "place": [_written(lambda y, a: np.place(y, a > 1, a[0, :3])),
              _written(lambda y, a: np.place(y, a < 1, [1]))],
    "putmask": [_written(lambda y, a: np.putmask(y, a > 1, a[1, :3])),
                _written(lambda y, a: np.putmask(y, a < 1, a[::-1]))],
    "fill_diagonal": [_written(lambda y, a: np.fill_diagonal(y, 1)),
                      lambda a: _written(lambda y, _: np.fill_diagonal(y, a[0, :2], wrap=True))(
                          np.zeros((7, 3), a.dtype) + a[1, 1]),
                      lambda a: _written(lambda y, _: np.fill_diagonal(y, a[0]))(
                          np.zeros((2, 2, 2), a.dtype) + a[2, 2])],
    "ravel_multi_index": [lambda a: (np.ravel_multi_index((_ints(a, 3), _ints(a, 4)), (3, 4)),
                                     np.ravel_multi_index((_ints(a, 3), _ints(a, 4)), (3, 4), order="F")),
                          lambda a: np.ravel_multi_index((a.astype(np.int64), a.astype(np.int64) - 2),
                                                         (3, 4), mode=("wrap", "clip"))],
    "unravel_index": [lambda a: np.unravel_index(_ints(a, 12), (3, 4)),
                      lambda a: np.unravel_index(_ints(a, 12), (2, 3, 2), order="F")],
    "nanargmin": [lambda a: (np.nanargmin(a), np.nanargmin(a, axis=0),
                             np.nanargmin(a, axis=1, keepdims=True))],
    "nanargmax": [lambda a: (np.nanargmax(a), np.nanargmax(a, axis=1),
                             np.nanargmax(a, axis=0, keepdims=True))],
    "digitize": [lambda a: (np.digitize(a, [-1, 0, 2.5]), np.digitize(a, [-1, 0, 2.5], right=True),
                            np.digitize(a, [3, 1, 0]), np.digitize(a, [3, 1, 0], right=True)),
                 lambda a: (np.digitize(a, np.sort(a[0])), np.digitize(a, np.sort(a[0])[::-1], right=True))],
    "interp": [lambda a: (np.interp(a, [-1, 0, 2.5, 3], [1, -1, 3, 3]),
                          np.interp(a, [-1, 0, 2.5, 3], a[0], left=-9, right=a[1, 1])),
               lambda a: (np.interp(a, [1.5], [2.0]), np.interp(a[0, 0], [-1.0, 4.0], [0.0, 1.0]))],
    "lexsort": [lambda a: (np.lexsort((a[0], a[1])), np.lexsort(a), np.lexsort(a, axis=0),
                           np.lexsort((a[2],)))],
    "histogram_bin_edges": [lambda a: (np.histogram_bin_edges(a, 4, range=(-1, 3)),
                                       np.histogram_bin_edges(a, [0, 1, 5]),
                                       np.histogram_bin_edges(np.clip(np.nan_to_num(a), -5, 5), 5),
                                       np.histogram_bin_edges(a[:0], 3))],
}
DTYPES = ["float16", "float32", "float64", "int32", "uint8", "bool"]


def test_every_function_has_cases():
    assert sorted(CASES) == sorted(_fill.__all__)


def _params():
    for name, fns in CASES.items():
        for i, fn in enumerate(fns):
            for dt in DTYPES:
                yield pytest.param(fn, dt, id=f"{name}-{i}-{dt}")


def _input(dt):
    rng = np.random.default_rng(12)
    a = make_input(rng, (3, 4), dt, edges=False, low=-3, high=4)
    if np.dtype(dt).kind == "f":
        e = edge_values(dt)
        a.flat[:min(4, e.size)] = e[-4:]
    return a


@pytest.mark.parametrize("fn,dt", list(_params()))
def test_matches_numpy(fn, dt):
    check(fn, _input(dt))


def test_zero_d_and_empty_inputs():
    z = np.zeros((0,), np.float32)
    check(lambda a: (np.digitize(a, [0.0, 1.0]), np.interp(a, [0.0, 1.0], [2.0, 3.0]),
                     np.unravel_index(a.astype(np.int64), (2, 3)), np.lexsort((a, a)),
                     np.histogram_bin_edges(a, 2)), z)
    check(_written(lambda y, a: (np.place(y, a > 0, [1.0]), np.putmask(y, a > 0, a))), z)
    s = np.array(1.25)
    check(lambda a: (np.digitize(a, [0.0, 1.0, 2.0]), np.interp(a, [0.0, 2.0], [2.0, 3.0]),
                     np.nanargmax(a), np.unravel_index(a.astype(np.int64) + 4, (2, 3)),
                     np.ravel_multi_index((a.astype(np.int64), a.astype(np.int64)), (2, 3))), s)
    check(_written(lambda y, a: np.copyto(y, 2.5, where=a > 1)), s)


def test_nan_slices_and_out_of_range_values_raise_numpys_value_error():
    x = np.array([[1.0, np.nan], [np.nan, np.nan]])
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        np.nanargmin(x, axis=1)
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        xl.jit(lambda x: np.nanargmin(x, axis=1))(x)
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        xl.jit(lambda x: np.nanargmax(x))(np.full(3, np.nan))
    np.testing.assert_array_equal(xl.jit(lambda x: np.nanargmax(x, axis=1))(x[:1]),
                                  np.nanargmax(x[:1], axis=1))
    i = np.array([0, 5, 6])
    with pytest.raises(ValueError, match="out of bounds"):
        np.unravel_index(i, (2, 3))
    with pytest.raises(ValueError, match="out of bounds for array with size 6"):
        xl.jit(lambda i: np.unravel_index(i, (2, 3)))(i)
    with pytest.raises(ValueError, match="out of bounds"):
        xl.jit(lambda i: np.unravel_index(i, (2, 3)))(-i)
    with pytest.raises(ValueError, match="invalid entry in coordinates array"):
        xl.jit(lambda i: np.ravel_multi_index((i, i), (2, 7)))(i)
    with pytest.raises(ValueError, match="bins must be monotonically"):
        xl.jit(lambda x, b: np.digitize(x, b))(np.ones(3), np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="bins must be monotonically"):
        xl.jit(lambda x: np.digitize(x, [0.0, 2.0, 1.0]))(np.ones(3))
    with pytest.raises(ValueError, match="Cannot insert from an empty array"):
        xl.jit(_written(lambda y, a: np.place(y, a > 0, [])))(np.ones(3))
    np.testing.assert_array_equal(xl.jit(_written(lambda y, a: np.place(y, a > 5, [])))(np.ones(3)),
                                  np.ones(3))
    with pytest.raises(ValueError, match="range is not finite"):
        xl.jit(lambda x: np.histogram_bin_edges(x, 3))(np.array([1.0, np.nan]))


def test_a_numpy_array_cannot_receive_traced_values():
    target = np.zeros(3)
    with pytest.raises(UnsupportedError, match="np.place writes traced values into a NumPy array"):
        xl.jit(lambda m: np.place(target, m, [1.0]))(np.array([True, False, True]))
    with pytest.raises(UnsupportedError, match="np.putmask writes traced values"):
        xl.jit(lambda v: np.putmask(target, target == 0, v))(np.ones(3))


def test_unsupported_arguments_are_named():
    with pytest.raises(UnsupportedError, match="period="):
        xl.jit(lambda x: np.interp(x, [0.0, 1.0], [1.0, 2.0], period=2.0))(np.ones(3))
    with pytest.raises(UnsupportedError, match="bins as a count or an array of edges"):
        xl.jit(lambda x: np.histogram_bin_edges(x, "auto"))(np.ones(3))

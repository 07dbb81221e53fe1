"""Sorting and order statistics against NumPy: sort, argsort (stable: exact; default kind: a valid
sorting permutation equal to the stable one where NumPy's default is unambiguous), partition /
argpartition (NumPy's contract: the k-th element and the partition property), searchsorted,
median, quantile/percentile (every cheap ``method=``), nanmedian/nanquantile/nanpercentile, top-k
via argpartition; several dtypes, NaN placement, axis None / negative, 0-d, empty and
non-contiguous inputs (``check`` reruns every layout)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError

from ..helpers import make_input
from ._harness import check, numpy_result

DTYPES = ["bool", "int8", "int32", "uint64", "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_sort_and_stable_argsort(rng, dtype):
    x = make_input(rng, (5, 7), dtype)
    x[1, :3] = x[1, 4]                                   # ties
    check(lambda x: (np.sort(x), np.sort(x, axis=0), np.sort(x, axis=None), np.sort(x, axis=-2),
                     np.argsort(x, kind="stable"), np.argsort(x, axis=0, stable=True),
                     np.argsort(x, axis=None, kind="stable")), x, err=dtype)


@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_default_argsort_is_a_sorting_permutation(rng, dtype):
    x = make_input(rng, (4, 33), dtype)
    idx = xl.jit(lambda x: np.argsort(x))(x)
    assert idx.dtype == np.argsort(x).dtype
    np.testing.assert_array_equal(np.take_along_axis(x, idx, -1), np.sort(x))
    assert all(sorted(r) == list(range(33)) for r in idx.tolist())


def test_nan_and_signed_zero_order():
    x = np.array([np.nan, 1.0, -np.inf, -0.0, 0.0, np.nan, np.inf, -1.0, 0.0, -0.0])
    check(lambda x: (np.sort(x), np.argsort(x, kind="stable"), np.median(x), np.nanmedian(x)), x)


def test_partition_contract(rng):
    x = make_input(rng, (6, 11), "float64")
    x[np.isnan(x)] = 0.5                                 # NaN compares false: keep the property checkable
    for kth in (0, 5, -1, (2, 7)):
        got = xl.jit(lambda x, kth=kth: (np.partition(x, kth), np.argpartition(x, kth, axis=-1)))(x)
        part, ipart = got
        s = np.sort(x)
        for k in np.atleast_1d(kth) % 11:
            np.testing.assert_array_equal(part[:, k], np.partition(x, kth)[:, k])
            np.testing.assert_array_equal(np.take_along_axis(x, ipart, -1)[:, k], s[:, k])
            assert np.all(part[:, :k] <= part[:, k:k + 1]) and np.all(part[:, k:] >= part[:, k:k + 1])
    # top-k: the 3 largest of each row
    top = xl.jit(lambda x: np.argpartition(x, -3)[:, -3:])(x)
    np.testing.assert_array_equal(np.sort(np.take_along_axis(x, top, -1)), np.sort(x)[:, -3:])
    with pytest.raises(ValueError, match="out of bounds"):
        xl.jit(lambda x: np.partition(x, 11))(x)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_searchsorted(rng, dtype):
    a = np.sort(make_input(rng, (40,), dtype))
    v = make_input(rng, (3, 9), dtype)
    v[0, :3] = a[[0, 5, -1]]
    check(lambda v, a: (np.searchsorted(a, v), np.searchsorted(a, v, side="right"),
                        np.searchsorted(a, v[0, 0])), v, a, err=dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "bool"])
def test_median_quantile_percentile(rng, dtype):
    x = make_input(rng, (4, 6, 5), dtype, edges=False)
    x[0, 0, 0] = x[0, 0, 1]

    def f(x):
        out = [np.median(x), np.median(x, axis=1), np.median(x, axis=(0, 2), keepdims=True),
               np.median(x, axis=-1), np.percentile(x, 30), np.percentile(x, [10.0, 90.0], axis=1)]
        if x.dtype != np.bool_:
            out += [np.quantile(x, 0.25, axis=0), np.quantile(x, np.array([0.5, 0.75]), axis=-1),
                    np.quantile(x, 0.4, axis=2, keepdims=True)]
            out += [np.quantile(x, 0.3, axis=1, method=m)
                    for m in ("lower", "higher", "nearest", "midpoint", "weibull", "hazen",
                              "median_unbiased", "normal_unbiased", "inverted_cdf", "closest_observation",
                              "interpolated_inverted_cdf", "averaged_inverted_cdf")]
        return out
    if dtype == "bool":
        with pytest.raises(TypeError):
            np.percentile(x, 30)             # NumPy refuses booleans: so do we
        return
    check(f, x, err=dtype)


def test_nan_statistics(rng):
    x = make_input(rng, (5, 8), "float64", edges=False)
    x[0, 3] = x[2, :] = np.nan
    x[3, :7] = np.nan
    check(lambda x: (np.median(x, axis=1), np.nanmedian(x, axis=1), np.nanmedian(x),
                     np.nanquantile(x, 0.3, axis=1), np.nanpercentile(x, [25, 75], axis=1),
                     np.nanquantile(x, 0.6, axis=0, method="lower"),
                     np.nanquantile(x, 0.6, axis=1, method="higher"),
                     np.nanquantile(x, 0.5, axis=1, method="nearest"),
                     np.nanquantile(x, 0.5, axis=1, method="midpoint"),
                     np.percentile(x, 50, axis=0)), x)
    xi = make_input(rng, (3, 4), "int32")
    check(lambda x: (np.nanmedian(x, axis=0), np.nanpercentile(x, 20)), xi)


def test_zero_d_and_empty():
    check(lambda x: (np.sort(x, axis=None), np.argsort(x, axis=None), np.median(x)), np.float64(2.5))
    e = np.zeros((3, 0))
    check(lambda x: (np.sort(x), np.argsort(x), np.sort(x, axis=0)), e)
    with pytest.raises(np.exceptions.AxisError):
        xl.jit(lambda x: np.sort(x))(np.float64(1.0))


def test_refusals():
    x = np.arange(5.0)
    for fn in (np.unique, np.nonzero):
        with pytest.raises(UnsupportedError, match="depends on the values|not supported"):
            xl.jit(fn)(x)
    with pytest.raises(TypeError, match="static"):
        xl.jit(lambda x, q: np.quantile(x, q))(x, np.float64(0.5))
    with pytest.raises(TypeError, match="sorter"):
        xl.jit(lambda a, s: np.searchsorted(a, 1.0, sorter=s))(x, np.arange(5))
    assert numpy_result(np.sort, x).shape == (5,)


def test_q_made_inside_the_function_is_static_in_every_quantile_spelling():
    """np.array([...]) of constants inside the function is a static q for quantile, percentile
    and their nan- twins alike (nanpercentile used to skip the /100 for such a q)."""
    x = np.random.default_rng(3).standard_normal((4, 9))
    x[1, 2] = np.nan
    for fn in (lambda a: np.nanpercentile(a, np.array([0.5, 30.0]), axis=1),
               lambda a: np.percentile(a, np.array([0.5]), axis=1),
               lambda a: np.nanquantile(a, np.array([0.25]), axis=0),
               lambda a: np.quantile(a, np.array([0.75])) ):
        np.testing.assert_allclose(xl.jit(fn)(x), fn(x), rtol=1e-12)

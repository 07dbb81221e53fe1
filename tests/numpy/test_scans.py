"""Running reductions against NumPy: cumsum, cumprod, cumulative_sum/prod, nancumsum/prod,
``<ufunc>.accumulate``, unwrap, polyint; every dtype group, axes (None, negative), 0-d, empty and
non-contiguous inputs (``check`` reruns on every layout); float results bit for bit (NumPy's
accumulate is sequential and so are the kernels)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError

from ..helpers import make_input
from ._harness import check, numpy_result

DTYPES = ["bool", "int8", "int32", "uint16", "int64", "float16", "float32", "float64"]


def _finite(x):
    if x.dtype.kind == "f":
        return np.where(np.isinf(x) | (np.abs(x) > 100), 1.25, x).astype(x.dtype)
    return x


@pytest.mark.parametrize("dtype", DTYPES)
def test_cumulative(rng, dtype):
    x = _finite(make_input(rng, (4, 6), dtype))

    def f(x):
        return (np.cumsum(x), np.cumsum(x, axis=0), np.cumsum(x, axis=-1, dtype=np.float64),
                np.cumprod(x, axis=1), np.cumprod(x[:, :3]),
                np.cumulative_sum(x, axis=1), np.cumulative_prod(x, axis=0, include_initial=True),
                np.cumulative_sum(x, axis=-2, include_initial=True), np.nancumsum(x, axis=1),
                np.nancumprod(x, axis=0), np.nancumsum(x))
    check(f, x, err=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_accumulate(rng, dtype):
    x = _finite(make_input(rng, (5, 4), dtype))

    def f(x):
        return (np.add.accumulate(x), np.add.accumulate(x, axis=1), np.multiply.accumulate(x, axis=-1),
                np.maximum.accumulate(x, axis=0), np.minimum.accumulate(x, axis=1),
                np.add.accumulate(x, axis=1, dtype=np.float64))
    check(f, x, err=dtype)


def test_float_sums_bit_for_bit(rng):
    """Long float32/float16 rows: rounding of every step is NumPy's (sequential) rounding."""
    for dt in (np.float32, np.float16, np.float64):
        x = rng.standard_normal(100_003).astype(dt)
        got = xl.jit(lambda x: (np.cumsum(x), np.add.accumulate(x)))(x)
        np.testing.assert_array_equal(got[0], np.cumsum(x))
        np.testing.assert_array_equal(got[1], np.add.accumulate(x))


def test_nan_placement_and_edges():
    x = np.array([[1.0, np.nan, 2.0, -0.0], [np.inf, -np.inf, 3.0, 0.0]])
    check(lambda x: (np.cumsum(x, axis=1), np.maximum.accumulate(x, axis=1), np.nancumsum(x, axis=1),
                     np.nancumprod(x, axis=1), np.minimum.accumulate(x, axis=0)), x)
    check(lambda x: (np.cumsum(x), np.cumprod(x)), np.float64(3.5))          # 0-d: a 1-D result
    check(lambda x: (np.cumsum(x, axis=0), np.cumsum(x)), np.zeros((0, 3)))  # empty
    check(lambda x: np.cumsum(x * 2 + 1, axis=0) * 0.5, np.arange(12.0).reshape(3, 4))


def test_fused_into_one_kernel():
    """Producer and consumer of the scan share its kernel."""
    fn = xl.jit(lambda x: np.cumsum(np.exp(x), axis=1) / 3.0)
    x = np.linspace(0, 1, 12).reshape(3, 4)
    np.testing.assert_allclose(fn(x), np.cumsum(np.exp(x), axis=1) / 3.0, rtol=1e-15)
    kernels = [op for op in fn.lower(x).optimized.ops if op.name == "fused"]
    assert len(kernels) == 1


def test_unwrap_and_polyint(rng):
    p = np.cumsum(rng.uniform(-3, 3, (3, 20)), axis=1)
    check(lambda p: (np.unwrap(p), np.unwrap(p, axis=0), np.unwrap(p, discont=4.0),
                     np.unwrap(p, period=4.0)), p)
    c = np.array([3.0, -2.0, 1.5, 4.0])
    check(lambda c: (np.polyint(c), np.polyint(c, m=2), np.polyint(c, k=2.5)), c)


def test_errors():
    with pytest.raises(np.exceptions.AxisError):
        xl.jit(lambda x: np.cumsum(x, axis=2))(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis"):
        xl.jit(lambda x: np.cumulative_sum(x))(np.ones((2, 3)))
    with pytest.raises(UnsupportedError, match="reduceat"):
        xl.jit(lambda x: np.add.reduceat(x, [0, 1]))(np.ones(3))
    assert numpy_result(np.cumsum, np.ones(2)).shape == (2,)

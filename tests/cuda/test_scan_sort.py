"""Scans and sorts on the CUDA path (simulator in CI): a thread per row, NumPy's results exactly."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import make_input


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int16, np.bool_])
def test_scans(cuda_jit, rng, dtype):
    x = make_input(rng, (3, 6), dtype)
    if np.dtype(dtype).kind == "f":
        x = np.where(np.isinf(x) | (np.abs(x) > 1e3), 1.5, x).astype(dtype)

    def f(x):
        return (np.cumsum(x, axis=1), np.cumprod(x, axis=0) if x.dtype != np.bool_ else np.cumsum(x),
                np.maximum.accumulate(x, axis=1), np.minimum.accumulate(x, axis=0))
    got = cuda_jit(f)(x)
    exp = f(x)
    for g, e in zip(got, exp):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
def test_sorts(cuda_jit, rng, dtype):
    x = make_input(rng, (4, 9), dtype)

    def f(x):
        return (np.sort(x, axis=1), np.sort(x * 2, axis=0), np.argsort(x, axis=1, kind="stable"),
                np.median(x, axis=-1))
    got = cuda_jit(f)(x)
    with np.errstate(all="ignore"):
        exp = f(x)
    for g, e in zip(got, exp):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)

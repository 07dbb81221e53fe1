"""Traced integer indices on the CUDA simulator: dynamic reads and writes (gather / set-scatter
over the flattened array), the bounds check, a loop updating one row per iteration, and a
scatter kernel whose update reads the array it writes (the in-place path computes every value
before writing)."""
from __future__ import annotations

import numpy as np
import pytest


def _forms(x, i, j):
    y = x + 1
    y[i, 1:3] = y[i - 1, 0:2] * 2          # reads the array it writes, in one kernel
    y[i - 1:i + 2, j] = y[i - 2:i + 1, j]   # overlapping shift
    return y * 1, x[i, j:j + 2], x[:, i], x[i - 1:i + 1, j]


def forward_substitution(L, b):
    import xlaish as xl
    n = b.shape[0]
    x = np.zeros_like(b)

    def body(i, x):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
        return x
    return xl.fori_loop(0, n, body, x)


def test_dynamic_read_and_write(cuda_jit, rng):
    x = rng.standard_normal((5, 4)).astype(np.float32)
    f = cuda_jit(_forms)
    for i, j in [(2, 1), (-3, -3)]:
        for got, want in zip(f(x, i, j), _forms(x, i, j)):
            np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 5"):
        f(x, 5, 0)


def test_row_by_row_loop(cuda_jit, rng):
    n = 6
    L = np.tril(rng.standard_normal((n, n))) + n * np.eye(n)
    b = rng.standard_normal(n)
    np.testing.assert_allclose(cuda_jit(forward_substitution)(L, b), forward_substitution(L, b),
                               rtol=1e-12)

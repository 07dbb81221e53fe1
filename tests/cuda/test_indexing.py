"""Index arrays on the CUDA simulator: gathers fused into map and reduce kernels, the scatter
kernel with repeated indices, and the bounds check (NumPy's IndexError)."""
from __future__ import annotations

import numpy as np
import pytest


def _loss(logp, labels):
    n = logp.shape[0]
    m = logp.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logp - m).sum(axis=1)) + m[:, 0]
    return np.mean(lse - logp[np.arange(n), labels])


def _forms(x, i):
    return x[:, i] * 2 + np.take(x, i[:2], axis=0).sum(), x[i[0]]


def _hist(c, idx, w):
    c = c.copy()
    np.add.at(c, idx, w)
    np.maximum.at(c, idx[:3], 0.5)
    return c


def test_gather_forms(cuda_jit, rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    i = np.array([0, -1, 3, 3])
    for got, want in zip(cuda_jit(_forms)(x, i), _forms(x, i)):
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_gather_in_a_reduction_kernel(cuda_jit, rng):
    logp = rng.standard_normal((7, 5))
    labels = rng.integers(0, 5, 7)
    np.testing.assert_allclose(cuda_jit(_loss)(logp, labels), _loss(logp, labels), rtol=1e-12)


def test_scatter_repeated_indices(cuda_jit, rng):
    c = np.zeros(6)
    idx = np.array([0, 1, 1, 5, 5, 5, -1, 2])
    w = rng.standard_normal(8)
    np.testing.assert_array_equal(cuda_jit(_hist)(c, idx, w), _hist(c, idx, w))


def test_out_of_range_index(cuda_jit):
    f = cuda_jit(lambda x, i: x[i])
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 0 with size 4"):
        f(np.zeros(4), np.array([1, 9]))

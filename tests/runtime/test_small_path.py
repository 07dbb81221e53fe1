"""The jit's fast call path on small inputs (no thread hand-off, the entry checks the inputs'
layout itself): NumPy's results at sizes around the vector widths, for elementwise, reduction,
matmul and multi-output programs, and inputs the entry refuses (strided, unaligned, byte-swapped)
take the converting path and still give NumPy's results."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl

SIZES = [0, 1, 2, 7, 8, 9, 15, 16, 17]


def _vec(n, seed=0, dtype=np.float32):
    return np.random.default_rng(seed + n).standard_normal(n).astype(dtype)


@pytest.mark.parametrize("n", SIZES)
def test_elementwise(n):
    f = xl.jit(lambda x, y: np.tanh(x) * y + 1)
    x, y = _vec(n), _vec(n, 1)
    for _ in range(2):                 # the second call takes the fast path
        np.testing.assert_allclose(f(x, y), np.tanh(x) * y + 1, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", SIZES)
def test_reduction(n):
    f = xl.jit(lambda x: (x * x).sum())
    x = _vec(n, 2, np.float64)
    for _ in range(2):
        r = f(x)
        assert np.ndim(r) == 0 and not isinstance(r, np.ndarray)
        np.testing.assert_allclose(r, (x * x).sum(), rtol=1e-12)


@pytest.mark.parametrize("n", SIZES)
def test_matmul(n):
    f = xl.jit(lambda a, b: a @ b)
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n + 1)).astype(np.float32)
    b = rng.standard_normal((n + 1, 3)).astype(np.float32)
    v = rng.standard_normal((1, n + 1)).astype(np.float32)
    for _ in range(2):
        np.testing.assert_allclose(f(a, b), a @ b, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(f(v, b), v @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n", SIZES)
def test_tuple_of_results_with_a_scalar(n):
    f = xl.jit(lambda x: (x + 1, (x * x).sum(), x[::-1] * 2))
    x = _vec(n, 3)
    for _ in range(2):
        a, m, b = f(x)
        np.testing.assert_array_equal(a, x + 1)
        assert not isinstance(m, np.ndarray)
        np.testing.assert_allclose(m, (x * x).sum(), rtol=1e-5)
        np.testing.assert_array_equal(b, x[::-1] * 2)


def test_inputs_the_entry_refuses_take_the_converting_path():
    f = xl.jit(lambda x: x * 2 + 1)
    base = _vec(34, 4)
    x = base[:17].copy()
    f(x)
    f(x)                                                      # fast path registered
    strided = base[::2]                                       # (17,), not contiguous
    np.testing.assert_array_equal(f(strided), strided * 2 + 1)
    raw = np.zeros(17 * 4 + 1, np.uint8)[1:].view(np.float32)  # unaligned
    raw[:] = x
    assert not raw.flags.aligned
    np.testing.assert_array_equal(f(raw), x * 2 + 1)
    swapped = x.astype(">f4")                                  # another dtype key: converted
    np.testing.assert_array_equal(f(swapped), x * 2 + 1)
    np.testing.assert_array_equal(f(x), x * 2 + 1)


def test_refused_inputs_in_a_tuple_program():
    f = xl.jit(lambda x, y: (x + y, (x * y).sum()))
    x, y = _vec(16, 5), _vec(32, 6)
    f(x, y[:16].copy())
    s, t = f(x, y[::2])
    np.testing.assert_array_equal(s, x + y[::2])
    np.testing.assert_allclose(t, (x * y[::2]).sum(), rtol=1e-5)


def test_results_of_the_fast_path_are_fresh_arrays():
    f = xl.jit(lambda x: x + 1)
    x = _vec(9, 7)
    a, b = f(x), f(x)
    assert a is not b and not np.shares_memory(a, b)
    a[:] = 0
    np.testing.assert_array_equal(b, x + 1)

"""Autograph on whole kernels: each jitted function equals the same Python function run by NumPy,
results and mutated arguments alike (the function itself, called on NumPy arrays, is the oracle)."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir.opnames import COND, WHILE
from xlaish.jit import make_ir


def _ops(fn, *args, **kw):
    return [op.name for op in make_ir(fn, **kw)(*args).walk()]


def _check(fn, *args, static_argnums=(), rtol=1e-6, **kw):
    """jit(fn)(*args) equals fn(*copies of args), results and the arguments it assigns into."""
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    ref = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = xl.jit(fn, static_argnums=static_argnums, **kw)(*mine)
    exp = fn(*ref)
    for g, e in zip(np.atleast_1d(*[got]) if not isinstance(got, tuple) else got,
                    np.atleast_1d(*[exp]) if not isinstance(exp, tuple) else exp):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol)
        assert np.asarray(g).dtype == np.asarray(e).dtype
    for m, r in zip(mine, ref):
        if isinstance(m, np.ndarray):
            np.testing.assert_allclose(m, r, rtol=rtol)
    return got


def jacobi_1d(x, T):
    for _t in range(T):
        x[1:-1] = 0.5 * (x[:-2] + x[2:])
    return x.sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T", [5, 100])
def test_jacobi_1d_writes_into_the_argument(dtype, T):
    x = np.random.default_rng(0).random(12).astype(dtype)
    _check(jacobi_1d, x, T, static_argnums=1, rtol=1e-5)
    if T > 16:
        assert WHILE in _ops(jacobi_1d, x, T, static_argnums=1)


def jacobi_2d(A, B, T):
    for _t in range(T):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])
    return A


def test_jacobi_2d_two_arrays_in_place():
    rng = np.random.default_rng(1)
    A, B = rng.random((8, 9)), rng.random((8, 9))
    _check(jacobi_2d, A, B, 40, static_argnums=2)
    assert _ops(jacobi_2d, A, B, 40, static_argnums=2).count(WHILE) == 1


def heat_3d(A, T):
    B = A.copy()
    for _t in range(T):
        B[1:-1, 1:-1, 1:-1] = (0.125 * (A[2:, 1:-1, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[:-2, 1:-1, 1:-1])
                               + 0.125 * (A[1:-1, 2:, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, :-2, 1:-1])
                               + 0.125 * (A[1:-1, 1:-1, 2:] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, 1:-1, :-2])
                               + A[1:-1, 1:-1, 1:-1])
        A[1:-1, 1:-1, 1:-1] = (0.125 * (B[2:, 1:-1, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[:-2, 1:-1, 1:-1])
                               + 0.125 * (B[1:-1, 2:, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, :-2, 1:-1])
                               + 0.125 * (B[1:-1, 1:-1, 2:] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, 1:-1, :-2])
                               + B[1:-1, 1:-1, 1:-1])
    return B


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_heat_3d(dtype):
    A = np.random.default_rng(2).random((6, 5, 7)).astype(dtype)
    _check(heat_3d, A, 30, static_argnums=1, rtol=1e-5)


def test_view_written_in_the_loop_updates_its_base():
    def f(x, T):
        inner = x[1:-1]
        for _t in range(T):
            inner[...] = 0.5 * (x[:-2] + x[2:])      # x is read, written through the view
        return x * 1
    _check(f, np.random.default_rng(3).random(10), 50, static_argnums=1)


def crc32(data):
    crc = np.uint32(0xFFFFFFFF)
    for b in data:
        crc = crc ^ b
        for _k in range(8):
            if crc & np.uint32(1):
                crc = (crc >> np.uint32(1)) ^ np.uint32(0xEDB88320)
            else:
                crc = crc >> np.uint32(1)
    return crc ^ np.uint32(0xFFFFFFFF)


@pytest.mark.parametrize("msg", [b"hello world", b"xlaish compiles python loops"])
def test_crc32_if_on_traced_bits(msg):
    data = np.frombuffer(msg, np.uint8).astype(np.uint32)
    got = _check(crc32, data)
    assert int(got) == zlib.crc32(msg)
    assert COND in _ops(crc32, data)


def newton_sqrt(a, tol):
    x = a
    err = a
    k = 0
    while err > tol:
        xn = 0.5 * (x + a / x)
        err = abs(xn - x)
        x = xn
        k += 1
    return x, k


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_newton_while_on_traced_error(dtype, tol):
    a = dtype(7.0)
    got = xl.jit(newton_sqrt)(a, dtype(tol))
    exp = newton_sqrt(a, dtype(tol))
    np.testing.assert_allclose(got[0], exp[0], rtol=1e-6)
    assert got[0].dtype == np.asarray(exp[0]).dtype and int(got[1]) == exp[1]
    assert WHILE in _ops(newton_sqrt, a, dtype(tol))


def triangular_sum(n):
    s = 0
    for i in range(n):
        for j in range(i):
            s += i * j
    return s


def test_nested_loops_traced_bounds():
    assert int(xl.jit(triangular_sum)(30)) == triangular_sum(30)
    assert _ops(triangular_sum, 30).count(WHILE) == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobi_1d_traced_step_count(dtype):
    x = np.random.default_rng(4).random(9).astype(dtype)
    _check(jacobi_1d, x, 7, rtol=1e-5)
    _check(jacobi_1d, x, 0)
    assert WHILE in _ops(jacobi_1d, x, 7)


def test_while_writes_into_argument():
    def halve_until_small(x, tol):
        n = 0
        while x.max() > tol:
            x[...] = x * 0.5
            n += 1
        return n
    _check(halve_until_small, np.array([3.0, 40.0, 1.0]), 0.1)
    _check(halve_until_small, np.array([3, 40, 1], np.int32) * 0 + np.array([3, 40, 1], np.int32), 2)

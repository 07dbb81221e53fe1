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


def test_aliases_and_views_of_one_array_are_carried_together():
    def alias(x, n):
        y = x
        for _t in range(n):
            y[1] += x[0]
            x[0] += 1
        return x.sum()

    def views(A, n):
        r = A[1]
        c = A[:, 0]
        for _t in range(n):
            r[...] = r + c.sum()
            c[0] = 1
        return A
    _check(alias, np.arange(3.0) + 1, 20)
    _check(views, np.arange(9.0).reshape(3, 3), 20)


def trisolve(L, b):
    N = b.shape[0]
    x = np.zeros_like(b)
    x[0] = b[0] / L[0, 0]
    for i in range(1, N):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
    return x


def test_row_by_row_triangular_solve():
    # the body needs i as a Python int (x[:i]): a static loop is unrolled, the result is NumPy's
    rng = np.random.default_rng(5)
    L = np.tril(rng.random((20, 20))) + 20 * np.eye(20)
    _check(trisolve, L, rng.random(20))


def test_nested_while_and_if_inside_a_traced_loop():
    def f(x, n):
        for _t in range(n):
            k = 0
            while x.sum() < 100 and k < 5:
                x[...] = x * 1.5 + 1
                k += 1
            if x.max() > 50:
                x[0] = 0
        return x
    _check(f, np.arange(4.0), 7)
    ops = _ops(f, np.arange(4.0), 7)
    assert ops.count(WHILE) == 2 and ops.count(COND) == 1

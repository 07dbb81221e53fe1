"""Autograph statement by statement: if/elif/else, while, for, break, continue, and/or/not,
conditional expressions, with Python and traced conditions; NumPy (the function called directly)
is the oracle."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir.opnames import COND, WHILE
from xlaish.jit import make_ir


def _ops(fn, *args, **kw):
    return [op.name for op in make_ir(fn, **kw)(*args).walk()]


def _same(got, exp):
    got, exp = np.asarray(got), np.asarray(exp)
    np.testing.assert_allclose(got, exp, rtol=1e-6)
    assert got.dtype == exp.dtype, (got.dtype, exp.dtype)


def piecewise(x):
    s = x.sum()
    if s > 10:
        y = x * 2
    elif s > 0:
        y = x - 1
    elif s == 0:
        y = x
    else:
        y = -x
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("scale", [10, 1, 0, -1])
def test_if_elif_else(dtype, scale):
    x = (np.arange(4) * scale).astype(dtype)
    _same(xl.jit(piecewise)(x), piecewise(x))


def test_if_on_python_value_runs_as_python():
    def f(x, flag):
        if flag:
            return x + 1          # a return in the branch: fine, the condition is static
        return x - 1
    x = np.arange(3.0)
    _same(xl.jit(f, static_argnums=1)(x, True), f(x, True))
    assert COND not in _ops(f, x, True, static_argnums=1)


def test_if_without_else_writes_into_argument():
    def f(x, t):
        if t > 0:
            x[0] = t
        x[1] += 1
        return x.sum()
    for t in (2.0, -2.0):
        a, b = np.arange(3.0), np.arange(3.0)
        _same(xl.jit(f)(a, t), f(b, t))
        np.testing.assert_array_equal(a, b)


def test_branch_promotes_weak_scalars():
    def f(x):
        if x > 0:
            y = 1
        else:
            y = x * 2
        return y
    for v in (np.float32(3), np.float32(-3)):
        _same(xl.jit(f)(v), np.float32(f(v)))


def test_and_or_not_and_conditional_expression():
    def f(x, y):
        a = x.sum() > 0 and y.sum() > 0
        b = not (x.sum() > 1) or y.sum() < 0
        c = 1.5 if x.sum() > 2 else 2.5
        d = 0 < x[0] < 2
        return a, b, c, d
    for s in (1.0, -1.0):
        x, y = np.array([1.0, 2.0]) * s, np.array([0.5, -3.0])
        for g, e in zip(xl.jit(f)(x, y), f(x, y)):
            _same(g, e)


def test_and_or_keep_short_circuit_for_python_values():
    def f(x, items):
        ok = len(items) > 0 and items[0] > 0      # items[0] is never read for an empty list
        return x + 1 if ok or x.sum() > 100 else x
    x = np.arange(3.0)
    _same(xl.jit(f, static_argnums=1)(x, ()), f(x, ()))
    _same(xl.jit(f, static_argnums=1)(x, (2,)), f(x, (2,)))


def count_until(x, n):
    s = x * 0
    for _i in range(n):
        if s.sum() > 20:
            break
        s = s + x
    return s


@pytest.mark.parametrize("n", [5, 40])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_break(n, dtype):
    x = np.arange(1, 4).astype(dtype)
    _same(xl.jit(count_until)(x, n), count_until(x, n))
    _same(xl.jit(count_until, static_argnums=1)(x, n), count_until(x, n))


def test_while_true_with_break():
    def f(a):
        x = a
        while True:
            x = x * 0.5
            if x < 1:
                break
        return x
    _same(xl.jit(f)(np.float64(100.0)), f(np.float64(100.0)))


def test_continue_in_while():
    def f(x):
        s = x * 0
        k = 0
        while k < 30:
            k = k + 1
            if (x * k) % 3 < 1:
                continue
            s = s + k
        return s
    for v in (1.0, 1.5):
        _same(xl.jit(f)(np.float64(v)), f(np.float64(v)))


def test_loop_with_traced_trip_count():
    def f(x, n):
        acc = x * 0
        for i in range(1, n, 2):
            acc = acc + x * i
        return acc
    x = np.arange(3.0)
    for n in (0, 1, 7):
        _same(xl.jit(f)(x, n), f(x, n))
    assert WHILE in _ops(f, x, 7)


def test_loop_variable_as_python_int_falls_back_to_unrolling():
    coeffs = [1.0, -2.0, 0.5] * 10

    def f(x):
        s = x * 0
        for i in range(30):              # above the unroll limit, but indexes a Python list
            s = s + coeffs[i] * x ** (i % 3)
        return s
    x = np.array([0.5, 1.5])
    _same(xl.jit(f)(x), f(x))
    assert WHILE not in _ops(f, x)


def test_loop_over_large_array_axis0():
    def f(A):
        s = A[0] * 0
        for row in A:
            s = s + row * row
        return s
    A = np.random.default_rng(0).random((40, 3))
    _same(xl.jit(f)(A), f(A))


def test_large_trip_count_does_not_grow_the_ir():
    def f(x, T):
        for _t in range(T):
            x = 0.5 * x + 1.0
        return x
    x = np.arange(3.0)
    n100 = len(_ops(f, x, 100, static_argnums=1))
    n10k = len(_ops(f, x, 10_000, static_argnums=1))
    assert n100 == n10k
    assert len(_ops(f, x, 50, static_argnums=1, autograph=False)) > 3 * n100
    _same(xl.jit(f, static_argnums=1)(x, 10_000), f(x, 10_000))


def test_unroll_limit_from_the_environment(monkeypatch):
    def f(x):
        for _t in range(10):
            x = x + 1.0
        return x
    x = np.arange(3.0)
    assert WHILE not in _ops(f, x)
    monkeypatch.setenv("XLAISH_UNROLL_MAX", "4")
    assert WHILE in _ops(f, x)


def test_autograph_false_is_todays_behaviour():
    def f(x):
        if x.sum() > 0:
            return x
        return -x
    x = np.arange(3.0)
    with pytest.raises(xl.errors.ConcretizationError):
        xl.jit(f, autograph=False)(x)
    a, b = xl.jit(f), xl.jit(f, autograph=False)
    assert a.options != b.options          # part of the compile options, hence the cache key
    with pytest.raises(xl.errors.ConcretizationError):
        make_ir(f, autograph=False)(x)


def test_returns_in_branches_become_one_cond():
    def f(x):
        s = x.sum()
        if s > 10:
            return x, s
        elif s > 0:
            y = x + 1
            return y, s * 2
        else:
            return -x, s
    for scale in (1.0, 0.1, -1.0):
        x = np.arange(6.0) * scale
        for g, e in zip(xl.jit(f)(x), f(x)):
            _same(g, e)
    assert COND in _ops(f, np.arange(6.0))

    def g(x):
        if x.max() > 2:
            return x * 2
        return x - 1
    for x in (np.arange(3, dtype=np.int32), np.arange(5, dtype=np.int32)):
        _same(xl.jit(g)(x), g(x))


def test_conditional_expression_of_two_shapes_is_refused():
    def f(x):
        return x if x.sum() > 0 else x[:2]
    with pytest.raises(xl.errors.UnsupportedError, match=r"one shape, got \(3,\) and \(2,\)"):
        xl.jit(f)(np.arange(3.0))

"""cond / while_loop / fori_loop: traced into regions, compiled as native control flow."""
import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp

DEVICES = ["cpu", "interpreter"]


def fib(n):
    def body(s):
        i, a, b = s
        return i + 1, b, a + b
    return xl.while_loop(lambda s: s[0] < n, body, (0, 0, 1))[1]


def fib_py(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def collatz_steps(n):
    def body(s):
        k, x = s
        return k + 1, xnp.where(x % 2 == 0, x // 2, 3 * x + 1)
    return xl.while_loop(lambda s: s[1] != 1, body, (0, n))[0]


def collatz_py(n):
    k = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        k += 1
    return k


@pytest.mark.parametrize("device", DEVICES)
def test_seed_programs(device):
    f = xl.jit(fib, device=device)
    assert f(5) == 5                       # the seed's case
    for n in (0, 1, 2, 10, 30):
        assert f(n) == fib_py(n)
    assert xl.jit(collatz_steps, device=device)(12) == collatz_py(12) == 9
    total = xl.jit(lambda: xl.fori_loop(1, 101, lambda i, acc: acc + i, 0), device=device)()
    assert total == sum(range(1, 101))
    pick = xl.jit(lambda p, a, b: xl.cond(p, lambda a, b: a + b, lambda a, b: a * b, a, b),
                  device=device)
    assert pick(True, 3.0, 4.0) == 7.0 and pick(False, 3.0, 4.0) == 12.0


@pytest.mark.parametrize("device", DEVICES)
def test_arrays_closures_and_nesting(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(50).astype(np.float32)

    def f(x, n):
        def body(i, v):
            # a closure over x, a cond inside the loop, fused kernels inside each region
            return xl.cond(i % 2 == 0, lambda v: np.tanh(v) + x, lambda v: v * 0.5, v)
        return xl.fori_loop(0, n, body, x)

    def ref(x, n):
        v = x
        for i in range(n):
            v = np.tanh(v) + x if i % 2 == 0 else v * np.float32(0.5)
        return v

    g = xl.jit(f, device=device)
    for n in (0, 1, 4, 7):
        np.testing.assert_allclose(g(x, n), ref(x, n), rtol=1e-5, atol=1e-6)


def test_eager_semantics_outside_jit_and_under_disable_jit():
    assert fib(10) == fib_py(10)
    with xl.disable_jit():
        assert xl.jit(collatz_steps)(27) == collatz_py(27)


def test_branch_mismatch_is_a_clear_error():
    f = xl.jit(lambda p, x: xl.cond(p, lambda x: x, lambda x: x.astype(np.float64), x))
    with pytest.raises(xl.TraceError, match="different types.*f32\\[3\\].*f64\\[3\\]"):
        f(True, np.ones(3, np.float32))
    g = xl.jit(lambda p, x: xl.cond(p, lambda x: (x, x), lambda x: x, x))
    with pytest.raises(xl.TraceError, match="different structures"):
        g(True, np.ones(3, np.float32))


def test_loop_value_changing_type_is_a_clear_error():
    f = xl.jit(lambda x: xl.while_loop(lambda v: v.sum() < 10, lambda v: v * 1.5, x))
    with pytest.raises(xl.TraceError, match="changes loop value 0 from i64\\[3\\] to f64\\[3\\]"):
        f(np.ones(3, np.int64))
    with pytest.raises(xl.TraceError, match="scalar boolean"):
        xl.jit(lambda x: xl.while_loop(lambda v: v < 3, lambda v: v + 1, x))(np.ones(3))


def test_control_flow_ir_round_trips_and_verifies():
    from xlaish.ir import parse, verify
    fn = xl.make_ir(fib)(5)
    verify(fn)
    assert parse(str(fn)) == fn
    low = xl.jit(fib).lower(5)
    verify(low.optimized)
    assert parse(low.as_text()) == low.optimized


def test_fori_loop_index_is_weak_like_the_python_int_of_the_untraced_loop():
    """With Python int bounds the index promotes like a Python int (jit and disable_jit agree:
    ``v + i * y`` keeps float32)."""
    y = np.arange(3, dtype=np.float32)
    f = lambda y: xl.fori_loop(0, 4, lambda i, v: v + i * y + i, y)  # noqa: E731
    with xl.disable_jit():
        eager = f(y)
    got = xl.jit(f)(y)
    assert got.dtype == eager.dtype == np.float32
    np.testing.assert_array_equal(got, eager)

"""``xlaish.random.default_rng``: a stateful generator, the same stream inside and outside jit,
new numbers on every call of a compiled function (never frozen at trace time)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish import random as xr
from xlaish.errors import UnsupportedError

stats = pytest.importorskip("scipy.stats")


def _draws(rng):
    return (rng.random(3), rng.standard_normal((2, 2), np.float32), rng.normal(1.0, 2.0, 4),
            rng.uniform(-1.0, 3.0, (5,)), rng.integers(10, size=6), rng.integers(3, 7, 4, endpoint=True),
            rng.exponential(2.0, 3))


def test_same_stream_inside_and_outside_jit():
    a, b = xr.default_rng(7), xr.default_rng(7)
    f = xl.jit(lambda: _draws(a))
    for _ in range(3):                       # each call advances the state like an eager call
        got, want = f(), _draws(b)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_array_equal(a.key, b.key)


def test_each_call_draws_new_numbers_never_a_traced_constant():
    rng = xr.default_rng(0)
    f = xl.jit(lambda x: x * (rng.random(x.shape) < 0.5))
    x = np.ones(1000)
    masks = [f(x) for _ in range(3)]
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    assert f.compile_count == 1 if hasattr(f, "compile_count") else True


def test_draws_inside_loops_advance_per_iteration():
    a, b = xr.default_rng(3), xr.default_rng(3)
    loop = xl.jit(lambda x: xl.fori_loop(0, 4, lambda i, c: c + a.random(2), x))
    want = np.zeros(2)
    for _ in range(4):
        want = want + b.random(2)
    np.testing.assert_allclose(loop(np.zeros(2)), want)


def test_seeds_reproducible_and_distinct():
    np.testing.assert_array_equal(xr.default_rng(1).random(5), xr.default_rng(1).random(5))
    assert not np.array_equal(xr.default_rng(1).random(5), xr.default_rng(2).random(5))
    assert not np.array_equal(xr.default_rng().random(5), xr.default_rng().random(5))
    r = xr.default_rng(4)
    r.random(2)
    np.testing.assert_array_equal(xr.Generator(r.key).random(3), r.random(3))


def test_distributions():
    rng = xr.default_rng(11)
    assert stats.kstest(rng.standard_normal(20000), stats.norm.cdf).pvalue > 1e-3
    assert stats.kstest(rng.uniform(2, 5, 20000), stats.uniform(2, 3).cdf).pvalue > 1e-3
    ints = rng.integers(-2, 3, 20000)
    assert ints.min() == -2 and ints.max() == 2
    assert stats.chisquare(np.bincount(ints + 2)).pvalue > 1e-3


def test_cuda_refuses_with_a_pointer_to_the_key_api():
    rng = xr.default_rng(0)
    with pytest.raises(UnsupportedError, match="xlaish.random.Generator"):
        xl.jit(lambda x: x + rng.random(3), device="cuda")(np.zeros(3))


def test_np_random_in_jit_points_at_default_rng():
    with pytest.raises(UnsupportedError, match=r"xlaish\.random\.default_rng"):
        xl.jit(lambda x: x + np.random.default_rng().random(3))(np.zeros(3))
    with pytest.raises(UnsupportedError, match=r"xlaish\.random\.default_rng"):
        xl.jit(lambda x: x + np.random.uniform(size=3))(np.zeros(3))


def test_generator_created_inside_restarts_each_call_like_numpy():
    """Made inside the function, a generator starts from its seed on every call (NumPy's
    semantics for default_rng(seed) in a function) and needs no callback (AOT/CUDA fine)."""
    def f(x):
        rng = xr.default_rng(5)
        return x + rng.random(3), rng.integers(0, 100, 4)

    g = xl.jit(f)
    a, b = g(np.zeros(3)), g(np.zeros(3))
    ref = xr.default_rng(5)
    np.testing.assert_array_equal(a[0], ref.random(3))
    np.testing.assert_array_equal(a[1], ref.integers(0, 100, 4))
    np.testing.assert_array_equal(a[0], b[0])
    assert "host_callback" not in str(g.lower(np.zeros(3)).optimized)


def test_generator_created_inside_refuses_nested_bodies():
    def f(x):
        rng = xr.default_rng(1)
        return xl.fori_loop(0, 2, lambda i, c: c + rng.random(3), x)

    with pytest.raises(xl.TraceError, match="created inside a traced function"):
        xl.jit(f)(np.zeros(3))


def test_unseeded_generator_inside_draws_fresh_numbers_each_call():
    g = xl.jit(lambda x: x + xr.default_rng().random(4))
    assert not np.array_equal(g(np.zeros(4)), g(np.zeros(4)))

"""Every ``xl.jit(f)`` of one function object shares its compiled signatures (a jit written inline
in a loop compiles once); closures made by one ``def`` share nothing; the shared cache goes with
the function; bound methods share per instance."""
from __future__ import annotations

import gc
import importlib
import weakref

import numpy as np
import pytest

import xlaish as xl
from xlaish.runtime import cpu

jit_mod = importlib.import_module("xlaish.jit")
jit_cache = importlib.import_module("xlaish._jit_cache")


@pytest.fixture(autouse=True)
def no_disk(monkeypatch):
    monkeypatch.setenv("XLAISH_CACHE_DIR", "off")


def _scale(x):
    return x * 2.5 - 1.0


def test_inline_jit_compiles_once():
    x = np.linspace(0, 1, 16)
    c0, s0 = cpu.STATS["llvm_compiles"], jit_mod.STATS["compiles"]
    for _ in range(5):
        np.testing.assert_allclose(xl.jit(_scale)(x), _scale(x), rtol=1e-15)
    assert cpu.STATS["llvm_compiles"] - c0 <= 1        # 0 if another test compiled it already
    assert jit_mod.STATS["compiles"] - s0 <= 1
    c1, s1 = cpu.STATS["llvm_compiles"], jit_mod.STATS["compiles"]
    np.testing.assert_allclose(xl.jit(_scale)(x), _scale(x), rtol=1e-15)
    assert (cpu.STATS["llvm_compiles"], jit_mod.STATS["compiles"]) == (c1, s1)


def test_different_options_do_not_share():
    x = np.arange(4.0)
    f = lambda x: x + 1          # noqa: E731
    a, b = xl.jit(f), xl.jit(f, fuse=False)
    a(x)
    assert b.explain(x).endswith("the first call compiles")
    np.testing.assert_array_equal(b(x), x + 1)
    assert a.compile_count == 1 and b.compile_count == 1
    assert xl.jit(f)._cache is a._cache and b._cache is not a._cache


def test_closures_of_one_def_do_not_share():
    x = np.arange(5.0)
    makers = [(lambda c: (lambda x: x * c))(c) for c in (2.0, 3.0, 4.0)]
    s0 = jit_mod.STATS["compiles"]
    for c, f in zip((2.0, 3.0, 4.0), makers):
        np.testing.assert_array_equal(xl.jit(f)(x), x * c)
    assert jit_mod.STATS["compiles"] - s0 == 3
    for c, f in zip((2.0, 3.0, 4.0), makers):      # each still has its own, and shares it
        np.testing.assert_array_equal(xl.jit(f)(x), x * c)
    assert jit_mod.STATS["compiles"] - s0 == 3


def test_defaults_in_a_loop_do_not_share():
    x = np.arange(3.0)
    outs = [xl.jit(lambda x, k=k: x + k)(x) for k in range(3)]
    for k, o in enumerate(outs):
        np.testing.assert_array_equal(o, x + k)


def test_partial_objects():
    import functools
    x = np.arange(3.0)

    def add(x, k):
        return x + k
    p = functools.partial(add, k=5.0)
    s0 = jit_mod.STATS["compiles"]
    for _ in range(3):
        np.testing.assert_array_equal(xl.jit(p)(x), x + 5.0)
    np.testing.assert_array_equal(xl.jit(functools.partial(add, k=7.0))(x), x + 7.0)
    assert jit_mod.STATS["compiles"] - s0 == 2


def test_bound_methods_share_per_instance():
    class Model:
        def __init__(self, w):
            self.w = w

        def apply(self, x):
            return x * self.w

    x = np.arange(4.0)
    m1, m2 = Model(2.0), Model(3.0)
    s0 = jit_mod.STATS["compiles"]
    for _ in range(3):
        np.testing.assert_array_equal(xl.jit(m1.apply)(x), x * 2.0)
        np.testing.assert_array_equal(xl.jit(m2.apply)(x), x * 3.0)
    assert jit_mod.STATS["compiles"] - s0 == 2
    ref = weakref.ref(m1)
    del m1
    gc.collect()
    assert ref() is None           # the shared cache does not keep the instance alive


def test_shared_cache_dies_with_the_function():
    x = np.arange(3.0)

    def make():
        def g(x):
            return x - 1
        return g
    g = make()
    xl.jit(g)(x)
    sigs = xl.jit(g)._sigs
    assert len(sigs.cache) == 1
    n = len(jit_cache._SHARED)
    fref, sref = weakref.ref(g), weakref.ref(sigs)
    del g, sigs
    gc.collect()
    assert fref() is None          # nothing the cache holds keeps the function alive
    assert sref() is None          # and its compiled signatures went with it
    assert len(jit_cache._SHARED) == n - 1


def test_clear_cache_clears_for_every_wrapper():
    x = np.arange(3.0)
    f = lambda x: x * 4           # noqa: E731
    a, b = xl.jit(f), xl.jit(f)
    a(x)
    assert len(b._cache) == 1
    b.clear_cache()
    assert len(a._cache) == 0
    np.testing.assert_array_equal(a(x), x * 4)


def test_signatures_bound_is_shared(monkeypatch):
    monkeypatch.setenv("XLAISH_MAX_SIGNATURES", "2")
    f = lambda x: x + 2           # noqa: E731
    for n in range(1, 5):
        a = np.zeros(n)
        np.testing.assert_array_equal(xl.jit(f, device="interpreter")(a), a + 2)
    assert len(xl.jit(f, device="interpreter")._cache) == 2


def test_unweakrefable_callable_gets_its_own_cache():
    class Callable:
        __slots__ = ()

        def __call__(self, x):
            return x + 3
    c = Callable()
    x = np.arange(2.0)
    np.testing.assert_array_equal(xl.jit(c)(x), x + 3)
    assert xl.jit(c)._cache is not xl.jit(c)._cache


def _make_branchy():
    def g(x):
        if x.sum() > 0:           # converted by autograph: its rewrite must not keep g alive
            return x - 1
        return x + 1
    return g


def test_autograph_converted_function_dies_too():
    g = _make_branchy()
    x = np.arange(3.0)
    np.testing.assert_array_equal(xl.jit(g)(x), x - 1)
    np.testing.assert_array_equal(xl.jit(g)(-x - 1), -x)
    fref = weakref.ref(g)
    del g
    gc.collect()
    assert fref() is None


def test_inline_grad_compiles_once_and_second_order_stays_right():
    """``xl.grad(f)(x)`` written inline: value_and_grad gives one function object per (f,
    argnums, has_aux), so its compiled versions are reused; grad of grad is still its own."""
    def f(x):
        return np.sum(np.sin(x) * x)

    x = np.linspace(0.1, 1.0, 5)
    s0 = jit_mod.STATS["compiles"]
    for _ in range(3):
        g = xl.grad(f)(x)
    assert jit_mod.STATS["compiles"] - s0 == 1
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-12)
    assert xl.value_and_grad(f) is xl.value_and_grad(f)
    assert xl.value_and_grad(f, has_aux=False) is not xl.value_and_grad(f, argnums=(0,))

    def h(s):
        return xl.grad(lambda t: t ** 3)(s)
    np.testing.assert_allclose(xl.grad(h)(2.0), 12.0)


def test_inline_default_jit_follows_a_reassigned_code_object():
    """The default-options shortcut (no options key hashed) checks the function's code."""
    def f(x):
        return x + 1.0
    x = np.arange(3.0)
    np.testing.assert_array_equal(xl.jit(f)(x), x + 1.0)
    f.__code__ = (lambda x: x * 3.0).__code__
    np.testing.assert_array_equal(xl.jit(f)(x), x * 3.0)
    np.testing.assert_array_equal(xl.jit(f, fuse=True)(x), x * 3.0)


def test_a_wrapper_made_from_the_template_binds_arguments_like_the_first():
    def f(x, y=2.0):
        return x * y
    x = np.arange(3.0)
    xl.jit(f)(x)
    again = xl.jit(f)                    # made from the shared template, ArgSpec on first use
    np.testing.assert_array_equal(again(x, y=np.float64(4.0)), x * 4.0)
    with pytest.raises(TypeError, match="f"):
        xl.jit(f)(x, 1.0, 2.0)

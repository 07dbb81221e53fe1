"""Large results come from the runtime's pool of recycled blocks (xlaish/runtime/results.py): they
are still new arrays the caller alone owns: independent of each other, valid after the jitted
function and the pool's trim are gone, picklable, and never handed out twice while alive."""
from __future__ import annotations

import gc
import pickle
import threading

import numpy as np
import pytest

import xlaish as xl
from xlaish.runtime import results

N = results.MIN_BYTES // 4 + 3          # float32 results just above the pool's threshold


def _two(x):
    return x * 2, x + 1


@pytest.fixture(autouse=True)
def _fresh_pool():
    results.trim()
    yield
    results.trim()


def _x(seed=0):
    return np.random.default_rng(seed).standard_normal(N).astype(np.float32)


def test_large_results_come_from_the_pool_and_match_numpy():
    x = _x()
    a, b = xl.jit(_two)(x)
    np.testing.assert_array_equal(a, x * 2)
    np.testing.assert_array_equal(b, x + 1)
    assert results.held_bytes() >= 2 * x.nbytes
    # what .base is (documented in results.py): the pool block, a 1-D uint8 array
    assert a.base is not None and a.base.dtype == np.uint8 and a.base.nbytes >= a.nbytes
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned


def test_results_are_independent_across_calls():
    f = xl.jit(_two)
    x = _x(1)
    outs = [f(x) for _ in range(4)]          # every result alive at once: no block shared
    for k, (a, b) in enumerate(outs):
        a[:5] = k
        b[-5:] = -k
    for k, (a, b) in enumerate(outs):
        np.testing.assert_array_equal(a[:5], k)
        np.testing.assert_array_equal(a[5:], x[5:] * 2)
        np.testing.assert_array_equal(b[-5:], -k)
        np.testing.assert_array_equal(b[:-5], x[:-5] + 1)
    arrays = [r for pair in outs for r in pair]
    for i, p in enumerate(arrays):
        for q in arrays[i + 1:]:
            assert not np.shares_memory(p, q)


def test_a_freed_block_is_reused_but_a_live_view_keeps_it():
    f = xl.jit(lambda x: x * 3)
    x = _x(2)
    a = f(x)
    tail = a[N // 2:]                   # a view: holds the block after a goes
    del a
    b = f(x)
    assert not np.shares_memory(b, tail)
    np.testing.assert_array_equal(tail, x[N // 2:] * 3)
    held = results.held_bytes()
    del b
    c = f(x)                             # b's block is free again: reused, the pool does not grow
    assert results.held_bytes() == held
    np.testing.assert_array_equal(c, x * 3)


def test_results_outlive_the_function_and_the_trim():
    x = _x(3)

    def fun(x):
        return np.sin(x) + 1
    a = xl.jit(fun)(x)
    del fun
    gc.collect()
    results.trim()
    assert results.held_bytes() >= a.nbytes        # a's block stays: a refers to it
    big = [np.ones(N, np.float32) * k for k in range(3)]     # reuse freed memory elsewhere
    np.testing.assert_allclose(a, np.sin(x) + 1, rtol=1e-6, atol=1e-6)
    del a, big
    assert results.trim() > 0 and results.held_bytes() == 0


def test_results_pickle_and_copy_like_any_array():
    x = _x(4)
    a, b = xl.jit(_two)(x)
    back = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(back, a)
    assert not np.shares_memory(back, a)
    c = a.copy()
    a[:] = 0
    np.testing.assert_array_equal(c, x * 2)
    np.testing.assert_array_equal(back, x * 2)
    # ndarray.resize refuses, as for any array that does not own its data; np.resize copies
    with pytest.raises(ValueError):
        b.resize(10)
    np.testing.assert_array_equal(np.resize(b, 10), (x + 1)[:10])


def test_pool_off_and_bound(monkeypatch):
    x = _x(5)
    monkeypatch.setenv("XLAISH_RESULT_POOL_MB", "0")
    a = xl.jit(lambda x: x - 1)(x)
    assert a.flags.owndata and results.held_bytes() == 0
    monkeypatch.setenv("XLAISH_RESULT_POOL_MB", "1")      # too small for one block: plain arrays
    b = xl.jit(lambda x: x - 2)(x)
    assert b.flags.owndata and results.held_bytes() == 0
    np.testing.assert_array_equal(a, x - 1)
    np.testing.assert_array_equal(b, x - 2)


def test_small_results_are_plain_arrays():
    x = np.arange(1000, dtype=np.float32)
    a = xl.jit(lambda x: x * 2)(x)
    assert a.flags.owndata and a.base is None


def test_two_threads_calling_get_their_own_results():
    f = xl.jit(_two)
    xs = [_x(10 + k) for k in range(2)]
    errors = []

    def work(x):
        try:
            kept = []
            for _ in range(15):
                a, b = f(x)
                np.testing.assert_array_equal(a, x * 2)
                np.testing.assert_array_equal(b, x + 1)
                kept = kept[-2:] + [a]
            for a in kept:
                np.testing.assert_array_equal(a, x * 2)
        except Exception as e:      # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

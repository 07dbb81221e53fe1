"""Intermediate buffers kept between calls (one block per program, taken and put back with
atomic exchanges): repeated and concurrent calls of a program with intermediates give NumPy's
results, and dropping the jitted function frees the block."""
from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import xlaish as xl
from tests.helpers import assert_matches_numpy


def _layernorm(x, g, b):
    mean = np.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + 1e-5) * g + b


def _inputs(seed, rows=64, cols=300):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((rows, cols), dtype=np.float32),
            rng.standard_normal(cols, dtype=np.float32), rng.standard_normal(cols, dtype=np.float32))


def test_unfused_program_reuses_its_buffers_across_calls():
    f = xl.jit(_layernorm, fuse=False)        # one kernel per op: several intermediate slots
    low = f.lower(*_inputs(0))
    assert low.executable._cells is not None, "the program should keep its intermediates"
    for seed in range(5):
        args = _inputs(seed)
        assert_matches_numpy(f(*args), _layernorm(*args), rtol=1e-5, atol=1e-5)


def test_concurrent_calls_each_get_a_block():
    f = xl.jit(_layernorm, fuse=False)
    args = [_inputs(seed, rows=512) for seed in range(16)]
    f(*args[0])
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda a: f(*a), args * 4))
    for out, a in zip(outs, args * 4):
        assert_matches_numpy(out, _layernorm(*a), rtol=1e-5, atol=1e-5)


def test_dropping_the_function_releases_the_block(monkeypatch):
    import xlaish.runtime.native as native
    freed = []
    real = native._libc_free
    monkeypatch.setattr(native, "_libc_free", lambda p: (freed.append(p), real(p)))
    def fun(*a):          # compiled versions belong to the function: drop it and its jit
        return _layernorm(*a)
    f = xl.jit(fun, fuse=False)
    args = _inputs(1)
    f(*args)
    cells = f.lower(*args).executable._cells
    held = [p for p in cells if p]
    assert held, "the block of the last call should wait in its cell"
    del f, fun, cells
    gc.collect()
    assert sorted(freed) == sorted(held)


def _halve_until_small(x):
    """A while loop whose carried state is an array (its two state sets live in one block)."""
    def cond(c):
        return c[1] > 1e-3

    def body(c):
        return c[0] * 0.5 + 1.0, c[1] * 0.5
    return xl.control.while_loop(cond, body, (x, np.float32(1.0)))


def _halve_numpy(x):
    v, s = x.copy(), np.float32(1.0)
    while s > 1e-3:
        v, s = v * np.float32(0.5) + np.float32(1.0), s * np.float32(0.5)
    return v, s


def _check_loop(got, x):
    for g, e in zip(got, _halve_numpy(x)):
        assert_matches_numpy(g, e, rtol=1e-6, atol=1e-6)


def test_while_state_and_kernel_scratch_are_reused_across_calls_and_threads():
    loop = xl.jit(_halve_until_small)
    srt = xl.jit(lambda x: np.sort(x) * 2)          # a sort kernel asks for scratch
    xs = [np.random.default_rng(k).standard_normal(5000).astype(np.float32) for k in range(8)]
    for x in xs[:3]:
        _check_loop(loop(x), x)
        assert_matches_numpy(srt(x), np.sort(x) * 2)
    for f in (loop, srt):       # the blocks of the last call wait in their cells
        cells = f.lower(xs[0]).executable._cells
        assert cells is not None and all(cells)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda x: (loop(x), srt(x)), xs * 3))
    for (lp, st), x in zip(outs, xs * 3):
        _check_loop(lp, x)
        assert_matches_numpy(st, np.sort(x) * 2)

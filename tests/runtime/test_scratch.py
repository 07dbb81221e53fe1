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

"""The CUDA rule of ``threefry2x32`` and ``xlaish.random`` on the CUDA simulator (no GPU needed):
the same bits as the CPU and NumPy. Skipped when numba's simulator is not active (see
tests/cuda/conftest.py: numba must first be imported with ``NUMBA_ENABLE_CUDASIM=1``)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish import random as xr
from xlaish.ir.opnames import THREEFRY2X32
from xlaish.ir.ops.rng import threefry2x32
from xlaish.trace.bind import emit1, to_value, wrap

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _simulator(tmp_path, monkeypatch):
    try:
        from xlaish.runtime.cuda import simulating
        on = simulating()
    except Exception:
        on = False
    if not on:
        pytest.skip("the numba CUDA simulator is not active (NUMBA_ENABLE_CUDASIM=1 before numba)")
    monkeypatch.setenv("XLAISH_CACHE_DIR", str(tmp_path))


def test_op_on_the_simulator():
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 2 ** 64, size=(5,), dtype=np.uint64)
    ctrs = rng.integers(0, 2 ** 64, size=(5,), dtype=np.uint64)
    ctrs[:2] = [0, 2 ** 64 - 1]
    f = xl.jit(lambda k, c: wrap(emit1(THREEFRY2X32, [to_value(k), to_value(c)])), device="cuda")
    np.testing.assert_array_equal(f(keys, ctrs), threefry2x32(keys, ctrs))


def test_dropout_and_draws_match_cpu():
    def f(k, x):
        a, b = xr.split(k)
        keep = xr.bernoulli(a, 0.7, x.shape)
        return np.where(keep, x / 0.7, 0.0), xr.uniform(b, (3, 4)), xr.randint(b, (6,), 0, 9)
    k, x = xr.key(8), np.ones((4, 5), np.float32)
    got, want = xl.jit(f, device="cuda")(k, x), f(k, x)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_batched_keys_gamma_and_inside_generator_match_cpu():
    """Batched keys, gamma's nested while loops and a generator made inside the function (a
    traced state, no host callback) on the simulator: the CPU's values."""
    def f(k):
        rng = xr.default_rng(3)
        return (xr.uniform(xr.split(k, 3), (4,)), xr.gamma(k, np.float32(0.7), (16,)),
                rng.random(5), rng.integers(0, 10, 3))
    k = xr.key(2)
    got, want = xl.jit(f, device="cuda")(k), xl.jit(f)(k)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)

"""Reductions on the CUDA path: rows, columns, all elements; every launch strategy.

Shapes are chosen so the simulator target picks each strategy: ``rows``
(block per row, two warps), ``serial`` (thread per row: short or strided
rows) and ``split`` (two-stage, few long rows). Float sums are compared with
a tolerance scaled to the sum of magnitudes (any summation order is fine).
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_matches_numpy, make_input

# (shape, axis) -> the strategy the simulator target uses for it
CASES = [((4, 70), -1, "rows"), ((70,), None, "split"), ((40, 3), 0, "rows"), ((30, 3), 1, "serial"),
         ((5, 20), 0, "serial"), ((2, 3, 50), (0, 2), "rows"), ((2, 130), 1, "split"),
         ((5, 4, 3), 1, "serial"), ((3, 50, 4), None, "split")]
IDS = [f"{s}-{a}-{k}" for s, a, k in CASES]


def _sum_tol(x, axis, dtype):
    mag = np.sum(np.abs(x.astype(np.float64)), axis=axis)
    return 8 * np.finfo(dtype).eps * mag


def _strategy(fn, *args):
    return [e["strategy"] for e in fn.lower(*args).executable.plan]


@pytest.mark.parametrize("shape,axis,strategy", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_reductions(cuda_jit, rng, shape, axis, strategy, dtype):
    x = make_input(rng, shape, dtype, edges=False)

    def f(x, z):
        x = x - z        # one shared producer: the reductions share one kernel
        return (np.sum(x, axis=axis), np.max(x, axis=axis), np.min(x, axis=axis),
                np.mean(x, axis=axis), np.prod(x * 0.25 + 1, axis=axis))
    z = np.zeros((), dtype)
    j = cuda_jit(f)
    got = j(x, z)
    assert strategy in _strategy(j, x, z)
    exp = f(x, z)
    assert_matches_numpy(np.asarray(got[0]), exp[0], atol=_sum_tol(x, axis, dtype), rtol=0, err_msg="sum")
    assert_matches_numpy(np.asarray(got[1]), exp[1], err_msg="max")
    assert_matches_numpy(np.asarray(got[2]), exp[2], err_msg="min")
    n = x.size // np.asarray(exp[0]).size if x.size else 1
    assert_matches_numpy(np.asarray(got[3]), exp[3], atol=_sum_tol(x, axis, dtype) / n, rtol=0,
                         err_msg="mean")
    assert_matches_numpy(np.asarray(got[4]), exp[4], rtol=64 * np.finfo(dtype).eps, err_msg="prod")


@pytest.mark.parametrize("shape,axis,strategy", CASES[:5], ids=IDS[:5])
def test_int_and_bool_reductions(cuda_jit, rng, shape, axis, strategy):
    x = rng.integers(-50, 50, size=shape).astype(np.int32)
    b = rng.random(shape) < 0.3

    def f(x, b, zi, zb):
        x, b = x - zi, b ^ zb        # shared producers: fewer kernels
        return (np.sum(x, axis=axis), np.max(x, axis=axis), np.min(x, axis=axis),
                np.any(b, axis=axis), np.all(b | (x > -45), axis=axis), np.sum(b, axis=axis),
                np.max(b, axis=axis), np.prod(np.abs(x) % 3 + 1, axis=axis))
    zi, zb = np.zeros((), np.int32), np.zeros((), np.bool_)
    got = cuda_jit(f)(x, b, zi, zb)
    for name, g, e in zip(["sum", "max", "min", "any", "all", "count", "bmax", "prod"], got, f(x, b, zi, zb)):
        assert_matches_numpy(np.asarray(g), e, err_msg=name)


@pytest.mark.parametrize("shape,axis,strategy", [c for c in CASES if not isinstance(c[1], tuple)],
                         ids=[i for c, i in zip(CASES, IDS) if not isinstance(c[1], tuple)])
def test_argmax_argmin(cuda_jit, rng, shape, axis, strategy):
    x = rng.integers(-4, 4, size=shape).astype(np.float32)      # many ties: first occurrence wins
    if x.size > 10:
        x.reshape(-1)[[3, 7]] = np.nan                           # the first NaN wins
    f = lambda x: (np.argmax(x, axis=axis), np.argmin(x, axis=axis))  # noqa: E731
    got = cuda_jit(f)(x)
    exp = f(x)
    assert_matches_numpy(np.asarray(got[0]), exp[0], err_msg="argmax")
    assert_matches_numpy(np.asarray(got[1]), exp[1], err_msg="argmin")


def test_argmax_int_and_bool(cuda_jit, rng):
    x = rng.integers(-3, 3, size=(5, 9)).astype(np.int64)
    b = rng.random((5, 9)) < 0.4
    f = lambda x, b: (np.argmax(x, axis=1), np.argmin(x, axis=0), np.argmax(b, axis=1))  # noqa: E731
    for g, e in zip(cuda_jit(f)(x, b), f(x, b)):
        assert_matches_numpy(np.asarray(g), e)


@pytest.mark.parametrize("shape,axis", [((3, 70), 1), ((90,), None), ((20, 2), 1)])
def test_nan_propagation(cuda_jit, rng, shape, axis):
    x = make_input(rng, shape, np.float32, edges=False)
    flat = x.reshape(-1)
    flat[5] = np.nan
    flat[-1] = np.inf
    f = lambda x: (np.max(x, axis=axis), np.min(x, axis=axis), np.sum(x, axis=axis))  # noqa: E731
    for name, g, e in zip(["max", "min", "sum"], cuda_jit(f)(x), f(x)):
        assert_matches_numpy(np.asarray(g), e, rtol=1e-5, err_msg=name)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x, g, b):
    mean = np.mean(x, axis=-1, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + 1e-5) * g + b


@pytest.mark.parametrize("shape", [(3, 70), (100,), (12, 3), (2, 140)])
def test_softmax(cuda_jit, rng, shape):
    x = make_input(rng, shape, np.float32, edges=False)
    j = cuda_jit(softmax)
    assert_matches_numpy(np.asarray(j(x)), softmax(x), rtol=1e-5, atol=1e-7)
    assert len(j.lower(x).executable.plan) == 1          # one kernel: three passes per row


@pytest.mark.parametrize("shape", [(3, 64), (5, 7)])
def test_layernorm(cuda_jit, rng, shape):
    x = make_input(rng, shape, np.float32, edges=False)
    g = make_input(rng, shape[-1:], np.float32, edges=False)
    b = make_input(rng, shape[-1:], np.float32, edges=False)
    j = cuda_jit(layernorm)
    assert_matches_numpy(np.asarray(j(x, g, b)), layernorm(x, g, b), rtol=2e-5, atol=2e-5)
    assert len(j.lower(x, g, b).executable.plan) == 1


def test_reduction_consumers_and_row_outputs(cuda_jit, rng):
    """Outputs of a reduce kernel: the row values themselves, consumers of them, varying ones."""
    x = make_input(rng, (4, 66), np.float64, edges=False)
    y = make_input(rng, (4, 1), np.float64, edges=False)

    def f(x, y):
        s = np.sum(x, axis=1, keepdims=True)
        return s * y + 1, x / s, np.max(x - s, axis=1)
    got = cuda_jit(f)(x, y)
    for g, e in zip(got, f(x, y)):
        assert_matches_numpy(np.asarray(g), e, rtol=1e-10)


def test_full_softmax_split(cuda_jit, rng):
    """A multi-phase reduction over everything: split into stages, results read from scratch."""
    x = make_input(rng, (4, 40), np.float32, edges=False)
    f = lambda x: (np.exp(x - x.max()) / np.exp(x - x.max()).sum(), x.argmax())  # noqa: E731
    j = cuda_jit(f)
    got = j(x)
    assert "split" in _strategy(j, x)
    exp = f(x)
    assert_matches_numpy(np.asarray(got[0]), exp[0], rtol=1e-5, atol=1e-8)
    assert int(np.asarray(got[1])) == exp[1]


def test_deterministic(cuda_jit, rng):
    x = make_input(rng, (300,), np.float32, edges=False)
    j = cuda_jit(lambda x: np.sum(x * x))
    first = np.asarray(j(x))
    for _ in range(2):
        assert np.asarray(j(x)).tobytes() == first.tobytes()


def test_iota_and_float16_in_reductions(cuda_jit, rng):
    x = make_input(rng, (3, 70), np.float16, edges=False)
    y = make_input(rng, (3, 70), np.float32, edges=False)

    def f(x, y):
        w = np.arange(70, dtype=np.float32) - np.arange(3, dtype=np.float32)[:, None]
        return np.sum(y * w, axis=1), np.max(x, axis=1), np.sum(x, axis=0), np.argmin(y + w, axis=1)
    got = cuda_jit(f)(x, y)
    exp = f(x, y)
    assert_matches_numpy(np.asarray(got[0]), exp[0], rtol=1e-5, err_msg="iota weights")
    assert_matches_numpy(np.asarray(got[1]), exp[1], err_msg="f16 max")
    # NumPy rounds a float16 sum to float16 after every add; the kernels accumulate in float64
    assert_matches_numpy(np.asarray(got[2]), exp[2], rtol=0, atol=_sum_tol(x, 0, np.float16),
                         err_msg="f16 sum")
    assert_matches_numpy(np.asarray(got[3]), exp[3], err_msg="argmin")


def test_bool_and_float16_matmul(cuda_jit, rng):
    a = rng.random((4, 6)) < 0.4
    b = rng.random((6, 3)) < 0.4
    h = make_input(rng, (5, 7), np.float16, edges=False)
    k = make_input(rng, (7, 2), np.float16, edges=False)
    f = lambda a, b, h, k: (a @ b, h @ k)  # noqa: E731
    got = cuda_jit(f)(a, b, h, k)
    exp = f(a, b, h, k)
    assert_matches_numpy(np.asarray(got[0]), exp[0])
    assert_matches_numpy(np.asarray(got[1]), exp[1], rtol=1e-2, atol=1e-2)

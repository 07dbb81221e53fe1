"""Whole programs on the CUDA path: Black-Scholes, matmul epilogues, concatenate, control flow,
multi-kernel programs through the buffer plan, and random programs (hypothesis)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import xlaish as xl
import xlaish.special as xsp
from tests.helpers import assert_matches_numpy, assert_program_matches, make_input, numpy_result, programs


def black_scholes(S, K, T, r, v):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * v * v) * T) / (v * sqrt_t)
    d2 = d1 - v * sqrt_t
    cdf1 = 0.5 + 0.5 * xsp.erf(d1 / math.sqrt(2))
    cdf2 = 0.5 + 0.5 * xsp.erf(d2 / math.sqrt(2))
    disc = K * np.exp(-r * T)
    return S * cdf1 - disc * cdf2, disc * (1 - cdf2) - S * (1 - cdf1)


def black_scholes_ref(S, K, T, r, v):
    erf = np.vectorize(math.erf)
    S, K, T = (a.astype(np.float64) for a in (S, K, T))
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * v * v) * T) / (v * sqrt_t)
    d2 = d1 - v * sqrt_t
    cdf1, cdf2 = 0.5 + 0.5 * erf(d1 / math.sqrt(2)), 0.5 + 0.5 * erf(d2 / math.sqrt(2))
    disc = K * np.exp(-r * T)
    return S * cdf1 - disc * cdf2, disc * (1 - cdf2) - S * (1 - cdf1)


def test_black_scholes_two_outputs(cuda_jit, rng):
    n = 300
    S = rng.uniform(10, 100, n).astype(np.float32)
    K = rng.uniform(10, 100, n).astype(np.float32)
    T = rng.uniform(0.25, 2.0, n).astype(np.float32)
    j = cuda_jit(black_scholes)
    call, put = j(S, K, T, 0.02, 0.3)
    low = j.lower(S, K, T, 0.02, 0.3)
    assert len(low.executable.plan) == 1 and len(low.optimized.results) == 2   # one kernel, 2 outputs
    ec, ep = black_scholes_ref(S, K, T, 0.02, 0.3)
    assert np.asarray(call).dtype == np.float32
    np.testing.assert_allclose(np.asarray(call), ec, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(put), ep, rtol=1e-4, atol=1e-3)


def matmul_bias_relu(x, w, b):
    return np.maximum(x @ w + b, 0)


@pytest.mark.parametrize("m,k,n", [(5, 7, 6), (8, 8, 8), (1, 9, 3), (9, 1, 10)])
def test_matmul_bias_relu(cuda_jit, rng, m, k, n):
    x = make_input(rng, (m, k), np.float32, edges=False)
    w = make_input(rng, (k, n), np.float32, edges=False)
    b = make_input(rng, (n,), np.float32, edges=False)
    j = cuda_jit(matmul_bias_relu)
    got = np.asarray(j(x, w, b))
    assert [e["kind"] for e in j.lower(x, w, b).executable.plan] == ["matmul"]
    assert_matches_numpy(got, matmul_bias_relu(x, w, b), rtol=1e-5, atol=1e-5)


def test_matmul_variants(cuda_jit, rng):
    a = make_input(rng, (2, 5, 6), np.float64, edges=False)
    b = make_input(rng, (6, 4), np.float64, edges=False)
    c = make_input(rng, (4, 6), np.float64, edges=False)
    i = rng.integers(-5, 5, size=(3, 4)).astype(np.int32)
    j_ = rng.integers(-5, 5, size=(4, 2)).astype(np.int32)
    f = lambda a, b, c, i, j: (a @ b, a @ c.T * 2, i @ j, a[0] @ b - 1)  # noqa: E731
    got = cuda_jit(f)(a, b, c, i, j_)
    for name, g, e in zip(["batched", "transposed", "int", "2d"], got, f(a, b, c, i, j_)):
        assert_matches_numpy(np.asarray(g), e, rtol=1e-12, atol=1e-12, err_msg=name)


def test_concatenate(cuda_jit, rng):
    a = make_input(rng, (3, 4), np.float32, edges=False)
    b = make_input(rng, (4, 5), np.float32, edges=False)
    c = make_input(rng, (2, 4), np.float32, edges=False)
    f = lambda a, b, c: (np.concatenate([a, b.T, c], axis=0), np.concatenate([a, a[:, ::-1]], axis=1))  # noqa
    for g, e in zip(cuda_jit(f)(a, b, c), f(a, b, c)):
        assert_matches_numpy(np.asarray(g), e)


def test_multi_kernel_program_reuses_slots(cuda_jit, rng):
    """Several kernels with intermediates between them: slots from the buffer plan, reused."""
    x = make_input(rng, (6, 40), np.float32, edges=False)
    w = make_input(rng, (40, 8), np.float32, edges=False)

    def f(x, w):
        h = np.tanh(x @ w)                       # matmul kernel
        h = h - h.mean(axis=1, keepdims=True)    # reduce kernel
        g = np.concatenate([h, h * 2], axis=0)   # copy kernel
        return (g @ w.T).sum(axis=0)             # matmul + reduce
    j = cuda_jit(f)
    low = j.lower(x, w)
    nslots = len({s for op in low.optimized.ops for s in op.attrs.get("buffers", ()) if s >= 0})
    assert len(low.executable.plan) >= 4 and nslots >= 1
    first = np.asarray(j(x, w))
    fixed = list(low.executable.main.fixed)
    second = np.asarray(j(x * 2, w))
    assert all(a is b for a, b in zip(fixed, low.executable.main.fixed))   # allocated once
    assert_matches_numpy(first, f(x, w), rtol=1e-4, atol=1e-4)
    assert_matches_numpy(second, f(x * 2, w), rtol=1e-4, atol=1e-4)


def test_results_that_are_inputs_or_repeated(cuda_jit, rng):
    x = make_input(rng, (5,), np.float32, edges=False)
    f = lambda x: (x, x + 1, x + 1, np.float32(3.0) * np.ones(2, np.float32))  # noqa: E731
    for g, e in zip(cuda_jit(f)(x), f(x)):
        assert_matches_numpy(np.asarray(g), e)


def test_control_flow(cuda_jit):
    def fib(n):
        def body(s):
            i, a, b = s
            return i + 1, b, a + b
        return xl.while_loop(lambda s: s[0] < n, body, (0, 0, 1))[1]
    assert int(np.asarray(cuda_jit(fib)(10))) == 55
    pick = cuda_jit(lambda p, a, b: xl.cond(p, lambda a, b: a + b, lambda a, b: a * b, a, b))
    a = np.arange(4, dtype=np.float32)
    assert_matches_numpy(np.asarray(pick(True, a, a)), a + a)
    assert_matches_numpy(np.asarray(pick(False, a, a)), a * a)
    total = cuda_jit(lambda x: xl.fori_loop(0, 3, lambda i, acc: acc * 2 + x, x))
    assert_matches_numpy(np.asarray(total(a)), ((a * 2 + a) * 2 + a) * 2 + a)


def _random_programs():
    try:
        from tests.passes._gen import shape_programs  # reshape/transpose/slice/concatenate mixes
    except ImportError:
        return programs(max_ops=6)
    return st.one_of(programs(max_ops=6), shape_programs(max_ops=6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.filter_too_much])
@given(_random_programs())
def test_random_programs(prog_inputs):
    from tests.cuda.conftest import record_for_ptx
    prog, inputs = prog_inputs
    expected, err = numpy_result(prog, *inputs)
    assume(err is None)             # programs NumPy rejects (broadcasting) are not CUDA's concern
    j = xl.jit(prog, device="cuda")
    got = j(*inputs)
    record_for_ptx(j.lower(*inputs).optimized)
    if isinstance(got, tuple):
        got = tuple(np.asarray(g)[()] if np.ndim(g) == 0 else np.asarray(g) for g in got)
    else:
        got = np.asarray(got)[()] if np.ndim(got) == 0 else np.asarray(got)
    assert_program_matches(prog, got, expected)


def test_long_unrolled_chain(cuda_jit):
    """1,000 ops in one kernel: the source generator evaluates deep chains bottom-up."""
    def chain(x):
        for _ in range(500):
            x = x * 1.001 + 0.001
        return x
    x = np.linspace(-1, 1, 64).astype(np.float32)
    np.testing.assert_allclose(np.asarray(cuda_jit(chain)(x)), chain(x), rtol=1e-4)

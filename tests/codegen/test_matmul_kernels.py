"""The CPU matmul kernels (xlaish/codegen/cpu/matmul_*.py) against NumPy, path by path.

Paths: packed BLIS-style (float32/float64, M, N > 1), vecmat (M == 1, B unit-stride along N),
dot (M == 1 or N == 1, both operands unit-stride along K) and the generic row kernel (other
dtypes, K == 0, strided matrix-vector). Shapes sit around the block sizes of the packed path
(micro-tile ``mr x nr``, ``kc``, ``mc``, the column panel ``nc``) and of the vector paths.

Tolerance, per dtype: a dot product of length K summed in any order is within
``2 * K * eps(dtype) * (|a| @ |b|)`` of the exact value (float32: eps 2**-23, so the bound grows
with K; float64: eps 2**-52); NumPy's result is within the same bound, so the two are compared
with that absolute bound (``_bound``). Many products share one jitted function, so one compile
covers a whole list of shapes.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from tests.helpers import assert_matches_numpy, eps
from xlaish.codegen.cpu import matmul_packed

FLOATS = [np.float32, np.float64]


def _bound(a, b):
    dt = np.result_type(a, b)
    k = a.shape[-1]
    return 2 * max(k, 1) * eps(dt) * np.matmul(np.abs(a.astype(np.float64)), np.abs(b.astype(np.float64)))


def _pair(rng, sa, sb, dt):
    return (rng.uniform(-2, 2, sa).astype(dt), rng.uniform(-2, 2, sb).astype(dt))


def _check_all(fn, pairs, extra=()):
    got = xl.jit(fn)(pairs, *extra)
    want = fn(pairs, *extra)
    for (a, b), g, e in zip(pairs, got, want):
        assert_matches_numpy(g, e, atol=_bound(a, b), err_msg=f"{a.shape} @ {b.shape} {a.dtype}")


def _blocks(dt):
    mr, nv, kc, mc, nc = matmul_packed.BLOCKS[np.dtype(dt)]
    return mr, nv * 64 // np.dtype(dt).itemsize, kc, mc


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_packed_shapes_around_block_sizes(rng, dt):
    mr, nr, kc, mc = _blocks(dt)
    ms = [2, 7, 8, 9, 15, 16, 17, mr - 1, mr, mr + 1, mc - 1, mc + 1]
    ns = [2, 7, 8, 9, 15, 16, 17, nr - 1, nr, nr + 1, 2 * nr + 1]
    ks = [1, 2, 7, 16, 17, kc - 1, kc, kc + 1]
    shapes = [(m, ks[i % len(ks)], ns[i % len(ns)]) for i, m in enumerate(ms)]
    shapes += [(ms[i % len(ms)], ks[i % len(ks)], n) for i, n in enumerate(ns)]
    shapes += [(mr + 1, k, nr + 1) for k in ks]
    pairs = [_pair(rng, (m, k), (k, n), dt) for m, k, n in shapes]
    _check_all(lambda ps: [a @ b for a, b in ps], pairs)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_packed_large_crosses_every_block(rng, dt):
    """More than one kc slice, mc row block and column panel; a task grid split by rows
    (N small) and by columns."""
    mr, nr, kc, mc = _blocks(dt)
    nc = matmul_packed.BLOCKS[np.dtype(dt)][4]
    pairs = [_pair(rng, (mc + 5, 2 * kc + 3), (2 * kc + 3, nc + nr + 3), dt),
             _pair(rng, (3000, 50), (50, 20), dt)]
    _check_all(lambda ps: [a @ b for a, b in ps], pairs)


def test_packed_results_do_not_depend_on_thread_count(rng):
    a, b = _pair(rng, (300, 400), (400, 500), np.float32)
    f = xl.jit(lambda a, b: a @ b)
    with xl.config.override(num_threads=1):
        one = f(a, b)
    with xl.config.override(num_threads=2):
        two = f(a, b)
    np.testing.assert_array_equal(one, two)
    assert_matches_numpy(one, a @ b, atol=_bound(a, b))


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_fused_epilogues(rng, dt):
    """bias + relu, tanh, a full-matrix addend, and the pre-activation as a second output."""
    for m, k, n in [(1, 784, 256), (9, 33, 70), (130, 300, 41), (5, 17, 1)]:
        a, w = _pair(rng, (m, k), (k, n), dt)
        bias, c = rng.uniform(-1, 1, n).astype(dt), rng.uniform(-1, 1, (m, n)).astype(dt)

        def f(a, w, bias, c):
            z = a @ w + bias
            return np.maximum(z, 0), z, np.tanh(a @ w) * 2 - c
        got, want = xl.jit(f)(a, w, bias, c), f(a, w, bias, c)
        tol = _bound(a, w)
        for g, e, t in zip(got, want, [tol, tol, 2 * tol + 4 * eps(dt)]):
            assert_matches_numpy(g, e, atol=t, err_msg=f"{(m, k, n)} {np.dtype(dt).name}")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_batched_and_broadcast_batches(rng, dt):
    pairs = [_pair(rng, (3, 20, 30), (30, 40), dt),          # batch on the left only
             _pair(rng, (2, 1, 13, 9), (3, 9, 33), dt),      # batch dims broadcast
             _pair(rng, (4, 1, 50), (4, 50, 70), dt),        # batched vecmat
             _pair(rng, (4, 9, 50), (50, 1), dt),            # batched matrix-vector (dot)
             _pair(rng, (130, 17, 16), (130, 16, 20), dt),   # more tasks than scratch groups
             _pair(rng, (2, 3, 0), (2, 0, 5), dt)]           # K == 0: zeros
    _check_all(lambda ps: [np.matmul(a, b) for a, b in ps], pairs)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_transposed_and_strided_operands(rng, dt):
    """Views read inside the kernel: transposes, step slices, and non-contiguous arguments."""
    a = rng.uniform(-2, 2, (70, 90)).astype(dt)
    b = rng.uniform(-2, 2, (90, 60)).astype(dt)
    at, bt = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)

    def f(a, b, at, bt):
        return [at.T @ b, a @ bt.T, at.T @ bt.T, a[::2, 1::3] @ b[1::3, ::2], a[:1] @ bt.T,
                a[:1, ::2] @ b[::2], a @ bt[:1].T, a[::3] @ b[:, 5:6]]
    got, want = xl.jit(f)(a, b, at, bt), f(a, b, at, bt)
    for g, e in zip(got, want):
        k = 90
        assert_matches_numpy(g, e, atol=2 * k * eps(dt) * 4 * k)
    fa, fb = np.asfortranarray(a), np.asfortranarray(b)
    assert_matches_numpy(xl.jit(lambda a, b: a @ b)(fa, fb), a @ b, atol=_bound(a, b))


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
def test_matrix_vector_paths(rng, dt):
    """M == 1 (vecmat with edge columns; dot when B is transposed) and N == 1 (dot), K around
    the dot's vector step (4 vectors) and the vecmat's column block (16 vectors)."""
    vl = 64 // np.dtype(dt).itemsize
    shapes = [(1, 784, 256), (1, 5, vl), (1, 5, vl - 1), (1, 100, 16 * vl + 3), (1, 4 * vl - 1, 40),
              (1, 4 * vl, 1), (1, 4 * vl + 1, 2), (1, 1, 1), (37, 4 * vl + 1, 1), (6, 3, 1), (2, 1, 1)]
    pairs = [_pair(rng, (m, k), (k, n), dt) for m, k, n in shapes]
    _check_all(lambda ps: [a @ b for a, b in ps], pairs)
    trans = [(a, np.ascontiguousarray(b.T)) for a, b in pairs]     # x @ W.T: both unit-stride in K
    got = xl.jit(lambda ps: [a @ bt.T for a, bt in ps])(trans)
    for (a, b), g in zip(pairs, got):
        assert_matches_numpy(g, a @ b, atol=_bound(a, b))


def test_empty_and_degenerate(rng):
    for dt in FLOATS:
        pairs = [_pair(rng, (0, 5), (5, 7), dt), _pair(rng, (4, 0), (0, 7), dt),
                 _pair(rng, (4, 5), (5, 0), dt), _pair(rng, (1, 0), (0, 3), dt)]
        _check_all(lambda ps: [a @ b for a, b in ps], pairs)


def test_nan_and_inf_propagate(rng):
    """Padded rows/columns of the packed path never leak into the result; NaN/inf do propagate
    where NumPy has them."""
    a, b = _pair(rng, (13, 20), (20, 35), np.float64)
    a[3, 4] = np.nan
    b[7, 34] = np.inf
    got = xl.jit(lambda a, b: a @ b)(a, b)
    want = a @ b
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    assert_matches_numpy(got[fin], want[fin], atol=_bound(a, b)[fin])

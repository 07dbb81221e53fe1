"""Static slice assignment as a strided write (:func:`xlaish.ir.kernel_indexing.affine_index`):
the address analysis against brute force, and the kernels that use it (in place into an
intermediate, into a loop-carried array, split over threads, and the copy path into a mutated
argument) against NumPy."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import xlaish as xl
from xlaish.ir.kernel_indexing import affine_index, injective_in_range
from xlaish.ir.opnames import SCATTER
from xlaish.ir.parser import parse


def _positions(extents, strides, base):
    grids = np.meshgrid(*[np.arange(n) for n in extents], indexing="ij")
    return base + sum(g * s for g, s in zip(grids, strides)) if extents else np.array(base)


@pytest.mark.parametrize("seed", range(40))
def test_injective_in_range_is_sound(seed):
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    extents = tuple(int(n) for n in rng.integers(1, 5, nd))
    strides = tuple(int(s) for s in rng.integers(-6, 7, nd))
    base = int(rng.integers(0, 30))
    pos = _positions(extents, strides, base).reshape(-1)
    if injective_in_range(extents, strides, base, 0, 40):
        assert len(np.unique(pos)) == pos.size and pos.min() >= 0 and pos.max() < 40


KEYS = [(slice(1, -1), slice(1, -1)), (slice(None, None, 2), slice(3, None)),
        (slice(None, None, -1), slice(2, 7, 3)), (2, slice(None)), (slice(1, -1), -1),
        (Ellipsis, slice(None, None, -2))]


def _scatter_index(low):
    for op in low.optimized.ops:
        if op.name == "fused":
            body = op.regions[0]
            for o in body.ops:
                if o.name == SCATTER:
                    defs = {id(r): p for p in body.ops for r in p.results}
                    return affine_index(defs, o.operands[1]), o
    return None, None


@pytest.mark.parametrize("key", KEYS, ids=[str(k) for k in KEYS])
def test_affine_index_of_slice_assignment_matches_numpy_positions(key):
    x = np.zeros((70, 80))   # every region over INDEX_LIMIT elements (smaller ones fold)

    def f(x, v):
        y = x * 2
        y[key] = v
        return y

    v = np.ones(x[key].shape) * 3
    low = xl.jit(f).lower(x, v)
    a, sc = _scatter_index(low)
    assert a is not None
    lin = np.arange(x.size).reshape(x.shape)[key].reshape(-1)
    shape = sc.operands[1].type.shape
    np.testing.assert_array_equal(_positions(shape, a[1], a[0]).reshape(-1), lin)


@pytest.mark.parametrize("key", KEYS, ids=[str(k) for k in KEYS])
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.float64])
def test_strided_writes_against_numpy(key, dtype):
    rng = np.random.default_rng(1)
    x = rng.integers(-50, 50, (13, 17)).astype(dtype)

    def into_intermediate(x, v):
        y = x + 1
        y[key] = v * 2
        return y.sum(axis=0), y

    def into_argument(x, v):
        x[key] = v - 1

    def in_a_loop(x, v, t):
        for _ in range(t):
            x[key] = x[key] + v
        return x

    v = rng.integers(-5, 5, x[key].shape).astype(dtype)
    for f in (into_intermediate, in_a_loop):
        args = (x, v, 3) if f is in_a_loop else (x, v)
        want = f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        got = xl.jit(f)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
        as_tuple = lambda r: r if isinstance(r, tuple) else (r,)
        for g, w in zip(as_tuple(got), as_tuple(want)):
            np.testing.assert_array_equal(g, w)
    got, want = x.copy(), x.copy()
    xl.jit(into_argument)(got, v)
    into_argument(want, v)
    np.testing.assert_array_equal(got, want)


def test_large_strided_write_split_over_threads():
    rng = np.random.default_rng(2)
    A = rng.random((1000, 400))     # 998 x 398 updates: over PARALLEL_MIN_WORK, so split

    def f(A):
        B = A * 0.5
        B[1:-1, 1:-1] = 0.25 * (A[2:, 1:-1] + A[:-2, 1:-1] + A[1:-1, 2:] + A[1:-1, :-2])
        return B

    assert xl.jit(f).lower(A).executable.layout.parallel
    for _ in range(3):                 # thread chunks differ between calls; results must not
        np.testing.assert_array_equal(xl.jit(f)(A), f(A))


def test_repeated_static_indices_keep_numpys_order():
    """A constant index array with repeats is not affine-injective: the ordered path runs."""
    def f(x):
        y = x * 1
        y[[0, 2, 0]] = np.arange(15.0).reshape(3, 5)
        return y

    x = np.zeros((4, 5))
    a, sc = _scatter_index(xl.jit(f).lower(x))
    assert a is None or not injective_in_range(sc.operands[1].type.shape, a[1], a[0], 0,
                                               sc.operands[0].type.shape[sc.attrs["axis"]])
    np.testing.assert_array_equal(xl.jit(f)(x), f(x))


@pytest.mark.parametrize("shape", [(0, 5), (1, 1), (3, 0)])
def test_empty_and_tiny(shape):
    def f(x):
        y = x + 1
        y[:, ::2] = 7
        return y

    x = np.ones(shape)
    np.testing.assert_array_equal(xl.jit(f)(x), f(x))


def test_brute_force_small_grid():
    rng = np.random.default_rng(3)
    for n0, n1 in itertools.product((1, 2, 5), (1, 3, 6)):
        x = rng.random((n0, n1)).astype(np.float32)

        def f(x):
            y = x - 1
            y[::-1, 1::2] = x[::-1, 1::2] * 3
            return y
        np.testing.assert_array_equal(xl.jit(f)(x), f(x))


@pytest.mark.parametrize("dtype,n,affine", [("i8", 100, True), ("i8", 300, False),
                                             ("u8", 256, True), ("i16", 300, True)])
def test_affine_index_refuses_values_that_wrap_in_their_dtype(dtype, n, affine):
    """``iota(n)`` cast to int8 wraps past 127: its positions are not the Python integers
    ``u``, so it must not be taken for a strided index (the recognised ones match NumPy)."""
    fn = parse(f"""func @f() -> i64[{n}] {{
  %0 = iota {{axis = 0, dtype = i64, shape = [{n}]}} : i64[{n}]
  %1 = astype %0 {{dtype = {dtype}}} : {dtype}[{n}]
  %2 = astype %1 {{dtype = i64}} : i64[{n}]
  return %2
}}""")
    defs = {id(r): op for op in fn.ops for r in op.results}
    a = affine_index(defs, fn.results[0])
    assert (a is not None) == affine
    if a is not None:
        want = np.arange(n).astype(np.dtype(fn.ops[1].result.type.dtype)).astype(np.int64)
        np.testing.assert_array_equal(_positions((n,), a[1], a[0]), want)

"""Array creation inside jitted functions against NumPy: zeros, ones, full, arange, zeros_like,
ones_like, full_like, eye (and identity, linspace, empty shapes).

``xlaish.numpy`` creation functions build IR while tracing; ``np.zeros_like(traced)`` reaches
them through ``__array_function__``. ``np.zeros((3,))`` with no traced argument is a plain
NumPy constant, which is tested too.
"""
from __future__ import annotations

import numpy as np
import pytest

import xlaish.numpy as xnp
from tests.helpers import ALL_DTYPES, assert_matches_numpy, dtype_id, make_input


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_zeros_ones_full_dtypes(jit, dtype):
    def make(m):
        return lambda: (m.zeros((2, 3), dtype), m.ones(4, dtype=dtype), m.full((3,), 1, dtype),
                        m.full((2, 2), True, dtype=dtype), m.zeros((), dtype), m.ones((0, 2), dtype),
                        m.empty((2,), dtype).shape)
    got = jit(make(xnp))()
    expected = make(np)()
    for g, e in zip(got[:-1], expected[:-1]):
        assert_matches_numpy(g, e)
    assert got[-1] == expected[-1]


def test_creation_default_dtypes(jit):
    fn = lambda m: (m.zeros(3), m.ones((2, 2)), m.full(3, 7), m.full(2, 1.5), m.full(2, True),  # noqa: E731
                    m.eye(2), m.identity(3), m.arange(4), m.arange(1.0, 2.0, 0.25))
    got = jit(lambda: fn(xnp))()
    for g, e in zip(got, fn(np)):
        assert_matches_numpy(g, e)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
def test_like_functions(jit, rng, dtype):
    x = make_input(rng, (3, 4), dtype)
    fns = [lambda x: np.zeros_like(x), lambda x: np.ones_like(x), lambda x: np.full_like(x, 1),
           lambda x: np.zeros_like(x, dtype=np.float32), lambda x: np.ones_like(x, dtype=np.int8),
           lambda x: np.full_like(x, 2, dtype=np.float64), lambda x: np.zeros_like(x, shape=(2,)),
           lambda x: xnp.full_like(x, 3), lambda x: xnp.ones_like(x, shape=(2, 0))]
    for i, (g, fn) in enumerate(zip(jit(lambda x: [fn(x) for fn in fns])(x), fns)):
        assert_matches_numpy(g, fn(x), err_msg=f"function #{i}")


def test_full_with_traced_fill_value(jit, rng):
    # in int8's range: float -> int conversion of NaN/inf/out-of-range values is undefined in C
    v = make_input(rng, (), np.float32, edges=False, low=-100, high=100)
    fns = [lambda v: xnp.full((2, 3), v), lambda v: xnp.full((2,), v, dtype=np.float64),
           lambda v: xnp.full_like(np.ones((2, 2), np.int8), v)]
    nfns = [lambda v: np.full((2, 3), v), lambda v: np.full((2,), v, dtype=np.float64),
            lambda v: np.full_like(np.ones((2, 2), np.int8), v)]
    got = jit(lambda v: [f(v) for f in fns])(v)
    for g, nf in zip(got, nfns):
        assert_matches_numpy(g, nf(v))


ARANGE_ARGS = [
    ((5,), {}), ((0,), {}), ((2, 10, 3), {}), ((10, 2, -2), {}), ((-3, 3), {"dtype": np.int8}),
    ((5,), {"dtype": np.float32}), ((0, 1, 0.125), {}), ((1.5, 4.0), {}),
    ((0, 10, 2), {"dtype": np.uint16}), ((3, 1), {}), ((0, 2, 0.5), {"dtype": np.float16}),
    ((-1.0, 1.0, 0.25), {"dtype": np.float32}), ((5,), {"dtype": np.float64}),
]


@pytest.mark.parametrize("args,kwargs", ARANGE_ARGS, ids=[f"{a}{k}" for a, k in ARANGE_ARGS])
def test_arange(jit, args, kwargs):
    got = jit(lambda: xnp.arange(*args, **kwargs))()
    assert_matches_numpy(got, np.arange(*args, **kwargs))


def test_arange_inexact_steps(jit):
    """arange with a step that is not exact in binary: within the float tolerance of NumPy."""
    cases = [((0, 1, 0.1), {}), ((0, 1, 0.1), {"dtype": np.float32}), ((-2, 2, 0.3), {})]
    got = jit(lambda: [xnp.arange(*a, **k) for a, k in cases])()
    for g, (args, kwargs) in zip(got, cases):
        assert_matches_numpy(g, np.arange(*args, **kwargs))


EYE_ARGS = [((3,), {}), ((3, 4), {}), ((4, 3), {"k": 1}), ((4,), {"k": -2, "dtype": np.int32}),
            ((2,), {"dtype": bool}), ((3, 5, 10), {}), ((0,), {}), ((3,), {"dtype": np.float16}),
            ((2, 3), {"k": -1, "dtype": np.uint8})]


@pytest.mark.parametrize("args,kwargs", EYE_ARGS, ids=[f"{a}{k}" for a, k in EYE_ARGS])
def test_eye(jit, args, kwargs):
    got = jit(lambda: xnp.eye(*args, **kwargs))()
    assert_matches_numpy(got, np.eye(*args, **kwargs))


def test_identity_and_linspace(jit):
    fns = [lambda m: m.identity(3, dtype=np.int64), lambda m: m.linspace(0, 1, 5),
           lambda m: m.linspace(-1, 1, 4, endpoint=False), lambda m: m.linspace(2, 3, 1),
           lambda m: m.linspace(0, 10, 7, dtype=np.float32)]
    for g, fn in zip(jit(lambda: [fn(xnp) for fn in fns])(), fns):
        assert_matches_numpy(g, fn(np))


def test_creation_combined_with_traced_values(jit, rng):
    """Created arrays used together with traced inputs (broadcasting, promotion)."""
    x = make_input(rng, (3, 4), np.float32, edges=False)
    fns = [lambda x, m: x + m.ones((4,), np.float32), lambda x, m: x * m.arange(4),
           lambda x, m: m.eye(3, 4, dtype=np.float32) @ x.T, lambda x, m: x - m.zeros_like(x),
           lambda x, m: m.where(m.eye(3, 4, dtype=bool), x, m.full((3, 4), -1.0, np.float32))]
    for g, fn in zip(jit(lambda x: [fn(x, xnp) for fn in fns])(x), fns):
        assert_matches_numpy(g, fn(x, np), rtol=1e-6)


def test_numpy_constants_inside_jit(jit, rng):
    """Plain NumPy creation (no traced argument) is a constant of the program."""
    x = make_input(rng, (2, 3), np.float64, edges=False)
    fn = lambda x: x + np.arange(3) + np.zeros((2, 3), np.float32) + np.eye(2, 3)  # noqa: E731
    assert_matches_numpy(jit(fn)(x), fn(x))

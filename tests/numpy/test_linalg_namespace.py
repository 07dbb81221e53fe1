"""``np.linalg.<name>`` inside jit: every name of ``xlaish.numpy.linalg.__all__`` against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError
from xlaish.numpy import linalg as xlinalg

from ..helpers import assert_matches_numpy, layouts, make_input

inf = np.inf
VEC_ORDS = [None, 1, 2, inf, -inf, 0, 3, -1, 0.5]
MAT_ORDS = [None, "fro", 1, -1, inf, -inf]

CASES = {
    "norm": [lambda a: tuple(np.linalg.norm(a[0], o) for o in VEC_ORDS),
             lambda a: tuple(np.linalg.norm(a, o) for o in MAT_ORDS),
             lambda a: tuple(np.linalg.norm(a, o, axis=1, keepdims=True) for o in VEC_ORDS[:5]),
             lambda a: tuple(np.linalg.norm(a, o, axis=(1, 0), keepdims=True) for o in MAT_ORDS),
             lambda a: np.linalg.norm(a)],
    "vector_norm": [lambda a: (np.linalg.vector_norm(a), np.linalg.vector_norm(a, axis=0, ord=1),
                               np.linalg.vector_norm(a, axis=(0, 1), keepdims=True, ord=inf))],
    "matrix_norm": [lambda a: (np.linalg.matrix_norm(a), np.linalg.matrix_norm(a, ord=1, keepdims=True))],
    "matmul": [lambda a: np.linalg.matmul(a, a.T)],
    "outer": [lambda a: np.linalg.outer(a[0], a[:, 1])],
    "trace": [lambda a: (np.linalg.trace(a), np.linalg.trace(a, offset=1))],
    "diagonal": [lambda a: (np.linalg.diagonal(a), np.linalg.diagonal(a, offset=-1))],
    "matrix_transpose": [lambda a: np.linalg.matrix_transpose(a)],
    "vecdot": [lambda a: np.linalg.vecdot(a, a)],
    "cross": [lambda a: np.linalg.cross(a[:, :3], a[::-1, :3])],
    "tensordot": [lambda a: (np.linalg.tensordot(a, a), np.linalg.tensordot(a, a.T, axes=1))],
}


def test_every_function_has_cases():
    from ..linalg.test_linalg import CASES as DECOMP
    from ..linalg.test_linalg import NO_BATCH
    decomp = set(DECOMP) | set(NO_BATCH) | {"lstsq"}      # tested in tests/linalg
    assert set(CASES) <= set(xlinalg.__all__)
    assert set(xlinalg.__all__) <= set(CASES) | decomp


# bool inputs only where the function is a norm or pure data movement (NumPy refuses boolean
# subtraction in cross; the products and sums are covered by the matmul/reduction op tests)
_NO_BOOL = {"matmul", "vecdot", "outer", "trace", "cross", "tensordot"}


@pytest.mark.parametrize("name,i,dt", [(n, i, dt) for n, fs in CASES.items() for i in range(len(fs))
                                       for dt in ("float32", "float64", "int32", "bool")
                                       if not (dt == "bool" and n in _NO_BOOL)])
def test_matches_numpy(name, i, dt):
    fn = CASES[name][i]
    rng = np.random.default_rng(2)
    for shape in [(4, 3), (3, 3)]:
        a = make_input(rng, shape, dt, edges=False, low=-3, high=3)
        jf = xl.jit(fn)
        for lname, view in layouts(a):
            expected, got = fn(view), jf(view)
            pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
            for k, (g, e) in enumerate(pairs):
                assert_matches_numpy(g, e, err_msg=f"{name} {shape} {lname} result {k}")


def test_empty_inputs():
    a = np.zeros((0, 3), np.float32)
    f = lambda x: (np.linalg.norm(x), np.linalg.norm(x, inf, axis=0), np.linalg.norm(x, 1))
    for g, e in zip(xl.jit(f)(a), f(a)):
        assert_matches_numpy(g, e)


def test_grad_of_norm_matches_the_closed_form():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    g = xl.jit(xl.grad(lambda a: np.linalg.norm(a)))(x)
    np.testing.assert_allclose(g, x / np.linalg.norm(x), rtol=1e-12)
    g1 = xl.jit(xl.grad(lambda a: np.sum(np.linalg.norm(a, 1, axis=1))))(x)
    np.testing.assert_allclose(g1, np.sign(x), rtol=1e-12)


@pytest.mark.parametrize("fn", [lambda a: np.linalg.eig(a), lambda a: np.linalg.eigvals(a)])
def test_not_yet_supported_names_the_function(fn):
    with pytest.raises(UnsupportedError, match="eig"):
        xl.jit(fn)(np.eye(3))

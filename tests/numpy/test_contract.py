"""einsum, tensordot, kron, cross, matvec, vecmat (``xlaish.numpy._contract.__all__``) against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.numpy import _contract

from ..helpers import assert_matches_numpy, layouts, make_input

EINSUM = [  # (subscripts, operand shapes)
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ijk->", [(2, 3, 4)]),
    ("ijk->kji", [(2, 3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i", [(5,), (5,)]),
    ("...j,...j->...", [(2, 3, 4), (3, 4)]),
    ("...ij,...jk", [(2, 3, 4), (4, 2)]),
    ("ij,j->i", [(3, 1), (4,)]),         # size-1 broadcast, as NumPy
    ("nhwc,hwco->no", [(2, 3, 3, 2), (3, 3, 2, 4)]),
    ("i,i->", [(0,), (0,)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("->", [()]),
    (",i->i", [(), (3,)]),
]

OTHERS = {
    "tensordot": [(lambda a, b: np.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
                  (lambda a, b: np.tensordot(a, b, axes=([0, 2], [0, 1])), [(2, 3, 4), (2, 4, 5)]),
                  (lambda a, b: np.tensordot(a, b, axes=0), [(2,), (3,)])],
    "kron": [(lambda a, b: np.kron(a, b), [(2, 3), (3, 2)]), (lambda a, b: np.kron(a, b), [(3,), (2, 2)])],
    "cross": [(lambda a, b: np.cross(a, b), [(4, 3), (3,)]),
              (lambda a, b: np.cross(a, b, axisa=0, axisb=0, axisc=0), [(3, 2), (3, 2)])],
    "matvec": [(lambda a, b: np.matvec(a, b), [(2, 3, 4), (4,)])],
    "vecmat": [(lambda a, b: np.vecmat(a, b), [(3,), (2, 3, 4)])],
    "einsum": [(lambda *o, s=s: np.einsum(s, *o), shapes) for s, shapes in EINSUM],
}
DTYPES = ["float32", "float64", "int32", "int8", "bool"]


def test_every_function_has_cases():
    assert sorted(OTHERS) == sorted(_contract.__all__)


def _params():
    for name, cases in OTHERS.items():
        for i, (fn, shapes) in enumerate(cases):
            label = EINSUM[i][0] if name == "einsum" else str(i)
            for dt in DTYPES:
                if name == "cross" and dt == "bool":
                    continue                      # NumPy refuses boolean subtract
                yield pytest.param(fn, shapes, dt, id=f"{name}-{label}-{dt}")


@pytest.mark.parametrize("fn,shapes,dt", list(_params()))
def test_matches_numpy(fn, shapes, dt):
    rng = np.random.default_rng(4)
    ops = [make_input(rng, s, dt, edges=False, low=-3, high=4) for s in shapes]
    jf = xl.jit(fn)
    assert_matches_numpy(jf(*ops), fn(*ops))
    first = ops[0]
    if first.ndim >= 1 and first.size:
        for lname, view in layouts(first):
            assert_matches_numpy(jf(view, *ops[1:]), fn(view, *ops[1:]), err_msg=lname)


def test_einsum_sublist_form_and_optimize():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    f = lambda a, b: (np.einsum(a, [0, 1], b, [1, 2], [0, 2]), np.einsum("ij,jk", a, b, optimize=True))
    for g, e in zip(xl.jit(f)(a, b), f(a, b)):
        assert_matches_numpy(g, e)


@pytest.mark.parametrize("s,shapes", [("ij,jk->ik", [(3, 4), (4, 2)]),
                                      ("bhqd,bhkd->bhqk", [(1, 2, 3, 4)] * 2),
                                      ("ii->i", [(3, 3)]), ("ij,ij->", [(2, 3), (2, 3)])])
def test_einsum_gradient_is_the_exact_adjoint(s, shapes):
    """Each operand enters linearly, so the finite difference with step 1 is exact in float64."""
    rng = np.random.default_rng(6)
    ops = [rng.standard_normal(sh) for sh in shapes]
    out_shape = np.einsum(s, *ops).shape
    c = rng.standard_normal(out_shape)
    loss = lambda x0, *rest: np.sum(np.einsum(s, x0, *rest) * c)
    g = xl.jit(xl.grad(loss))(*ops)
    rest = ops[1:]
    expected = np.empty_like(ops[0])
    base = loss(np.zeros_like(ops[0]), *rest)
    for i in range(ops[0].size):
        e = np.zeros(ops[0].size)
        e[i] = 1.0
        expected.flat[i] = loss(e.reshape(ops[0].shape), *rest) - base
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("s,shapes", [("ij,jk->ik", [(3, 4), (5, 2)]), ("ij->k", [(2, 2)]),
                                      ("ij,j->i", [(3, 4)])])
def test_einsum_errors_are_value_errors(s, shapes):
    ops = [np.ones(sh) for sh in shapes]
    with pytest.raises(ValueError):
        np.einsum(s, *ops)
    with pytest.raises(ValueError):
        xl.jit(lambda *o: np.einsum(s, *o))(*ops)

"""pad, sliding_window_view, rot90, convolve, correlate, meshgrid, block, dsplit, diagflat
(``xlaish.numpy._windows.__all__``) against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view as swv

import xlaish as xl
from xlaish.numpy import _windows

from ..helpers import make_input
from ._harness import check

MODES = ("full", "same", "valid")
CASES = {
    "pad": [(lambda a: np.pad(a, 2), [(3, 4), (5,), (0, 2)]),
            (lambda a: np.pad(a, ((1, 2), (3, 0))), [(3, 4)]),
            (lambda a: np.pad(a, 1, constant_values=((1, 2), (3, 4))), [(3, 4)]),
            (lambda a: np.pad(a, ((1, 2), (3, 0)), "edge"), [(3, 4)]),
            (lambda a: (np.pad(a, 2, "reflect"), np.pad(a, 7, "reflect")), [(3, 4), (5,)]),
            (lambda a: (np.pad(a, (2, 1), "symmetric"), np.pad(a, 9, "symmetric")), [(3, 4)]),
            (lambda a: (np.pad(a, 2, "wrap"), np.pad(a, 11, "wrap")), [(3, 4)])],
    "sliding_window_view": [(lambda a: swv(a, 3), [(7,)]), (lambda a: swv(a, (2, 3)), [(4, 5)]),
                            (lambda a: swv(a, 2, axis=0), [(4, 5)]),
                            (lambda a: swv(a, (2, 2), axis=(1, 0)), [(4, 5)])],
    "rot90": [(lambda a: (np.rot90(a), np.rot90(a, 2), np.rot90(a, 3), np.rot90(a, -1, (1, 0))),
               [(3, 4), (2, 3, 4)])],
    "convolve": [(lambda a: tuple(np.convolve(a, a[:k], m) for k in (1, 2, 3) for m in MODES), [(7,), (3,)]),
                 (lambda a: tuple(np.convolve(a[:2], a, m) for m in MODES), [(6,)])],
    "correlate": [(lambda a: tuple(np.correlate(a, a[:k], m) for k in (1, 2, 4) for m in MODES),
                   [(7,), (4,)]),
                  (lambda a: tuple(np.correlate(a[:3], a, m) for m in MODES), [(6,)])],
    "meshgrid": [(lambda a: np.meshgrid(a, a[:2]), [(4,)]),
                 (lambda a: np.meshgrid(a, a[:2], a[1:], indexing="ij"), [(4,)]),
                 (lambda a: np.meshgrid(a, a[:3], sparse=True), [(4,)])],
    "block": [(lambda a: np.block([[a, a], [a, a]]), [(2, 3)]), (lambda a: np.block([a, a[:1]]), [(3,)])],
    "dsplit": [(lambda a: tuple(np.dsplit(a, 2)), [(2, 3, 4)])],
    "diagflat": [(lambda a: (np.diagflat(a), np.diagflat(a, -1)), [(2, 2), (3,)])],
}
DTYPES = ["float32", "float64", "int32", "uint8", "bool"]


def test_every_function_has_cases():
    assert sorted(CASES) == sorted(_windows.__all__)


def _params():
    for name, cases in CASES.items():
        for i, (fn, shapes) in enumerate(cases):
            for dt in DTYPES:
                if name in ("convolve", "correlate") and dt == "bool":
                    continue
                yield pytest.param(fn, shapes, dt, id=f"{name}-{i}-{dt}")


@pytest.mark.parametrize("fn,shapes,dt", list(_params()))
def test_matches_numpy(fn, shapes, dt):
    rng = np.random.default_rng(7)
    for shape in shapes:
        check(fn, make_input(rng, shape, dt, edges=False, low=-5, high=9), err=f"shape {shape}")


def test_convolution_gradient_is_the_exact_adjoint():
    rng = np.random.default_rng(8)
    x, k = rng.standard_normal(9), rng.standard_normal(3)
    c = rng.standard_normal(np.convolve(x, k, "same").shape)
    loss = lambda x_, k_: np.sum(np.convolve(x_, k_, "same") * c)
    gx, gk = xl.jit(xl.grad(loss, argnums=(0, 1)))(x, k)
    for g, i, v in ((gx, 0, x), (gk, 1, k)):
        expected = np.empty_like(v)
        args = [x, k]
        args[i] = np.zeros_like(v)
        base = loss(*args)
        for j in range(v.size):
            args[i] = np.eye(v.size)[j]
            expected[j] = loss(*args) - base
        np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn,a", [(lambda a: np.pad(a, 2, "reflect"), np.ones(0)),
                                  (lambda a: np.pad(a, -1), np.ones(4)), (lambda a: swv(a, 9), np.ones(4)),
                                  (lambda a: np.convolve(a, a[:0]), np.ones(4))])
def test_errors_are_numpys(fn, a):
    with pytest.raises(ValueError):
        fn(a)
    with pytest.raises(ValueError):
        xl.jit(fn)(a)

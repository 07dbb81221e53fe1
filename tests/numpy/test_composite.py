"""Every function of ``xlaish.numpy._composite`` against NumPy, through ``np.<name>`` in user code.

The case table is keyed by the module's ``__all__`` and a test fails when a name has no case,
so a new function cannot go untested. Each case runs over several dtypes and shapes
(including 0-d and empty where NumPy accepts them) and over non-contiguous layouts of the
same values, comparing dtype, shape and values with NumPy's own result (tolerances from
``tests.helpers.TOLERANCES``). Linear functions are also checked under ``grad`` against the
exact adjoint computed with NumPy.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import ConcretizationError
from xlaish.numpy import _composite

from ..helpers import assert_matches_numpy, layouts, make_input

F = ["float32", "float64"]
NUM = ["float32", "float64", "int32", "uint8"]
ALL = NUM + ["bool", "float16", "int64"]

# name -> list of (label, function of the array, dtypes, shapes)
CASES = {
    "diff": [("n1", lambda a: np.diff(a), ALL, [(7,), (3, 5), (0,), (4, 0)]),
             ("n2 axis0", lambda a: np.diff(a, 2, axis=0), NUM, [(6, 3)]),
             ("prepend/append", lambda a: np.diff(a, prepend=0, append=a[..., :1]), NUM, [(4, 5)])],
    "ediff1d": [("plain", lambda a: np.ediff1d(a), NUM, [(6,), (2, 3), (0,)]),
                ("ends", lambda a: np.ediff1d(a, to_begin=[1, 2], to_end=3), ["float64", "int32"], [(5,)])],
    "tile": [("int", lambda a: np.tile(a, 3), ALL, [(), (4,), (2, 3), (0, 2)]),
             ("tuple", lambda a: np.tile(a, (2, 1, 2)), NUM, [(3,), (2, 3)])],
    "repeat": [("flat", lambda a: np.repeat(a, 2), ALL, [(), (4,), (2, 3)]),
               ("axis", lambda a: np.repeat(a, 3, axis=-1), NUM, [(2, 3), (2, 0)])],
    "diagonal": [("k", lambda a: (np.diagonal(a), np.diagonal(a, 1), np.diagonal(a, -2)), ALL,
                  [(4, 4), (3, 5), (5, 2), (0, 3)]),
                 ("3d", lambda a: np.diagonal(a, 0, 2, 0), NUM, [(3, 2, 4)])],
    "diag": [("1d", lambda a: (np.diag(a), np.diag(a, 2), np.diag(a, -1)), ALL, [(4,), (0,)]),
             ("2d", lambda a: np.diag(a, 1), NUM, [(3, 4)])],
    "trace": [("plain", lambda a: (np.trace(a), np.trace(a, -1)), ALL, [(4, 4), (2, 5), (0, 0)]),
              ("3d", lambda a: np.trace(a, axis1=1, axis2=2), NUM, [(2, 3, 3)])],
    "triu": [("k", lambda a: (np.triu(a), np.triu(a, 1), np.triu(a, -2)), ALL, [(4, 4), (3, 5), (2, 3, 4)])],
    "tril": [("k", lambda a: (np.tril(a), np.tril(a, 1), np.tril(a, -1)), ALL, [(4, 4), (5, 3), (0, 2)])],
    "isclose": [("scalar", lambda a: np.isclose(a, a * 1.0000001), F, [(), (5,), (3, 4), (0,)]),
                ("int", lambda a: np.isclose(a, 3), ["int32", "uint8"], [(6,)]),
                ("nan", lambda a: np.isclose(np.sqrt(a - 0.5), a, equal_nan=True), F, [(8,)])],
    "allclose": [("plain", lambda a: np.allclose(a, a + 1e-9), F, [(5,), (2, 3), (0,)])],
    "array_split": [("sections", lambda a: tuple(np.array_split(a, 3)), ALL, [(7,), (5, 2)]),
                    ("indices", lambda a: tuple(np.array_split(a, [1, 3], axis=1)), NUM, [(2, 5)])],
    "split": [("sections", lambda a: tuple(np.split(a, 2, axis=-1)), NUM, [(3, 4)])],
    "hsplit": [("plain", lambda a: tuple(np.hsplit(a, 2)), NUM, [(4,), (3, 4)])],
    "vsplit": [("plain", lambda a: tuple(np.vsplit(a, [1])), NUM, [(3, 4)])],
    "flip": [("axes", lambda a: (np.flip(a), np.flip(a, -1)), ALL, [(5,), (2, 3), (0, 4)])],
    "fliplr": [("plain", lambda a: np.fliplr(a), NUM, [(2, 3)])],
    "flipud": [("plain", lambda a: np.flipud(a), NUM, [(4,), (2, 3)])],
    "roll": [("flat", lambda a: (np.roll(a, 2), np.roll(a, -7)), ALL, [(5,), (2, 3), (0,)]),
             ("axes", lambda a: np.roll(a, (1, -1), axis=(0, 1)), NUM, [(3, 4)])],
    "nansum": [("nan", lambda a: (np.nansum(a), np.nansum(a, axis=0)), ALL, [(4, 3), (0, 2)])],
    "nanprod": [("nan", lambda a: np.nanprod(a, axis=-1), NUM, [(3, 4)])],
    "nanmax": [("nan", lambda a: (np.nanmax(a), np.nanmax(a, axis=1, keepdims=True)), NUM, [(3, 4)])],
    "nanmin": [("nan", lambda a: np.nanmin(a, axis=0), NUM, [(3, 4)])],
    "nanmean": [("nan", lambda a: (np.nanmean(a), np.nanmean(a, axis=1)), NUM, [(3, 5)])],
    "atleast_1d": [("plain", lambda a: np.atleast_1d(a), NUM, [(), (3,), (2, 2)])],
    "atleast_2d": [("plain", lambda a: np.atleast_2d(a), NUM, [(), (3,), (2, 2)])],
    "atleast_3d": [("plain", lambda a: np.atleast_3d(a), NUM, [(), (3,), (2, 2), (1, 2, 3)])],
    "ptp": [("plain", lambda a: (np.ptp(a), np.ptp(a, axis=0)), NUM, [(4, 3)])],
    "average": [("plain", lambda a: np.average(a, axis=0), NUM, [(4, 3)]),
                ("weights", lambda a: np.average(a, axis=1, weights=np.arange(1.0, 4.0)), NUM, [(2, 3)])],
    "append": [("flat", lambda a: np.append(a, a[..., :1]), NUM, [(2, 3)]),
               ("axis", lambda a: np.append(a, a, axis=0), NUM, [(2, 3)])],
    "column_stack": [("plain", lambda a: np.column_stack([a, a * 2]), NUM, [(4,), (4, 2)])],
    "dstack": [("plain", lambda a: np.dstack([a, a]), NUM, [(3,), (2, 3)])],
    "count_nonzero": [("plain", lambda a: (np.count_nonzero(a), np.count_nonzero(a, axis=0)), ALL,
                       [(4, 3), (0, 3)])],
}


def test_every_function_has_cases():
    assert sorted(CASES) == sorted(_composite.__all__)
    import xlaish.numpy as xnp
    for name in _composite.__all__:
        assert getattr(xnp, name) is getattr(_composite, name)


def _params():
    for name, cases in CASES.items():
        for label, fn, dts, shapes in cases:
            for dt in dts:
                yield pytest.param(fn, dt, shapes, id=f"{name}-{label}-{dt}")


def _with_nans(a):
    if a.dtype.kind == "f" and a.size > 2:
        a = a.copy()
        a.flat[1] = np.nan
    return a


def _numpy(fn, a):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # all-NaN slices, sqrt of negatives
        return fn(a)


def _check(fn, a, err):
    expected = _numpy(fn, a)
    got = xl.jit(fn)(a)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), err
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_matches_numpy(g, e, err_msg=f"{err} result {i}")
    else:
        assert_matches_numpy(got, expected, err_msg=err)


@pytest.mark.parametrize("fn,dt,shapes", list(_params()))
def test_matches_numpy(fn, dt, shapes):
    rng = np.random.default_rng(0)
    for shape in shapes:
        a = make_input(rng, shape, dt, low=-4, high=9)
        if fn.__code__.co_names and any(n.startswith("nan") for n in fn.__code__.co_names):
            a = _with_nans(a)
        _check(fn, a, f"shape {shape}")
        if a.ndim >= 1 and a.size:
            jf = xl.jit(fn)
            for lname, view in layouts(a):
                if lname == "contiguous":
                    continue
                expected = _numpy(fn, view)
                got = jf(view)
                pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
                for g, e in pairs:
                    assert_matches_numpy(g, e, err_msg=f"shape {shape}, {lname} layout")


# Linear functions: grad of sum(f(x) * c) is the adjoint applied to c; with float64 inputs the
# finite difference of a linear function is exact, so NumPy computes the expected gradient.
LINEAR = {
    "diff": lambda a: np.diff(a, axis=0),
    "tile": lambda a: np.tile(a, (2, 3)),
    "repeat": lambda a: np.repeat(a, 2, axis=1),
    "diagonal": lambda a: np.diagonal(a, 1),
    "trace": lambda a: np.trace(a),
    "triu": lambda a: np.triu(a, 1),
    "roll": lambda a: np.roll(a, 3),
    "flip": lambda a: np.flip(a),
    "average": lambda a: np.average(a, axis=0, weights=np.arange(1.0, 5.0)),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
def test_grad_of_linear_functions(name):
    fn = LINEAR[name]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    c = rng.standard_normal(np.shape(fn(x)))

    def loss(a):
        return np.sum(fn(a) * c)

    g = xl.jit(xl.grad(loss))(x)
    expected = np.empty_like(x)
    base = loss(np.zeros_like(x))
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        expected.flat[i] = loss(e.reshape(x.shape)) - base
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


def test_traced_shape_argument_is_refused_with_the_line():
    def f(x, n):
        return np.tile(x, n)
    with pytest.raises(ConcretizationError, match="static argument") as info:
        xl.jit(f)(np.ones(3), 2)
    assert "test_composite.py" in str(info.value)
    np.testing.assert_array_equal(xl.jit(f, static_argnums=1)(np.ones(3), 2), np.ones(6))


@pytest.mark.parametrize("fn,exc", [
    (lambda a: np.diff(a[0, 0]), ValueError),
    (lambda a: np.split(a, 3), ValueError),
    (lambda a: np.diagonal(a, 0, 1, 1), ValueError),
])
def test_errors_match_numpy(fn, exc):
    a = np.ones((4, 3))
    with pytest.raises(exc):
        fn(a)
    with pytest.raises(exc):
        xl.jit(fn)(a)

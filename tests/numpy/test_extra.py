"""Ufuncs and small functions of ``xlaish.numpy._extra.__all__`` against NumPy, plus the ufunc
``.outer`` method and the error naming a non-NumPy ufunc's library."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.errors import UnsupportedError
from xlaish.numpy import _extra

from ..helpers import assert_matches_numpy, edge_values, make_input
from ._harness import check

CASES = {
    "heaviside": [lambda a: (np.heaviside(a, 0.5), np.heaviside(a, a))],
    "float_power": [lambda a: (np.float_power(a, 2), np.float_power(np.abs(a), 0.5))],
    "logaddexp2": [lambda a: (np.logaddexp2(a, a[::-1]), np.logaddexp2(a, a), np.logaddexp2(a, 3))],
    "modf": [lambda a: np.modf(a)],
    "divmod": [lambda a: np.divmod(a, a[::-1])],
    "sinc": [lambda a: np.sinc(a)],
    "nan_to_num": [lambda a: (np.nan_to_num(a), np.nan_to_num(a, nan=-1.0, posinf=9.0, neginf=-9.0))],
    "polyval": [lambda a: (np.polyval([1.5, -2.0, 3.0], a), np.polyval(a[:3], a), np.polyval([2, 1], a))],
    "array_equal": [lambda a: (np.array_equal(a, a), np.array_equal(a, a, equal_nan=True),
                               np.array_equal(a, a[::-1]), np.array_equal(a, a[:1]))],
    "nanvar": [lambda a: (np.nanvar(a), np.nanvar(a, ddof=1))],
    "nanstd": [lambda a: (np.nanstd(a), np.nanstd(a, ddof=1))],
    "cov": [lambda a: (np.cov(a.reshape(2, -1)), np.cov(a.reshape(2, -1), rowvar=False, bias=True),
                       np.cov(a[:4], a[4:8]))],
    "corrcoef": [lambda a: (np.corrcoef(a.reshape(2, -1)), np.corrcoef(a[:4], a[4:8]))],
    "frexp": [lambda a: np.frexp(a)],                 # bit-exact tests: tests/ops/test_bit_functions.py
    "spacing": [lambda a: np.spacing(a)],
    "i0": [lambda a: np.i0(np.clip(a, -700, 700))],   # tolerance: I0_RTOL
}
# i0 is NumPy's 30-term Chebyshev recurrence in the input's own float type: float16 and float32
# results differ from NumPy's by the rounding of exp and of each step
I0_RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-13}
DTYPES = ["float16", "float32", "float64", "int32", "uint8", "bool"]
# NumPy itself has no loop (or refuses) for these
NO_LOOP = {("divmod", "bool"), ("float_power", "bool"), ("heaviside", "bool"), ("heaviside", "int32"),
           ("heaviside", "uint8"), ("logaddexp2", "bool"), ("modf", "bool"), ("modf", "int32"),
           ("modf", "uint8"), ("cov", "bool"), ("corrcoef", "bool"), ("nanvar", "bool"), ("nanstd", "bool"),
           ("polyval", "bool")}


def test_every_function_has_cases():
    assert sorted(CASES) == sorted(_extra.__all__)


def _params():
    for name, fns in CASES.items():
        for i, fn in enumerate(fns):
            for dt in DTYPES:
                if (name, dt) not in NO_LOOP:
                    yield pytest.param(name, fn, dt, id=f"{name}-{i}-{dt}")


@pytest.mark.parametrize("name,fn,dt", list(_params()))
def test_matches_numpy(name, fn, dt):
    rng = np.random.default_rng(9)
    a = make_input(rng, (16,), dt, edges=False, low=-4, high=5)
    if np.dtype(dt).kind == "f":
        e = edge_values(dt)[:8]                     # NaN, +-inf, +-0, extremes
        a = np.concatenate([a[:8], e, np.zeros(8 - len(e), dt)])[:16]
    if name in ("cov", "corrcoef"):
        a = np.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-2.0)
        a = np.clip(a, -10, 10).astype(dt)
    if name == "i0":
        g = xl.jit(fn)(a)
        e = fn(a)
        assert_matches_numpy(g, e, rtol=I0_RTOL[e.dtype], err_msg=f"np.i0({dt})")
        return
    check(fn, a)


def test_ufunc_outer():
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal(4)
    f = lambda a, b: (np.add.outer(a, b), np.maximum.outer(b, a), np.multiply.outer(a[0], b),
                      np.less.outer(a, b))
    check(f, a, b)


def test_a_scipy_ufunc_is_named_after_scipy():
    special = pytest.importorskip("scipy.special")
    with pytest.raises(UnsupportedError, match=r"scipy\.special\.gammaln"):
        xl.jit(lambda x: special.gammaln(x))(np.ones(3))

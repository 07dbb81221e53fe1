"""``xlaish.numpy._misc.__all__`` against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish.numpy import _misc

from ..helpers import edge_values, make_input
from ._harness import check

CASES = {
    "real": [lambda a: np.real(a)], "imag": [lambda a: np.imag(a)], "conj": [lambda a: np.conj(a)],
    "conjugate": [lambda a: np.conjugate(a)],
    "angle": [lambda a: (np.angle(a), np.angle(a, deg=True))],
    # (NaN payloads from float16 are not kept bit for bit: NaNs are compared in tests/complex)
    "sort_complex": [lambda a: np.sort_complex(np.where(np.isnan(a), 0, a))],
    "iscomplex": [lambda a: np.iscomplex(a)], "isreal": [lambda a: np.isreal(a)],
    "iscomplexobj": [lambda a: a * np.iscomplexobj(a)], "isrealobj": [lambda a: a * np.isrealobj(a)],
    "isscalar": [lambda a: a * np.isscalar(a)],
    "result_type": [lambda a: a.astype(np.result_type(a, 1.5))],
    "can_cast": [lambda a: a * np.can_cast(a, np.float64)],
    "concat": [lambda a: np.concat([a, a], axis=-1)],
    "row_stack": [lambda a: np.row_stack([a, a[:1]])],
    "matrix_transpose": [lambda a: np.matrix_transpose(a)],
    "unstack": [lambda a: np.unstack(a, axis=1)],
    "rollaxis": [lambda a: (np.rollaxis(a, 1), np.rollaxis(a, 0, 2))],
    "fix": [lambda a: np.fix(a)],
    "isposinf": [lambda a: np.isposinf(a)], "isneginf": [lambda a: np.isneginf(a)],
    "array_equiv": [lambda a: (np.array_equiv(a, a[:1]), np.array_equiv(a, a), np.array_equiv(a, a[0]))],
    "isin": [lambda a: (np.isin(a, [0, 1, 2]), np.isin(a, a[:1], invert=True))],
    "select": [lambda a: np.select([a > 1, a < 0], [a, a * 2], 7)],
    "vander": [lambda a: (np.vander(a[0]), np.vander(a[0], 2, increasing=True))],
    "trapezoid": [lambda a: (np.trapezoid(a), np.trapezoid(a, dx=0.5, axis=0), np.trapezoid(a, a[0]))],
    "gradient": [lambda a: np.gradient(a), lambda a: np.gradient(a, 0.5, axis=1)],
    "resize": [lambda a: (np.resize(a, (5, 2)), np.resize(a, 20), np.resize(a, (0,)))],
    "delete": [lambda a: (np.delete(a, 1), np.delete(a, [0, 2], axis=1), np.delete(a, slice(0, 2), 0))],
    "insert": [lambda a: (np.insert(a, 1, 5), np.insert(a, 2, a[:, 0], axis=1), np.insert(a, 0, 7, axis=0))],
    "polyadd": [lambda a: (np.polyadd(a[0], a[1, :2]), np.polyadd(a[0, :1], a[1]))],
    "polysub": [lambda a: np.polysub(a[0], a[1, :2])],
    "polyder": [lambda a: (np.polyder(a[0]), np.polyder(a[0], 2), np.polyder(a[0, :1]))],
}
DTYPES = ["float16", "float32", "float64", "int32", "uint8", "bool"]
NUMPY_REFUSES = {  # NumPy has no loop for these inputs
    ("fix", "bool"), ("isposinf", "bool"), ("isneginf", "bool"), ("trapezoid", "bool"),
    ("gradient", "bool"), ("polysub", "bool"), ("polyder", "bool"),
    ("polyadd", "bool"), ("select", "bool"), ("isposinf", "int32"), ("isneginf", "int32"),
    ("isposinf", "uint8"), ("isneginf", "uint8"), ("fix", "int32"), ("fix", "uint8"), ("angle", "bool"),
}


def test_every_function_has_cases():
    assert sorted(CASES) == sorted(_misc.__all__)


def _params():
    for name, fns in CASES.items():
        for i, fn in enumerate(fns):
            for dt in DTYPES:
                if (name, dt) not in NUMPY_REFUSES:
                    yield pytest.param(fn, dt, id=f"{name}-{i}-{dt}")


@pytest.mark.parametrize("fn,dt", list(_params()))
@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
def test_matches_numpy(fn, dt):
    rng = np.random.default_rng(11)
    a = make_input(rng, (3, 4), dt, edges=False, low=-3, high=4)
    if np.dtype(dt).kind == "f":
        e = edge_values(dt)
        a.flat[:min(4, e.size)] = e[-4:]
    check(fn, a)

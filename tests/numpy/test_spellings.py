"""NumPy's other spellings of supported functions (aliases, array-API names) against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from ..helpers import make_input
from ._harness import check

CASES = [
    lambda a: (np.absolute(a), np.fabs(a)),
    lambda a: (np.amax(a), np.amin(a, axis=0)),
    lambda a: (np.degrees(a), np.radians(a)),
    lambda a: np.identity(3, dtype=a.dtype) * a[:3, :3],
    lambda a: a.astype(np.float32) * np.size(a) + np.size(a, 1),
    lambda a: np.vecdot(a, a),
]


@pytest.mark.parametrize("dt", ["float32", "float64", "int32", "int8"])
@pytest.mark.parametrize("i", range(len(CASES)))
def test_matches_numpy(i, dt):
    a = make_input(np.random.default_rng(12), (3, 4), dt, edges=False, low=-3, high=4)
    check(CASES[i], a)

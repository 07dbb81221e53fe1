"""np.random inside a traced function is refused (its numbers would be frozen into the program),
a seeded generator made inside the function works (NumPy's numbers are fixed there too), and
compiled NumPy code that looks np.empty up itself gets ndarrays, not tracers."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl


@pytest.mark.parametrize("draw", [
    lambda x: np.random.uniform(size=x.shape),
    lambda x: np.random.rand(*x.shape),
    lambda x: np.random.default_rng().random(x.shape),
])
def test_global_or_unseeded_random_is_refused_with_the_line(draw):
    def dropout(x):
        return x * (draw(x) < 0.5)
    with pytest.raises(xl.UnsupportedError, match=r"frozen into the compiled program.*test_random_guard"):
        xl.jit(dropout)(np.ones(4))
    assert np.random.uniform(size=3).shape == (3,)         # NumPy's own again after the trace


def test_seeded_generator_inside_the_function_matches_numpy():
    """default_rng(seed) gives the same numbers on every call in NumPy too; its Cython code calls
    np.empty itself and must get an ndarray (it used to get a tracer: TypeError or a crash)."""
    def f(x):
        rng = np.random.default_rng(7)
        return x + rng.random(x.shape) + rng.standard_normal(x.shape)
    x = np.arange(5.0)
    np.testing.assert_array_equal(xl.jit(f)(x), f(x))

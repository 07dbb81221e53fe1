"""Map kernels calling sin/cos/tan run range-checked chunks (MapKernel._range_checked):
the short-range variant first, the full one again for a chunk holding a far argument.
Checked against NumPy with far arguments at chunk edges, in broadcast and strided
operands, and for the guarantee that an element's result does not depend on its chunk."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
import xlaish.numpy as xnp
from tests.helpers import assert_matches_numpy
from xlaish.codegen.cpu import vecmath

FLOATS = [np.float16, np.float32, np.float64]
FAR = {np.float16: [60000.0, -65504.0], np.float32: [3e9, -1e20, 2.0**17, 3.4e38],
       np.float64: [1e20, -2.0**32, 5e300, 2.0**17]}


def _with_far(rng, n, dt, positions):
    x = (rng.standard_normal(n) * 20).astype(dt)
    far = FAR[dt]
    for k, i in enumerate(positions):
        if 0 <= i < n:
            x[i] = far[k % len(far)]
    return x


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(vecmath.SHORT_RANGE))
@pytest.mark.parametrize("n,positions", [(0, []), (1, [0]), (1023, [1022]), (1024, [0, 1023]),
                                         (1025, [1024]), (5000, [0, 2047, 2048, 4999]), (3000, [])])
def test_unary_matches_numpy_with_far_arguments(rng, dt, name, n, positions):
    x = _with_far(rng, n, dt, positions)
    f = getattr(xnp, name)
    with np.errstate(all="ignore"):
        assert_matches_numpy(xl.jit(f)(x), getattr(np, name)(x))
        assert_matches_numpy(xl.jit(f)(x[::-3]), getattr(np, name)(x[::-3]))


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_fused_broadcast_program_with_far_arguments(rng, dt):
    """A 2-D fused kernel (outer rows chunked) where one column scales a row far out."""
    a = (rng.standard_normal((700, 9)) * 5).astype(dt)
    w = (rng.standard_normal(9)).astype(dt)
    a[350, 4] = dt(1e12)

    def prog(a, w):       # two outputs of one kernel (a sum would cancel)
        return np.sin(a * w), np.cos(a - w) * np.tan(w)

    with np.errstate(all="ignore"):
        for args in [(a, w), (np.asfortranarray(a), w[::-1])]:
            for got, exp in zip(xl.jit(prog)(*args), prog(*args)):
                assert_matches_numpy(got, exp)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(vecmath.SHORT_RANGE))
def test_result_does_not_depend_on_neighbours(rng, dt, name):
    x = (rng.standard_normal(4096) * 100).astype(dt)
    far = x.copy()
    far[::700] = dt(1e15)                   # every chunk but a few recomputed in full
    f = xl.jit(getattr(xnp, name))
    near_only, mixed = f(x), f(far)
    keep = np.ones(x.size, bool)
    keep[::700] = False
    np.testing.assert_array_equal(near_only[keep], mixed[keep])


def test_reduction_over_trig_uses_full_range(rng):
    x = _with_far(rng, 3000, np.float64, [5, 2999])
    assert_matches_numpy(xl.jit(lambda x: np.sin(x).sum())(x), np.sin(x).sum())

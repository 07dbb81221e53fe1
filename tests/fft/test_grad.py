"""Gradients of the fft op (pairs) against central differences (``xlaish.test_util.check_grads``):
c2c both directions, r2c and c2r with even and odd lengths (their half-spectrum weights), padding
and truncation, multi-axis transforms, and a second derivative through the transform."""
from __future__ import annotations

import numpy as np
import pytest

from xlaish.numpy import fft as xf
from xlaish.test_util import check_grads


@pytest.mark.parametrize("n", [6, 7])
def test_c2c_r2c_c2r(n, rng):
    p = rng.standard_normal((3, n, 2))
    x = rng.standard_normal((3, n))

    def f(p, x):
        return (xf.pairs_fft(p, norm="ortho"), xf.pairs_fft(p, n=n + 2, axis=0, inverse=True),
                xf.pairs_rfft(x, axis=1), xf.pairs_rfft(x, n=n - 1, norm="forward"),
                xf.pairs_irfft(p, n=n, axis=1), xf.pairs_irfft(p, n=2 * n - 1, axis=1))
    check_grads(f, (p, x))


def test_multi_axis_and_second_order(rng):
    p = rng.standard_normal((4, 5, 2))
    x = rng.standard_normal((4, 6))
    check_grads(lambda p, x: (xf.pairs_fftn(p), xf.pairs_rfftn(x), xf.pairs_irfftn(p, s=(4, 8))), (p, x))
    check_grads(lambda x: np.sum(np.sin(xf.pairs_rfft(x * x))), (x,), order=2)

"""The ``fft`` op on the CUDA path (simulator in CI): c2c both ways, r2c, c2r, other axes and
fused producers, against NumPy's pocketfft (pairs: complex arrays seen as float (re, im))."""
from __future__ import annotations

import numpy as np

from tests.fft._util import assert_close, crandn, pairs, unpairs
from xlaish.numpy import fft as xf


def test_fft_kinds(cuda_jit, rng):
    z = crandn(rng, (3, 6), np.float32)
    x = rng.standard_normal((3, 7))

    def f(p, x):
        return (xf.pairs_fft(p * 2.0), xf.pairs_fft(p, axis=0, inverse=True, norm="ortho"),
                xf.pairs_rfft(x), xf.pairs_irfft(p, n=9), xf.pairs_fft(p, n=5))
    got = cuda_jit(f)(pairs(z), x)
    assert_close(unpairs(got[0]), np.fft.fft(2 * z), np.float32)
    assert_close(unpairs(got[1]), np.fft.ifft(z, axis=0, norm="ortho"), np.float32)
    assert_close(unpairs(got[2]), np.fft.rfft(x), np.float64)
    assert_close(got[3], np.fft.irfft(z, n=9), np.float32)
    assert_close(unpairs(got[4]), np.fft.fft(z, n=5), np.float32)

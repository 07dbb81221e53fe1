"""``np.fft.fftfreq``/``rfftfreq``/``fftshift``/``ifftshift`` inside jit (no complex dtype needed),
called as NumPy's functions in user code (routed to ``xlaish.numpy.fft``) and as ours."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_matches_numpy
from xlaish.numpy import fft as xf


@pytest.mark.parametrize("n", [1, 2, 7, 8])
def test_freqs(jit, n):
    def f(d):
        return (np.fft.fftfreq(n), np.fft.rfftfreq(n, 0.25), xf.fftfreq(n, d), xf.rfftfreq(n, d))
    got = jit(f)(np.float64(0.1))
    want = (np.fft.fftfreq(n), np.fft.rfftfreq(n, 0.25), np.fft.fftfreq(n, 0.1), np.fft.rfftfreq(n, 0.1))
    for g, w in zip(got, want):
        assert_matches_numpy(g, w, w.dtype)


@pytest.mark.parametrize("axes", [None, 0, 1, (0, 1), (-1,)])
def test_shifts(jit, axes, rng):
    x = rng.standard_normal((5, 6)).astype(np.float32)
    f = lambda x: (np.fft.fftshift(x, axes), np.fft.ifftshift(x * 2, axes),      # noqa: E731
                   np.fft.ifftshift(np.fft.fftshift(x, axes), axes))
    for g, w in zip(jit(f)(x), f(x)):
        assert_matches_numpy(g, w, np.float32)


def test_shift_of_transform_output(jit, rng):
    """fftshift of a pairs transform along the frequency axis (the common use), vs NumPy."""
    x = rng.standard_normal((3, 9))
    got = jit(lambda x: np.fft.fftshift(xf.pairs_rfft(x, n=16), axes=1))(x)
    z = np.fft.fftshift(np.fft.rfft(x, n=16), axes=1)
    np.testing.assert_allclose(got[..., 0] + 1j * got[..., 1], z, rtol=1e-12, atol=1e-12)

"""``np.fft.*`` called in user code inside jit, against NumPy: complex and real inputs, and
``irfft``/``irfftn`` of real input (NumPy reads it as complex with zero imaginary parts)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl

from ._util import assert_close, crandn


def test_irfft_of_real_input_routes_through_np_fft(jit, rng):
    x = rng.standard_normal((4, 5))
    f = lambda x: (np.fft.irfft(x), np.fft.irfft(x, n=7, axis=0, norm="ortho"),   # noqa: E731
                   np.fft.irfftn(x.astype(np.float32)), np.fft.irfft2(x, s=(4, 6)))
    for g, w in zip(jit(f)(x), f(x)):
        assert_close(g, w, w.dtype)


def test_unsupported_spellings_say_so():
    from xlaish.errors import UnsupportedError
    x = np.ones(4)
    with pytest.raises(UnsupportedError, match="out="):
        xl.jit(lambda x: np.fft.irfft(x, out=np.empty(6)))(x)
    with pytest.raises(UnsupportedError, match="hfft"):
        xl.jit(lambda x: np.fft.hfft(x))(x)


CASES = [
    lambda z, x: np.fft.fft(z),
    lambda z, x: np.fft.ifft(z, n=11, axis=0, norm="ortho"),
    lambda z, x: np.fft.fft(x, n=5, norm="forward"),          # real input: complex result
    lambda z, x: np.fft.rfft(x, axis=0),
    lambda z, x: np.fft.irfft(z, n=9),
    lambda z, x: np.fft.fft2(z),
    lambda z, x: np.fft.ifft2(z, s=(3, 4)),
    lambda z, x: np.fft.rfft2(x),
    lambda z, x: np.fft.irfft2(z),
    lambda z, x: np.fft.fftn(z, axes=(1,)),
    lambda z, x: np.fft.ifftn(z, norm="forward"),
    lambda z, x: np.fft.rfftn(x, s=(6, 8), axes=(0, 1)),
    lambda z, x: np.fft.irfftn(z, s=(6, 8), axes=(0, 1)),
    lambda z, x: np.fft.fftshift(np.fft.fft(z), axes=1),
    lambda z, x: np.fft.ifftshift(z),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_complex_functions(jit, dtype, rng):
    z = crandn(rng, (6, 7), dtype)
    x = rng.standard_normal((6, 7)).astype(dtype)
    f = lambda z, x: tuple(c(z, x) for c in CASES)      # noqa: E731
    for g, w in zip(jit(f)(z, x), f(z, x)):
        assert_close(g, w, dtype)


def test_gradient_through_complex_transform(rng):
    from xlaish.test_util import check_grads
    x = rng.standard_normal((8,))
    w = rng.standard_normal((8,))
    check_grads(lambda x: np.sum(np.real(np.fft.fft(x)) * w + np.imag(np.fft.ifft(x * x)), axis=0), (x,))


def test_rfft_of_complex_is_refused(rng):
    z = crandn(rng, (4,), np.float64)
    with pytest.raises(TypeError, match="needs a real array"):
        xl.jit(lambda z: np.fft.rfft(z))(z)

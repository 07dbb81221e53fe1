"""An exported library (``xlaish.aot``) with fft kernels gives what ``jit`` gives."""
from __future__ import annotations

import numpy as np

import xlaish as xl
from xlaish.numpy import fft as xf


def test_export_and_load(tmp_path, rng):
    def f(p, x):
        return xf.pairs_fft(p, norm="ortho"), xf.pairs_irfft(xf.pairs_rfft(x), n=x.shape[-1])
    p = rng.standard_normal((3, 12, 2))
    x = rng.standard_normal((4, 7)).astype(np.float32)
    paths = xl.aot.export(f, (p, x), out_dir=str(tmp_path), name="fftk")
    got = xl.aot.load(paths.library)(p, x)
    for g, w in zip(got, xl.jit(f)(p, x)):
        np.testing.assert_array_equal(g, w)

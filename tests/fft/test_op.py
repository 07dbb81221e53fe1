"""The ``fft`` op on (re, im) pair arrays, through ``xlaish.numpy.fft``'s pair-level functions,
against NumPy's pocketfft (complex arrays converted to pairs with ``.view``): every length
1..24 and a spread of larger ones (powers of 2, 3, 5 products, primes: Bluestein), float32 and
float64, c2c both directions, r2c, c2r, every ``norm=``, ``n=`` padding and truncation, other
axes, non-contiguous inputs and fused producers. The bound asserted is the kernel's ``REL_ERROR``:
max |ours - numpy| <= 2e-6 (float32) or 5e-15 (float64) times max |numpy| (measured maxima over
616 lengths up to 2^20: 3.5e-7 and 1.7e-15, see ``tests/fft/accuracy_sweep.py``)."""
from __future__ import annotations

import numpy as np
import pytest

import xlaish as xl
from xlaish.numpy import fft as xf

from ._util import assert_close, crandn, pairs, unpairs

FLOATS = [np.float32, np.float64]
SMALL = list(range(1, 25))
LARGE = [97, 128, 243, 360, 625, 1024, 4099]
REAL = [1, 2, 3, 4, 5, 7, 8, 12, 17, 30, 64, 97, 100]


def _batched(fn):
    """One jit of fn over a tuple of arrays (one compile for many lengths)."""
    return xl.jit(lambda xs: tuple(fn(x) for x in xs))


@pytest.mark.parametrize("dtype, inverse", [(np.float64, False), (np.float32, True)])
@pytest.mark.parametrize("sizes", [SMALL, LARGE], ids=["1-24", "large"])
def test_c2c_every_length(dtype, inverse, sizes, rng):
    """Forward in float64, inverse in float32 (each length compiles once per case)."""
    zs = [crandn(rng, (2, n), dtype) for n in sizes]
    got = _batched(lambda p: xf.pairs_fft(p, inverse=inverse))(tuple(pairs(z) for z in zs))
    for z, g in zip(zs, got):
        assert_close(unpairs(g), np.fft.ifft(z) if inverse else np.fft.fft(z), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sizes", [REAL])
def test_real_transforms(dtype, sizes, rng):
    xs = [rng.standard_normal((3, n)).astype(dtype) for n in sizes]
    got = _batched(lambda x: xf.pairs_rfft(x))(tuple(xs))
    for x, g in zip(xs, got):
        assert_close(unpairs(g), np.fft.rfft(x), dtype)
    hs = [crandn(rng, (3, n // 2 + 1), dtype) for n in sizes]
    odd = _batched(lambda p: xf.pairs_irfft(p, n=2 * (p.shape[-2] - 1) + 1))(tuple(pairs(h) for h in hs))
    for h, g in zip(hs, odd):
        assert_close(g, np.fft.irfft(h, n=2 * (h.shape[-1] - 1) + 1), dtype)
    even = [h for h in hs if h.shape[-1] > 1]
    got = _batched(lambda p: xf.pairs_irfft(p))(tuple(pairs(h) for h in even))
    for h, g in zip(even, got):
        assert_close(g, np.fft.irfft(h), dtype)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_norm_n_and_axis(jit, norm, rng):
    z = crandn(rng, (5, 12, 3), np.float64)
    x = rng.standard_normal((5, 12, 3))

    def f(p, x):
        return (xf.pairs_fft(p, n=16, axis=1, norm=norm),
                xf.pairs_fft(p, n=7, axis=0, norm=norm, inverse=True),
                xf.pairs_rfft(x, n=9, axis=1, norm=norm), xf.pairs_irfft(p, n=10, axis=0, norm=norm),
                xf.pairs_fft(p, axis=-1, norm=norm))
    got = jit(f)(pairs(z), x)
    want = (np.fft.fft(z, 16, 1, norm), np.fft.ifft(z, 7, 0, norm), np.fft.rfft(x, 9, 1, norm),
            np.fft.irfft(z, 10, 0, norm), np.fft.fft(z, None, -1, norm))
    for g, w in zip(got, want):
        assert_close(unpairs(g) if g.dtype != w.dtype else g, w, np.float64)


def test_multi_axis(jit, rng):
    z = crandn(rng, (4, 6, 5), np.float32)
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)

    def f(p, x):
        return (xf.pairs_fftn(p), xf.pairs_fftn(p, s=(8, 3), axes=(0, 2), inverse=True, norm="ortho"),
                xf.pairs_rfftn(x, axes=(1, 2)), xf.pairs_irfftn(p, s=(4, 6, 8), axes=(0, 1, 2)))
    got = jit(f)(pairs(z), x)
    want = (np.fft.fftn(z), np.fft.ifftn(z, s=(8, 3), axes=(0, 2), norm="ortho"),
            np.fft.rfftn(x, axes=(1, 2)), np.fft.irfftn(z, s=(4, 6, 8), axes=(0, 1, 2)))
    for g, w in zip(got, want):
        assert_close(unpairs(g) if g.dtype != w.dtype else g, w, np.float32)


def test_views_and_fused_producers(jit, rng):
    z = crandn(rng, (6, 10), np.float64)
    p = pairs(z)
    pt = np.ascontiguousarray(pairs(z.T))

    def f(p, pt):
        return (xf.pairs_fft(p * 2.0 + 1.0), xf.pairs_fft(np.transpose(pt, (1, 0, 2))[::2], axis=1),
                xf.pairs_rfft(np.sin(p[..., 0])))
    got = jit(f)(p, pt)
    want = (np.fft.fft(2 * z + (1 + 1j)), np.fft.fft(z[::2], axis=1), np.fft.rfft(np.sin(z.real)))
    for g, w in zip(got, want):
        assert_close(unpairs(g), w, np.float64)


def test_integer_input_and_empty_batch(jit):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    got = jit(lambda x: (xf.pairs_rfft(x), xf.pairs_fft(xf.real_pairs(x), axis=0)))(x)
    assert_close(unpairs(got[0]), np.fft.rfft(x), np.float64)
    assert_close(unpairs(got[1]), np.fft.fft(x, axis=0), np.float64)
    e = np.zeros((0, 8))
    got = jit(lambda e: xf.pairs_rfft(e))(e)
    assert got.shape == (0, 5, 2)


def test_large_power_of_two(rng):
    z = crandn(rng, (1 << 18,), np.float32)
    got = xl.jit(lambda p: xf.pairs_fft(p))(pairs(z))
    assert_close(unpairs(got), np.fft.fft(z), np.float32)


@pytest.mark.parametrize("call, err, msg", [
    (lambda p: xf.pairs_fft(p, n=0), ValueError, "Invalid number of FFT data points"),
    (lambda p: xf.pairs_fft(p, norm="bad"), ValueError, "Invalid norm value"),
    (lambda p: xf.pairs_fft(p, axis=3), np.exceptions.AxisError, "axis"),
    (lambda p: xf.pairs_irfft(p[:1]), ValueError, "Invalid number of FFT data points"),
])
def test_errors_name_the_problem(call, err, msg):
    with pytest.raises(err, match=msg) as info:
        xl.jit(call)(np.zeros((4, 2)))
    assert "test_op.py" in str(info.value)


def test_op_rules_refuse_misuse():
    from xlaish.errors import IRError
    from xlaish.ir.opdef import all_ops
    from xlaish.ir.types import TensorType
    od = all_ops()["fft"]
    good = {"kind": "c2c", "axis": 0, "n": 4, "inverse": False, "scale": 1.0}
    assert od.infer([TensorType((4, 2), np.float32)], good)[0].shape == (4, 2)
    for t, attrs in [((4, 3), good), ((4, 2), {**good, "n": 5}), ((4, 2), {**good, "axis": 1}),
                     ((4, 2), {**good, "kind": "x"})]:
        with pytest.raises(IRError):
            od.infer([TensorType(t, np.float32)], attrs)
    with pytest.raises(IRError, match="float32 or float64"):
        od.infer([TensorType((4, 2), np.int32)], good)


def test_many_rows_run_in_parallel_chunks(rng):
    """Enough rows and work for the kernel to split into chunks over threads (each chunk with its
    own buffers and tables), a Bluestein length among them."""
    z = crandn(rng, (300, 256), np.float32)
    x = rng.standard_normal((200, 97))
    got = xl.jit(lambda p, x: (xf.pairs_fft(p), xf.pairs_rfft(x)))(pairs(z), x)
    assert_close(unpairs(got[0]), np.fft.fft(z), np.float32)
    assert_close(unpairs(got[1]), np.fft.rfft(x), np.float64)

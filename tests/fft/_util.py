"""Helpers of the fft tests: complex <-> (re, im) pairs in NumPy, and the accuracy check."""
from __future__ import annotations

import numpy as np

from xlaish.codegen.cpu.fft_kernel import REL_ERROR

CDT = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def pairs(z):
    """A complex NumPy array as float pairs (..., 2): the memory of the complex array."""
    z = np.ascontiguousarray(z)
    return z.view(z.real.dtype).reshape(z.shape + (2,))


def unpairs(p):
    p = np.ascontiguousarray(p)
    return p.view(CDT[p.dtype])[..., 0]


def crandn(rng, shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(CDT[np.dtype(dtype)])


def rel_error(got, ref) -> float:
    """max |got - ref| / max |ref| (0 for an all-zero ref matched exactly)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    scale = np.abs(ref).max() if ref.size else 0.0
    err = np.abs(got.astype(np.complex128) - ref.astype(np.complex128)).max() if ref.size else 0.0
    return float(err / scale) if scale else float(err)


def assert_close(got, ref, dtype):
    """Within the stated bound of the fft kernel (relative to the largest magnitude)."""
    assert np.asarray(got).dtype == np.asarray(ref).dtype, (np.asarray(got).dtype, np.asarray(ref).dtype)
    e = rel_error(got, ref)
    assert e <= REL_ERROR[np.dtype(dtype)], f"relative error {e:.3g} > {REL_ERROR[np.dtype(dtype)]:.3g}"

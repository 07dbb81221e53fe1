"""``fft``: one discrete Fourier transform along one axis, on real arrays of (re, im) pairs.

Complex values are carried as a trailing axis of 2 real numbers, ``(..., 2)`` = (re, im): exactly
the memory of a complex array, so the op needs no complex dtype (the NumPy layer turns complex
arrays into pairs and back). attrs:

``kind``     ``"c2c"``: pairs ``(..., n, ..., 2)`` -> pairs of the same shape;
             ``"r2c"``: reals ``(..., n, ...)`` -> pairs ``(..., n//2+1, ..., 2)`` (the first half of
             the spectrum of a real sequence, ``np.fft.rfft``);
             ``"c2r"``: pairs ``(..., n//2+1, ..., 2)`` -> reals ``(..., n, ...)`` (the real
             sequence of a Hermitian spectrum, ``np.fft.irfft``: the imaginary parts of the zero
             and, for even ``n``, Nyquist terms are ignored, as NumPy does).
``axis``     the transformed axis (of the operand, never the pair axis);
``n``        the transform length (for ``c2c`` and ``r2c`` the operand's axis is ``n`` long; for
             ``c2r`` it is ``n//2+1`` long: the NumPy layer pads or truncates first);
``inverse``  sign of the exponent: ``False`` sums ``x[t] * exp(-2j*pi*k*t/n)``, ``True`` the
             conjugate kernel ``exp(+2j*pi*k*t/n)``; no ``1/n`` either way;
``scale``    a real factor applied to every result (``norm=`` is ``scale`` 1, ``1/n`` or
             ``1/sqrt(n)``).

The dtype is the operand's (float32 or float64; float32 is computed in float32 as NumPy's
pocketfft does). The ``fft`` trait marks it for the kernel analysis (:mod:`xlaish.ir.kernel`): an
fft kernel evaluates its elementwise producers into a row buffer, transforms each row (rows in
parallel) and writes the result; consumers are separate kernels.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import PURE, OpDef, register

FFT = "fft"             # trait: a transform along attrs axis (an fft kernel)
KINDS = ("c2c", "r2c", "c2r")


def row_lengths(kind: str, n: int) -> tuple[int, int]:
    """(operand axis length, result axis length) of a transform of length n."""
    half = n // 2 + 1
    return {"c2c": (n, n), "r2c": (n, half), "c2r": (half, n)}[kind]


def _shape(shapes, attrs):
    (shape,) = shapes
    kind, axis, n = attrs["kind"], attrs["axis"], attrs["n"]
    if kind not in KINDS:
        raise IRError(f"fft: kind must be one of {KINDS}, got {kind!r}")
    if not isinstance(n, int) or n < 1:
        raise IRError(f"fft: transform length n must be a positive int, got {n!r}")
    pairs_in = kind != "r2c"
    nd = len(shape) - (1 if pairs_in else 0)
    if pairs_in and (not shape or shape[-1] != 2):
        raise IRError(f"fft: a {kind} operand holds (re, im) pairs on a last axis of 2, got shape {shape}")
    if not 0 <= axis < nd:
        raise IRError(f"fft: bad axis {axis} for shape {shape}")
    n_in, n_out = row_lengths(kind, n)
    if shape[axis] != n_in:
        raise IRError(f"fft: a {kind} transform of length {n} needs an axis of {n_in}, got shape {shape}")
    core = list(shape[:nd])
    core[axis] = n_out
    return tuple(core) + ((2,) if kind != "c2r" else ())


def _dtype(dts, attrs):
    (dt,) = dts
    if np.dtype(dt) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise IRError(f"fft: operand dtype must be float32 or float64, got {dt}")
    return dt


def _reference(x, kind, axis, n, inverse, scale):
    """NumPy's pocketfft, unnormalised, times scale."""
    cdt = np.complex64 if x.dtype == np.float32 else np.complex128
    if kind == "r2c":
        y = np.fft.rfft(x, axis=axis)
        y = np.conj(y) if inverse else y
    else:
        z = np.ascontiguousarray(x).view(cdt)[..., 0]
        if kind == "c2c":
            y = np.fft.ifft(z, axis=axis, norm="forward") if inverse else np.fft.fft(z, axis=axis)
        else:
            y = np.fft.irfft(z if inverse else np.conj(z), n=n, axis=axis, norm="forward")
    y = y * scale
    if kind == "c2r":
        return np.asarray(y, dtype=x.dtype)
    y = np.ascontiguousarray(np.asarray(y, dtype=cdt))
    return y.view(x.dtype).reshape(y.shape + (2,))


register(OpDef(name="fft", arity=1, dtype_rule=_dtype, shape_rule=_shape, reference=_reference,
               traits=frozenset({PURE, FFT}), differentiable=True,
               doc="a DFT along attrs axis of (re, im) pairs: c2c, r2c (rfft) or c2r (irfft)"))

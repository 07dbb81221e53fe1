"""Complex arrays as real ones: the traced forms of ``real``, ``imag``, ``conj``, ``angle`` and
the pair view other modules build on (``np.fft`` uses :func:`as_pairs` / :func:`from_pairs`).

A complex array of shape ``S`` is, in memory, NumPy's interleaved layout: the float array of
shape ``S + (2,)`` holding (real, imaginary) pairs. :func:`as_pairs` is that view (the IR op
``complex_pairs``, no copy when it reads an argument); :func:`from_pairs` is its inverse (the
IR op ``make_complex`` of the two columns). Both accept tracers and plain arrays. The ops are
defined in :mod:`xlaish.ir.ops.complex`; how complex programs compile is
:mod:`xlaish.passes.complex`.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..ir.opnames import COMPLEX_PAIRS, COMPLEX_PART, MAKE_COMPLEX
from ..trace.bind import any_tracer, emit1, to_value, wrap
from ..trace.tracer import Tracer

__all__ = ["as_pairs", "from_pairs", "make_complex", "real", "imag", "conj", "angle"]


def _complex_of(x):
    """x as a complex Tracer (real floats keep their precision: float32 -> complex64)."""
    if not isinstance(x, Tracer):
        x = wrap(to_value(x))
    if x.dtype.kind != "c":
        target = dtypes.complex_dtype(x.dtype) if x.dtype == dtypes.float32 else dtypes.complex128
        x = x.astype(target)
    return x


def as_pairs(x):
    """Complex array of shape S -> float array of shape S + (2,) (float32 for complex64), the
    (real, imaginary) pairs, exactly NumPy's ``x.view(float).reshape(S + (2,))``."""
    if not any_tracer((x,)):
        a = np.asarray(x)
        if a.dtype.kind != "c":
            a = a.astype(np.complex64 if a.dtype == np.float32 else np.complex128)
        a = np.ascontiguousarray(a)
        return a.view(dtypes.real_dtype(a.dtype)).reshape(a.shape + (2,))
    x = _complex_of(x)
    return wrap(emit1(COMPLEX_PAIRS, [x.value]))


def from_pairs(p):
    """Float array of shape S + (2,) -> the complex array of shape S (complex64 from float32)."""
    if not any_tracer((p,)):
        a = np.asarray(p)
        if a.ndim == 0 or a.shape[-1] != 2:
            raise ValueError(f"from_pairs needs a last axis of length 2, got shape {a.shape}")
        if a.dtype != np.float32:
            a = a.astype(np.float64)
        return np.ascontiguousarray(a).view(dtypes.complex_dtype(a.dtype)).reshape(a.shape[:-1])
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"from_pairs needs a last axis of length 2, got shape {p.shape}")
    return make_complex(p[..., 0], p[..., 1])


def make_complex(re, im):
    """``re + 1j * im`` computed without ``inf * 1j`` NaNs (NumPy's ``complex(re, im)``); the
    result is complex64 when both parts are float32 (or narrower), else complex128."""
    if not any_tracer((re, im)):
        re, im = np.asarray(re), np.asarray(im)
        ft = np.float32 if np.result_type(re, im, np.float16) == np.float32 else np.float64
        from ..ir.ops.complex import make_complex_ref
        return make_complex_ref(re.astype(ft), im.astype(ft))
    dts = [x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype for x in (re, im)]
    ft = dtypes.float32 if np.result_type(*dts, np.float16) == np.float32 else dtypes.float64
    return wrap(emit1(MAKE_COMPLEX, [to_value(re, ft), to_value(im, ft)]))


def _part(x, k):
    return wrap(emit1(COMPLEX_PART, [x.value], {"part": k}))


def real(x):
    """``np.real`` of a complex tracer (a view of its real components)."""
    return _part(x, 0)


def imag(x):
    """``np.imag`` of a complex tracer."""
    return _part(x, 1)


def conj(x):
    """``np.conjugate`` of a complex tracer."""
    return make_complex(real(x), -imag(x))


def angle(x, deg=False):
    """``np.angle`` of a complex tracer: ``arctan2(imag, real)``, in degrees with ``deg``."""
    a = np.arctan2(imag(x), real(x))
    return a * (180 / np.pi) if deg else a

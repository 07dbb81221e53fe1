"""``numpy.fft`` inside ``xlaish.jit`` (``np.fft.fft(x)`` in user code lands here).

Every transform is the ``fft`` op (:mod:`xlaish.ir.ops.fft`) along one axis, on real arrays of
(re, im) pairs: a complex operand is turned into pairs with ``as_pairs`` and the result back
with ``from_pairs`` (:mod:`xlaish.numpy._complex`), a real one gets zero imaginary parts (or goes
straight to the ``r2c`` transform for ``rfft``). ``n=``/``s=`` pad with zeros or truncate the
input first, as NumPy does; ``norm=`` (``"backward"``, ``"ortho"``, ``"forward"``) becomes the
op's ``scale``; the multi-axis transforms (``fft2``, ``fftn``, ``rfftn``, ...) apply the 1-D ones
axis by axis. Dtypes follow NumPy 2: float32/complex64 (and float16) inputs give complex64
(irfft: float32), everything else complex128 (float64); the float32 transforms compute in float32.
Results agree with NumPy's pocketfft to the relative error stated in
:data:`xlaish.codegen.cpu.fft_kernel.REL_ERROR` (error / largest magnitude of the result).

Gradients: the VJP of a transform is the transform in the other direction with the same scale
(``c2c``); ``r2c`` and ``c2r`` weight the interior terms of the half spectrum by 1/2 and 2 as
JAX does (:func:`vjp`). ``fftfreq``/``rfftfreq`` take a static ``n`` (``d`` may be traced);
``fftshift``/``ifftshift`` are rolls. ``hfft``/``ihfft`` and ``out=`` are not implemented.

The ``_pairs_*`` functions hold all the logic on pair arrays, so they are tested without
complex dtypes.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from ..ir.opnames import FFT
from ..ir.ops.fft import _reference as _fft_reference
from ..trace import context
from ..trace.bind import any_tracer, emit1, unsupported, wrap
from ..trace.tracer import Tracer, static_value
from ._axes import normalize_axes
from ._complex import as_pairs, from_pairs
from ._composite import _asarr, roll
from ._creation import zeros
from ._shape import concatenate, stack

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
           "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")


# the op and its VJP ----------------------------------------------------------------------------
def fft_op(x, kind, axis, n, inverse, scale):
    """The ``fft`` op on a real array (pairs for c2c/c2r); outside a trace, its NumPy reference."""
    attrs = {"kind": kind, "axis": int(axis), "n": int(n), "inverse": bool(inverse), "scale": float(scale)}
    if not isinstance(x, Tracer):
        return _fft_reference(np.asarray(x), **attrs)
    return wrap(emit1(FFT, [x.value], attrs))


def _weights(n, m, axis, ndim, dtype, edge, mid):
    """A constant of shape broadcasting along ``axis`` (of an ndim array): ``edge`` at k=0 and,
    for even n, at k=n/2; ``mid`` elsewhere."""
    w = np.full(m, mid, dtype=dtype)
    w[0] = edge
    if n % 2 == 0:
        w[n // 2] = edge
    return w.reshape((m,) + (1,) * (ndim - axis - 1))


def vjp(gs, op, ins, outs):
    """The reverse-mode rule of ``fft`` (pairs: the cotangent of re + i*im is g_re + i*g_im)."""
    g = gs[0]
    if g is None:
        return [None]
    a = op.attrs
    kind, axis, n, inv, scale = a["kind"], a["axis"], a["n"], a["inverse"], a["scale"]
    if kind == "c2c":
        return [fft_op(g, "c2c", axis, n, not inv, scale)]
    m = n // 2 + 1
    if kind == "r2c":      # x_t = Re sum_k conj(d y_k / d x_t) g_k over the half spectrum
        gw = g * _weights(n, m, axis, g.ndim, g.dtype, 1.0, 0.5)
        return [fft_op(gw, "c2r", axis, n, not inv, scale)]
    r = fft_op(g, "r2c", axis, n, not inv, scale)
    return [r * _weights(n, m, axis, r.ndim, r.dtype, 1.0, 2.0)]


# pair-level transforms (all the logic; real arrays of (re, im) pairs) --------------------------
def _scale(norm, n, inverse):
    if norm not in _NORMS:
        raise context.with_location(ValueError(
            f'Invalid norm value {norm}; should be "backward","ortho" or "forward".'))
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    if (norm == "forward") != bool(inverse):
        return 1.0 / n
    return 1.0


def _n(n, what="n"):
    """A static transform length >= 1."""
    v = static_value(n)
    if isinstance(v, Tracer):
        raise context.with_location(TypeError(f"{what} must be a static int inside xlaish.jit"))
    n = operator.index(v)
    if n < 1:
        raise context.with_location(ValueError(f"Invalid number of FFT data points ({n}) specified."))
    return n


def _fit(x, axis, length):
    """x truncated or zero-padded to ``length`` along ``axis``."""
    have = x.shape[axis]
    if have == length:
        return x
    if have > length:
        return x[(slice(None),) * axis + (slice(0, length),)]
    shape = list(x.shape)
    shape[axis] = length - have
    return concatenate([x, zeros(tuple(shape), dtype=x.dtype)], axis=axis)


def _float(x):
    """A real array in the transform's float dtype (float32 stays float32, float16 -> float32)."""
    x = _asarr(x)
    if x.dtype.kind == "c":
        raise context.with_location(TypeError("a real-input transform (rfft, rfftn) needs a real array, "
                                              "got a complex one"))
    dt = np.float32 if x.dtype in (np.float16, np.float32) else np.float64
    return x if x.dtype == dt else x.astype(dt)


def real_pairs(x):
    """Pairs (x, 0) of a real array."""
    x = _float(x)
    return stack([x, zeros(x.shape, dtype=x.dtype)], axis=-1)


def _axis(axis, ndim):
    return normalize_axes(operator.index(axis), ndim)[0]


def pairs_fft(p, n=None, axis=-1, norm=None, inverse=False):
    """c2c along ``axis`` of the complex shape ``p.shape[:-1]``."""
    ax = _axis(axis, p.ndim - 1)
    n = _n(p.shape[ax] if n is None else n)
    p = _fit(p, ax, n)
    return fft_op(p, "c2c", ax, n, inverse, _scale(norm, n, inverse))


def pairs_rfft(x, n=None, axis=-1, norm=None):
    """r2c of a real array along ``axis``: pairs of shape (..., n//2+1, ..., 2)."""
    x = _float(x)
    ax = _axis(axis, x.ndim)
    n = _n(x.shape[ax] if n is None else n)
    return fft_op(_fit(x, ax, n), "r2c", ax, n, False, _scale(norm, n, False))


def pairs_irfft(p, n=None, axis=-1, norm=None):
    """c2r of pairs along ``axis``: a real array with ``n`` (default 2*(m-1)) values on it."""
    ax = _axis(axis, p.ndim - 1)
    n = _n(2 * (p.shape[ax] - 1) if n is None else n)
    return fft_op(_fit(p, ax, n // 2 + 1), "c2r", ax, n, True, _scale(norm, n, True))


def _cook(shape, s, axes):
    """NumPy's (s, axes) defaults for the n-dimensional transforms, for an array of ``shape``;
    a length None (or -1) is the transform's default."""
    nd = len(shape)
    if s is not None:
        s = [static_value(v) for v in (s if isinstance(s, (tuple, list)) else (s,))]
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    else:
        axes = [normalize_axes(operator.index(a), nd)[0] for a in
                (axes if isinstance(axes, (tuple, list)) else (axes,))]
    if s is None:
        return [None] * len(axes), axes     # each transform's default length
    if len(s) != len(axes):
        raise context.with_location(ValueError("Shape and axes have different lengths."))
    return [None if v is None or v == -1 else v for v in s], axes


def pairs_fftn(p, s=None, axes=None, norm=None, inverse=False):
    s, axes = _cook(p.shape[:-1], s, axes)
    for n, a in reversed(list(zip(s, axes))):
        p = pairs_fft(p, n, a, norm, inverse)
    return p


def pairs_rfftn(x, s=None, axes=None, norm=None):
    x = _float(x)
    s, axes = _cook(x.shape, s, axes)
    p = pairs_rfft(x, s[-1], axes[-1], norm)
    for n, a in reversed(list(zip(s[:-1], axes[:-1]))):
        p = pairs_fft(p, n, a, norm)
    return p


def pairs_irfftn(p, s=None, axes=None, norm=None):
    s, axes = _cook(p.shape[:-1], s, axes)
    for n, a in zip(s[:-1], axes[:-1]):
        p = pairs_fft(p, n, a, norm, inverse=True)
    return pairs_irfft(p, s[-1], axes[-1], norm)


# complex <-> pairs ---------------------------------------------------------------------------
def _to_pairs(a):
    a = _asarr(a)
    if a.dtype.kind == "c":
        return as_pairs(a)
    return real_pairs(a)


def _from_pairs(p):
    return from_pairs(p)


def _no_out(out, name):
    if out is not None:
        raise unsupported(f"numpy.fft.{name}(..., out=) is not supported inside xlaish.jit")


# the numpy.fft functions -----------------------------------------------------------------------
def fft(a, n=None, axis=-1, norm=None, out=None):
    if not any_tracer((a, n)):
        return np.fft.fft(a, n, axis, norm, out)
    _no_out(out, "fft")
    return _from_pairs(pairs_fft(_to_pairs(a), n, axis, norm))


def ifft(a, n=None, axis=-1, norm=None, out=None):
    if not any_tracer((a, n)):
        return np.fft.ifft(a, n, axis, norm, out)
    _no_out(out, "ifft")
    return _from_pairs(pairs_fft(_to_pairs(a), n, axis, norm, inverse=True))


def rfft(a, n=None, axis=-1, norm=None, out=None):
    if not any_tracer((a, n)):
        return np.fft.rfft(a, n, axis, norm, out)
    _no_out(out, "rfft")
    return _from_pairs(pairs_rfft(a, n, axis, norm))


def irfft(a, n=None, axis=-1, norm=None, out=None):
    if not any_tracer((a, n)):
        return np.fft.irfft(a, n, axis, norm, out)
    _no_out(out, "irfft")
    return pairs_irfft(_to_pairs(a), n, axis, norm)


def fftn(a, s=None, axes=None, norm=None, out=None):
    if not any_tracer((a,)):
        return np.fft.fftn(a, s, axes, norm, out)
    _no_out(out, "fftn")
    return _from_pairs(pairs_fftn(_to_pairs(a), s, axes, norm))


def ifftn(a, s=None, axes=None, norm=None, out=None):
    if not any_tracer((a,)):
        return np.fft.ifftn(a, s, axes, norm, out)
    _no_out(out, "ifftn")
    return _from_pairs(pairs_fftn(_to_pairs(a), s, axes, norm, inverse=True))


def rfftn(a, s=None, axes=None, norm=None, out=None):
    if not any_tracer((a,)):
        return np.fft.rfftn(a, s, axes, norm, out)
    _no_out(out, "rfftn")
    return _from_pairs(pairs_rfftn(a, s, axes, norm))


def irfftn(a, s=None, axes=None, norm=None, out=None):
    if not any_tracer((a,)):
        return np.fft.irfftn(a, s, axes, norm, out)
    _no_out(out, "irfftn")
    return pairs_irfftn(_to_pairs(a), s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return fftn(a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return ifftn(a, s, axes, norm, out)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return rfftn(a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return irfftn(a, s, axes, norm, out)


def fftfreq(n, d=1.0, device=None):
    """NumPy's sample frequencies; ``n`` static, ``d`` may be traced."""
    if not any_tracer((n, d)):
        return np.fft.fftfreq(n, d, device=device)
    n = _n(n, "fftfreq's n")
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _freq(k, n, d)


def rfftfreq(n, d=1.0, device=None):
    if not any_tracer((n, d)):
        return np.fft.rfftfreq(n, d, device=device)
    n = _n(n, "rfftfreq's n")
    return _freq(np.arange(0, n // 2 + 1), n, d)


def _freq(k, n, d):
    """k / (n * d) as NumPy computes it (k * (1.0 / (n * d)))."""
    val = 1.0 / (n * d)
    return k * val


def _shift_axes(x, axes):
    if axes is None:
        return list(range(x.ndim))
    return list(axes) if isinstance(axes, (tuple, list)) else [axes]


def fftshift(x, axes=None):
    if not any_tracer((x,)):
        return np.fft.fftshift(x, axes)
    x = _asarr(x)
    ax = _shift_axes(x, axes)
    return roll(x, [x.shape[a] // 2 for a in ax], ax)


def ifftshift(x, axes=None):
    if not any_tracer((x,)):
        return np.fft.ifftshift(x, axes)
    x = _asarr(x)
    ax = _shift_axes(x, axes)
    return roll(x, [-(x.shape[a] // 2) for a in ax], ax)

"""NumPy functions built on in-place writes, gathers, scans and sorts that exist already.

In-place ones (``copyto``, ``place``, ``putmask``, ``fill_diagonal``) rebind the traced array
through the public assignment entry points (``x[...] = v``, ``np.put``, ``clip_or_copyto``), so
views write through to their base as for ``x[k] = v``. Index arithmetic (``ravel_multi_index``,
``unravel_index``), ``nanargmin``/``nanargmax``, ``digitize``, ``interp``, ``lexsort`` and
``histogram_bin_edges`` compose elementwise ops, ``take`` (a gather), ``searchsorted`` and
stable ``argsort``.

Errors NumPy raises from the values (an all-NaN slice, a coordinate out of range, bins that are
not monotonic) are ``xl.debug.check``s: the compiled call raises NumPy's ValueError
(:data:`xlaish.errors.NUMPY_VALUE_ERRORS`). Shapes and sizes (``dims``, ``shape``, the number
of bins) must be static, as everywhere under jit.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import debug
from ..errors import (
    ALL_NAN_SLICE,
    EMPTY_PLACE,
    INVALID_COORDINATES,
    NOT_MONOTONIC_BINS,
    RANGE_NOT_FINITE,
    UNRAVEL_PREFIX,
    UnsupportedError,
)
from ..trace import context
from ..trace.bind import any_tracer
from ..trace.tracer import Tracer
from ._composite import _asarr
from ._indexing import put, take, take_along_axis
from ._reductions import all as _all
from ._reductions import any as _any
from ._reductions import argmax, argmin
from ._reductions import max as _max
from ._reductions import min as _min
from ._scans import cumsum
from ._setitem import clip_or_copyto
from ._shape import ravel, reshape, where
from ._sorting import argsort, iota, searchsorted
from ._ufuncs import FUNCS as _U

__all__ = ["copyto", "place", "putmask", "fill_diagonal", "ravel_multi_index", "unravel_index",
           "nanargmin", "nanargmax", "digitize", "interp", "lexsort", "histogram_bin_edges"]


def _writes_ndarray(name):
    return context.with_location(UnsupportedError(
        f"np.{name} writes traced values into a NumPy array: make the array with xlaish (np.zeros "
        f"inside the function) or pass it as an argument"))


def _target(name, arr, *others):
    """None when nothing is traced (run NumPy); raise when a NumPy array would get traced values."""
    if isinstance(arr, Tracer):
        return arr
    if any_tracer(others):
        raise _writes_ndarray(name)
    return None


# ---- in-place writes ---------------------------------------------------------------------------
def copyto(dst, src, casting="same_kind", where=True):
    if _target("copyto", dst, src, where) is None:
        return np.copyto(dst, src, casting=casting, where=where)
    return clip_or_copyto(np.copyto, (dst, src), {"casting": casting, "where": where})


def _cyclic(vals, n, dtype):
    """The first n values of ``vals`` repeated (ravelled; a static size), as ``dtype``."""
    v = ravel(_asarr(vals)).astype(dtype)
    return take(v, iota((n,), 0), mode="wrap")


def place(arr, mask, vals):
    """The k-th True position of ``mask`` gets ``vals[k % len(vals)]`` (a cumulative count of the
    mask indexes the values: one scan and one gather)."""
    if _target("place", arr, mask, vals) is None:
        return np.place(arr, mask, vals)
    m = ravel(_asarr(mask)).astype(np.bool_)
    if m.size != arr.size:
        raise context.with_location(ValueError("place: mask and data must be the same size"))
    v = ravel(_asarr(vals))
    if v.size == 0:
        debug.check(_U["logical_not"](_any(m)), EMPTY_PLACE)
        return None
    k = cumsum(m.astype(np.int64)) - 1
    new = where(m, take(v.astype(arr.dtype), k, mode="wrap"), ravel(arr))
    arr[...] = reshape(new, arr.shape)
    return None


def putmask(a, mask, values):
    """``a.flat[i] = values[i % len(values)]`` where ``mask.flat[i]``."""
    if _target("putmask", a, mask, values) is None:
        return np.putmask(a, mask, values)
    m = _asarr(mask)
    if m.size != a.size:
        raise context.with_location(ValueError("putmask: mask and data must be the same size"))
    v = _asarr(values)
    if isinstance(values, (Tracer, np.ndarray)) and not np.can_cast(v.dtype, a.dtype, "safe"):
        raise context.with_location(TypeError(
            f"Cannot cast array data from dtype('{v.dtype}') to dtype('{a.dtype}') according to the "
            f"rule 'safe'"))
    if v.size == 0:
        return None
    new = where(ravel(m).astype(np.bool_), _cyclic(v, a.size, a.dtype), ravel(a))
    a[...] = reshape(new, a.shape)
    return None


def fill_diagonal(a, val, wrap=False):
    """NumPy's flat-index formula (static positions), written with ``np.put`` (values cycle)."""
    if _target("fill_diagonal", a, val) is None:
        return np.fill_diagonal(a, val, wrap=wrap)
    if a.ndim < 2:
        raise context.with_location(ValueError("array must be at least 2-d"))
    end = None
    if a.ndim == 2:
        step = a.shape[1] + 1
        if not wrap:
            end = a.shape[1] * a.shape[1]
    else:
        if len(set(a.shape)) != 1:
            raise context.with_location(ValueError("All dimensions of input must be of equal length"))
        step = 1 + int(np.cumprod(a.shape[:-1]).sum())
    pos = np.arange(a.size)[:end:step]
    if pos.size:
        put(a, pos, val)
    return None


# ---- index arithmetic --------------------------------------------------------------------------
def _dims(dims):
    dims = (dims,) if np.ndim(dims) == 0 else tuple(dims)
    return tuple(operator.index(d) for d in dims)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    if not any_tracer(tuple(multi_index) if isinstance(multi_index, (tuple, list)) else (multi_index,)):
        return np.ravel_multi_index(multi_index, dims, mode=mode, order=order)
    dims = _dims(dims)
    coords = list(multi_index)
    if len(coords) != len(dims):
        raise context.with_location(ValueError(
            f"parameter multi_index must be a sequence of length {len(dims)}"))
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    strides = [math.prod(dims[k + 1:]) if order == "C" else math.prod(dims[:k]) for k in range(len(dims))]
    total = None
    for c, d, md, s in zip(coords, dims, modes, strides):
        c = _asarr(c)
        if c.dtype.kind not in "iu":
            raise context.with_location(TypeError(
                "only int indices permitted (ravel_multi_index of a non-integer coordinate)"))
        c = c.astype(np.int64)
        if md == "wrap":
            c = _U["remainder"](c, d) if d else c
        elif md == "clip":
            c = _U["minimum"](_U["maximum"](c, 0), max(d - 1, 0))
        elif md == "raise":
            debug.check(_all(_U["logical_and"](c >= 0, c < d)), INVALID_COORDINATES)
        else:
            raise context.with_location(ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' "
                                                   f"(got {md!r})"))
        t = c * s
        total = t if total is None else total + t
    return total


def unravel_index(indices, shape, order="C"):
    if not any_tracer((indices,)):
        return np.unravel_index(indices, shape, order=order)
    dims = _dims(shape)
    i = _asarr(indices)
    if i.dtype.kind not in "iu":
        raise context.with_location(TypeError(
            f"only int indices permitted (unravel_index of {i.dtype} indices)"))
    size = math.prod(dims)
    i = i.astype(np.int64)
    debug.check(_all(_U["logical_and"](i >= 0, i < size)), f"{UNRAVEL_PREFIX} {size}")
    out = [None] * len(dims)
    axes = range(len(dims) - 1, -1, -1) if order == "C" else range(len(dims))
    for k in axes:
        d = dims[k]
        out[k] = _U["remainder"](i, d)
        i = _U["floor_divide"](i, d)
    return tuple(out)


# ---- NaN-skipping arg-reductions ---------------------------------------------------------------
def _nanarg(name, npfn, fill, arg):
    def f(a, axis=None, out=None, *, keepdims=np._NoValue):
        kd = {} if keepdims is np._NoValue else {"keepdims": keepdims}
        if not any_tracer((a,)):
            return npfn(a, axis=axis, out=out, **kd)
        x = _asarr(a)
        if x.dtype.kind != "f":
            return arg(x, axis=axis, out=out, **kd)
        nan = _U["isnan"](x)
        r = arg(where(nan, np.asarray(fill, x.dtype), x), axis=axis, out=out, **kd)
        if x.size:
            debug.check(_U["logical_not"](_any(_all(nan, axis=axis))), ALL_NAN_SLICE)
        return r
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"NumPy's {name}: NaN replaced by {fill}, then {arg.__name__}; an all-NaN slice raises."
    return f


nanargmin = _nanarg("nanargmin", np.nanargmin, np.inf, argmin)
nanargmax = _nanarg("nanargmax", np.nanargmax, -np.inf, argmax)


# ---- bins and interpolation --------------------------------------------------------------------
def _monotonic(b):
    """(increasing, decreasing) as NumPy's check_array_monotonic decides them: the direction is
    that of the first value differing from b[0] (decreasing when that comparison is NaN's), then
    no step may go the other way (NaN steps pass)."""
    if b.shape[0] < 2:
        return _asarr(np.True_), _asarr(np.False_)
    ne = b[1:] != b[0]
    first = take(b, argmax(ne) + 1, mode="clip")
    up = _U["logical_or"](_U["logical_not"](_any(ne)), b[0] < first)
    inc = _U["logical_and"](up, _U["logical_not"](_any(b[:-1] > b[1:])))
    dec = _U["logical_and"](_U["logical_not"](up), _U["logical_not"](_any(b[:-1] < b[1:])))
    return inc, dec


def digitize(x, bins, right=False):
    """NumPy's formula: searchsorted on increasing bins, ``len - searchsorted`` on the reversed
    decreasing ones; with traced bins both are computed and the monotonicity picks one."""
    if not any_tracer((x, bins)):
        return np.digitize(x, bins, right=right)
    side = "left" if right else "right"
    b = _asarr(bins)
    if b.ndim != 1:
        raise context.with_location(ValueError("object too deep for desired array (bins must be 1-D)"))
    n = b.shape[0]
    if not isinstance(bins, Tracer):
        mono = np.lib._function_base_impl._monotonicity(np.asarray(bins))
        if mono == 0:
            raise context.with_location(ValueError(NOT_MONOTONIC_BINS))
        return searchsorted(b, x, side=side) if mono == 1 else n - searchsorted(b[::-1], x, side=side)
    inc, dec = _monotonic(b)
    debug.check(_U["logical_or"](inc, dec), NOT_MONOTONIC_BINS)
    return where(inc, searchsorted(b, x, side=side), n - searchsorted(b[::-1], x, side=side))


def interp(x, xp, fp, left=None, right=None, period=None):
    """NumPy's compiled_interp: float64 throughout, the interval found by ``searchsorted``, the
    slope formula with its NaN fallbacks (``x == xp[j]`` takes ``fp[j]`` exactly)."""
    if not any_tracer((x, xp, fp, left, right, period)):
        return np.interp(x, xp, fp, left=left, right=right, period=period)
    if period is not None:
        raise context.with_location(UnsupportedError(
            "np.interp(..., period=...) is not supported under jit (it sorts xp); normalise x and xp "
            "with np.mod and sort them first"))
    f64 = np.float64
    xt, xpt, fpt = (_asarr(v) for v in (x, xp, fp))
    if fpt.dtype.kind == "c" or xpt.ndim != 1 or fpt.ndim != 1:
        raise context.with_location(ValueError("interp: xp and fp must be 1-D real sequences"))
    n = xpt.shape[0]
    if n == 0:
        raise context.with_location(ValueError("array of sample points is empty"))
    if fpt.shape[0] != n:
        raise context.with_location(ValueError("fp and xp are not of the same length."))
    xt, xpt, fpt = xt.astype(f64), xpt.astype(f64), fpt.astype(f64)
    lval = fpt[0] if left is None else _asarr(left).astype(f64)
    rval = fpt[-1] if right is None else _asarr(right).astype(f64)
    if n == 1:
        return where(xt < xpt[0], lval, where(xt > xpt[0], rval, fpt[0]))
    j = _U["minimum"](_U["maximum"](searchsorted(xpt, xt, side="right") - 1, 0), n - 2)
    x0, x1 = take(xpt, j, mode="clip"), take(xpt, j + 1, mode="clip")
    y0, y1 = take(fpt, j, mode="clip"), take(fpt, j + 1, mode="clip")
    slope = (y1 - y0) / (x1 - x0)
    r = slope * (xt - x0) + y0
    r2 = slope * (xt - x1) + y1
    r = where(_U["isnan"](r), where(_U["isnan"](r2) & (y0 == y1), y0, r2), r)
    r = where(xt == x0, y0, r)
    r = where(xt == xpt[-1], fpt[-1], r)
    r = where(xt < xpt[0], lval, where(xt > xpt[-1], rval, r))
    return where(_U["isnan"](xt), xt, r)


def lexsort(keys, axis=-1):
    """Stable argsorts, from the first key to the last (the primary one)."""
    if not any_tracer(tuple(keys) if isinstance(keys, (tuple, list)) else (keys,)):
        return np.lexsort(keys, axis=axis)
    ks = [_asarr(k) for k in keys] if isinstance(keys, (tuple, list)) else \
        [_asarr(keys)[i] for i in builtins.range(_asarr(keys).shape[0])]
    if not ks:
        raise context.with_location(TypeError("need sequence of keys with len > 0 in lexsort"))
    shape = np.broadcast_shapes(*(k.shape for k in ks))
    if any(k.shape != shape for k in ks):
        raise context.with_location(ValueError("all keys need to be the same shape"))
    if len(shape) == 0:
        return _asarr(np.int64(0))
    ax = axis + len(shape) if axis < 0 else axis
    perm = argsort(ks[0], axis=ax, kind="stable")
    for k in ks[1:]:
        perm = take_along_axis(perm, argsort(take_along_axis(k, perm, ax), axis=ax, kind="stable"), ax)
    return perm


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """Static bins: a count with a static range gives NumPy's constant edges; without a range the
    edges are NumPy's linspace between the data's min and max (widened by 0.5 when equal), in
    the data's float dtype (float64 for integers) as NumPy computes them. Not checked: NumPy's
    "Too many bins for data range" (edges that do not increase, for a tiny range)."""
    if not any_tracer((a, bins, range, weights)):
        return np.histogram_bin_edges(a, bins=bins, range=range, weights=weights)
    if isinstance(bins, str) or isinstance(range, Tracer):
        raise context.with_location(UnsupportedError(
            "np.histogram_bin_edges under jit needs bins as a count or an array of edges, and a "
            "static range"))
    if np.ndim(bins) == 1:
        if not isinstance(bins, Tracer) and np.any(np.diff(np.asarray(bins)) < 0):
            raise context.with_location(ValueError("`bins` must increase monotonically, when an array"))
        return _asarr(bins)
    x = ravel(_asarr(a))
    if x.dtype == np.bool_:           # NumPy converts (and warns)
        x = x.astype(np.uint8)
    n = operator.index(bins)
    if n < 1:
        raise context.with_location(ValueError("`bins` must be positive, when an integer"))
    if range is not None or x.size == 0:
        zero = np.zeros(0, x.dtype)
        return _asarr(np.histogram_bin_edges(zero, bins=n, range=range))
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)     # linspace's dtype
    lo, hi = _min(x).astype(dt), _max(x).astype(dt)
    debug.check(_U["logical_and"](_U["isfinite"](lo), _U["isfinite"](hi)), RANGE_NOT_FINITE)
    same = lo == hi
    lo, hi = where(same, lo - 0.5, lo), where(same, hi + 0.5, hi)
    step = (hi - lo) / n
    y = iota((n + 1,), 0).astype(dt) * step + lo
    y = where(iota((n + 1,), 0) == n, hi, y)
    return y.astype(dt)


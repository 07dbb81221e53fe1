"""NumPy functions built from other traced functions: no op of their own.

Each function here is NumPy's, written with basic slicing, broadcasting,
``where``, reductions and the elementwise ufuncs, so it traces into ops every
backend already lowers, fuses with its neighbours and is differentiable
wherever its pieces are. Outside a trace (no argument is a tracer) each one is
simply NumPy's own function, so eager results are NumPy's by construction.

Arguments that decide a result's shape (``n`` of ``diff``, ``reps`` of
``tile``, ``repeats`` of ``repeat``, the sections of ``split``, the shift of
``roll``) must be Python values, as in JAX; a traced one raises a
ConcretizationError naming the line.

``__all__`` is the list of what this module adds to ``xlaish.numpy``; the tests
check every name in it against NumPy.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from ..errors import ConcretizationError
from ..trace import context
from ..trace.tracer import Tracer, static_value
from ._reductions import all as _all
from ._reductions import max as _max
from ._reductions import min as _min
from ._reductions import normalize_axes
from ._reductions import prod as _prod
from ._reductions import sum as _sum
from ._shape import _getitem, broadcast_to, concatenate, expand_dims, moveaxis, ravel, reshape, where
from ._ufuncs import FUNCS as _U

__all__ = [
    "diff", "ediff1d", "tile", "repeat", "diagonal", "diag", "trace", "triu", "tril", "isclose",
    "allclose", "array_split", "split", "hsplit", "vsplit", "flip", "fliplr", "flipud", "roll",
    "nansum", "nanprod", "nanmax", "nanmin", "nanmean", "atleast_1d", "atleast_2d", "atleast_3d",
    "ptp", "average", "append", "column_stack", "dstack", "count_nonzero",
]


def _traced(*args) -> bool:
    return context.current() is not None and builtins.any(isinstance(a, Tracer) for a in args)


def _asarr(a):
    from ._shape import asarray
    return a if isinstance(a, Tracer) else asarray(a)


def _static_int(v, what):
    v = static_value(v)
    if isinstance(v, Tracer):
        raise context.with_location(ConcretizationError(
            f"{what} must be a Python int (it decides the result's shape); pass it as a static "
            f"argument (static_argnums / static_argnames)"))
    return operator.index(v)


def _take_slice(a, axis, sl):
    key = [slice(None)] * a.ndim
    key[axis] = sl
    return _getitem(a, tuple(key))


def _axis(axis, ndim):
    (ax,) = normalize_axes(axis, ndim)
    return ax


# ---- differences -----------------------------------------------------------------------------------
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not np._NoValue}
    if not _traced(a, *kw.values()):
        return np.diff(a, n, axis, **kw)
    n = _static_int(n, "diff's n")
    if n < 0:
        raise context.with_location(ValueError(f"order must be non-negative but got {n}"))
    a = _asarr(a)
    if a.ndim == 0:
        raise context.with_location(ValueError("diff requires input that is at least one dimensional"))
    ax = _axis(axis, a.ndim)
    parts = []
    for v, at_end in ((kw.get("prepend"), False), (kw.get("append"), True)):
        if v is None:
            continue
        v = _asarr(v)
        if v.ndim == 0:
            shape = list(a.shape)
            shape[ax] = 1
            v = broadcast_to(v, tuple(shape))
        parts.append((v, at_end))
    if parts:
        before = [v for v, end in parts if not end]
        after = [v for v, end in parts if end]
        a = concatenate(before + [a] + after, axis=ax)
    op = _U["not_equal"] if a.dtype == np.bool_ else _U["subtract"]
    for _ in range(n):
        a = op(_take_slice(a, ax, slice(1, None)), _take_slice(a, ax, slice(None, -1)))
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    if not _traced(ary, to_end, to_begin):
        return np.ediff1d(ary, to_end, to_begin)
    a = ravel(_asarr(ary))
    dt = a.dtype
    d = _U["subtract"](a[1:], a[:-1])
    pieces = []
    for extra in (to_begin, d, to_end):
        if extra is None:
            continue
        e = extra if extra is d else ravel(_asarr(extra))
        if e is not d:
            if not np.can_cast(e.dtype, dt, casting="same_kind"):
                raise context.with_location(TypeError(
                    f"dtype of `to_{'begin' if extra is to_begin else 'end'}` must be compatible "
                    f"with input `ary` under the `same_kind` rule."))
            e = e.astype(dt)
        pieces.append(e)
    return concatenate(pieces) if len(pieces) > 1 else d


# ---- repetition ------------------------------------------------------------------------------------
def tile(A, reps):
    if not _traced(A):
        return np.tile(A, reps)
    reps = tuple(_static_int(r, "tile's reps") for r in (reps if isinstance(reps, (tuple, list))
                                                          else (reps,)))
    A = _asarr(A)
    d = builtins.max(A.ndim, len(reps))
    shape = (1,) * (d - A.ndim) + A.shape
    reps = (1,) * (d - len(reps)) + reps
    inter = tuple(x for r, s in zip(reps, shape) for x in (1, s))
    big = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    return reshape(broadcast_to(reshape(A, inter), big), tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis=None):
    if not _traced(a, repeats):
        return np.repeat(a, repeats, axis)
    if isinstance(repeats, (list, tuple, np.ndarray)) and np.ndim(repeats) > 0:
        r = np.asarray(repeats)
        if r.size != 1:
            from ..trace.bind import unsupported
            raise unsupported("repeat with per-element counts is not supported yet (the count of "
                              "each element decides the shape); use an int count")
        repeats = r.reshape(())[()]
    k = _static_int(repeats, "repeat's repeats")
    if k < 0:
        raise context.with_location(ValueError("negative dimensions are not allowed"))
    a = _asarr(a)
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = _axis(axis, a.ndim)
    e = expand_dims(a, ax + 1)
    shape = a.shape[:ax + 1] + (k,) + a.shape[ax + 1:]
    out = a.shape[:ax] + (a.shape[ax] * k,) + a.shape[ax + 1:]
    return reshape(broadcast_to(e, shape), out)


# ---- diagonals and triangles -----------------------------------------------------------------------
def diagonal(a, offset=0, axis1=0, axis2=1):
    if not _traced(a):
        return np.diagonal(a, offset, axis1, axis2)
    a = _asarr(a)
    if a.ndim < 2:
        raise context.with_location(ValueError("diag requires an array of at least two dimensions"))
    ax1, ax2 = _axis(axis1, a.ndim), _axis(axis2, a.ndim)
    if ax1 == ax2:
        raise context.with_location(ValueError("axis1 and axis2 cannot be the same"))
    k = _static_int(offset, "diagonal's offset")
    a = moveaxis(a, (ax1, ax2), (-2, -1))
    m, n = a.shape[-2:]
    count = builtins.max(0, builtins.min(m, n - k) if k >= 0 else builtins.min(m + k, n))
    flat = reshape(a, a.shape[:-2] + (m * n,))
    start = k if k >= 0 else -k * n
    if count == 0:
        return _take_slice(flat, flat.ndim - 1, slice(0, 0))
    return _take_slice(flat, flat.ndim - 1, slice(start, start + (count - 1) * (n + 1) + 1, n + 1))


def diag(v, k=0):
    if not _traced(v):
        return np.diag(v, k)
    v = _asarr(v)
    k = _static_int(k, "diag's k")
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise context.with_location(ValueError("Input must be 1- or 2-d."))
    n = v.shape[0] + builtins.abs(k)
    pad = broadcast_to(_asarr(np.zeros((), v.dtype)), (builtins.abs(k),))
    ext = concatenate([v, pad])
    mask = np.eye(n, n, k, dtype=bool)
    vals = ext[:, None] if k >= 0 else ext[None, :]
    return where(mask, vals, _asarr(np.zeros((), v.dtype)))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if out is not None:
        from ..trace.bind import unsupported
        raise unsupported("trace(..., out=...) is not supported on traced arrays")
    if not _traced(a):
        return np.trace(a, offset, axis1, axis2, dtype)
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def _tri_mask(shape, k, lower):
    m, n = shape[-2:]
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    return (j - i <= k) if lower else (j - i >= k)


def _triangle(m, k, lower: bool):
    """``m`` with the elements above (``lower``) or below the k-th diagonal zeroed (a 1-D ``m``
    is broadcast to a square first, as NumPy)."""
    m = _asarr(m)
    k = _static_int(k, f"{'tril' if lower else 'triu'}'s k")
    if m.ndim == 1:
        m = broadcast_to(m, (m.shape[0], m.shape[0]))
    return where(_tri_mask(m.shape, k, lower), m, _asarr(np.zeros((), m.dtype)))


def triu(m, k=0):
    if not _traced(m):
        return np.triu(m, k)
    return _triangle(m, k, False)


def tril(m, k=0):
    if not _traced(m):
        return np.tril(m, k)
    return _triangle(m, k, True)


# ---- comparisons -----------------------------------------------------------------------------------
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not _traced(a, b, rtol, atol):
        return np.isclose(a, b, rtol, atol, equal_nan)
    # NumPy 2's formula: y is made inexact first (result_type(y, 1.0))
    if isinstance(b, Tracer):
        y = b if b.dtype.kind == "f" else b.astype(np.result_type(b.dtype, 1.0))
    elif isinstance(b, int):
        y = float(b)
    elif isinstance(b, float):
        y = b
    else:
        y = np.asarray(b)
        y = y.astype(np.result_type(y, 1.0))
    x = a
    absf, le, eq = _U["abs"], _U["less_equal"], _U["equal"]
    close = le(absf(_U["subtract"](x, y)), _U["add"](atol, _U["multiply"](rtol, absf(y))))
    res = _U["logical_or"](_U["logical_and"](close, _U["isfinite"](y)), eq(x, y))
    if equal_nan:
        res = _U["logical_or"](res, _U["logical_and"](_U["isnan"](x), _U["isnan"](y)))
    return res


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not _traced(a, b, rtol, atol):
        return np.allclose(a, b, rtol, atol, equal_nan)
    return _all(isclose(a, b, rtol, atol, equal_nan))


# ---- splitting -------------------------------------------------------------------------------------
def array_split(ary, indices_or_sections, axis=0):
    if not _traced(ary):
        return np.array_split(ary, indices_or_sections, axis)
    a = _asarr(ary)
    ax = _axis(axis, a.ndim)
    n = a.shape[ax]
    if isinstance(indices_or_sections, (list, tuple, np.ndarray)):
        bounds = [0] + [operator.index(i) for i in indices_or_sections] + [n]
    else:
        sections = _static_int(indices_or_sections, "the number of sections")
        if sections <= 0:
            raise context.with_location(ValueError("number sections must be larger than 0."))
        each, extra = divmod(n, sections)
        sizes = [0] + extra * [each + 1] + (sections - extra) * [each]
        bounds = list(np.cumsum(sizes))
    return [_take_slice(a, ax, slice(int(lo), int(hi))) for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(ary, indices_or_sections, axis=0):
    if not _traced(ary):
        return np.split(ary, indices_or_sections, axis)
    if not isinstance(indices_or_sections, (list, tuple, np.ndarray)):
        sections = _static_int(indices_or_sections, "the number of sections")
        n = _asarr(ary).shape[_axis(axis, _asarr(ary).ndim)]
        if sections == 0 or n % sections:
            raise context.with_location(ValueError("array split does not result in an equal division"))
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    if not _traced(ary):
        return np.hsplit(ary, indices_or_sections)
    a = _asarr(ary)
    if a.ndim == 0:
        raise context.with_location(ValueError("hsplit only works on arrays of 1 or more dimensions"))
    return split(a, indices_or_sections, 1 if a.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    if not _traced(ary):
        return np.vsplit(ary, indices_or_sections)
    a = _asarr(ary)
    if a.ndim < 2:
        raise context.with_location(ValueError("vsplit only works on arrays of 2 or more dimensions"))
    return split(a, indices_or_sections, 0)


# ---- reordering ------------------------------------------------------------------------------------
def flip(m, axis=None):
    if not _traced(m):
        return np.flip(m, axis)
    m = _asarr(m)
    axes = normalize_axes(axis, m.ndim)
    key = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(m.ndim))
    return _getitem(m, key) if key else m


def fliplr(m):
    if not _traced(m):
        return np.fliplr(m)
    if _asarr(m).ndim < 2:
        raise context.with_location(ValueError("Input must be >= 2-d."))
    return flip(m, 1)


def flipud(m):
    if not _traced(m):
        return np.flipud(m)
    if _asarr(m).ndim < 1:
        raise context.with_location(ValueError("Input must be >= 1-d."))
    return flip(m, 0)


def roll(a, shift, axis=None):
    if not _traced(a):
        return np.roll(a, shift, axis)
    a = _asarr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(axes) != len(shifts):
        raise context.with_location(ValueError("'shift' and 'axis' should be scalars or 1D sequences"))
    total = {}
    for ax, s in zip(axes, shifts):
        ax = _axis(ax, a.ndim)
        total[ax] = total.get(ax, 0) + _static_int(s, "roll's shift")
    for ax, s in total.items():
        n = a.shape[ax]
        if n == 0:
            continue
        s %= n
        if s:
            a = concatenate([_take_slice(a, ax, slice(n - s, None)), _take_slice(a, ax, slice(0, n - s))],
                            axis=ax)
    return a


# ---- NaN-ignoring reductions -----------------------------------------------------------------------
def _nan_fill(a, value):
    a = _asarr(a)
    if a.dtype.kind != "f":
        return a, None
    nan = _U["isnan"](a)
    return where(nan, _asarr(np.asarray(value, a.dtype)), a), nan


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    if not _traced(a):
        return np.nansum(a, axis, dtype, out, keepdims)
    return _sum(_nan_fill(a, 0)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False):
    if not _traced(a):
        return np.nanprod(a, axis, dtype, out, keepdims)
    return _prod(_nan_fill(a, 1)[0], axis=axis, dtype=dtype, keepdims=keepdims)


def _nan_extreme(a, axis, keepdims, is_max):
    filled, nan = _nan_fill(a, -np.inf if is_max else np.inf)
    r = (_max if is_max else _min)(filled, axis=axis, keepdims=keepdims)
    if nan is None:
        return r
    # an all-NaN slice gives NaN, as NumPy (which also warns)
    return where(_all(nan, axis=axis, keepdims=keepdims), _asarr(np.asarray(np.nan, r.dtype)), r)


def nanmax(a, axis=None, out=None, keepdims=False):
    if not _traced(a):
        return np.nanmax(a, axis, out, keepdims)
    return _nan_extreme(a, axis, keepdims, True)


def nanmin(a, axis=None, out=None, keepdims=False):
    if not _traced(a):
        return np.nanmin(a, axis, out, keepdims)
    return _nan_extreme(a, axis, keepdims, False)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    if not _traced(a):
        return np.nanmean(a, axis, dtype, out, keepdims)
    a = _asarr(a)
    if a.dtype.kind != "f":
        from ._reductions import mean
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    filled, nan = _nan_fill(a, 0)
    total = _sum(filled, axis=axis, dtype=dtype, keepdims=keepdims)
    cnt = _sum(_U["logical_not"](nan), axis=axis, dtype=np.intp, keepdims=keepdims)
    return _U["divide"](total, cnt).astype(total.dtype)


# ---- small shape helpers ---------------------------------------------------------------------------
def _atleast(arys, nd, np_fn):
    if not _traced(*arys):
        return np_fn(*arys)
    res = []
    for a in arys:
        a = _asarr(a)
        if a.ndim < nd:
            shape = {1: (1,), 2: (1,) + a.shape, 3: (1,) + a.shape + (1,)}[nd] if a.ndim else (1,) * nd
            if nd == 3 and a.ndim == 2:
                shape = a.shape + (1,)
            a = reshape(a, shape)
        res.append(a)
    return res[0] if len(res) == 1 else tuple(res)


def atleast_1d(*arys):
    return _atleast(arys, 1, np.atleast_1d)


def atleast_2d(*arys):
    return _atleast(arys, 2, np.atleast_2d)


def atleast_3d(*arys):
    return _atleast(arys, 3, np.atleast_3d)


def ptp(a, axis=None, out=None, keepdims=False):
    if not _traced(a):
        return np.ptp(a, axis, out, keepdims)
    return _U["subtract"](_max(a, axis=axis, keepdims=keepdims), _min(a, axis=axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    if not _traced(a, weights):
        return np.average(a, axis, weights, returned, keepdims=keepdims)
    from ._reductions import mean
    a = _asarr(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scl = _asarr(np.asarray(a.size / builtins.max(avg.size, 1), avg.dtype))
        scl = broadcast_to(scl, avg.shape)
    else:
        w = _asarr(weights)
        rdt = np.result_type(a.dtype, w.dtype, np.float64 if a.dtype.kind in "biu" else a.dtype)
        if w.shape != a.shape:
            if axis is None:
                raise context.with_location(TypeError(
                    "Axis must be specified when shapes of a and weights differ."))
            ax = _axis(axis, a.ndim)
            if w.ndim != 1 or w.shape[0] != a.shape[ax]:
                raise context.with_location(ValueError(
                    "Shape of weights must be consistent with shape of a along specified axis."))
            w = reshape(w, tuple(w.shape[0] if d == ax else 1 for d in range(a.ndim)))
            w = broadcast_to(w, a.shape)
        scl = _sum(w, axis=axis, dtype=rdt, keepdims=keepdims)
        avg = _U["divide"](_sum(_U["multiply"](a, w), axis=axis, dtype=rdt, keepdims=keepdims), scl)
    return (avg, scl) if returned else avg


def append(arr, values, axis=None):
    if not _traced(arr, values):
        return np.append(arr, values, axis)
    arr, values = _asarr(arr), _asarr(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)])
    return concatenate([arr, values], axis=axis)


def column_stack(tup):
    if not _traced(*tup):
        return np.column_stack(tup)
    cols = [_asarr(a) for a in tup]
    cols = [reshape(a, a.shape + (1,)) if a.ndim < 2 else a for a in cols]
    return concatenate(cols, axis=1)


def dstack(tup):
    if not _traced(*tup):
        return np.dstack(tup)
    return concatenate(list(atleast_3d(*tup)) if len(tup) > 1 else [atleast_3d(*tup)], axis=2)


def count_nonzero(a, axis=None, *, keepdims=False):
    if not _traced(a):
        return np.count_nonzero(a, axis, keepdims=keepdims)
    a = _asarr(a)
    nz = a if a.dtype == np.bool_ else _U["not_equal"](a, 0)
    return _sum(nz, axis=axis, dtype=np.intp, keepdims=keepdims)

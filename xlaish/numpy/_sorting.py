"""Sorting and order statistics: ``sort``, ``argsort``, ``partition``/``argpartition``,
``searchsorted``, ``median``, ``quantile``/``percentile`` and their ``nan`` forms.

``sort`` is the ``sort`` op, ``argsort`` is ``sort_by(x, iota)`` (:mod:`xlaish.ir.ops.sort`):
both stable, so ``argsort`` equals NumPy's ``kind="stable"`` result exactly (NumPy's default
quicksort is not stable; ours is a valid sorting permutation either way). ``partition`` and
``argpartition`` sort fully, which satisfies NumPy's partition contract (the order inside the two
parts is unspecified by NumPy). ``searchsorted`` counts ``a < v`` (``<=`` for ``side="right"``)
with NumPy's NaN-last order: an O(len(a) * len(v)) reduction fused into one kernel (no
materialised matrix). ``median``/``quantile``/``percentile`` sort along the axis, then read static
positions: NumPy's index and interpolation arithmetic (``_lerp``, the ``method=`` tables) applied
to traced values, NaN rows giving NaN; the positions are read with one ``kth_smallest`` (a radix
selection, no full sort); every ``method=`` NumPy has but the weighted one works.
``nanmedian``/``nanquantile``/``nanpercentile`` count the non-NaN values per row, so their
positions are traced: each is read with a one-hot max over the axis (O(n) per row).
``unique``/``nonzero`` stay refused: their result shape depends on the data.
"""
from __future__ import annotations

import operator

import numpy as np

from ..ir.opnames import IOTA, KTH_SMALLEST, SORT, SORT_BY
from ..trace import context
from ..trace.bind import any_tracer, cast, emit1, wrap
from ..trace.tracer import static_value
from ._reductions import _strong, normalize_axes
from ._shape import expand_dims, moveaxis, ravel, reshape, where

__all__ = ["sort", "argsort", "partition", "argpartition", "searchsorted", "median", "quantile",
           "percentile", "nanmedian", "nanquantile", "nanpercentile"]


def sort_values(x, axis):
    return wrap(emit1(SORT, [x.value], {"axis": axis}))


def sort_by(keys, payload, axis):
    return wrap(emit1(SORT_BY, [keys.value, payload.value], {"axis": axis}))


def iota(shape, axis):
    return wrap(emit1(IOTA, [], {"shape": tuple(shape), "dtype": np.dtype(np.int64), "axis": axis}))


def argsort_values(x, axis):
    return sort_by(x, iota(x.shape, axis), axis)


def _prep(a, axis, what):
    x = _strong(a)
    if axis is None:
        return ravel(x), 0
    if x.ndim == 0:
        raise context.with_location(np.exceptions.AxisError(
            f"axis {axis} is out of bounds for array of dimension 0 (numpy.{what} of a 0-d array)"))
    return x, normalize_axes(operator.index(axis), x.ndim)[0]


def _check_kind(kind, order):
    if order is not None:
        raise context.with_location(ValueError("order= needs structured arrays (not supported)"))
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable", "introselect"):
        raise context.with_location(ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' "
                                               f"(got {kind!r})"))


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if not any_tracer((a,)):
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    _check_kind(kind, order)
    x, ax = _prep(a, axis, "sort")
    return sort_values(x, ax) if x.size else x


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    if not any_tracer((a,)):
        return np.argsort(a, axis=axis, kind=kind, order=order, stable=stable)
    _check_kind(kind, order)
    x, ax = _prep(a, axis, "argsort")
    return argsort_values(x, ax) if x.size else wrap(cast(x.value, np.dtype(np.int64)))


def _check_kth(kth, n):
    for k in np.atleast_1d(np.asarray(kth)).ravel():
        if any_tracer((k,)) or not isinstance(k, (int, np.integer)):
            raise context.with_location(TypeError("partition: kth must be static integers"))
        if not -n <= k < n:
            raise context.with_location(ValueError(f"kth(={k}) out of bounds ({n})"))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    if not any_tracer((a,)):
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    x, ax = _prep(a, axis, "partition")
    _check_kth(kth, x.shape[ax])
    return sort_values(x, ax) if x.size else x


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    if not any_tracer((a,)):
        return np.argpartition(a, kth, axis=axis, kind=kind, order=order)
    x, ax = _prep(a, axis, "argpartition")
    _check_kth(kth, x.shape[ax])
    return argsort_values(x, ax) if x.size else wrap(cast(x.value, np.dtype(np.int64)))


def searchsorted(a, v, side="left", sorter=None):
    if not any_tracer((a, v, sorter)):
        return np.searchsorted(a, v, side=side, sorter=sorter)
    if sorter is not None:
        raise context.with_location(TypeError(
            "searchsorted(sorter=...) needs a gather; pass the sorted array (a[sorter]) instead"))
    if side not in ("left", "right"):
        raise context.with_location(ValueError(f"side must be 'left' or 'right' (got {side!r})"))
    from ._reductions import sum as _sum
    x = _strong(a)
    if x.ndim != 1:
        raise context.with_location(ValueError("object too deep for desired array (a must be 1-D)"))
    q = _strong(v)
    dt = np.result_type(x.dtype, q.dtype)
    x, q = wrap(cast(x.value, dt)), wrap(cast(q.value, dt))
    qq = expand_dims(q, -1)
    if side == "left":
        hit = x < qq
        if dt.kind == "f":
            hit = hit | ((qq != qq) & (x == x))
    else:
        hit = x <= qq
        if dt.kind == "f":
            hit = hit | (qq != qq)
    return _sum(hit.astype(np.int64), axis=-1)


# -- order statistics ---------------------------------------------------------------------------
def _np_private():
    import numpy.lib._function_base_impl as fb
    return fb


def _axis_last(a, axis):
    """(array with the reduced axes moved last and merged, restore(result) adding keepdims)."""
    x = _strong(a)
    axes = normalize_axes(axis, x.ndim)
    if not axes:
        x = reshape(x, x.shape + (1,))
        return x, lambda r, keepdims: r
    rest = [d for d in range(x.ndim) if d not in axes]
    y = moveaxis(x, list(axes), list(range(x.ndim - len(axes), x.ndim))) if x.ndim else x
    kept = tuple(x.shape[d] for d in rest)
    y = reshape(y, kept + (-1,))

    def restore(r, keepdims):
        if not keepdims:
            return r
        shp = tuple(1 if d in axes else x.shape[d] for d in range(x.ndim))
        lead = r.shape[:r.ndim - len(kept)]
        return reshape(r, lead + shp)
    return y, restore


def _lerp(a, b, t):
    d = b - a
    lo = a + d * t
    hi = b - d * (1 - t)
    return where(t >= 0.5, hi, lo).astype(lo.dtype)


def _selector(x, positions):
    """Read the sorted rows of ``x`` (reduced axis last) at static positions: one ``kth_smallest``
    for all of them and the last one (whose NaN marks a row holding NaN); returns
    ``(take(position), nan_rows or None)``."""
    n = x.shape[-1]
    ks = sorted({int(p) % n for p in positions} | ({n - 1} if x.dtype.kind == "f" else set()))
    sel = wrap(emit1(KTH_SMALLEST, [x.value], {"axis": x.ndim - 1, "kth": tuple(ks)}))

    def take(p):
        return sel[..., ks.index(int(p) % n)]
    nan_rows = None
    if x.dtype.kind == "f":
        last = take(n - 1)
        nan_rows = last != last
    return take, nan_rows


def _quantile_rows(x, q, method, weak_q):
    """Quantiles along the last axis (n static), NumPy's arithmetic; NaN rows give NaN."""
    fb = _np_private()
    n = x.shape[-1]
    qa = np.asarray(q, dtype=np.float64)
    try:
        props = fb._QuantileMethods[method]
    except KeyError:
        raise context.with_location(ValueError(f"{method!r} is not a valid method. Use one of: "
                                               f"{fb._QuantileMethods.keys()}")) from None
    vi = np.asanyarray(props["get_virtual_index"](n, qa))
    outs = []
    if props["fix_gamma"] is None or (method == "linear" and np.issubdtype(vi.dtype, np.integer)):
        take, nan_rows = _selector(x, [int(i) for i in vi.ravel()])
        for i in vi.ravel():
            outs.append(take(int(i)))
    else:
        prev, nxt = fb._get_indexes(np.empty(n), vi, n)
        gamma = np.asanyarray(fb._get_gamma(vi, prev, props))
        take, nan_rows = _selector(x, [int(i) for i in np.ravel(prev)] + [int(i) for i in np.ravel(nxt)])
        for p, nx, g in zip(np.ravel(prev), np.ravel(nxt), np.ravel(gamma)):
            t = float(g) if weak_q else np.float64(g)
            outs.append(_lerp(take(int(p)), take(int(nx)), t))
    from ._shape import stack
    r = stack(outs, axis=0)
    if nan_rows is not None:
        r = where(nan_rows, np.asarray(np.nan, r.dtype), r)
    return reshape(r, qa.shape + r.shape[1:])


def _quantile_function(np_fn, scale: float, nan: bool):
    """``np.quantile`` (scale 1) / ``np.percentile`` (scale 100), or their nan- twins, traced.
    A ``q`` array made inside the function from constants is as static as the literal."""
    def f(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
          weights=None, interpolation=None):
        q = static_value(q)
        if not any_tracer((a, q, weights)):
            return np_fn(a, q, axis=axis, out=out, overwrite_input=overwrite_input, method=method,
                         keepdims=keepdims, weights=weights)
        weak = type(q) in (int, float)
        if scale != 1 and not any_tracer((q,)):
            q = np.true_divide(q, scale)
        return _quantile(a, q, axis, out, method, keepdims, weights, weak, nan)
    f.__name__ = f.__qualname__ = np_fn.__name__
    return f


quantile = _quantile_function(np.quantile, 1, False)
percentile = _quantile_function(np.percentile, 100, False)


def _static_q(q):
    q = static_value(q)
    if any_tracer((q,)):
        raise context.with_location(TypeError(
            "quantile/percentile: q must be static (a Python or NumPy value) inside jit"))
    qa = np.asarray(q, dtype=np.float64)
    if not np.all((qa >= 0) & (qa <= 1)):
        raise context.with_location(ValueError("Quantiles must be in the range [0, 1]"))
    return q


def _quantile(a, q, axis, out, method, keepdims, weights, weak_q, nan):
    if out is not None or weights is not None:
        raise context.with_location(TypeError("quantile: out= and weights= are not supported inside jit"))
    q = _static_q(q)
    x, restore = _axis_last(a, axis)
    if x.shape[-1] == 0:
        raise context.with_location(IndexError("quantile of an empty axis"))
    if nan and x.dtype.kind == "f":
        return restore(_nan_quantile_sorted(sort_values(x, x.ndim - 1), q, method, weak_q), keepdims)
    return restore(_quantile_rows(x, q, method, weak_q), keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if not any_tracer((a,)):
        return np.median(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    if out is not None:
        raise context.with_location(TypeError("median: out= is not supported inside jit"))
    from ._reductions import mean
    x, restore = _axis_last(a, axis)
    n = x.shape[-1]
    if n == 0:
        return restore(mean(x, axis=-1), keepdims)
    h = n // 2
    mids = [h] if n % 2 else [h - 1, h]
    take, nan_rows = _selector(x, mids)
    from ._shape import stack
    r = mean(stack([take(p) for p in mids], axis=-1), axis=-1)
    if nan_rows is not None:
        r = where(nan_rows, np.asarray(np.nan, r.dtype), r)
    return restore(r, keepdims)


def _select_at(s, k):
    """s[..., k] for a traced per-row position k (shape s.shape[:-1]): a one-hot max over the axis."""
    from ._reductions import max as _max
    pos = iota(s.shape, s.ndim - 1)
    hit = pos == expand_dims(k, -1)
    return _max(where(hit, s, np.asarray(-np.inf, s.dtype)), axis=-1)


def _nan_quantile_sorted(s, q, method, weak_q):
    """Quantiles of sorted rows whose NaNs (sorted last) are ignored: positions from the per-row
    count of numbers (NumPy's linear-family formulas on a traced count)."""
    from ._reductions import sum as _sum
    fb = _np_private()
    if method not in fb._QuantileMethods:
        raise context.with_location(ValueError(f"{method!r} is not a valid method"))
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise context.with_location(TypeError(f"nanquantile(method={method!r}) is not supported inside jit"))
    c = _sum((s == s).astype(np.int64), axis=-1)
    cf = c.astype(np.float64)
    outs = []
    for qv in np.asarray(q, np.float64).ravel():
        vi = (cf - 1) * qv
        from ._ufuncs import FUNCS as U
        lo = U["floor"](vi)
        lo = where(lo < 0, 0.0, lo)
        hi = where(lo + 1 > cf - 1, cf - 1, lo + 1)
        hi = where(hi < 0, 0.0, hi)
        g = vi - lo
        a_, b_ = _select_at(s, lo.astype(np.int64)), _select_at(s, hi.astype(np.int64))
        if method == "lower":
            r = a_
        elif method == "higher":
            r = where(g > 0, b_, a_)
        elif method == "midpoint":
            r = where(g > 0, _lerp(a_, b_, 0.5), a_)
        elif method == "nearest":
            r = where((g > 0.5) | ((g == 0.5) & (lo.astype(np.int64) % 2 == 1)), b_, a_)
        else:
            t = g.astype(s.dtype) if weak_q else g
            r = _lerp(a_, b_, t)
        r = where(c == 0, np.asarray(np.nan, r.dtype), r)
        outs.append(r)
    from ._shape import stack
    r = stack(outs, axis=0)
    return reshape(r, np.shape(q) + r.shape[1:])


nanquantile = _quantile_function(np.nanquantile, 1, True)
nanpercentile = _quantile_function(np.nanpercentile, 100, True)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    if not any_tracer((a,)):
        return np.nanmedian(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    x = _strong(a)
    if x.dtype.kind != "f":
        return median(a, axis=axis, out=out, keepdims=keepdims)
    r = _quantile(x, 0.5, axis, out, "linear", keepdims, None, True, True)
    return r

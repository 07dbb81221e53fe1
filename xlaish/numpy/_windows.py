"""Padding, windows, rotations and 1-D convolution, written with slices and concatenation.

Every index pattern these functions need is known while tracing (it depends on
shapes and static arguments only), so it is computed with NumPy on index arrays
(``np.pad(np.arange(n), ...)`` gives the source row of every padded row) and
applied as runs of basic slices: no gather op, nothing data-dependent.
``sliding_window_view`` builds its windows by stacking shifted slices, and
``convolve``/``correlate`` multiply the window matrix with the kernel (one
matmul); a direct convolution kernel that never materialises the windows is
future work.
"""
from __future__ import annotations

import operator

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer, unsupported
from ._composite import _asarr, _static_int, _take_slice, diag, flip, split
from ._linalg import matmul
from ._reductions import normalize_axes
from ._shape import broadcast_to, concatenate, ravel, reshape, stack, swapaxes, transpose

__all__ = ["pad", "sliding_window_view", "rot90", "convolve", "correlate", "meshgrid", "block",
           "dsplit", "diagflat"]


def take_static(a, axis, idx):
    """``a`` indexed along ``axis`` by the Python/NumPy integer array ``idx``, as runs of slices."""
    idx = [int(i) for i in idx]
    pieces, i = [], 0
    while i < len(idx):
        j = i + 1
        step = idx[j] - idx[i] if j < len(idx) else 1
        if step not in (1, -1):
            step = 1
        while j < len(idx) and idx[j] - idx[j - 1] == step:
            j += 1
        lo, hi = idx[i], idx[j - 1]
        stop = hi + step if hi + step >= 0 else None
        pieces.append(_take_slice(a, axis, slice(lo, stop, step)))
        i = j
    if not pieces:
        return _take_slice(a, axis, slice(0, 0))
    return pieces[0] if len(pieces) == 1 else concatenate(pieces, axis=axis)


def _pad_widths(pad_width, ndim):
    pw = np.asarray(pad_width)
    if pw.dtype.kind not in "iu":
        raise context.with_location(TypeError("`pad_width` must be of integral type."))
    pw = np.broadcast_to(pw, (ndim, 2)) if pw.ndim <= 2 else pw
    if (pw < 0).any():
        raise context.with_location(ValueError("index can't contain negative values"))
    return [(int(b), int(e)) for b, e in pw]


def pad(array, pad_width, mode="constant", **kwargs):
    if not any_tracer((array,)):
        return np.pad(array, pad_width, mode, **kwargs)
    a = _asarr(array)
    if isinstance(mode, str) and mode in ("edge", "reflect", "symmetric", "wrap"):
        if kwargs.get("reflect_type", "even") != "even":
            raise unsupported("pad(..., reflect_type='odd') is not supported yet")
        for ax, (b, e) in enumerate(_pad_widths(pad_width, a.ndim)):
            if b or e:
                with context.located():
                    idx = np.pad(np.arange(a.shape[ax]), (b, e), mode)
                a = take_static(a, ax, idx)
        return a
    if mode != "constant":
        raise unsupported(f"pad(..., mode={mode!r}) is not supported yet (constant, edge, reflect, "
                          f"symmetric, wrap are)")
    values = np.broadcast_to(np.asarray(kwargs.get("constant_values", 0)), (a.ndim, 2)) \
        if not any_tracer((kwargs.get("constant_values"),)) else None
    if values is None:
        raise unsupported("pad: traced constant_values are not supported; pass numbers")
    for ax, (b, e) in enumerate(_pad_widths(pad_width, a.ndim)):
        parts = []
        for width, v in ((b, values[ax][0]), (e, values[ax][1])):
            shape = a.shape[:ax] + (width,) + a.shape[ax + 1:]
            with np.errstate(all="ignore"):
                c = np.asarray(v).astype(a.dtype)   # NumPy casts the fill value unsafely too
            parts.append(broadcast_to(_asarr(c), shape) if width else None)
        if b or e:
            a = concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=ax)
    return a


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if not any_tracer((x,)):
        return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis, subok=subok,
                                                        writeable=writeable)
    x = _asarr(x)
    ws = tuple(window_shape) if np.iterable(window_shape) else (window_shape,)
    ws = tuple(_static_int(w, "window_shape") for w in ws)
    if any(w < 0 for w in ws):
        raise context.with_location(ValueError("`window_shape` cannot contain negative values"))
    if axis is None:
        if len(ws) != x.ndim:
            raise context.with_location(ValueError(
                f"Since axis is `None`, must provide window_shape for all dimensions of `x`; got "
                f"{len(ws)} window_shape elements and `x.ndim` is {x.ndim}."))
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(a % x.ndim for a in (axis if np.iterable(axis) else (axis,)))
        if len(ws) != len(axes):
            raise context.with_location(ValueError(
                f"Must provide matching length window_shape and axis; got {len(ws)} window_shape "
                f"elements and {len(axes)} axes elements."))
    for ax, w in zip(axes, ws):
        n = x.shape[ax]
        if n < w:
            raise context.with_location(ValueError("window shape cannot be larger than input array shape"))
        x = stack([_take_slice(x, ax, slice(k, k + n - w + 1)) for k in range(w)], axis=-1)
    return x


def rot90(m, k=1, axes=(0, 1)):
    if not any_tracer((m,)):
        return np.rot90(m, k, axes)
    m = _asarr(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise context.with_location(ValueError("len(axes) must be 2."))
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise context.with_location(ValueError("Axes must be different."))
    a0, a1 = (normalize_axes(a, m.ndim)[0] for a in axes)
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), tuple(perm))
    return flip(transpose(m, tuple(perm)), a1)


def _correlate_valid(a, v, n_left, n_right):
    parts = []
    if n_left:
        parts.append(broadcast_to(_asarr(np.zeros((), a.dtype)), (n_left,)))
    parts.append(a)
    if n_right:
        parts.append(broadcast_to(_asarr(np.zeros((), a.dtype)), (n_right,)))
    a = concatenate(parts) if len(parts) > 1 else a
    windows = sliding_window_view(a, v.shape[0])
    return matmul(windows, v)


def _correlate(a, v, mode, name):
    from ..trace.bind import promote
    dt = promote(a, v)
    a, v = _asarr(a).astype(dt), _asarr(v).astype(dt)
    if a.ndim != 1 or v.ndim != 1:
        raise context.with_location(ValueError("object too deep for desired array"))
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise context.with_location(ValueError(f"{'v' if v.shape[0] == 0 else 'a'} cannot be empty"))
    swapped = v.shape[0] > a.shape[0]
    if swapped:
        a, v = v, a
    n = v.shape[0]
    pads = {"valid": (0, 0), "same": (n // 2, n - n // 2 - 1), "full": (n - 1, n - 1)}
    if mode not in pads:
        raise context.with_location(ValueError(
            f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})"))
    r = _correlate_valid(a, v, *pads[mode])
    return flip(r) if swapped else r


def correlate(a, v, mode="valid"):
    if not any_tracer((a, v)):
        return np.correlate(a, v, mode)
    return _correlate(a, v, mode, "correlate")


def convolve(a, v, mode="full"):
    if not any_tracer((a, v)):
        return np.convolve(a, v, mode)
    a, v = _asarr(a), _asarr(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        a, v = v, a
    if v.ndim == 1:
        v = flip(v)
    return _correlate(a, v, mode, "convolve")


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if not any_tracer(xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise context.with_location(ValueError("Valid values for `indexing` are 'xy' and 'ij'."))
    nd = len(xi)
    outs = []
    for i, x in enumerate(xi):
        shape = [1] * nd
        shape[i] = -1
        outs.append(reshape(ravel(_asarr(x)), tuple(shape)))
    if indexing == "xy" and nd > 1:
        outs = [swapaxes(o, 0, 1) for o in outs]
    if not sparse:
        full = np.broadcast_shapes(*(o.shape for o in outs))
        outs = [broadcast_to(o, full) for o in outs]
    return tuple(outs)


def _block_depth(arrays):
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) and arrays else 0


def block(arrays):
    def leaves(x):
        return [y for a in x for y in leaves(a)] if isinstance(x, list) else [x]
    if not any_tracer(leaves(arrays)):
        return np.block(arrays)
    depth = _block_depth(arrays)
    nd = max(depth, max(np.ndim(a) if not hasattr(a, "ndim") else a.ndim for a in leaves(arrays)))

    def build(x, level):
        if not isinstance(x, list):
            a = _asarr(x)
            return reshape(a, (1,) * (nd - a.ndim) + a.shape) if a.ndim < nd else a
        parts = [build(y, level + 1) for y in x]
        return concatenate(parts, axis=-(depth - level))
    return build(arrays, 0)


def dsplit(ary, indices_or_sections):
    if not any_tracer((ary,)):
        return np.dsplit(ary, indices_or_sections)
    if _asarr(ary).ndim < 3:
        raise context.with_location(ValueError("dsplit only works on arrays of 3 or more dimensions"))
    return split(ary, indices_or_sections, 2)


def diagflat(v, k=0):
    if not any_tracer((v,)):
        return np.diagflat(v, k)
    return diag(ravel(_asarr(v)), k)


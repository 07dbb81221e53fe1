"""Shape functions, indexing, casts and selection, with NumPy's names."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import UnsupportedError
from ..ir.opnames import BROADCAST_TO, CONCATENATE, RESHAPE, SELECT, SLICE, TRANSPOSE
from ..trace import context
from ..trace.bind import (
    any_tracer,
    broadcast,
    cast,
    emit1,
    promote,
    to_value,
    unsupported,
    wrap,
)
from ..trace.tracer import Tracer
from . import _ufuncs
from ._axes import normalize_axes


def _t(x) -> Tracer:
    return x if isinstance(x, Tracer) else wrap(to_value(x))


def _norm_shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def astype(x, dtype, copy=True):
    if not any_tracer((x,)):
        return np.asarray(x).astype(dtype, copy=copy)
    with context.located():
        dt = dtypes.canonical(dtype)
    return wrap(cast(x.value, dt))


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if not any_tracer((a,)):
        return np.reshape(a, shape, order=order)
    if order != "C":
        raise unsupported(f"reshape(order={order!r}): only C order is supported")
    x = _t(a)
    shape = list(_norm_shape(shape))
    if shape.count(-1) > 1:
        raise context.with_location(ValueError("can only specify one unknown dimension"))
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or x.size % known:
            raise context.with_location(ValueError(
                f"cannot reshape array of size {x.size} into shape {tuple(shape)}"))
        shape[shape.index(-1)] = x.size // known
    shape = tuple(shape)
    if shape == x.shape:
        return x
    return wrap(emit1(RESHAPE, [x.value], {"shape": shape}), x.weak)


def ravel(a, order="C"):
    if not any_tracer((a,)):
        return np.ravel(a, order=order)
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    if not any_tracer((a,)):
        return np.transpose(a, axes)
    x = _t(a)
    if axes is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        if len(axes) != x.ndim:
            raise context.with_location(ValueError("axes don't match array"))
        perm = tuple(normalize_axes(p, x.ndim)[0] for p in axes)
        if sorted(perm) != list(range(x.ndim)):
            raise context.with_location(ValueError("axes don't match array"))
    if perm == tuple(range(x.ndim)):
        return x
    return wrap(emit1(TRANSPOSE, [x.value], {"perm": perm}), x.weak)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def moveaxis(a, source, destination):
    if not any_tracer((a,)):
        return np.moveaxis(a, source, destination)
    x = _t(a)
    src = [normalize_axes(s, x.ndim)[0] for s in ((source,) if isinstance(source, int) else source)]
    dst = [normalize_axes(d, x.ndim)[0] for d in
           ((destination,) if isinstance(destination, int) else destination)]
    for what, axes in (("source", src), ("destination", dst)):
        if len(set(axes)) != len(axes):
            raise context.with_location(ValueError(f"repeated axis in `{what}` argument"))
    if len(src) != len(dst):
        raise context.with_location(ValueError(
            "`source` and `destination` arguments must have the same number of elements"))
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def swapaxes(a, axis1, axis2):
    if not any_tracer((a,)):
        return np.swapaxes(a, axis1, axis2)
    x = _t(a)
    perm = list(range(x.ndim))
    i, j = normalize_axes(axis1, x.ndim)[0], normalize_axes(axis2, x.ndim)[0]
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(x, perm)


def broadcast_to(array, shape):
    if not any_tracer((array,)):
        return np.broadcast_to(array, shape)
    x = _t(array)
    shape = _norm_shape(shape)
    if shape == x.shape:
        return x
    return wrap(emit1(BROADCAST_TO, [x.value], {"shape": shape}), x.weak)


def broadcast_arrays(*args):
    if not any_tracer(args):
        return np.broadcast_arrays(*args)
    shape = broadcast(*(np.shape(a) if not isinstance(a, Tracer) else a.shape for a in args))
    return tuple(broadcast_to(_t(a), shape) for a in args)


def expand_dims(a, axis):
    if not any_tracer((a,)):
        return np.expand_dims(a, axis)
    x = _t(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = x.ndim + len(axes)
    axes = normalize_axes(axes, nd)
    it = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(it) for i in range(nd)))


def squeeze(a, axis=None):
    if not any_tracer((a,)):
        return np.squeeze(a, axis)
    x = _t(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = normalize_axes(axis, x.ndim)
        for i in axes:
            if x.shape[i] != 1:
                raise context.with_location(ValueError(
                    "cannot select an axis to squeeze out which has size not equal to one"))
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def _common(arrays):
    dt = promote(*arrays)
    return [wrap(cast(to_value(a), dt)) if not isinstance(a, Tracer) else wrap(cast(a.value, dt))
            for a in arrays]


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if not any_tracer(arrays):
        return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise unsupported("concatenate(out=...) is not supported on traced arrays")
    if axis is None:
        arrays = [ravel(_t(a)) for a in arrays]
        axis = 0
    xs = _common(arrays)
    if dtype is not None:
        xs = [astype(x, dtype) for x in xs]
    if any(x.ndim == 0 for x in xs):
        raise context.with_location(ValueError("zero-dimensional arrays cannot be concatenated"))
    if any(x.ndim != xs[0].ndim for x in xs):
        raise context.with_location(ValueError(
            "all the input array dimensions except for the concatenation axis must match exactly; "
            "got shapes " + ", ".join(str(x.shape) for x in xs)))
    (ax,) = normalize_axes(axis, xs[0].ndim)
    if len(xs) == 1:
        return xs[0]
    return wrap(emit1(CONCATENATE, [x.value for x in xs], {"axis": ax}))


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if not any_tracer(arrays):
        return np.stack(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    shapes = {np.shape(a) if not isinstance(a, Tracer) else a.shape for a in arrays}
    if len(shapes) != 1:
        raise context.with_location(ValueError("all input arrays must have the same shape; got "
                                               + ", ".join(map(str, sorted(shapes)))))
    xs = [expand_dims(_t(a), normalize_axes(axis, len(next(iter(shapes))) + 1)) for a in arrays]
    return concatenate(xs, axis=axis, dtype=dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    if not any_tracer(list(tup)):
        return np.vstack(tup, dtype=dtype, casting=casting)
    return concatenate([x if _t(x).ndim >= 2 else reshape(x, (1, -1)) for x in tup], axis=0,
                       dtype=dtype, casting=casting)


def hstack(tup, *, dtype=None, casting="same_kind"):
    if not any_tracer(list(tup)):
        return np.hstack(tup, dtype=dtype, casting=casting)
    xs = [_t(x) for x in tup]
    xs = [reshape(x, (1,)) if x.ndim == 0 else x for x in xs]       # atleast_1d, as NumPy
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1, dtype=dtype, casting=casting)


def data_dependent(what: str, loc: str | None = None):
    return context.with_location(UnsupportedError(
        f"{what}: the result's shape depends on the values, which are not known while tracing. "
        f"Use a static-shape alternative: np.where(mask, x, 0) keeps the shape (zeros where the mask "
        f"is False), np.sum(mask) counts, x[mask] = v / x[mask] += v update in place"), loc)


def where(condition, x=None, y=None):
    if x is None and y is None:
        if any_tracer((condition,)):
            raise data_dependent("numpy.where(condition) with one argument (nonzero)")
        return np.where(condition)
    if not any_tracer((condition, x, y)):
        return np.where(condition, x, y)
    dt = promote(x, y)
    c = (cast(condition.value, np.bool_) if isinstance(condition, Tracer)
         else to_value(condition, np.bool_))
    # the result is an array, so it is never weak (NumPy: where(c, 7, 0.25) is a float64 array)
    return wrap(emit1(SELECT, [c, to_value(_where_int(x, dt), dt), to_value(_where_int(y, dt), dt)]))


def _where_int(v, dt):
    """NumPy's ``where`` casts a Python int operand to an integer result dtype with wrapping
    (``where(u8 > 1, u8, -1)`` gives 255), unlike the ufuncs, which raise."""
    if type(v) is not int or dt.kind not in "iu":
        return v
    info = np.iinfo(dt)
    if info.min <= v <= info.max:
        return v
    if not np.iinfo(np.int64).min <= v <= np.iinfo(np.int64).max:
        raise context.with_location(OverflowError(f"Python int {v} too large to convert to C long"))
    return np.array(v, np.int64).astype(dt)[()]


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    a_min = min if a_min is None else a_min
    a_max = max if a_max is None else a_max
    if not any_tracer((a, a_min, a_max)):
        return np.clip(a, a_min, a_max, out=out, **kwargs)
    if out is not None:
        raise unsupported("clip(out=...) is not supported on traced arrays")
    if isinstance(a, Tracer) and a.dtype.kind in "iu":
        # like NumPy, a Python int bound beyond the integer dtype's range on its no-op side is
        # ignored (on the other side it is an OverflowError, raised by maximum/minimum below)
        info = np.iinfo(a.dtype)
        if type(a_min) is int and a_min < info.min:
            a_min = None
        if type(a_max) is int and a_max > info.max:
            a_max = None
    r = a
    if a_min is not None:
        r = _ufuncs.FUNCS["maximum"](r, a_min)
    if a_max is not None:
        r = _ufuncs.FUNCS["minimum"](r, a_max)
    return r


def round(a, decimals=0, out=None):
    if not any_tracer((a,)):
        return np.round(a, decimals, out)
    if out is not None:
        raise unsupported("round(out=...) is not supported on traced arrays")
    x = _t(a)
    if x.dtype.kind == "b":          # NumPy: rint's loop, float16; other decimals do not cast back
        if decimals == 0:
            return _ufuncs.FUNCS["rint"](x)
        raise context.with_location(TypeError(
            f"round() of a bool array with decimals={decimals}: NumPy cannot cast the result back to bool"))
    if x.dtype.kind in "iu":
        if decimals >= 0:
            return x
        raise unsupported("round() of integers with negative decimals")
    if decimals == 0:
        return _ufuncs.FUNCS["rint"](x)
    scale = 10.0 ** decimals
    return _ufuncs.FUNCS["divide"](_ufuncs.FUNCS["rint"](_ufuncs.FUNCS["multiply"](x, scale)), scale)


around = round


def shape(a):
    return a.shape if isinstance(a, Tracer) else np.shape(a)


def ndim(a):
    return a.ndim if isinstance(a, Tracer) else np.ndim(a)


def size(a, axis=None):
    if isinstance(a, Tracer):
        return a.size if axis is None else a.shape[axis]
    return np.size(a, axis)


def asarray(a, dtype=None, order=None, **kwargs):
    if isinstance(a, Tracer):
        return astype(a, dtype) if dtype is not None else a
    if isinstance(a, (list, tuple)) and any_tracer(list(a)):
        return stack([asarray(x, dtype) for x in a])
    return np.asarray(a, dtype=dtype, order=order, **kwargs)


array = asarray


def ascontiguousarray(a, dtype=None, **kwargs):
    return asarray(a, dtype)


def copy(a, order="K", subok=False):
    if not isinstance(a, Tracer):
        return np.copy(a, order=order, subok=subok)
    return a.copy()  # a new array object: writing into it leaves `a` alone


# indexing ------------------------------------------------------------------------
def _getitem(x: Tracer, key):
    """``x[key]`` for a basic index (ints, slices, None, ...); ``x[...]`` itself reaches
    :func:`xlaish.numpy._indexing.getitem`, which sends index arrays to a gather."""
    if not isinstance(key, tuple):
        key = (key,)
    for k in key:
        if isinstance(k, (Tracer, np.ndarray, list)):
            raise unsupported("index arrays: use xlaish.numpy._indexing.getitem")
        if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            raise unsupported(f"index of type {type(k).__name__} is not supported")
    n_consume = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise context.with_location(IndexError("an index can only have a single ellipsis ('...')"))
    if n_consume > x.ndim:
        raise context.with_location(IndexError(
            f"too many indices for array: array is {x.ndim}-dimensional, but {n_consume} were indexed"))
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (x.ndim - n_consume) + key[i + 1:]
    else:
        key = key + (slice(None),) * (x.ndim - n_consume)
    start, stop, step, out_shape = [], [], [], []
    dim = 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        n = x.shape[dim]
        if isinstance(k, slice):
            a, b, s = k.indices(n)
            if len(range(a, b, s)) == 0:  # e.g. x[::-1] of an empty axis gives (-1, -1, -1)
                a, b, s = 0, 0, 1
            start.append(a), stop.append(b), step.append(s)
            out_shape.append(len(range(a, b, s)))
        else:
            i = int(k)
            if not -n <= i < n:
                raise context.with_location(IndexError(
                    f"index {i} is out of bounds for axis {dim} with size {n}"))
            i %= n
            start.append(i), stop.append(i + 1), step.append(1)
        dim += 1
    v = x.value
    if any((a, b, s) != (0, n, 1) for a, b, s, n in zip(start, stop, step, x.shape)):
        v = emit1(SLICE, [v], {"start": tuple(start), "stop": tuple(stop), "step": tuple(step)})
    r = wrap(v, x.weak)
    return reshape(r, tuple(out_shape)) if tuple(out_shape) != r.shape else r


__all__ = ["astype", "reshape", "ravel", "transpose", "permute_dims", "moveaxis", "swapaxes",
           "broadcast_to", "broadcast_arrays", "expand_dims", "squeeze", "concatenate", "stack",
           "vstack", "hstack", "where", "clip", "round", "around", "shape", "ndim", "size",
           "asarray", "array", "ascontiguousarray", "copy"]

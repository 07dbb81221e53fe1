"""Small NumPy functions with nothing to compute that a tracer cannot answer, or that compose
from a few traced ops: real-valued complex helpers (``real``, ``imag``, ``conj``, ``angle``, ...),
dtype queries on traced arrays (``result_type``, ``can_cast``, ``isscalar``, ...), spelling
aliases (``concat``, ``matrix_transpose``, ``unstack``, ``rollaxis``), and numerical helpers
(``fix``, ``isposinf``/``isneginf``, ``array_equiv``, ``isin`` with a static test set,
``select``, ``vander``, ``trapezoid``, ``gradient``, ``resize``, ``delete``/``insert`` with
static positions, ``polyadd``/``polysub``/``polyder``).

On real arrays ``real``/``conj`` are the identity and ``imag`` is zeros, as NumPy gives; complex
arrays go to :mod:`._complex` (views of the components, ``make_complex``).
"""
from __future__ import annotations

import operator

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer, unsupported
from ..trace.tracer import Tracer
from . import _complex
from ._composite import _asarr, _axis, _static_int, _take_slice
from ._reductions import all as _all
from ._reductions import any as _any
from ._reductions import sum as _sum
from ._shape import broadcast_arrays, broadcast_to, concatenate, moveaxis, reshape, stack, swapaxes, where
from ._ufuncs import FUNCS as _U
from ._windows import take_static

__all__ = ["real", "imag", "conj", "conjugate", "angle", "sort_complex", "iscomplex", "isreal",
           "iscomplexobj", "isrealobj", "isscalar", "result_type", "can_cast", "concat", "row_stack",
           "matrix_transpose",
           "unstack", "rollaxis", "fix", "isposinf", "isneginf",
           "array_equiv", "isin", "select", "vander", "trapezoid", "gradient", "resize", "delete",
           "insert", "polyadd", "polysub", "polyder"]


def _zeros(shape, dtype):
    return broadcast_to(_asarr(np.zeros((), dtype)), tuple(shape))


# ---- real-valued complex helpers -------------------------------------------------------------------
def real(val):
    if not any_tracer((val,)):
        return np.real(val)
    v = _asarr(val)
    return _complex.real(v) if v.dtype.kind == "c" else v


def imag(val):
    if not any_tracer((val,)):
        return np.imag(val)
    v = _asarr(val)
    return _complex.imag(v) if v.dtype.kind == "c" else _zeros(v.shape, v.dtype)


def conj(x):
    if not any_tracer((x,)):
        return np.conj(x)
    if _asarr(x).dtype.kind == "c":
        return _complex.conj(_asarr(x))
    from ._extra import _loop_cast
    (v,), _ = _loop_cast(np.conjugate, x)     # real input: the value in the loop dtype (bool -> int8)
    return v


conjugate = conj


def angle(z, deg=False):
    if not any_tracer((z,)):
        return np.angle(z, deg)
    z = _asarr(z)
    if z.dtype.kind == "c":
        return _complex.angle(z, deg)
    a = _U["arctan2"](_zeros(z.shape, z.dtype), z)       # NumPy: arctan2(z.imag, z.real)
    return _U["multiply"](a, 180 / np.pi) if deg else a


def sort_complex(a):
    """NumPy's complex order along the last axis: by real then imaginary part, NaNs last in
    NumPy's classes (R + Rj < R + nanj < nan + Rj < nan + nanj); a stable lexsort."""
    if not any_tracer((a,)):
        return np.sort_complex(a)
    z = _asarr(a)
    want = np.sort_complex(np.ones(1, z.dtype)).dtype
    z = z.astype(want) if z.dtype != want else z
    if z.ndim == 0:
        return z
    re, im = _complex.real(z), _complex.imag(z)
    cls = _U["add"](_U["isnan"](im).astype(np.int8), _U["multiply"](_U["isnan"](re).astype(np.int8), 2))
    order = np.lexsort((im, re, cls), axis=-1)
    return np.take_along_axis(z, order, axis=-1)


def iscomplex(x):
    if not any_tracer((x,)):
        return np.iscomplex(x)
    x = _asarr(x)
    if x.dtype.kind == "c":
        return _complex.imag(x) != 0
    return _zeros(x.shape, np.bool_)


def isreal(x):
    if not any_tracer((x,)):
        return np.isreal(x)
    x = _asarr(x)
    if x.dtype.kind == "c":
        return _complex.imag(x) == 0
    return broadcast_to(_asarr(np.ones((), np.bool_)), x.shape)


def iscomplexobj(x):
    if isinstance(x, Tracer):
        return x.dtype.kind == "c"
    return np.iscomplexobj(x)


def isrealobj(x):
    if isinstance(x, Tracer):
        return x.dtype.kind != "c"
    return np.isrealobj(x)


def isscalar(element):
    if isinstance(element, Tracer):
        return False                 # a traced value is an array (0-d at least), as np.isscalar(np.array(1))
    return np.isscalar(element)


def _dtype_of(a):
    if isinstance(a, Tracer):
        return a.weak if a.weak is not None else a.dtype
    return a


def result_type(*arrays_and_dtypes):
    return np.result_type(*(_dtype_of(a) for a in arrays_and_dtypes))


def can_cast(from_, to, casting="safe"):
    f = _dtype_of(from_)
    if isinstance(f, type) and f in (int, float, bool):
        raise context.with_location(TypeError(
            "can_cast() does not support Python ints, floats, and complex because the result "
            "used to depend on the value."))
    return np.can_cast(f, to, casting)


# ---- spellings -------------------------------------------------------------------------------------
def concat(arrays, /, *, axis=0, out=None, dtype=None, casting="same_kind"):
    return concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)


def row_stack(tup, *, dtype=None, casting="same_kind"):
    from ._shape import vstack
    return vstack(tup, dtype=dtype, casting=casting)


def matrix_transpose(x, /):
    if not any_tracer((x,)):
        return np.matrix_transpose(x)
    x = _asarr(x)
    if x.ndim < 2:
        raise context.with_location(ValueError("Input array must be at least 2-dimensional"))
    return swapaxes(x, -1, -2)


def unstack(x, /, *, axis=0):
    if not any_tracer((x,)):
        return np.unstack(x, axis=axis)
    x = _asarr(x)
    if x.ndim == 0:
        raise context.with_location(ValueError("Input array must be at least 1-d."))
    ax = _axis(axis, x.ndim)
    return tuple(_take_slice(x, ax, i) for i in range(x.shape[ax]))


def rollaxis(a, axis, start=0):
    if not any_tracer((a,)):
        return np.rollaxis(a, axis, start)
    a = _asarr(a)
    n = a.ndim
    axis = _axis(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise context.with_location(np.exceptions.AxisError(
            f"'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in"))
    if axis < start:
        start -= 1
    if axis == start:
        return a
    return moveaxis(a, axis, start)


# ---- numerical helpers -----------------------------------------------------------------------------
def fix(x, out=None):
    if not any_tracer((x,)):
        return np.fix(x, out)
    return _U["trunc"](x)


def isposinf(x, out=None):
    if not any_tracer((x,)):
        return np.isposinf(x, out)
    return _U["logical_and"](_U["isinf"](x), _U["greater"](x, 0))


def isneginf(x, out=None):
    if not any_tracer((x,)):
        return np.isneginf(x, out)
    return _U["logical_and"](_U["isinf"](x), _U["less"](x, 0))


def array_equiv(a1, a2):
    if not any_tracer((a1, a2)):
        return np.array_equiv(a1, a2)
    a1, a2 = _asarr(a1), _asarr(a2)
    try:
        np.broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return _asarr(np.asarray(False))
    return _all(_U["equal"](a1, a2))


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    if not any_tracer((element, test_elements)):
        return np.isin(element, test_elements, assume_unique=assume_unique, invert=invert, kind=kind)
    e = _asarr(element)
    t = _asarr(test_elements)
    flat = reshape(t, (1,) * e.ndim + (-1,))
    r = _any(_U["equal"](reshape(e, e.shape + (1,)), flat), axis=-1)
    return _U["logical_not"](r) if invert else r


def select(condlist, choicelist, default=0):
    if not any_tracer(tuple(condlist) + tuple(choicelist) + (default,)):
        return np.select(condlist, choicelist, default)
    if len(condlist) != len(choicelist):
        raise context.with_location(ValueError("list of cases must be same length as list of conditions"))
    if not condlist:
        raise context.with_location(ValueError("select with an empty condition list is not possible"))
    for c in condlist:
        if _asarr(c).dtype != np.bool_:
            raise context.with_location(TypeError("invalid entry in condlist: should be boolean ndarray"))
    from ..trace.bind import promote
    dt = promote(*choicelist, default)
    conds = broadcast_arrays(*condlist, *choicelist, default)
    n = len(condlist)
    result = _asarr(conds[2 * n]).astype(dt)
    for c, v in reversed(list(zip(conds[:n], conds[n:2 * n]))):
        result = where(c, _asarr(v).astype(dt), result)
    return result


def vander(x, N=None, increasing=False):
    if not any_tracer((x,)):
        return np.vander(x, N, increasing)
    x = _asarr(x)
    if x.ndim != 1:
        raise context.with_location(ValueError("x must be a one-dimensional array or sequence."))
    n = x.shape[0] if N is None else _static_int(N, "vander's N")
    dt = np.promote_types(x.dtype, np.int_)          # NumPy's result dtype
    x = x.astype(dt)
    cols = []
    for k in range(n):
        cols.append(broadcast_to(_asarr(np.ones((), dt)), x.shape) if k == 0
                    else x if k == 1 else _U["multiply"](cols[-1], x))
    if not cols:
        return _zeros((x.shape[0], 0), dt)
    out = stack(cols, axis=1)
    return out if increasing else _take_slice(out, 1, slice(None, None, -1))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    if not any_tracer((y, x, dx)):
        return np.trapezoid(y, x, dx, axis)
    y = _asarr(y)
    ax = _axis(axis, y.ndim)
    if x is None:
        d = dx
    else:
        x = _asarr(x)
        if x.ndim == 1:
            d = _U["subtract"](x[1:], x[:-1])
            shape = [1] * y.ndim
            shape[ax] = d.shape[0]
            d = reshape(d, tuple(shape))
        else:
            d = _U["subtract"](_take_slice(x, ax, slice(1, None)), _take_slice(x, ax, slice(None, -1)))
    s = _U["add"](_take_slice(y, ax, slice(1, None)), _take_slice(y, ax, slice(None, -1)))
    return _sum(_U["divide"](_U["multiply"](d, s), 2.0), axis=ax)


def gradient(f, *varargs, axis=None, edge_order=1):
    if not any_tracer((f,) + varargs):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    f = _asarr(f)
    axes = tuple(range(f.ndim)) if axis is None else tuple(
        _axis(a, f.ndim) for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise context.with_location(TypeError("invalid number of arguments"))
    if edge_order != 1:
        raise unsupported("gradient(..., edge_order=2) is not supported yet")
    for s in spacing:
        if np.ndim(s) != 0 or isinstance(s, Tracer):
            raise unsupported("gradient with coordinate arrays is not supported yet; pass scalar spacings")
    dt = f.dtype if f.dtype.kind == "f" else np.dtype(np.float64)
    f = f.astype(dt)
    outs = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < 2:
            raise context.with_location(ValueError(
                "Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) "
                "elements are required."))
        sl = lambda a, b, ax=ax: _take_slice(f, ax, slice(a, b))
        parts = [_U["divide"](_U["subtract"](sl(1, 2), sl(0, 1)), h)]
        if n > 2:
            parts.append(_U["divide"](_U["subtract"](sl(2, None), sl(None, -2)), 2.0 * h))
        parts.append(_U["divide"](_U["subtract"](sl(n - 1, n), sl(n - 2, n - 1)), h))
        outs.append(concatenate(parts, axis=ax).astype(dt))
    return outs[0] if len(outs) == 1 else tuple(outs)


def resize(a, new_shape):
    if not any_tracer((a,)):
        return np.resize(a, new_shape)
    a = _asarr(a)
    shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    total = int(np.prod(shape))
    flat = reshape(a, (-1,))
    if total == 0 or flat.shape[0] == 0:
        return _zeros(shape, a.dtype)
    reps = -(-total // flat.shape[0])
    from ._composite import tile
    return reshape(tile(flat, reps)[:total], shape)


def _static_positions(obj, n):
    if isinstance(obj, Tracer):
        raise context.with_location(unsupported(
            "positions from a traced array decide the result's shape; pass them as Python values"))
    if isinstance(obj, slice):
        return list(range(*obj.indices(n)))
    idx = np.asarray(obj)
    if idx.dtype == np.bool_:
        raise unsupported("boolean masks in delete/insert are not supported on traced arrays")
    return [operator.index(i) for i in np.atleast_1d(idx)]


def delete(arr, obj, axis=None):
    if not any_tracer((arr,)):
        return np.delete(arr, obj, axis)
    a = _asarr(arr)
    if axis is None:
        a, ax = reshape(a, (-1,)), 0
    else:
        ax = _axis(axis, a.ndim)
    n = a.shape[ax]
    drop = set()
    for i in _static_positions(obj, n):
        if not -n <= i < n:
            raise context.with_location(IndexError(
                f"index {i} is out of bounds for axis {ax} with size {n}"))
        drop.add(i % n)
    return take_static(a, ax, [i for i in range(n) if i not in drop])


def insert(arr, obj, values, axis=None):
    if not any_tracer((arr, values)):
        return np.insert(arr, obj, values, axis)
    a = _asarr(arr)
    if axis is None:
        a, ax = reshape(a, (-1,)), 0
    else:
        ax = _axis(axis, a.ndim)
    n = a.shape[ax]
    if isinstance(obj, (int, np.integer)):
        i = operator.index(obj)
        if not -n <= i <= n:
            raise context.with_location(IndexError(
                f"index {i} is out of bounds for axis {ax} with size {n}"))
        i %= n + 1
        # NumPy: values = array(values, ndmin=arr.ndim), its first axis moved to `axis`
        v = _asarr(values).astype(a.dtype)
        v = reshape(v, (1,) * (a.ndim - v.ndim) + v.shape) if v.ndim < a.ndim else v
        v = moveaxis(v, 0, ax)
        target = list(a.shape)
        target[ax] = v.shape[ax]
        v = broadcast_to(v, tuple(target))
        return concatenate([_take_slice(a, ax, slice(0, i)), v, _take_slice(a, ax, slice(i, None))],
                           axis=ax)
    raise unsupported("insert at several positions is not supported on traced arrays yet; insert one "
                      "position at a time")


def _poly1d_arr(p):
    p = _asarr(p)
    if p.ndim != 1:
        raise unsupported("poly functions take 1-D coefficient arrays on traced values")
    return p


def _aligned(a1, a2):
    """Two coefficient arrays padded with leading zeros to one length (NumPy's polyadd rule)."""
    a1, a2 = _poly1d_arr(a1), _poly1d_arr(a2)
    d = a2.shape[0] - a1.shape[0]
    if d > 0:
        a1 = concatenate([_zeros((d,), a1.dtype), a1])
    elif d < 0:
        a2 = concatenate([_zeros((-d,), a2.dtype), a2])
    return a1, a2


def polyadd(a1, a2):
    if not any_tracer((a1, a2)):
        return np.polyadd(a1, a2)
    return _U["add"](*_aligned(a1, a2))


def polysub(a1, a2):
    if not any_tracer((a1, a2)):
        return np.polysub(a1, a2)
    return _U["subtract"](*_aligned(a1, a2))


def polyder(p, m=1):
    if not any_tracer((p,)):
        return np.polyder(p, m)
    m = _static_int(m, "polyder's m")
    if m < 0:
        raise context.with_location(ValueError("Order of derivative must be positive (see polyint)"))
    p = _poly1d_arr(p)
    for _ in range(m):                       # NumPy: p[:-1] * arange(n, 0, -1), m times
        p = _U["multiply"](p[:-1], np.arange(p.shape[0] - 1, 0, -1))
    return p


UFUNCS = {"conjugate": conj}      # np.conj / np.conjugate are ufuncs: reached via __array_ufunc__

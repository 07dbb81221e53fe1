"""``numpy.linalg`` functions inside ``xlaish.jit`` (``np.linalg.norm(x)`` in user code lands here).

What is here is written with reductions and elementwise ops, so it fuses and
differentiates like any other traced code: ``norm`` (vector orders, matrix
orders 1, -1, inf, -inf and Frobenius), ``vector_norm``, ``matrix_norm``, and
NumPy 2's array-API spellings ``matmul``, ``outer``, ``trace``, ``diagonal``,
``matrix_transpose``, ``vecdot``. Decompositions and solvers (``solve``, ``inv``,
``det``, ``cholesky``, SVD-based norms, ...) are not implemented yet and raise
UnsupportedError naming the function.
"""
from __future__ import annotations

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer, unsupported
from ._composite import _asarr
from ._composite import diagonal as _diagonal
from ._composite import trace as _trace
from ._linalg import matmul as _matmul
from ._linalg import outer as _outer
from ._reductions import max as _max
from ._reductions import min as _min
from ._reductions import normalize_axes
from ._reductions import sum as _sum
from ._shape import reshape, swapaxes
from ._ufuncs import FUNCS as _U

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "outer", "trace", "diagonal",
           "matrix_transpose", "vecdot", "cross", "tensordot"]

_inf = float("inf")


def _inexact(x):
    x = _asarr(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _max0(a, axis, keepdims=False):
    """``a.max(axis, initial=0)`` of a non-negative array: 0 for an empty reduction."""
    axes = normalize_axes(axis, a.ndim)
    if any(a.shape[d] == 0 for d in axes):
        return _sum(a, axis=axis, keepdims=keepdims)     # zeros of the right shape and dtype
    return _max(a, axis=axis, keepdims=keepdims)


def _vector(x, ord, axis, keepdims):
    absf = _U["abs"]
    if ord == _inf:
        return _max0(absf(x), axis, keepdims)
    if ord == -_inf:
        return _min(absf(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return _sum(_U["not_equal"](x, 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(absf(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return _U["sqrt"](_sum(_U["multiply"](x, x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise context.with_location(ValueError(f"Invalid norm order '{ord}' for vectors"))
    s = _sum(_U["power"](absf(x), np.asarray(ord, x.dtype)), axis=axis, keepdims=keepdims)
    return _U["power"](s, np.reciprocal(np.asarray(ord, s.dtype)))


def _matrix(x, ord, axis, keepdims):
    nd = x.ndim
    row, col = (normalize_axes(a, nd)[0] for a in axis)
    if row == col:
        raise context.with_location(ValueError("Duplicate axes given."))
    absf = _U["abs"]
    if ord in (2, -2, "nuc"):
        raise unsupported(f"norm(..., ord={ord!r}) of a matrix needs singular values, which xlaish "
                          f"does not compute yet")
    if ord == 1:
        ret = _max0(_sum(absf(x), axis=row), col - (col > row))
    elif ord == _inf:
        ret = _max0(_sum(absf(x), axis=col), row - (row > col))
    elif ord == -1:
        ret = _min(_sum(absf(x), axis=row), axis=col - (col > row))
    elif ord == -_inf:
        ret = _min(_sum(absf(x), axis=col), axis=row - (row > col))
    elif ord in (None, "fro", "f"):
        ret = _U["sqrt"](_sum(_U["multiply"](x, x), axis=(row, col)))
    else:
        raise context.with_location(ValueError("Invalid norm order for matrices."))
    if keepdims:
        shape = list(x.shape)
        shape[row] = shape[col] = 1
        ret = reshape(ret, tuple(shape))
    return ret


def norm(x, ord=None, axis=None, keepdims=False):
    if not any_tracer((x,)):
        return np.linalg.norm(x, ord, axis, keepdims)
    x = _inexact(x)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and x.ndim == 2) or (ord == 2 and x.ndim == 1):
            r = _U["sqrt"](_sum(_U["multiply"](x, x)))
            return reshape(r, (1,) * x.ndim) if keepdims else r
        axis = tuple(range(x.ndim))
    elif not isinstance(axis, tuple):
        axis = (axis,)
    if len(axis) == 1:
        return _vector(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix(x, ord, axis, keepdims)
    raise context.with_location(ValueError("Improper number of dimensions to norm."))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if not any_tracer((x,)):
        return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    x = _inexact(x)
    if axis is None:
        r = _vector(reshape(x, (-1,)), ord, (0,), False)
        return reshape(r, (1,) * x.ndim) if keepdims else r
    axes = normalize_axes(axis, x.ndim)
    if len(axes) == 1:
        return _vector(x, ord, axes, keepdims)
    # several axes: move them last, flatten them, reduce once
    from ._shape import moveaxis
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = moveaxis(x, axes, tuple(range(-len(axes), 0)))
    flat = reshape(moved, tuple(x.shape[d] for d in rest) + (-1,))
    r = _vector(flat, ord, (flat.ndim - 1,), False)
    if keepdims:
        r = reshape(r, tuple(1 if d in axes else x.shape[d] for d in range(x.ndim)))
    return r


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    if not any_tracer((x,)):
        return np.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    x = _inexact(x)
    return _matrix(x, ord, (-2, -1), keepdims)


def matmul(x1, x2, /):
    return _matmul(x1, x2)


def outer(x1, x2, /):
    if not any_tracer((x1, x2)):
        return np.linalg.outer(x1, x2)
    if _asarr(x1).ndim != 1 or _asarr(x2).ndim != 1:
        raise context.with_location(ValueError("Input arrays must be one-dimensional"))
    return _outer(x1, x2)


def trace(x, /, *, offset=0, dtype=None):
    if not any_tracer((x,)):
        return np.linalg.trace(x, offset=offset, dtype=dtype)
    return _trace(x, offset, -2, -1, dtype)


def diagonal(x, /, *, offset=0):
    if not any_tracer((x,)):
        return np.linalg.diagonal(x, offset=offset)
    return _diagonal(x, offset, -2, -1)


def matrix_transpose(x, /):
    if not any_tracer((x,)):
        return np.linalg.matrix_transpose(x)
    x = _asarr(x)
    if x.ndim < 2:
        raise context.with_location(ValueError("input array must be at least 2-dimensional"))
    return swapaxes(x, -1, -2)


def vecdot(x1, x2, /, *, axis=-1):
    if not any_tracer((x1, x2)):
        return np.linalg.vecdot(x1, x2, axis=axis)
    p = _U["multiply"](x1, x2)
    return _sum(p, axis=axis, dtype=p.dtype)     # a gufunc: no sum-style integer widening


def cross(x1, x2, /, *, axis=-1):
    if not any_tracer((x1, x2)):
        return np.linalg.cross(x1, x2, axis=axis)
    from ._contract import cross as _cross
    if _asarr(x1).shape[axis] != 3 or _asarr(x2).shape[axis] != 3:
        raise context.with_location(ValueError(
            "Both input arrays must be (arrays of) 3-dimensional vectors"))
    return _cross(x1, x2, axis=axis)


def tensordot(x1, x2, /, *, axes=2):
    from ._contract import tensordot as _tensordot
    return _tensordot(x1, x2, axes)

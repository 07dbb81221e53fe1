"""``numpy.linalg`` functions inside ``xlaish.jit`` (``np.linalg.norm(x)`` in user code lands here).

Written with reductions and elementwise ops (they fuse and differentiate like any traced code):
``norm`` (vector orders, matrix orders 1, -1, inf, -inf, Frobenius), ``vector_norm``,
``matrix_norm``, ``matrix_power``, ``multi_dot`` (NumPy's chain order) and NumPy 2's array-API
spellings ``matmul``, ``outer``, ``trace``, ``diagonal``, ``matrix_transpose``, ``vecdot``.

Decompositions and solvers (``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``qr``,
``eigh``, ``eigvalsh``, ``svd``, ``svdvals``, ``lstsq``, ``pinv``, ``matrix_rank``, ``cond`` for
p in (None, 2, -2) and SVD norms ord 2, -2, 'nuc'), batched over the leading axes as NumPy does
(operands broadcast; ``solve``'s b is a vector only when 1-D, NumPy 2's rule), float32 stays
float32, integers and bools become float64, float16 is refused as NumPy refuses it:

* matrices up to ``SMALL_N`` x ``SMALL_N`` (5) for ``solve``, ``inv``, ``det``, ``slogdet`` and
  ``cholesky`` are computed inline: an unrolled LU with partial pivoting (LAPACK's pivot choice:
  the first largest magnitude; a zero pivot skips its column as getrf does, so ``det`` of a
  singular matrix is 0) or an unrolled Cholesky, as elementwise ops over the batch. They fuse,
  vectorise across the batch, differentiate through, and run on every backend (CUDA included);
* larger ones are one op of :mod:`xlaish.ir.ops.lapack` each (a LAPACK call per matrix on the
  CPU, the library NumPy itself loads, see :mod:`xlaish.runtime.lapack`); the CUDA backend refuses
  them with an UnsupportedError naming the op and the size.

Errors NumPy raises from the values (singular matrix for ``solve``/``inv``, not positive definite,
no convergence) are ``numpy.linalg.LinAlgError`` with NumPy's message, raised by the compiled call
(a ``debug_check`` on the ops' info results: the channel every runtime reports checks by).
Shape and dtype errors are raised while tracing, with NumPy's exception types and messages.

Differences from NumPy: ``lstsq`` is computed from the SVD (NumPy: gelsd; same results up to
rounding), and its residuals follow a static rule (computed when M > N, whatever the rank; NumPy
returns an empty array for a rank-deficient matrix, a data-dependent shape); complex inputs
are not supported yet.
"""

from __future__ import annotations

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer
from ._composite import _asarr
from ._composite import diagonal as _diagonal
from ._composite import trace as _trace
from ._decomp import (  # noqa: F401
    _at_least_2d,
    _prep,
    _square,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from ._linalg import matmul as _matmul
from ._linalg import outer as _outer
from ._reductions import max as _max
from ._reductions import min as _min
from ._reductions import normalize_axes
from ._reductions import sum as _sum
from ._shape import reshape, swapaxes
from ._ufuncs import FUNCS as _U

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "outer", "trace", "diagonal",
           "matrix_transpose", "vecdot", "cross", "tensordot", "solve", "inv", "det", "slogdet",
           "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "lstsq", "pinv", "matrix_power",
           "matrix_rank", "multi_dot", "cond"]

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
        from ._shape import moveaxis
        sv = svdvals(moveaxis(x, (row, col), (-2, -1)))
        ret = _max(sv, axis=-1) if ord == 2 else _min(sv, axis=-1) if ord == -2 else _sum(sv, axis=-1)
    elif ord == 1:
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


def cond(x, p=None):
    if not any_tracer((x,)):
        return np.linalg.cond(x, p)
    x = _prep(x)
    _at_least_2d(x)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        hi, lo = _max(s, axis=-1), _min(s, axis=-1)
        return _U["divide"](lo, hi) if p == -2 else _U["divide"](hi, lo)
    _square(x)
    return _U["multiply"](norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))

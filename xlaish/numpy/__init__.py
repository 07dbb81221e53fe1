"""NumPy-named functions. Inside ``xlaish.jit`` they build IR; outside they run NumPy.

NumPy's own functions (``np.exp``, ``np.sum``, ...) reach the same code through
``Tracer.__array_ufunc__`` / ``__array_function__``, so unchanged NumPy code
traces. A NumPy function with no entry here raises ``UnsupportedError`` naming it.
"""
from __future__ import annotations

import numpy as _np

from ..errors import UnsupportedError as _Unsupported
from ..trace import context as _context
from ._ufuncs import FUNCS as _UFUNCS
from ._reductions import (sum, prod, max, min, amax, amin, any, all, argmax, argmin, mean, var,
                          std)
from ._shape import (astype, reshape, ravel, transpose, permute_dims, moveaxis, swapaxes,
                     broadcast_to, broadcast_arrays, expand_dims, squeeze, concatenate, stack,
                     vstack, hstack, where, clip, round, around, shape, ndim, size, asarray, array,
                     ascontiguousarray, copy, _getitem)
from ._creation import (zeros, ones, empty, full, zeros_like, ones_like, empty_like, full_like,
                        arange, eye, identity, linspace)
from ._linalg import matmul, dot, vdot, inner, outer
from ._composite import *  # noqa: F403  (diff, tile, triu, isclose, ...: see _composite.__all__)

globals().update(_UFUNCS)

# dtypes, so `xnp.float32` works like `np.float32`
from numpy import (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16,  # noqa
                   float32, float64, pi, e, inf, nan, newaxis, dtype)

_GUFUNCS = {"matmul": matmul}   # generalized ufuncs reach __array_ufunc__ too (np.matmul)

_REDUCE = {"add": sum, "multiply": prod, "maximum": max, "minimum": min, "logical_and": all,
           "logical_or": any, "fmax": max, "fmin": min}


def _array_ufunc(ufunc, method, inputs, kwargs):
    name = ufunc.__name__
    for k, v in kwargs.items():
        if v is not None and not (k == "out" and v == ()):
            if not (method == "reduce" and k in ("axis", "keepdims")):
                raise _context.with_location(_Unsupported(
                    f"numpy.{name}(..., {k}=...) is not supported on traced arrays"))
    if method == "__call__":
        fn = _UFUNCS.get(name) or _GUFUNCS.get(name)
        if fn is None:
            raise _context.with_location(_Unsupported(f"numpy.{name} is not supported by xlaish"))
        return fn(*inputs)
    if method == "reduce" and name in _REDUCE:
        (x,) = inputs
        return _REDUCE[name](x, axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    raise _context.with_location(_Unsupported(f"numpy.{name}.{method} is not supported by xlaish"))


_SKIP = {"_array_ufunc", "_array_function"}


def _array_function(func, args, kwargs):
    name = func.__name__
    mod = getattr(func, "__module__", "numpy") or "numpy"
    fn = globals().get(name) if mod == "numpy" and not name.startswith("_") else None
    if fn is None or name in _SKIP or not callable(fn) or isinstance(fn, type):
        raise _context.with_location(_Unsupported(
            f"{mod}.{name} is not supported inside xlaish.jit (supported: see xlaish.numpy)"))
    return fn(*args, **kwargs)

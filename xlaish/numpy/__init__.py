"""NumPy-named functions. Inside ``xlaish.jit`` they build IR; outside they run NumPy.

NumPy's own functions (``np.exp``, ``np.sum``, ...) reach the same code through
``Tracer.__array_ufunc__`` / ``__array_function__``, so unchanged NumPy code
traces. A NumPy function with no entry here raises ``UnsupportedError`` naming it.
"""
from __future__ import annotations

import sys as _sys

import numpy as _np

from ..errors import UnsupportedError as _Unsupported
from ..trace import context as _context
from . import _contract, _extra, _misc, _scans, _setitem, fft, linalg  # noqa: F401  (_setitem: Tracer's assignment)
from ._composite import *  # noqa: F403  (diff, tile, triu, isclose, ...: see _composite.__all__)
from ._contract import *  # noqa: F403  (einsum, tensordot, kron, cross, matvec, vecmat)
from ._creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from ._extra import *  # noqa: F403  (heaviside, sinc, nan_to_num, polyval, cov, ...)
from ._fill import *  # noqa: F403  (copyto, place, putmask, fill_diagonal, unravel_index, interp, ...)
from ._indexing import *  # noqa: F403  (take, take_along_axis, put, choose, compress, bincount)
from ._indexing import getitem as _getitem  # x[key]: basic indexing or a gather
from ._linalg import dot, inner, matmul, outer, vdot
from ._misc import *  # noqa: F403  (real, result_type, fix, isin, gradient, delete, ...)
from ._reductions import all, amax, amin, any, argmax, argmin, max, mean, min, prod, std, sum, var
from ._scans import *  # noqa: F403  (cumsum, cumprod, cumulative_sum, nancumsum, unwrap, ...)
from ._shape import (
    around,
    array,
    asarray,
    ascontiguousarray,
    astype,
    broadcast_arrays,
    broadcast_to,
    clip,
    concatenate,
    copy,
    expand_dims,
    hstack,
    moveaxis,
    ndim,
    permute_dims,
    ravel,
    reshape,
    round,
    shape,
    size,
    squeeze,
    stack,
    swapaxes,
    transpose,
    vstack,
    where,
)
from ._sorting import *  # noqa: F403  (sort, argsort, partition, searchsorted, median, quantile, ...)
from ._ufuncs import FUNCS as _UFUNCS
from ._windows import *  # noqa: F403  (pad, sliding_window_view, rot90, convolve, ...)

globals().update(_UFUNCS)

# dtypes, so `xnp.float32` works like `np.float32`
from numpy import (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16,  # noqa
                   float32, float64, pi, e, inf, nan, newaxis, dtype)

# generalized ufuncs reach __array_ufunc__ too (np.matmul, np.matvec, ...)
_GUFUNCS = {"matmul": matmul, "matvec": _contract.matvec, "vecmat": _contract.vecmat, "vecdot": linalg.vecdot}

# ufuncs written as compositions (heaviside, modf, conjugate, ...)
_MORE_UFUNCS = {**_extra.UFUNCS, **_misc.UFUNCS}

_REDUCE = {"add": sum, "multiply": prod, "maximum": max, "minimum": min, "logical_and": all,
           "logical_or": any, "fmax": max, "fmin": min}


def _array_ufunc(ufunc, method, inputs, kwargs):
    name = ufunc.__name__
    for k, v in kwargs.items():
        if v is not None and not (k == "out" and v == ()):
            if not (method == "reduce" and k in ("axis", "keepdims")) and \
                    not (method == "accumulate" and k in ("axis", "dtype")):
                raise _context.with_location(_Unsupported(
                    f"numpy.{name}(..., {k}=...) is not supported on traced arrays"))
    fn = _UFUNCS.get(name) or _GUFUNCS.get(name) or _MORE_UFUNCS.get(name)
    if method == "__call__":
        if fn is None:
            mod = _ufunc_module(ufunc)
            raise _context.with_location(_Unsupported(f"{mod}.{name} is not supported by xlaish"))
        return fn(*inputs)
    if method == "outer" and fn is not None and ufunc.nin == 2:
        a, b = (asarray(v) for v in inputs)
        return fn(reshape(a, _np.shape(a) + (1,) * _np.ndim(b)), b)
    if method == "at":
        from ._indexing import ufunc_at
        return ufunc_at(ufunc, *inputs)
    if method == "accumulate" and name in ("add", "multiply", "maximum", "minimum"):
        (x,) = inputs
        return _scans.accumulate(name, x, axis=kwargs.get("axis", 0), dtype=kwargs.get("dtype"))
    if method == "reduce" and name in _REDUCE:
        (x,) = inputs
        return _REDUCE[name](x, axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    raise _context.with_location(_Unsupported(f"numpy.{name}.{method} is not supported by xlaish"))


def _ufunc_module(ufunc) -> str:
    """Where the user's ufunc comes from, for error messages (scipy.special's are ufuncs too)."""
    name = ufunc.__name__
    if getattr(_np, name, None) is ufunc:
        return "numpy"
    for mod in ("scipy.special",):
        if getattr(_sys.modules.get(mod), name, None) is ufunc:
            return mod
    return "the ufunc"


_SKIP = {"_array_ufunc", "_array_function"}
# NumPy's module of a function -> the xlaish namespace with the same names
_NAMESPACES = {"numpy": _sys.modules[__name__], "numpy.linalg": linalg, "numpy.fft": fft,
               "numpy.lib.stride_tricks": _sys.modules[__name__]}


def _array_function(func, args, kwargs):
    name = func.__name__
    mod = getattr(func, "__module__", "numpy") or "numpy"
    space = _NAMESPACES.get(mod)
    fn = getattr(space, name, None) if space is not None and not name.startswith("_") else None
    if fn is None or name in _SKIP or not callable(fn) or isinstance(fn, type):
        raise _context.with_location(_Unsupported(
            f"{mod}.{name} is not supported inside xlaish.jit (supported: see xlaish.numpy)"))
    return fn(*args, **kwargs)

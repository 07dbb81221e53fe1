"""Running reductions: ``cumsum``, ``cumprod``, ``cumulative_sum``/``cumulative_prod`` (NumPy 2's
``include_initial``), ``nancumsum``/``nancumprod``, ``<ufunc>.accumulate`` for add, multiply,
maximum, minimum (``accumulate``), and ``unwrap`` built on them.

Each emits one ``scan`` op (:mod:`xlaish.ir.ops.scan`) in the accumulation dtype: ``cumsum`` and
kin take ``np.cumsum``'s dtype (bool and small ints accumulate in int64 / uint64), and
``accumulate`` the dtype of NumPy's method (the same upcast for add/multiply; max/min keep it).
``axis=None`` scans the flattened array; 0-d inputs of ``cumsum`` give a 1-D result as NumPy.
Outside ``jit`` they run NumPy.
"""
from __future__ import annotations

import functools
import operator

import numpy as np

from .. import dtypes
from ..ir.opnames import SCAN
from ..trace import context
from ..trace.bind import any_tracer, cast, emit1, wrap
from ._reductions import _strong, normalize_axes
from ._shape import concatenate, ravel, reshape, where

__all__ = ["cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "nancumsum", "nancumprod", "unwrap",
           "polyint"]

_KIND = {"add": "add", "multiply": "mul", "maximum": "max", "minimum": "min"}


def scan(x, kind: str, axis: int):
    """The ``scan`` op on a traced array (x already in the result dtype); axis normalised."""
    return wrap(emit1(SCAN, [x.value], {"kind": kind, "axis": axis}))


@functools.cache
def _cum_dtype(fn_name, dt, dtype):
    with np.errstate(all="ignore"):
        return dtypes.canonical(getattr(np, fn_name)(np.ones((1,), dt), dtype=dtype).dtype)


def _axis(x, axis):
    if axis is None:
        return ravel(x), 0
    try:
        operator.index(axis)
    except TypeError:
        raise context.with_location(TypeError(
            f"'{type(axis).__name__}' object cannot be interpreted as an integer")) from None
    if x.ndim == 0:
        raise context.with_location(np.exceptions.AxisError(axis, 0))
    return x, normalize_axes(axis, x.ndim)[0]


def _traced_cum(fn_name, kind, a, axis, dtype):
    x = _strong(a)
    dt = _cum_dtype(fn_name, x.dtype, dtypes.canonical(dtype) if dtype is not None else None)
    x, ax = _axis(x, axis)
    return scan(wrap(cast(x.value, dt)), kind, ax)


def _no_out(out):
    if out is not None:
        raise context.with_location(TypeError("out= is not supported inside jit (use the result)"))


def cumsum(a, axis=None, dtype=None, out=None):
    if not any_tracer((a,)):
        return np.cumsum(a, axis=axis, dtype=dtype, out=out)
    _no_out(out)
    return _traced_cum("cumsum", "add", a, axis, dtype)


def cumprod(a, axis=None, dtype=None, out=None):
    if not any_tracer((a,)):
        return np.cumprod(a, axis=axis, dtype=dtype, out=out)
    _no_out(out)
    return _traced_cum("cumprod", "mul", a, axis, dtype)


def _cumulative(fn_name, kind, initial):
    npfn = getattr(np, fn_name)

    def f(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
        if not any_tracer((x,)):
            return npfn(x, axis=axis, dtype=dtype, out=out, include_initial=include_initial)
        _no_out(out)
        t = _strong(x)
        if t.ndim == 0:
            raise context.with_location(ValueError(
                f"{fn_name} does not support 0-d arrays (as numpy.{fn_name})"))
        if axis is None:
            if t.ndim > 1:
                raise context.with_location(ValueError(
                    f"{fn_name}: axis must be given for arrays with more than one dimension"))
            axis = 0
        dt = _cum_dtype(fn_name.replace("cumulative_", "cum"), t.dtype,
                        dtypes.canonical(dtype) if dtype is not None else None)
        ax = normalize_axes(axis, t.ndim)[0]
        y = scan(wrap(cast(t.value, dt)), kind, ax)
        if include_initial:
            shape = list(y.shape)
            shape[ax] = 1
            y = concatenate([np.full(shape, initial, dt), y], axis=ax)
        return y
    f.__name__ = fn_name
    return f


cumulative_sum = _cumulative("cumulative_sum", "add", 0)
cumulative_prod = _cumulative("cumulative_prod", "mul", 1)


def _nan_cum(fn_name, kind, fill):
    npfn = getattr(np, fn_name)

    def f(a, axis=None, dtype=None, out=None):
        if not any_tracer((a,)):
            return npfn(a, axis=axis, dtype=dtype, out=out)
        _no_out(out)
        x = _strong(a)
        if x.dtype.kind == "f":
            x = where(x != x, np.asarray(fill, x.dtype), x)
        return _traced_cum(fn_name[3:], kind, x, axis, dtype)
    f.__name__ = fn_name
    return f


nancumsum = _nan_cum("nancumsum", "add", 0)
nancumprod = _nan_cum("nancumprod", "mul", 1)


def accumulate(ufunc_name, a, axis=0, dtype=None):
    """``np.<ufunc>.accumulate(a, axis, dtype)`` on a traced array (add, multiply, maximum,
    minimum), in the dtype NumPy's method gives (add/multiply upcast bool and small ints like
    ``sum``; maximum/minimum keep the dtype)."""
    x = _strong(a)
    if x.ndim == 0:
        raise context.with_location(TypeError("cannot accumulate on a scalar"))
    dt = _acc_dtype(ufunc_name, x.dtype, dtypes.canonical(dtype) if dtype is not None else None)
    ax = normalize_axes(axis, x.ndim)[0]
    return scan(wrap(cast(x.value, dt)), _KIND[ufunc_name], ax)


@functools.cache
def _acc_dtype(ufunc_name, dt, dtype):
    with np.errstate(all="ignore"):
        return dtypes.canonical(getattr(np, ufunc_name).accumulate(np.ones((1,), dt), dtype=dtype).dtype)


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """NumPy's unwrap (floating-point phases): differences wrapped into [-period/2, period/2),
    their corrections accumulated with cumsum."""
    if not any_tracer((p,)):
        return np.unwrap(p, discont=discont, axis=axis, period=period)
    from ._composite import diff
    from ._ufuncs import FUNCS as U
    x = _strong(p)
    if x.dtype.kind != "f":
        x = wrap(cast(x.value, dtypes.canonical(np.result_type(x.dtype, period))))
    ax = normalize_axes(axis, x.ndim)[0]
    dd = diff(x, axis=ax)
    if discont is None:
        discont = period / 2
    high = period / 2
    low = -high
    ddmod = U["mod"](dd - low, period) + low
    ddmod = where((ddmod == low) & (dd > 0), high, ddmod)
    ph = ddmod - dd
    ph = where(U["absolute"](dd) < discont, 0, ph)
    n = x.shape[ax]
    if n < 2:
        return x
    head = _take(x, ax, 0, 1)
    tail = _take(x, ax, 1, n) + scan(ph, "add", ax)
    return concatenate([head, tail], axis=ax)


def _take(x, ax, start, stop):
    idx = [slice(None)] * x.ndim
    idx[ax] = slice(start, stop)
    return x[tuple(idx)]


def polyint(p, m=1, k=None):
    """Antiderivative of a polynomial (coefficients, highest power first), as np.polyint."""
    if not any_tracer((p, k)):
        return np.polyint(p, m=m, k=k)
    m = operator.index(m)
    if m < 0:
        raise context.with_location(ValueError("Order of integral must be positive (see polyder)"))
    if k is None:
        k = np.zeros(m, float)
    if np.ndim(k) == 0 and not any_tracer((k,)):
        k = np.full(m, k, float)
    y = _strong(p)
    if y.ndim != 1:
        y = reshape(y, (-1,))
    for i in range(m):
        n = y.shape[0]
        ki = k[i] if not any_tracer((k,)) else reshape(k[i], (1,))
        y = concatenate([y / np.arange(n, 0, -1, dtype=float), np.reshape(np.asarray(ki, float), (1,))
                         if not any_tracer((ki,)) else ki.astype(float)])
    return y

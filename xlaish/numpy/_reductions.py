"""Reductions and the statistics built from them (mean, var, std decompose into primitives)."""
from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from .. import dtypes
from ..errors import UnsupportedError
from ..trace import context
from ..trace.bind import any_tracer, cast, emit1, promote, to_value, wrap
from ..trace.tracer import Tracer
from . import _ufuncs
from ._axes import normalize_axes
from ._shape import reshape


def _ufunc_axes(axis, ndim) -> tuple[int, ...]:
    """Axes of a ufunc-style reduction: like NumPy, a 0-d array also takes the int axis 0 or -1."""
    if ndim == 0 and isinstance(axis, (int, np.integer)) and axis in (0, -1):
        return ()
    return normalize_axes(axis, ndim)


@functools.cache
def _result_dtype(fn_name, dt, dtype):
    fn = getattr(np, fn_name)
    with np.errstate(all="ignore"):
        return dtypes.canonical(fn(np.ones((1,), dt), dtype=dtype).dtype)


def _strong(x) -> Tracer:
    """A traced operand without weak typing (weak scalars take NumPy's default dtype)."""
    if isinstance(x, Tracer):
        return x if not x.weak else wrap(x.value)
    return wrap(to_value(x))


def _reduce(name, x, axes, keepdims):
    if not axes:  # axis=() or a 0-d operand: nothing to reduce (x is already in the result dtype)
        return wrap(x.value)
    return wrap(emit1(name, [x.value], {"axes": axes, "keepdims": bool(keepdims)}))


def _check_nonempty(x, axes, what):
    if builtins.any(x.shape[a] == 0 for a in axes):  # 'any' is shadowed below
        raise context.with_location(ValueError(
            f"zero-size array to reduction operation {what} which has no identity"))


def _traced_sum(fn_name, op, x, axis, dtype, keepdims):
    x = _strong(x)
    axes = _ufunc_axes(axis, x.ndim)
    dt = _result_dtype(fn_name, x.dtype, dtypes.canonical(dtype) if dtype is not None else None)
    return _reduce(op, wrap(cast(x.value, dt)), axes, keepdims)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    if not any_tracer((a,)):
        return np.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                      **({"initial": initial} if initial is not None else {}),
                      **({"where": where} if where is not None else {}))
    _no_extras(out=out, initial=initial, where=where)
    return _traced_sum("sum", "sum", a, axis, dtype, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    if not any_tracer((a,)):
        return np.prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **({"initial": initial} if initial is not None else {}),
                       **({"where": where} if where is not None else {}))
    _no_extras(out=out, initial=initial, where=where)
    return _traced_sum("prod", "prod", a, axis, dtype, keepdims)


def _minmax(op, npfn, what):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if not any_tracer((a,)):
            return npfn(a, axis=axis, out=out, keepdims=keepdims,
                        **({"initial": initial} if initial is not None else {}),
                        **({"where": where} if where is not None else {}))
        _no_extras(out=out, initial=initial, where=where)
        x = _strong(a)
        axes = _ufunc_axes(axis, x.ndim)
        _check_nonempty(x, axes, what)
        return _reduce(op, x, axes, keepdims)
    f.__name__ = op
    return f


max = _minmax("max", np.max, "maximum")
min = _minmax("min", np.min, "minimum")
amax, amin = max, min


def _anyall(op, npfn):
    def f(a, axis=None, out=None, keepdims=False, where=None):
        if not any_tracer((a,)):
            return npfn(a, axis=axis, out=out, keepdims=keepdims,
                        **({"where": where} if where is not None else {}))
        _no_extras(out=out, where=where)
        x = _strong(a)
        axes = _ufunc_axes(axis, x.ndim)
        return _reduce(op, wrap(cast(x.value, np.bool_)), axes, keepdims)
    f.__name__ = op
    return f


any = _anyall("any", np.any)
all = _anyall("all", np.all)


def _arg(op, npfn):
    def f(a, axis=None, out=None, keepdims=False):
        if not any_tracer((a,)):
            return npfn(a, axis=axis, out=out, keepdims=keepdims)
        _no_extras(out=out)
        x = _strong(a)
        if isinstance(axis, (tuple, list)):
            raise context.with_location(TypeError(
                f"'{type(axis).__name__}' object cannot be interpreted as an integer"))
        if axis is None or _ufunc_axes(axis, x.ndim) == ():
            if x.size == 0:
                raise context.with_location(ValueError(f"attempt to get {op} of an empty sequence"))
            r = wrap(emit1(op, [reshape(x, (-1,)).value], {"axis": 0, "keepdims": False}))
            return reshape(r, (1,) * x.ndim) if keepdims else r
        (ax,) = normalize_axes(axis, x.ndim)
        if x.shape[ax] == 0:
            raise context.with_location(ValueError(f"attempt to get {op} of an empty sequence"))
        return wrap(emit1(op, [x.value], {"axis": ax, "keepdims": bool(keepdims)}))
    f.__name__ = op
    return f


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


def _count(x, axes):
    return math.prod(x.shape[a] for a in axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    if not any_tracer((a,)):
        return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **({"where": where} if where is not None else {}))
    _no_extras(out=out, where=where)
    return _mean(a, axis, dtype, keepdims)


def _mean(a, axis, dtype, keepdims):
    x = _strong(a)
    axes = normalize_axes(axis, x.ndim)
    res_dt = _result_dtype("mean", x.dtype, dtypes.canonical(dtype) if dtype is not None else None)
    acc = np.dtype(np.float32) if res_dt == np.float16 else res_dt
    s = _reduce("sum", wrap(cast(x.value, acc)), axes, keepdims)
    m = _ufuncs.FUNCS["divide"](s, wrap(to_value(np.asarray(_count(x, axes), acc))))
    return m.astype(res_dt) if m.dtype != res_dt else m


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
        correction=None):
    if not any_tracer((a,)):
        return np.var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      **({"where": where} if where is not None else {}))
    _no_extras(out=out, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    x = _strong(a)
    axes = normalize_axes(axis, x.ndim)
    res_dt = _result_dtype("var", x.dtype, dtypes.canonical(dtype) if dtype is not None else None)
    acc = np.dtype(np.float32) if res_dt == np.float16 else res_dt
    # NumPy's steps: the mean in the accumulation dtype (an integer dtype= truncates it), the
    # deviations in the promoted dtype of input and mean, their squares summed in acc
    m = _mean(x, axes, x.dtype if x.dtype.kind == "c" else acc, True)
    d = _ufuncs.FUNCS["subtract"](x, m)
    if d.dtype.kind == "c":       # NumPy: |d|^2 = re^2 + im^2 (a real result)
        from ._complex import imag, real
        d2 = _ufuncs.FUNCS["add"](_ufuncs.FUNCS["multiply"](real(d), real(d)),
                                  _ufuncs.FUNCS["multiply"](imag(d), imag(d)))
    else:
        d2 = _ufuncs.FUNCS["multiply"](d, d)
    ss = _reduce("sum", wrap(cast(d2.value, acc)), axes, keepdims)
    n = _count(x, axes) - ddof
    n = n if n > 0 else 0
    v = _ufuncs.FUNCS["divide"](ss, wrap(to_value(np.asarray(n, acc))))
    return v.astype(res_dt) if v.dtype != res_dt else v


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
        correction=None):
    if not any_tracer((a,)):
        return np.std(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      **({"where": where} if where is not None else {}))
    v = var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
            mean=mean, correction=correction)
    r = _ufuncs.FUNCS["sqrt"](v)
    if r.dtype != v.dtype:  # NumPy takes the square root in place, in var's dtype
        raise context.with_location(TypeError(
            f"Cannot cast ufunc 'sqrt' output from {r.dtype!r} to {v.dtype!r} with casting rule "
            f"'same_kind'"))
    return r




def _no_extras(**kw):
    for k, v in kw.items():
        if v is not None:
            raise context.with_location(
                UnsupportedError(f"the '{k}=' argument is not supported on traced arrays"))


__all__ = ["sum", "prod", "max", "min", "amax", "amin", "any", "all", "argmax", "argmin", "mean",
           "var", "std", "normalize_axes", "promote"]

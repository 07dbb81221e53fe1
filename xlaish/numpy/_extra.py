"""NumPy ufuncs and small functions written as compositions of existing ops.

The ufuncs among them (``heaviside``, ``float_power``, ``logaddexp2``, ``modf``,
``divmod``, ``frexp``, ``spacing``) take their operand and result dtypes from NumPy's own loop
resolution (``ufunc.resolve_dtypes``), cast the operands to the loop dtypes and
then compose, so dtypes are NumPy's; ``UFUNCS`` maps their names for
``__array_ufunc__``. ``sinc``, ``nan_to_num``, ``polyval``, ``array_equal``,
``nanvar``/``nanstd``, ``cov``, ``corrcoef`` and ``i0`` follow NumPy's own formulas step
by step (so promotion and rounding match).
"""
from __future__ import annotations

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer, unsupported
from ._composite import _asarr, _nan_fill
from ._linalg import matmul
from ._reductions import all as _all
from ._reductions import mean as _mean
from ._reductions import sum as _sum
from ._shape import where
from ._ufuncs import FUNCS as _U

__all__ = ["heaviside", "float_power", "logaddexp2", "modf", "divmod", "sinc", "nan_to_num",
           "polyval", "array_equal", "nanvar", "nanstd", "cov", "corrcoef", "frexp", "spacing", "i0"]


def _loop_cast(ufunc, *args):
    """The operands cast to NumPy's loop dtypes for ``ufunc``, and the loop's output dtypes."""
    from ..trace.bind import operand_dtype
    ins = tuple(operand_dtype(a) for a in args)
    try:
        loop = ufunc.resolve_dtypes(ins + (None,) * ufunc.nout)
    except (TypeError, np.exceptions.DTypePromotionError) as e:
        raise unsupported(f"numpy.{ufunc.__name__} is not supported for these operand dtypes: {e}") from None
    cast = [_asarr(a).astype(dt) if not (isinstance(a, (int, float)) and not isinstance(a, bool))
            else _asarr(np.asarray(a, dt)) for a, dt in zip(args, loop[:ufunc.nin])]
    return cast, loop[ufunc.nin:]


def heaviside(x1, x2):
    if not any_tracer((x1, x2)):
        return np.heaviside(x1, x2)
    (x, h0), (dt,) = _loop_cast(np.heaviside, x1, x2)
    zero, one = _asarr(np.zeros((), dt)), _asarr(np.ones((), dt))
    r = where(_U["less"](x, zero), zero, where(_U["greater"](x, zero), one, h0))
    return where(_U["isnan"](x), x, r)


def float_power(x1, x2):
    if not any_tracer((x1, x2)):
        return np.float_power(x1, x2)
    (a, b), _ = _loop_cast(np.float_power, x1, x2)
    return _U["power"](a, b)


def logaddexp2(x1, x2):
    """NumPy's npy_logaddexp2: x + 1 when equal (infinities too), else the larger plus
    log2(1 + 2**-(|x - y|)); NaN when the difference is NaN."""
    if not any_tracer((x1, x2)):
        return np.logaddexp2(x1, x2)
    (x, y), (dt,) = _loop_cast(np.logaddexp2, x1, x2)
    d = _U["subtract"](x, y)
    big = where(_U["greater"](d, 0), x, y)
    tail = _U["multiply"](_U["log1p"](_U["exp2"](_U["negative"](_U["abs"](d)))),
                          _asarr(np.asarray(1 / np.log(2), dt)))
    r = _U["add"](big, tail)
    r = where(_U["isnan"](d), d, r)
    return where(_U["equal"](x, y), _U["add"](x, _asarr(np.ones((), dt))), r)


def modf(x):
    if not any_tracer((x,)):
        return np.modf(x)
    (v,), (dt, _) = _loop_cast(np.modf, x)
    whole = _U["trunc"](v)
    frac = where(_U["isinf"](v), _asarr(np.zeros((), dt)), _U["subtract"](v, whole))
    return _U["copysign"](frac, v), whole


def divmod(x1, x2):
    if not any_tracer((x1, x2)):
        return np.divmod(x1, x2)
    return _U["floor_divide"](x1, x2), _U["remainder"](x1, x2)


def sinc(x):
    if not any_tracer((x,)):
        return np.sinc(x)
    x = _U["multiply"](np.pi, _asarr(x))
    eps = np.finfo(x.dtype).eps if x.dtype.kind == "f" else 1e-20     # NumPy's own choice
    y = where(_U["not_equal"](x, 0), x, eps)
    return _U["divide"](_U["sin"](y), y)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    if not any_tracer((x,)):
        return np.nan_to_num(x, copy, nan, posinf, neginf)
    x = _asarr(x)
    if x.dtype.kind != "f":
        return x
    info = np.finfo(x.dtype)
    c = lambda v: _asarr(np.asarray(v).astype(x.dtype))
    hi = c(info.max if posinf is None else posinf)
    lo = c(info.min if neginf is None else neginf)
    r = where(_U["isnan"](x), c(nan), x)
    r = where(_U["logical_and"](_U["isinf"](x), _U["greater"](x, 0)), hi, r)
    return where(_U["logical_and"](_U["isinf"](x), _U["less"](x, 0)), lo, r)


def polyval(p, x):
    if not any_tracer((p, x)):
        return np.polyval(p, x)
    p = _asarr(p)
    x = _asarr(x)
    y = _U["multiply"](x, _asarr(np.zeros((), x.dtype)))      # zeros_like(x)
    for i in range(p.shape[0]):
        y = _U["add"](_U["multiply"](y, x), p[i])
    return y


def array_equal(a1, a2, equal_nan=False):
    if not any_tracer((a1, a2)):
        return np.array_equal(a1, a2, equal_nan)
    a1, a2 = _asarr(a1), _asarr(a2)
    if a1.shape != a2.shape:
        return _asarr(np.asarray(False))
    eq = _U["equal"](a1, a2)
    if equal_nan and (a1.dtype.kind == "f" or a2.dtype.kind == "f"):
        both = _U["logical_and"](_U["isnan"](a1), _U["isnan"](a2))
        eq = _U["logical_or"](eq, both)
    return _all(eq)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, mean=None, correction=None):
    if not any_tracer((a,)):
        return np.nanvar(a, axis, dtype, out, ddof, keepdims)
    if mean is not None or correction is not None:
        raise unsupported("nanvar(..., mean=/correction=) is not supported on traced arrays")
    from ._reductions import var
    a = _asarr(a)
    if a.dtype.kind != "f":
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    filled, nan = _nan_fill(a, 0)
    keep = _U["logical_not"](nan)
    cnt = _sum(keep, axis=axis, dtype=np.intp, keepdims=True)
    tot = _sum(filled, axis=axis, dtype=dtype, keepdims=True)
    avg = _U["divide"](tot, cnt).astype(tot.dtype)
    dev = where(keep, _U["subtract"](a, avg), _asarr(np.zeros((), a.dtype)))
    sq = _sum(_U["multiply"](dev, dev), axis=axis, dtype=dtype, keepdims=keepdims)
    n = _sum(keep, axis=axis, dtype=np.intp, keepdims=keepdims)
    dof = _U["subtract"](n, ddof)
    r = _U["divide"](sq, _U["maximum"](dof, 0))
    return where(_U["less_equal"](dof, 0), _asarr(np.asarray(np.nan, r.dtype)), r).astype(sq.dtype)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, mean=None, correction=None):
    if not any_tracer((a,)):
        return np.nanstd(a, axis, dtype, out, ddof, keepdims)
    return _U["sqrt"](nanvar(a, axis, dtype, out, ddof, keepdims, mean=mean, correction=correction))


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    if not any_tracer((m, y)):
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    if fweights is not None or aweights is not None:
        raise unsupported("cov(..., fweights=/aweights=) is not supported on traced arrays")
    m = _asarr(m)
    if m.ndim > 2:
        raise context.with_location(ValueError("m has more than 2 dimensions"))
    dt = np.dtype(dtype) if dtype is not None else np.result_type(m.dtype, np.float64)
    X = m.astype(dt)
    X = X.reshape((1, -1)) if X.ndim < 2 else X
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if y is not None:
        from ._shape import concatenate
        Y = _asarr(y).astype(dt)
        Y = Y.reshape((1, -1)) if Y.ndim < 2 else Y
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = concatenate([X, Y], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    n = X.shape[1]
    X = _U["subtract"](X, _mean(X, axis=1, keepdims=True))
    fact = max(n - ddof, 0)
    c = _U["multiply"](matmul(X, X.T), 1.0 / fact if fact else np.inf)
    from ._shape import squeeze
    return squeeze(c)


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    if not any_tracer((x, y)):
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return _U["divide"](c, c)
    from ._composite import diagonal
    d = diagonal(c)
    sd = _U["sqrt"](d)
    c = _U["divide"](_U["divide"](c, sd[:, None]), sd[None, :])
    from ._shape import clip
    return clip(c, -1, 1)


def frexp(x):
    """NumPy's frexp: the exponent from the ``frexp_exponent`` op (int32; 0 for 0, inf, NaN),
    the mantissa ``ldexp(x, -exponent)`` (exact; x itself for 0, inf, NaN)."""
    if not any_tracer((x,)):
        return np.frexp(x)
    (v,), _ = _loop_cast(np.frexp, x)
    e = _U["frexp_exponent"](v)
    return _U["ldexp"](v, _U["negative"](e)), e


def spacing(x):
    """NumPy's spacing, exact: the step to the next float away from zero (+ for either zero);
    float16 (NumPy's npy_half_spacing) steps toward +inf instead; NaN for inf."""
    if not any_tracer((x,)):
        return np.spacing(x)
    (v,), (dt,) = _loop_cast(np.spacing, x)
    inf = _asarr(np.asarray(np.inf, dt))
    away = inf if dt == np.float16 else where(_U["equal"](v, 0), inf, _U["copysign"](inf, v))
    d = _U["subtract"](_U["nextafter"](v, away), v)
    return where(_U["isinf"](v), _asarr(np.asarray(np.nan, dt)), d)


def _chbevl(x, vals):
    b0, b1, b2 = vals[0], 0.0, 0.0
    for c in vals[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


def i0(x):
    """NumPy's i0 step by step (Cephes' Chebyshev series on [0, 8] and beyond, Python-float
    coefficients as weak scalars), so float16/float32 compute in their own type as NumPy's do."""
    if not any_tracer((x,)):
        return np.i0(x)
    from numpy.lib import _function_base_impl as impl
    x = _asarr(x)
    if np.dtype(x.dtype).kind != "f":
        x = x.astype(np.float64)
    x = _U["abs"](x)
    small = _U["multiply"](_U["exp"](x), _chbevl(x / 2.0 - 2, list(impl._i0A)))
    large = _U["divide"](_U["multiply"](_U["exp"](x), _chbevl(32.0 / x - 2.0, list(impl._i0B))),
                         _U["sqrt"](x))
    return where(_U["less_equal"](x, 8.0), small, large)


UFUNCS = {"heaviside": heaviside, "float_power": float_power, "logaddexp2": logaddexp2, "modf": modf,
          "divmod": divmod, "frexp": frexp, "spacing": spacing}

"""Elementwise ops: rows of one table.

Each row is ``(name, numpy function, arity, traits)``. The dtype rule is the
NumPy ufunc's own type resolution (``ufunc.resolve_dtypes``); IR operands are
always already cast to the loop's input dtypes (the tracer inserts explicit
``astype`` ops), so lowerings see uniform operand types. Shapes broadcast.

Ops that NumPy lacks as ufuncs (``erf``, ``erfc``, ``expit``) take the type
rule of ``np.exp`` (integers become floats exactly as ``np.exp`` does).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ...errors import IRError, UnsupportedError
from ..opdef import COMMUTATIVE, ELEMENTWISE, PURE, OpDef, register
from ._rules import broadcast_rule


def _erf(x):
    return _via_f64(np.vectorize(math.erf, otypes=[np.float64]), x)


def _erfc(x):
    return _via_f64(np.vectorize(math.erfc, otypes=[np.float64]), x)


def _expit(x):
    def f(v):
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-v))
    return _via_f64(f, x)


def _via_f64(fn, x):
    x = np.asarray(x)
    return np.asarray(fn(x.astype(np.float64))).astype(x.dtype)


# (ir name, numpy function, arity, extra traits, resolver ufunc if not a ufunc)
UNARY = [
    ("negative", np.negative), ("positive", np.positive), ("abs", np.absolute), ("sign", np.sign),
    ("exp", np.exp), ("exp2", np.exp2), ("expm1", np.expm1), ("log", np.log), ("log2", np.log2),
    ("log10", np.log10), ("log1p", np.log1p), ("sqrt", np.sqrt), ("cbrt", np.cbrt),
    ("square", np.square), ("reciprocal", np.reciprocal),
    ("sin", np.sin), ("cos", np.cos), ("tan", np.tan), ("arcsin", np.arcsin), ("arccos", np.arccos),
    ("arctan", np.arctan), ("sinh", np.sinh), ("cosh", np.cosh), ("tanh", np.tanh),
    ("arcsinh", np.arcsinh), ("arccosh", np.arccosh), ("arctanh", np.arctanh),
    ("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc), ("rint", np.rint),
    ("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
    ("logical_not", np.logical_not), ("invert", np.invert),
    ("erf", _erf), ("erfc", _erfc), ("expit", _expit),
]
_COMM = {"add", "multiply", "maximum", "minimum", "fmax", "fmin", "hypot", "logaddexp", "equal",
         "not_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
         "bitwise_xor"}
BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply), ("divide", np.divide),
    ("floor_divide", np.floor_divide), ("remainder", np.remainder), ("power", np.power),
    ("maximum", np.maximum), ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin),
    ("arctan2", np.arctan2), ("hypot", np.hypot), ("logaddexp", np.logaddexp),
    ("copysign", np.copysign),
    ("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less),
    ("less_equal", np.less_equal), ("greater", np.greater), ("greater_equal", np.greater_equal),
    ("logical_and", np.logical_and), ("logical_or", np.logical_or), ("logical_xor", np.logical_xor),
    ("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor),
    ("left_shift", np.left_shift), ("right_shift", np.right_shift),
]
COMPARISONS = frozenset({"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"})


def resolver(name: str) -> np.ufunc:
    """The NumPy ufunc whose type resolution defines op ``name``'s dtypes."""
    fn = ELEMENTWISE_FUNCS[name]
    return fn if isinstance(fn, np.ufunc) else np.exp


@functools.lru_cache(maxsize=None)
def loop_dtypes(name: str, in_dtypes: tuple) -> tuple:
    """``(input dtypes..., output dtype)`` of NumPy's loop for these operand dtypes.

    ``in_dtypes`` may hold Python ``int``/``float`` for weak scalars.
    Raises UnsupportedError (naming op and dtypes) when NumPy has no loop.
    """
    uf = resolver(name)
    try:
        return tuple(uf.resolve_dtypes(tuple(in_dtypes) + (None,)))
    except (TypeError, np.exceptions.DTypePromotionError) as e:
        names = ", ".join(d.__name__ if isinstance(d, type) else str(d) for d in in_dtypes)
        raise UnsupportedError(f"'{name}' is not supported for operand dtypes ({names}): {e}") from None


def _dtype_rule(name):
    def rule(in_dtypes, attrs):
        loop = loop_dtypes(name, tuple(in_dtypes))
        if tuple(loop[:-1]) != tuple(in_dtypes):
            raise IRError(f"'{name}' operands {tuple(str(d) for d in in_dtypes)} are not cast to "
                          f"the loop dtypes {tuple(str(d) for d in loop[:-1])}")
        return loop[-1]
    return rule


def _reference(fn):
    def ref(*args):
        with np.errstate(all="ignore"):
            return fn(*args)
    return ref


ELEMENTWISE_FUNCS = {}
for _name, _fn in UNARY + BINARY:
    ELEMENTWISE_FUNCS[_name] = _fn
    _traits = {ELEMENTWISE, PURE} | ({COMMUTATIVE} if _name in _COMM else set())
    register(OpDef(name=_name, arity=1 if (_name, _fn) in UNARY else 2,
                   dtype_rule=_dtype_rule(_name), shape_rule=broadcast_rule,
                   reference=_reference(_fn), traits=frozenset(_traits),
                   doc=f"NumPy's {getattr(_fn, '__name__', _name)}, elementwise"))


def _select_dtype(dts, attrs):
    c, a, b = dts
    if c != np.bool_ or a != b:
        raise IRError(f"select needs (bool, T, T) operands, got {tuple(map(str, dts))}")
    return a


register(OpDef(
    name="select", arity=3, dtype_rule=_select_dtype, shape_rule=broadcast_rule,
    reference=lambda c, a, b: np.where(c, a, b), traits=frozenset({ELEMENTWISE, PURE}),
    doc="np.where(cond, a, b) with a and b of one dtype"))


def _astype_ref(x, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(x).astype(dtype)


register(OpDef(
    name="astype", arity=1, dtype_rule=lambda dts, attrs: attrs["dtype"],
    shape_rule=lambda shapes, attrs: shapes[0], reference=_astype_ref,
    traits=frozenset({ELEMENTWISE, PURE}), doc="dtype conversion with NumPy's astype semantics"))

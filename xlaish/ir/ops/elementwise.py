"""Elementwise ops: rows of one table.

Each row is a :class:`Row`: the op's name, NumPy function, arity and the facts
the backends and autodiff read (commutative, differentiable, math-library
function, comparison predicate, constant scale). The dtype rule is the
NumPy ufunc's own type resolution (``ufunc.resolve_dtypes``); IR operands are
always already cast to the loop's input dtypes (the tracer inserts explicit
``astype`` ops), so lowerings see uniform operand types. Shapes broadcast.

Ops that NumPy lacks as ufuncs (``erf``, ``erfc``, ``expit``, ``frexp_exponent``) take the
type rule of ``np.exp`` (integers become floats exactly as ``np.exp`` does); a row with an
``out_dtype`` (``frexp_exponent``: int32) has that result dtype.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

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


def _frexp_exponent(x):
    """The exponent half of ``np.frexp`` (the mantissa is ``ldexp(x, -exponent)``, exact)."""
    return np.frexp(x)[1]


def _via_f64(fn, x):
    x = np.asarray(x)
    return np.asarray(fn(x.astype(np.float64))).astype(x.dtype)


@dataclass(frozen=True)
class Row:
    """One elementwise op: every fact about it the layers above the IR read.

    ``fn``: NumPy's function (a ufunc, whose type resolution is the op's dtype
    rule; or a plain function taking ``np.exp``'s type rule). ``math``: on
    float operands the op is the math library's function of the same name
    (vector math on the CPU, libdevice on a GPU); a backend's generic math rule
    lowers it unless the backend gives the op its own rule. ``compare``: the
    predicate of a comparison. ``scale``: ``x * (num / den)``, the constant
    computed in the operand's (compute) float type as NumPy's loops do.
    ``differentiable``: False for piecewise-constant and non-float results. ``out_dtype``: the
    result dtype when it is fixed (``frexp_exponent``: int32), the inputs typed as ``fn``'s.
    """
    name: str
    fn: Callable
    arity: int
    commutative: bool = False
    differentiable: bool = True
    math: bool = False
    compare: str | None = None
    scale: tuple | None = None
    out_dtype: str | None = None      # a result dtype fixed whatever the operands (frexp's exponent)


def _u(name, fn, **kw):
    return Row(name, fn, 1, **kw)


def _b(name, fn, **kw):
    return Row(name, fn, 2, **kw)


_ND = dict(differentiable=False)
_M = dict(math=True)
ROWS_LIST = [
    _u("negative", np.negative), _u("positive", np.positive), _u("abs", np.absolute),
    _u("sign", np.sign, **_ND),
    _u("exp", np.exp, **_M), _u("exp2", np.exp2, **_M), _u("expm1", np.expm1, **_M),
    _u("log", np.log, **_M), _u("log2", np.log2, **_M), _u("log10", np.log10, **_M),
    _u("log1p", np.log1p, **_M), _u("sqrt", np.sqrt, **_M), _u("cbrt", np.cbrt, **_M),
    _u("square", np.square), _u("reciprocal", np.reciprocal),
    _u("sin", np.sin, **_M), _u("cos", np.cos, **_M), _u("tan", np.tan, **_M),
    _u("arcsin", np.arcsin, **_M), _u("arccos", np.arccos, **_M), _u("arctan", np.arctan, **_M),
    _u("sinh", np.sinh, **_M), _u("cosh", np.cosh, **_M), _u("tanh", np.tanh, **_M),
    _u("arcsinh", np.arcsinh, **_M), _u("arccosh", np.arccosh, **_M), _u("arctanh", np.arctanh, **_M),
    _u("deg2rad", np.deg2rad, scale=(math.pi, 180.0)),
    _u("rad2deg", np.rad2deg, scale=(180.0, math.pi)),
    _u("floor", np.floor, **_ND), _u("ceil", np.ceil, **_ND), _u("trunc", np.trunc, **_ND),
    _u("rint", np.rint, **_ND),
    _u("isnan", np.isnan, **_ND), _u("isinf", np.isinf, **_ND), _u("isfinite", np.isfinite, **_ND),
    _u("signbit", np.signbit, **_ND),
    _u("logical_not", np.logical_not, **_ND), _u("invert", np.invert, **_ND),
    _u("bitwise_count", np.bitwise_count, **_ND),
    _u("frexp_exponent", _frexp_exponent, out_dtype="int32", **_ND),
    _u("erf", _erf, **_M), _u("erfc", _erfc, **_M), _u("expit", _expit, **_M),
    _b("add", np.add, commutative=True), _b("subtract", np.subtract),
    _b("multiply", np.multiply, commutative=True), _b("divide", np.divide),
    _b("floor_divide", np.floor_divide, **_ND), _b("remainder", np.remainder),
    _b("power", np.power),
    _b("maximum", np.maximum, commutative=True), _b("minimum", np.minimum, commutative=True),
    _b("fmax", np.fmax, commutative=True), _b("fmin", np.fmin, commutative=True),
    _b("arctan2", np.arctan2, **_M), _b("hypot", np.hypot, commutative=True, **_M),
    _b("logaddexp", np.logaddexp, commutative=True, **_M), _b("copysign", np.copysign),
    _b("equal", np.equal, commutative=True, compare="==", **_ND),
    _b("not_equal", np.not_equal, commutative=True, compare="!=", **_ND),
    _b("less", np.less, compare="<", **_ND), _b("less_equal", np.less_equal, compare="<=", **_ND),
    _b("greater", np.greater, compare=">", **_ND),
    _b("greater_equal", np.greater_equal, compare=">=", **_ND),
    _b("logical_and", np.logical_and, commutative=True, **_ND),
    _b("logical_or", np.logical_or, commutative=True, **_ND),
    _b("logical_xor", np.logical_xor, commutative=True, **_ND),
    _b("bitwise_and", np.bitwise_and, commutative=True, **_ND),
    _b("bitwise_or", np.bitwise_or, commutative=True, **_ND),
    _b("bitwise_xor", np.bitwise_xor, commutative=True, **_ND),
    _b("left_shift", np.left_shift, **_ND), _b("right_shift", np.right_shift, **_ND),
    _b("fmod", np.fmod), _b("ldexp", np.ldexp), _b("nextafter", np.nextafter, **_ND),
    _b("gcd", np.gcd, commutative=True, **_ND), _b("lcm", np.lcm, commutative=True, **_ND),
]
ROWS = {r.name: r for r in ROWS_LIST}
UNARY = [(r.name, r.fn) for r in ROWS_LIST if r.arity == 1]
BINARY = [(r.name, r.fn) for r in ROWS_LIST if r.arity == 2]
ELEMENTWISE_FUNCS = {r.name: r.fn for r in ROWS_LIST}
# the comparisons and their predicates (the op groups live in xlaish.ir.groups)
COMPARISONS = frozenset(r.name for r in ROWS_LIST if r.compare)
PREDICATES = {r.name: r.compare for r in ROWS_LIST if r.compare}


def resolver(name: str) -> np.ufunc:
    """The NumPy ufunc whose type resolution defines op ``name``'s dtypes."""
    fn = ELEMENTWISE_FUNCS[name]
    return fn if isinstance(fn, np.ufunc) else np.exp


@functools.cache
def loop_dtypes(name: str, in_dtypes: tuple) -> tuple:
    """``(input dtypes..., output dtype)`` of NumPy's loop for these operand dtypes.

    ``in_dtypes`` may hold Python ``int``/``float`` for weak scalars.
    Raises UnsupportedError (naming op and dtypes) when NumPy has no loop.
    """
    uf = resolver(name)
    out = ROWS[name].out_dtype if name in ROWS else None
    try:
        loop = tuple(uf.resolve_dtypes(tuple(in_dtypes) + (None,)))
        return loop if out is None else loop[:-1] + (np.dtype(out),)
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


for _r in ROWS_LIST:
    _traits = {ELEMENTWISE, PURE} | ({COMMUTATIVE} if _r.commutative else set())
    register(OpDef(name=_r.name, arity=_r.arity, dtype_rule=_dtype_rule(_r.name),
                   shape_rule=broadcast_rule, reference=_reference(_r.fn), traits=frozenset(_traits),
                   differentiable=_r.differentiable,
                   doc=f"NumPy's {getattr(_r.fn, '__name__', _r.name)}, elementwise"))


def _select_dtype(dts, attrs):
    c, a, b = dts
    if c != np.bool_ or a != b:
        raise IRError(f"select needs (bool, T, T) operands, got {tuple(map(str, dts))}")
    return a


register(OpDef(
    name="select", arity=3, dtype_rule=_select_dtype, shape_rule=broadcast_rule,
    reference=lambda c, a, b: np.where(c, a, b), traits=frozenset({ELEMENTWISE, PURE}),
    differentiable=True, doc="np.where(cond, a, b) with a and b of one dtype"))


def _astype_ref(x, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(x).astype(dtype)


register(OpDef(
    name="astype", arity=1, dtype_rule=lambda dts, attrs: attrs["dtype"],
    shape_rule=lambda shapes, attrs: shapes[0], reference=_astype_ref,
    traits=frozenset({ELEMENTWISE, PURE}), differentiable=True,
    doc="dtype conversion with NumPy's astype semantics"))

"""Binding ops while tracing: promotion, explicit casts, constants, locations.

``xlaish.numpy`` calls these. Each function works on Tracers (emitting IR into
the active trace) and the numpy layer decides eager vs traced.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from ..errors import ShapeError, UnsupportedError
from ..ir.opnames import ASTYPE, BROADCAST_TO, CONSTANT, LESS, POWER, SELECT
from ..ir.ops import elementwise as ew
from ..ir.ops._rules import broadcast_shapes
from . import context
from .tracer import Tracer


def find_trace(args):
    for a in args:
        if isinstance(a, Tracer):
            return a.trace
    return None


def any_tracer(args) -> bool:
    return any(isinstance(a, Tracer) for a in args)


def emit(name: str, operands, attrs=None, regions=()):
    """Append op ``name`` to the active trace; returns its result Values."""
    tr = context.current()
    loc = context.user_location()
    try:
        return tr.builder.emit(name, operands, attrs, regions, loc=loc)
    except Exception as e:
        new = context.with_location(e, loc)
        if new is e:
            raise
        raise new from None


def emit1(name, operands, attrs=None, regions=()):
    (r,) = emit(name, operands, attrs, regions)
    return r


def const(value, dtype=None):
    """A constant Value. Uniform arrays become a scalar constant broadcast to shape."""
    tr = context.current()
    try:
        a = np.asarray(value, dtype=dtype)
    except OverflowError as e:
        raise context.with_location(e) from None
    with context.located():
        dt = dtypes.canonical(a.dtype)
    a = a.astype(dt, copy=False)
    if _uniform(a):
        scalar = const(a.flat[0], dt)
        return emit1(BROADCAST_TO, [scalar], {"shape": a.shape})
    if a.ndim == 0:
        key = (dt.str, a.tobytes())
        v = tr.consts.get(key)
        if v is None:
            v = tr.consts[key] = emit1(CONSTANT, [], {"value": a.copy()})
        return v
    return emit1(CONSTANT, [], {"value": np.ascontiguousarray(a)})


def _uniform(a) -> bool:
    if a.ndim == 0 or a.size < 2:
        return False
    first = a.flat[0]
    same = a == first
    if a.dtype.kind == "f":
        same &= np.signbit(a) == np.signbit(first)
    return bool(same.all())


def cast(v, dtype):
    dtype = dtypes.canonical(dtype)
    if v.type.dtype == dtype:
        return v
    if v.type.dtype.kind == "c" and dtype.kind not in "cb":
        _complex_warning()
    return emit1(ASTYPE, [v], {"dtype": dtype})


def _complex_warning():
    """NumPy's ComplexWarning for a complex -> real cast, given while tracing at the user's line."""
    import warnings
    loc = context.user_location()
    filename, _, lineno = (loc or "<traced>:0").rpartition(":")
    warnings.warn_explicit("Casting complex values to real discards the imaginary part",
                           np.exceptions.ComplexWarning, filename or "<traced>",
                           int(lineno) if lineno.isdigit() else 0)


def _note_int_bounds(x, dtype):
    """A weak int parameter cast to a narrower integer dtype: record the range its argument
    must fall in (checked at call time, see ``Trace.weak_bounds``)."""
    dtype = dtypes.canonical(dtype)
    tr = context.current()
    if tr is None or dtype.kind not in "iu" or dtype.itemsize >= 8 and dtype.kind == "i":
        return
    pos = tr.param_pos.get(id(x.value))
    if pos is None:
        return
    info = np.iinfo(dtype)
    lo, hi, name = info.min, info.max, dtype.name
    old = tr.weak_bounds.get(id(x.value))
    if old is not None:               # used with several dtypes: the argument must fit them all
        _, olo, ohi, oname = old
        if olo >= lo and ohi <= hi:
            return
        if not (lo >= olo and hi <= ohi):
            lo, hi, name = max(lo, olo), min(hi, ohi), f"{oname} and {name}"
    tr.weak_bounds[id(x.value)] = (pos, lo, hi, name)


def operand_dtype(x):
    """The dtype of an operand for promotion: a dtype, or ``int``/``float`` for weak scalars."""
    if isinstance(x, Tracer):
        return x.weak or x.dtype
    w = dtypes.weak_type(x)
    if w is not None:
        return w
    return dtypes.canonical(np.asarray(x).dtype) if not isinstance(x, np.dtype) else x


def to_value(x, dtype=None):
    """A Value for ``x`` (Tracer or concrete), cast to ``dtype`` when given."""
    if isinstance(x, Tracer):
        if dtype is not None and x.weak is int:
            _note_int_bounds(x, dtype)
        return cast(x.value, dtype) if dtype is not None else x.value
    if dtype is None and dtypes.weak_type(x) is not None:
        dtype = dtypes.default_dtype(type(x))
    return const(x, dtype)


def wrap(v, weak=None) -> Tracer:
    return Tracer(v, context.current(), weak)


def _fits(x, dtype) -> bool:
    if not isinstance(x, int) or isinstance(x, bool) or dtype.kind not in "iu":
        return True
    info = np.iinfo(dtype)
    return info.min <= x <= info.max


_PY_CMP = {"equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
           "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge}


def _exact_comparison(name, args, loop):
    """NumPy 2 compares integers exactly where a cast would not be: an integer array with a Python
    int outside its range (the result is one value), and uint64 with int64 (NumPy's mixed loop,
    whose operands differ in dtype). Emitted with uniform-dtype ops; None when not such a case."""
    cmp = _PY_CMP[name]
    for i, a in enumerate(args):
        other = loop[1 - i]
        if not _fits(a, other) and not isinstance(args[1 - i], int):
            # a stand-in pair ordered like (a, everything of the other dtype) decides the result
            stand_in = (1, 0) if a > np.iinfo(other).max else (-1, 0)
            value = cmp(*(stand_in if i == 0 else stand_in[::-1]))
            shape = args[1 - i].shape
            return wrap(emit1(BROADCAST_TO, [const(np.bool_(value))], {"shape": tuple(shape)}))
    u64, i64 = np.dtype(np.uint64), np.dtype(np.int64)
    if tuple(loop[:2]) not in ((u64, i64), (i64, u64)):
        return None
    s = 0 if loop[0] == i64 else 1
    ops = [to_value(a, loop[i]) for i, a in enumerate(args)]
    negative = emit1(LESS, [ops[s], const(np.int64(0))])
    ops[s] = cast(ops[s], u64)               # exact where the signed operand is >= 0
    as_unsigned = emit1(name, ops)
    # where it is negative, the unsigned operand is the larger one: decide with stand-ins
    value = cmp(*((-1, 0) if s == 0 else (0, -1)))
    return wrap(emit1(SELECT, [negative, const(np.bool_(value)), as_unsigned]))


def elementwise(name: str, *args) -> Tracer:
    """Trace elementwise op ``name`` with NumPy 2 promotion (weak Python scalars included)."""
    with context.located():  # complex / string / object operands name the user's line
        in_dts = tuple(operand_dtype(a) for a in args)
    all_weak = all(isinstance(d, type) for d in in_dts)
    if all_weak:
        in_dts = tuple(dtypes.default_dtype(d) for d in in_dts)
    with context.located():
        loop = ew.loop_dtypes(name, in_dts)
        if name in ew.COMPARISONS:
            exact = _exact_comparison(name, args, loop)
            if exact is not None:
                return exact
        if name == POWER and loop[1].kind in "iu" and not isinstance(args[1], Tracer) \
                and np.any(np.asarray(args[1]) < 0):
            # NumPy raises this when it meets the value; a constant exponent is known now
            raise ValueError("Integers to negative integer powers are not allowed.")
        operands = [to_value(a, loop[i]) for i, a in enumerate(args)]
    out = emit1(name, operands)
    weak = None
    if all_weak and out.type.dtype.kind in "ifc" and not any(isinstance(a, np.generic) for a in args):
        weak = {"f": float, "c": complex}.get(out.type.dtype.kind, int)
    return wrap(out, weak)


def promote(*args):
    """Common dtype of operands by ``np.result_type`` (weak scalars honoured)."""
    with context.located():
        dts = [operand_dtype(a) for a in args]
        if all(isinstance(d, type) for d in dts):
            dts = [dtypes.default_dtype(d) for d in dts]
        return dtypes.result_type(*dts)


def broadcast(*shapes):
    with context.located():
        return broadcast_shapes(*shapes)


def unsupported(what: str):
    return context.with_location(UnsupportedError(what))


def shape_error(msg: str):
    return context.with_location(ShapeError(msg))

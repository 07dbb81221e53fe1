"""Binding ops while tracing: promotion, explicit casts, constants, locations.

``xlaish.numpy`` calls these. Each function works on Tracers (emitting IR into
the active trace) and the numpy layer decides eager vs traced.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..errors import ShapeError, UnsupportedError
from ..ir.ops import elementwise as ew
from ..ir.ops._rules import broadcast_shapes
from ..ir.types import TensorType
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
    dt = dtypes.canonical(a.dtype)
    a = a.astype(dt, copy=False)
    if _uniform(a):
        scalar = const(a.flat[0], dt)
        return emit1("broadcast_to", [scalar], {"shape": a.shape})
    if a.ndim == 0:
        key = (dt.str, a.tobytes())
        v = tr.consts.get(key)
        if v is None:
            v = tr.consts[key] = emit1("constant", [], {"value": a.copy()})
        return v
    return emit1("constant", [], {"value": np.ascontiguousarray(a)})


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
    return emit1("astype", [v], {"dtype": dtype})


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


def elementwise(name: str, *args) -> Tracer:
    """Trace elementwise op ``name`` with NumPy 2 promotion (weak Python scalars included)."""
    in_dts = tuple(operand_dtype(a) for a in args)
    all_weak = all(isinstance(d, type) for d in in_dts)
    if all_weak:
        in_dts = tuple(dtypes.default_dtype(d) for d in in_dts)
    with context.located():
        loop = ew.loop_dtypes(name, in_dts)
        if name in ew.COMPARISONS and not all(_fits(a, loop[i]) for i, a in enumerate(args)):
            # NumPy 2 compares with out-of-range Python ints exactly: widen instead of overflowing
            wide = np.dtype(np.float64) if np.dtype(np.uint64) in loop else np.dtype(np.int64)
            loop = ew.loop_dtypes(name, tuple(wide if isinstance(d, type) or d.kind in "iub" and
                                              d != np.uint64 else d for d in in_dts))
        if name == "power" and loop[1].kind in "iu" and not isinstance(args[1], Tracer) \
                and np.any(np.asarray(args[1]) < 0):
            # NumPy raises this when it meets the value; a constant exponent is known now
            raise ValueError("Integers to negative integer powers are not allowed.")
        operands = [to_value(a, loop[i]) for i, a in enumerate(args)]
    out = emit1(name, operands)
    weak = None
    if all_weak and out.type.dtype.kind in "if" and not any(isinstance(a, np.generic) for a in args):
        weak = float if out.type.dtype.kind == "f" else int
    return wrap(out, weak)


def promote(*args):
    """Common dtype of operands by ``np.result_type`` (weak scalars honoured)."""
    dts = [operand_dtype(a) for a in args]
    if all(isinstance(d, type) for d in dts):
        dts = [dtypes.default_dtype(d) for d in dts]
    with context.located():
        return dtypes.result_type(*dts)


def broadcast(*shapes):
    with context.located():
        return broadcast_shapes(*shapes)


def unsupported(what: str):
    return context.with_location(UnsupportedError(what))


def shape_error(msg: str):
    return context.with_location(ShapeError(msg))

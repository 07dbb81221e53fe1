"""Debugging aids usable inside ``jit``: ``print`` real values and ``check`` conditions at run time.

Also see ``XLAISH_DEBUG_NANS=1`` (:mod:`xlaish.config`): every kernel's float
outputs are scanned for NaN; the first one raises ``FloatingPointError``
naming the op and the source line that produced it.
"""
from __future__ import annotations

import builtins

import numpy as np

from .errors import CheckError, TraceError
from .ir.opnames import DEBUG_CHECK, DEBUG_PRINT
from .trace import context
from .trace.bind import emit, to_value
from .trace.tracer import Tracer

__all__ = ["print", "check", "CheckError"]


def print(fmt: str, *args) -> None:  # noqa: A001  (mirrors jax.debug.print)
    """``print(fmt.format(*values))`` when the compiled code runs (at trace time it emits an op)."""
    if context.current() is None and not any(isinstance(a, Tracer) for a in args):
        builtins.print(fmt.format(*args))
        return
    values = [to_value(a) for a in args]
    try:       # the values' types are known now: a format that cannot fit them fails here
        fmt.format(*[np.broadcast_to(np.zeros((), v.type.dtype), v.type.shape)[()] if v.type.ndim == 0
                     else np.broadcast_to(np.zeros((), v.type.dtype), v.type.shape) for v in values])
    except (IndexError, KeyError, ValueError, TypeError) as e:
        raise context.with_location(TraceError(
            f"debug.print: format {fmt!r} does not fit its {len(values)} value(s) "
            f"({', '.join(str(v.type) for v in values) or 'none'}): {type(e).__name__}: {e}")) from None
    emit(DEBUG_PRINT, values, {"fmt": fmt})


def check(pred, message: str) -> None:
    """A runtime assertion: raise ``xlaish.CheckError(message)`` after the call if pred is not all true."""
    if context.current() is None and not isinstance(pred, Tracer):
        if not bool(np.all(pred)):
            raise CheckError(message)
        return
    v = to_value(pred, np.bool_) if not isinstance(pred, Tracer) else \
        (pred.value if pred.dtype == np.bool_ else pred.astype(np.bool_).value)
    emit(DEBUG_CHECK, [v], {"msg": message})

"""Debugging aids usable inside ``jit``: ``print`` real values and ``check`` conditions at run time.

Also see ``XLAISH_DEBUG_NANS=1`` (:mod:`xlaish.config`): every kernel's float
outputs are scanned for NaN; the first one raises ``FloatingPointError``
naming the op and the source line that produced it.
"""
from __future__ import annotations

import builtins

import numpy as np

from .errors import CheckError
from .trace import context
from .trace.bind import emit, to_value
from .trace.tracer import Tracer

__all__ = ["print", "check", "CheckError"]


def print(fmt: str, *args) -> None:  # noqa: A001  (mirrors jax.debug.print)
    """``print(fmt.format(*values))`` when the compiled code runs (at trace time it emits an op)."""
    if context.current() is None and not any(isinstance(a, Tracer) for a in args):
        builtins.print(fmt.format(*args))
        return
    emit("debug_print", [to_value(a) for a in args], {"fmt": fmt})


def check(pred, message: str) -> None:
    """A runtime assertion: raise ``xlaish.CheckError(message)`` after the call if pred is not all true."""
    if context.current() is None and not isinstance(pred, Tracer):
        if not bool(np.all(pred)):
            raise CheckError(message)
        return
    v = to_value(pred, np.bool_) if not isinstance(pred, Tracer) else \
        (pred.value if pred.dtype == np.bool_ else pred.astype(np.bool_).value)
    emit("debug_check", [v], {"msg": message})

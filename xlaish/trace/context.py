"""The active trace (a stack, per thread) and the user's source location."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

from ..errors import TraceError, XlaishError
from ..ir.builder import Builder

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NP_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_CONTEXTLIB = contextlib.__file__  # located() re-raises from contextlib's __exit__ frame
_state = threading.local()


class Trace:
    """One function being traced: the IR builder plus a cache of scalar constants.

    A trace opened while another is active (the body of ``cond``/``while_loop``)
    has that one as ``parent``. When the body uses a Tracer of an enclosing
    trace (a closure), ``capture`` turns it into an extra parameter of the body
    and records the outer value, which becomes an operand of the region op.
    """

    def __init__(self, name: str, parent: Trace | None = None):
        self.builder = Builder(name)
        self.consts: dict = {}
        self.parent = parent
        self.captures: list = []          # (outer Value, inner parameter Value)
        self._captured: dict = {}
        # weak (Python int) parameters cast to a narrower integer dtype: parameter id ->
        # (position, lo, hi, dtype name); the call checks the argument fits, as NumPy's
        # ufuncs do for a Python int (``int8_array * 300`` raises OverflowError)
        self.param_pos: dict = {}
        self.weak_bounds: dict = {}

    def capture(self, tracer):
        key = id(tracer._value)
        inner = self._captured.get(key)
        if inner is None:
            if self.parent is None:
                raise TraceError(f"a traced value ({tracer!r}) of another function's trace was used "
                                 f"here: it escaped while that function was being traced (stored in "
                                 f"a global, a list, an attribute or a closure). Return it from that "
                                 f"function, or pass it in as an argument")
            outer = tracer._value if tracer.trace is self.parent else self.parent.capture(tracer)
            inner = self.builder.param(outer.type, hint="closure")
            self._captured[key] = inner
            self.captures.append((outer, inner))
        return inner


def current() -> Trace | None:
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


@contextmanager
def new_trace(name: str, nested: bool = False):
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    tr = Trace(name, parent=stack[-1] if (nested and stack) else None)
    stack.append(tr)
    try:
        yield tr
    finally:
        stack.pop()


@contextmanager
def activate(tr: Trace):
    """Emit into ``tr`` (a trace still being built, enclosing the current one) for a while: a view
    re-derived from its base belongs to the base's trace."""
    stack = _state.stack
    if stack and stack[-1] is tr:
        yield
        return
    stack.append(tr)
    try:
        yield
    finally:
        stack.pop()


def user_location() -> str | None:
    """``file:line`` of the innermost frame outside xlaish and NumPy (the user's code)."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not (fn.startswith(_PKG_DIR) or fn.startswith(_NP_DIR) or fn == _CONTEXTLIB
                or fn.startswith("<__array_function__")):
            return f"{fn}:{f.f_lineno}"
        f = f.f_back
    return None


def with_location(exc: BaseException, loc: str | None = None) -> BaseException:
    """The same exception type with ``(at file:line)`` appended once."""
    loc = loc or user_location()
    # the message: str(exc), except for single-argument exceptions whose str() adds quotes
    # (KeyError); multi-argument ones (AxisError(axis, ndim)) format their own message
    msg = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    if loc is None or "(at " in msg:
        return exc
    try:
        new = type(exc)(f"{msg} (at {loc})")
    except Exception:
        return exc
    return new


@contextmanager
def located():
    """Re-raise xlaish and NumPy errors raised inside with the user's file and line."""
    try:
        yield
    except (XlaishError, ValueError, TypeError, IndexError, OverflowError) as e:
        new = with_location(e)
        if new is e:
            raise
        raise new.with_traceback(e.__traceback__) from None

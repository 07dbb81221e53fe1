"""The active trace (a stack, per thread) and the user's source location."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

from ..errors import XlaishError
from ..ir.builder import Builder

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NP_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_CONTEXTLIB = contextlib.__file__  # located() re-raises from contextlib's __exit__ frame
_state = threading.local()


class Trace:
    """One function being traced: the IR builder plus a cache of scalar constants."""

    def __init__(self, name: str):
        self.builder = Builder(name)
        self.consts: dict = {}


def current() -> Trace | None:
    stack = getattr(_state, "stack", None)
    return stack[-1] if stack else None


@contextmanager
def new_trace(name: str):
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    tr = Trace(name)
    stack.append(tr)
    try:
        yield tr
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

"""Python control flow on traced values compiled to ``cond``/``while`` regions ("autograph").

:func:`convert` rewrites a function's AST (:mod:`.transform`) so that its ``if``/``for``/``while``,
``and``/``or``/``not`` and conditional expressions call :mod:`.runtime`, which keeps Python
semantics for Python values and builds region ops for traced ones; :mod:`.state` maps the
statement's variables onto region operands and writes in-place updates back; :mod:`.analysis` is
the name/liveness analysis. ``jit(f, autograph=False)`` turns it off.
"""
from ..trace import context
from .transform import convert

__all__ = ["convert", "convert_like_trace"]


def convert_like_trace(fun):
    """``fun`` converted if the function being traced now is (``grad(f)`` inside ``jit``)."""
    tr = context.current()
    while tr is not None and tr.parent is not None:
        tr = tr.parent
    conv = getattr(tr, "convert", None)
    return conv(fun) if conv is not None else fun

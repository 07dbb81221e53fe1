"""Python control flow on traced values compiled to ``cond``/``while`` regions ("autograph").

:func:`convert` rewrites a function's AST (:mod:`.transform`) so that its ``if``/``for``/``while``,
``and``/``or``/``not`` and conditional expressions call :mod:`.runtime`, which keeps Python
semantics for Python values and builds region ops for traced ones; :mod:`.state` maps the
statement's variables onto region operands and writes in-place updates back; :mod:`.analysis` is
the name/liveness analysis. ``jit(f, autograph=False)`` turns it off.
"""
from .transform import convert

__all__ = ["convert"]

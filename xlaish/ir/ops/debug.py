"""Side-effecting debugging ops (never removed, reordered or merged by the passes).

``debug_print {fmt, index}``: prints its operands with ``fmt.format(*values)``
when the compiled program runs. ``debug_check {msg, index}``: a runtime
assertion: if any element of its bool operand is false, the call raises
``xlaish.CheckError(msg)`` once the program has finished.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import SIDE_EFFECT, OpDef, register


def _no_results(in_types, attrs, regions):
    return ()


def _print_interp(op, args, interpret):
    print(op.attrs["fmt"].format(*[a[()] if a.ndim == 0 else a for a in args]))
    return ()


def _check_rule(in_types, attrs, regions):
    if len(in_types) != 1 or in_types[0].dtype != np.bool_:
        raise IRError("debug_check takes one bool operand")
    return ()


def _check_interp(op, args, interpret):
    if not bool(np.all(args[0])):
        from ...errors import CheckError
        raise CheckError(op.attrs["msg"])
    return ()


register(OpDef(name="debug_print", arity=None, dtype_rule=None, shape_rule=None,
               reference=None, region_rule=_no_results, traits=frozenset({SIDE_EFFECT}),
               lower={"interp": _print_interp}, doc="print operands with attrs fmt at run time"))
register(OpDef(name="debug_check", arity=1, dtype_rule=None, shape_rule=None,
               reference=None, region_rule=_check_rule, traits=frozenset({SIDE_EFFECT}),
               lower={"interp": _check_interp},
               doc="raise CheckError(attrs msg) if the operand is not all true"))

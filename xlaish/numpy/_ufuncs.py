"""Elementwise functions with NumPy's names (one per elementwise op, plus aliases)."""
from __future__ import annotations

import numpy as np

from ..ir.ops import elementwise as ew
from ..trace.bind import any_tracer, elementwise


def _eager(name, args):
    fn = ew.ELEMENTWISE_FUNCS[name]
    if isinstance(fn, np.ufunc):
        return fn(*args)
    (x,) = args
    a = np.asarray(x)
    loop = ew.loop_dtypes(name, (ew_operand(x),))
    out = np.asarray(fn(a.astype(loop[0])))
    return out[()] if out.ndim == 0 else out


def ew_operand(x):
    from ..trace.bind import operand_dtype
    return operand_dtype(x)


def _make(name):
    def f(*args):
        if any_tracer(args):
            return elementwise(name, *args)
        return _eager(name, args)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"Elementwise ``{name}`` with NumPy semantics (traced inside ``xlaish.jit``)."
    return f


FUNCS = {name: _make(name) for name in ew.ELEMENTWISE_FUNCS}
FUNCS["absolute"] = FUNCS["abs"]
ALIASES = {
    "absolute": "abs", "true_divide": "divide", "mod": "remainder", "pow": "power",
    "bitwise_not": "invert", "bitwise_invert": "invert", "asin": "arcsin", "acos": "arccos",
    "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2",
    "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift", "fabs": "abs",
}
for _alias, _target in ALIASES.items():
    FUNCS[_alias] = FUNCS[_target]

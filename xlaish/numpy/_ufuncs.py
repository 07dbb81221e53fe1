"""Elementwise functions with NumPy's names: one per elementwise row of the op registry, plus
every other name NumPy gives the same ufunc (``np.abs`` is ``np.absolute``, ``np.pow`` is
``np.power``) and the few distinct NumPy ufuncs that compute an op of the registry
(``SYNONYMS``: ``np.radians`` is ``np.deg2rad``'s twin; ``np.fabs`` is ``abs`` on its float
loops). Nothing here lists ops: a new row is reachable as ``xnp.<name>`` and through
``np.<name>(tracer)`` (``__array_ufunc__`` looks functions up by the ufunc's ``__name__``)."""
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


def _synonym(ufunc, name):
    """NumPy's ``ufunc`` computed by op ``name`` after casting to ``ufunc``'s own loop dtype."""
    def f(x):
        if not any_tracer((x,)):
            return ufunc(x)
        dt = ew_operand(x)
        if not isinstance(dt, type):
            loop = ufunc.resolve_dtypes((dt, None))
            if loop[0] != dt:
                x = x.astype(loop[0])
        return elementwise(name, x)
    f.__name__ = f.__qualname__ = ufunc.__name__
    f.__doc__ = f"``numpy.{ufunc.__name__}``, computed by the op ``{name}``."
    return f


def _power(*args):
    """``power``, with NumPy's run-time error for an integer raised to a negative integer
    exponent: a traced signed-integer exponent gets an ``xl.debug.check`` (the compiled call
    then raises NumPy's ValueError); a constant negative exponent is refused while tracing."""
    out = _make("power")(*args)
    exponent = args[1] if len(args) > 1 else None
    if any_tracer(args) and getattr(exponent, "dtype", None) is not None \
            and np.dtype(exponent.dtype).kind == "i" and np.dtype(out.dtype).kind in "iu" \
            and any_tracer((exponent,)):
        from .. import debug
        from ..errors import NEGATIVE_INT_POWER
        debug.check(exponent >= 0, NEGATIVE_INT_POWER)
    return out


FUNCS = {name: _make(name) for name in ew.ROWS}
_power.__name__ = _power.__qualname__ = "power"
FUNCS["power"] = _power
for _name, _fn in ew.ELEMENTWISE_FUNCS.items():       # the other names of the same ufunc
    if isinstance(_fn, np.ufunc):
        FUNCS.setdefault(_fn.__name__, FUNCS[_name])
for _attr, _obj in list(vars(np).items()):    # not getattr over dir(np): it imports numpy's
    # lazily loaded submodules (f2py, char, ctypeslib...), 0.2 s of import time
    if isinstance(_obj, np.ufunc) and _obj.__name__ in FUNCS:
        FUNCS.setdefault(_attr, FUNCS[_obj.__name__])
SYNONYMS = {"radians": "deg2rad", "degrees": "rad2deg", "fabs": "abs"}
for _alias, _target in SYNONYMS.items():
    FUNCS[_alias] = _synonym(getattr(np, _alias), _target)
ALIASES = {a: f.__name__ for a, f in FUNCS.items() if a != f.__name__}

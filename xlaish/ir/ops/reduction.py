"""Reductions over static ``axes`` with ``keepdims``.

Operands arrive in the accumulation dtype (the tracer casts ``int32`` to
``int64`` before ``sum`` as NumPy does), so sum/prod/max/min keep their
operand's dtype; ``any``/``all`` take and give bool; ``argmax``/``argmin``
reduce one ``axis`` and give int64.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import PURE, REDUCTION, OpDef, register


def reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _shape_rule(shapes, attrs):
    (shape,) = shapes
    axes = attrs["axes"]
    if any(not 0 <= a < len(shape) for a in axes) or len(set(axes)) != len(axes):
        raise IRError(f"bad reduction axes {axes} for shape {shape}")
    return reduced_shape(shape, axes, attrs["keepdims"])


def _same(dts, attrs):
    return dts[0]


def _bool_only(dts, attrs):
    if dts[0] != np.bool_:
        raise IRError("any/all take a bool operand")
    return dts[0]


def _ref(fn, pass_dtype):
    def ref(x, axes, keepdims):
        with np.errstate(all="ignore"):
            if pass_dtype:
                return fn(x, axis=axes, keepdims=keepdims, dtype=x.dtype)
            return fn(x, axis=axes, keepdims=keepdims)
    return ref


# (name, numpy function, identity, pass dtype=, dtype rule)
_TABLE = [
    ("sum", np.sum, 0, True, _same),
    ("prod", np.prod, 1, True, _same),
    ("max", np.max, None, False, _same),     # identity is -inf / dtype min: see identity_for
    ("min", np.min, None, False, _same),
    ("any", np.any, False, False, _bool_only),
    ("all", np.all, True, False, _bool_only),
]
for _n, _fn, _ident, _pd, _dr in _TABLE:
    register(OpDef(name=_n, arity=1, dtype_rule=_dr, shape_rule=_shape_rule,
                   reference=_ref(_fn, _pd), traits=frozenset({REDUCTION, PURE}), identity=_ident,
                   differentiable=_n in ("sum", "prod", "max", "min"),
                   doc=f"np.{_fn.__name__} over attrs axes, keepdims"))


def identity_for(name: str, dtype) -> object:
    """The identity element of reduction ``name`` in ``dtype`` (max: -inf or the dtype's min)."""
    dtype = np.dtype(dtype)
    if name in ("max", "min"):
        if dtype.kind == "f":
            return -np.inf if name == "max" else np.inf
        if dtype.kind == "b":
            return name == "min"
        info = np.iinfo(dtype)
        return info.min if name == "max" else info.max
    from ..opdef import get
    return get(name).identity


def _arg_shape(shapes, attrs):
    (shape,) = shapes
    ax = attrs["axis"]
    if not 0 <= ax < len(shape):
        raise IRError(f"bad axis {ax} for shape {shape}")
    if shape[ax] == 0:
        raise IRError("argmax/argmin of an empty axis")
    return reduced_shape(shape, (ax,), attrs["keepdims"])


for _n, _fn in (("argmax", np.argmax), ("argmin", np.argmin)):
    register(OpDef(name=_n, arity=1, dtype_rule=lambda dts, attrs: np.dtype(np.int64),
                   shape_rule=_arg_shape,
                   reference=(lambda fn: lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims))(_fn),
                   traits=frozenset({REDUCTION, PURE}),
                   doc=f"np.{_n} over one axis (the tracer flattens for axis=None)"))

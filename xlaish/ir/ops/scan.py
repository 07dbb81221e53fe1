"""``scan``: the inclusive running reduction along one axis (cumsum, cumprod, running max/min).

Attrs: ``kind`` in ``add``/``mul``/``max``/``min`` and ``axis`` (static, in range). The result has
the operand's shape and dtype: like reductions, the operand arrives in the accumulation dtype (the
NumPy layer casts int8 to int64 before ``cumsum`` as ``np.cumsum`` and ``np.add.accumulate``
do). On bool, ``add`` is logical or and ``mul`` logical and
(NumPy's bool ``add``/``multiply`` loops). The semantics are NumPy's ``<ufunc>.accumulate`` with
``dtype=`` the operand dtype: a plain sequential loop along the axis, each step rounded to the dtype
(float16 steps are computed in float32 and rounded to float16, as NumPy's half loop does), so every
backend reproduces NumPy bit for bit; max/min propagate NaN as ``np.maximum``/``np.minimum``.
Reversed scans are ``flip`` (a view) around a scan. The ``scan`` trait marks it for the kernel
analysis (:mod:`xlaish.ir.kernel`): a scan kernel walks each row sequentially along the axis, rows
in parallel, with elementwise producers and consumers fused into the same loop.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import PURE, OpDef, register

SCAN = "scan"            # trait: a running reduction along attrs axis (a scan kernel)
KINDS = ("add", "mul", "max", "min")

# kind -> the elementwise op of one step, for numbers and for bool
STEP = {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}
BOOL_STEP = {"add": "logical_or", "mul": "logical_and", "max": "logical_or", "min": "logical_and"}
_UFUNC = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}


def step_op(kind: str, dtype) -> str:
    """The elementwise op that combines the running value with the next element."""
    return (BOOL_STEP if np.dtype(dtype) == np.bool_ else STEP)[kind]


def scan_identity(kind: str, dtype):
    """The start value of a running ``kind``: -0.0 for float sums (so -0.0 survives), 1, or
    max/min's identity (-inf / the dtype's minimum, ...)."""
    dt = np.dtype(dtype)
    if kind == "add":
        return -0.0 if dt.kind == "f" else False if dt.kind == "b" else 0
    if kind == "mul":
        return 1
    from .reduction import identity_for
    return identity_for(kind, dt)


def _shape(shapes, attrs):
    (shape,) = shapes
    if attrs["kind"] not in KINDS:
        raise IRError(f"scan: unknown kind {attrs['kind']!r} (one of {KINDS})")
    if not 0 <= attrs["axis"] < len(shape):
        raise IRError(f"scan: bad axis {attrs['axis']} for shape {shape}")
    return tuple(shape)


def _ref(x, kind, axis):
    with np.errstate(all="ignore"):
        return _UFUNC[kind].accumulate(x, axis=axis, dtype=x.dtype)


register(OpDef(name="scan", arity=1, dtype_rule=lambda dts, attrs: dts[0], shape_rule=_shape,
               reference=_ref, traits=frozenset({PURE, SCAN}), differentiable=True,
               doc="np.<ufunc>.accumulate along attrs axis (kind add/mul/max/min), dtype kept"))

"""``matmul`` with NumPy's rules: 1-D operands, batch broadcasting."""
from __future__ import annotations

import numpy as np

from ...errors import IRError, ShapeError
from ..opdef import PURE, OpDef, register
from ._rules import broadcast_shapes


def matmul_shape(shapes, attrs):
    a, b = shapes
    if len(a) == 0 or len(b) == 0:
        raise ShapeError("matmul: operands must be at least 1-D (got a 0-d operand)")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul: shapes {a} and {b} do not align "
                         f"({a2[-1]} (dim {len(a) - 1}) != {b2[-2]} (dim {max(len(b) - 2, 0)}))")
    batch = broadcast_shapes(a2[:-2], b2[:-2])
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _dtype(dts, attrs):
    if dts[0] != dts[1]:
        raise IRError("matmul operands must share one dtype")
    return dts[0]


register(OpDef(name="matmul", arity=2, dtype_rule=_dtype, shape_rule=matmul_shape,
               reference=lambda a, b: np.matmul(a, b), traits=frozenset({PURE}), differentiable=True,
               doc="np.matmul"))

"""Data-movement ops. All attrs are static and already normalised by the tracer."""
from __future__ import annotations

import math

import numpy as np

from ...errors import IRError, ShapeError
from ..opdef import PURE, SHAPE, OpDef, register
from ._rules import broadcast_shapes

_T = frozenset({SHAPE, PURE})


def _same_dtype(dts, attrs):
    if len(set(dts)) != 1:
        raise IRError(f"operands must share one dtype, got {tuple(map(str, dts))}")
    return dts[0]


def _reshape_shape(shapes, attrs):
    new = tuple(attrs["shape"])
    if math.prod(new) != math.prod(shapes[0]) or any(d < 0 for d in new):
        raise ShapeError(f"cannot reshape array of shape {shapes[0]} into shape {new}")
    return new


register(OpDef(name="reshape", arity=1, dtype_rule=_same_dtype, shape_rule=_reshape_shape,
               reference=lambda x, shape: np.reshape(x, shape), traits=_T, differentiable=True,
               doc="C-order reshape to attrs shape"))


def _transpose_shape(shapes, attrs):
    perm = tuple(attrs["perm"])
    if sorted(perm) != list(range(len(shapes[0]))):
        raise IRError(f"bad permutation {perm} for shape {shapes[0]}")
    return tuple(shapes[0][p] for p in perm)


register(OpDef(name="transpose", arity=1, dtype_rule=_same_dtype, shape_rule=_transpose_shape,
               reference=lambda x, perm: np.transpose(x, perm), traits=_T, differentiable=True,
               doc="axis permutation: result dim i is operand dim perm[i]"))


def _bcast_shape(shapes, attrs):
    target = tuple(attrs["shape"])
    if broadcast_shapes(shapes[0], target) != target:
        raise ShapeError(f"cannot broadcast shape {shapes[0]} to {target}")
    return target


register(OpDef(name="broadcast_to", arity=1, dtype_rule=_same_dtype, shape_rule=_bcast_shape,
               reference=lambda x, shape: np.broadcast_to(x, shape), traits=_T, differentiable=True,
               doc="NumPy broadcast to attrs shape (read through strides, never copied when fused)"))


def _slice_shape(shapes, attrs):
    (shape,) = shapes
    start, stop, step = attrs["start"], attrs["stop"], attrs["step"]
    if not len(start) == len(stop) == len(step) == len(shape):
        raise IRError("slice needs start/stop/step for every dimension")
    out = []
    for d, a, b, s in zip(shape, start, stop, step):
        if s == 0:
            raise IRError("slice step 0")
        out.append(len(range(a, b, s)) if (0 <= a <= d and -1 <= b <= d) else -1)
        if out[-1] < 0:
            raise IRError(f"slice bounds {a}:{b}:{s} out of range for size {d}")
    return tuple(out)


def slice_ref(x, start, stop, step):
    return x[tuple(slice(a, b if b >= 0 else None, s) for a, b, s in zip(start, stop, step))]


register(OpDef(name="slice", arity=1, dtype_rule=_same_dtype, shape_rule=_slice_shape,
               reference=slice_ref, traits=_T, differentiable=True,
               doc="strided slice; per dim start, stop (-1 = past the front for negative steps), step"))


def _concat_shape(shapes, attrs):
    ax = attrs["axis"]
    first = shapes[0]
    if not 0 <= ax < len(first):
        raise IRError(f"bad concatenate axis {ax}")
    for s in shapes[1:]:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first)) if i != ax):
            raise ShapeError("concatenate: shapes " + ", ".join(map(str, shapes))
                             + f" differ outside axis {ax}")
    return first[:ax] + (sum(s[ax] for s in shapes),) + first[ax + 1:]


register(OpDef(name="concatenate", arity=None, dtype_rule=_same_dtype, shape_rule=_concat_shape,
               reference=lambda *xs, axis: np.concatenate(xs, axis=axis), traits=_T, differentiable=True,
               doc="join operands along attrs axis"))

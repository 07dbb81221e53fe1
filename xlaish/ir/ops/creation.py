"""Ops with no tensor operands: ``constant`` (any array) and ``iota`` (an index grid)."""
from __future__ import annotations

import numpy as np

from ..opdef import CREATION, PURE, OpDef, register

register(OpDef(
    name="constant", arity=0,
    dtype_rule=lambda dts, attrs: np.asarray(attrs["value"]).dtype,
    shape_rule=lambda shapes, attrs: np.asarray(attrs["value"]).shape,
    reference=lambda value: np.asarray(value).copy(), traits=frozenset({CREATION, PURE}),
    doc="a literal array held in attrs value"))


def _iota_ref(shape, dtype, axis):
    idx = np.arange(shape[axis], dtype=dtype)
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.broadcast_to(idx.reshape(view), shape).copy()


register(OpDef(
    name="iota", arity=0, dtype_rule=lambda dts, attrs: attrs["dtype"],
    shape_rule=lambda shapes, attrs: tuple(attrs["shape"]),
    reference=_iota_ref, traits=frozenset({CREATION, PURE}),
    doc="the index along attrs axis, over attrs shape (arange and eye build on it)"))

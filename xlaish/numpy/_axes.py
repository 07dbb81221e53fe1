"""NumPy's ``axis=`` argument, checked and normalised (shared by reductions and shape functions)."""
from __future__ import annotations

import operator

import numpy as np

from ..trace import context


def normalize_axes(axis, ndim) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        try:
            a = operator.index(a)          # as NumPy: ints and integer scalars, not 0.0
        except TypeError:
            raise context.with_location(TypeError(
                f"'{type(a).__name__}' object cannot be interpreted as an integer (axis={axis!r})")) from None
        if not -ndim <= a < ndim:
            raise context.with_location(np.exceptions.AxisError(a, ndim))
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise context.with_location(ValueError("duplicate value in 'axis'"))
    return tuple(sorted(out))

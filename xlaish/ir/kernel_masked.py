"""Masked-range reductions: ``sum(where(lo <= iota < hi, v, 0))`` needs only ``[lo, hi)``.

A slice whose length is a traced value (``L[i, :i] @ x[:i]`` in a row-by-row triangular solve)
cannot have a static shape, so the masked-slice lowering (:mod:`xlaish.numpy._masked_slice`)
computes it as a full-length reduction of ``select(iota(axis) < s, v, identity)``. Every
masked-out element contributes the reduction's identity, which changes nothing (a float sum
starts at +0.0, and adding ±0.0 to it never changes it; ``x * 1``, ``max(x, -inf)``, ``x or
False`` likewise), so a backend may end that reduced loop at ``clamp(s, 0, n)``: the same
result with half the memory traffic over a triangle. ``x[i:]`` masks ``iota >= i`` the same
way. :func:`masked_range` recognises the pattern inside a reduce kernel; the CPU reduce kernel
loops over that range only.
"""
from __future__ import annotations

import numpy as np

from .kernel import varies_over
from .opnames import (
    ALL,
    ANY,
    BROADCAST_TO,
    CONSTANT,
    GREATER,
    GREATER_EQUAL,
    IOTA,
    LESS,
    LESS_EQUAL,
    LOGICAL_AND,
    MAX,
    MIN,
    PROD,
    SELECT,
    SUM,
)
from .ops.reduction import identity_for

_PREFIX_OPS = frozenset({SUM, PROD, MAX, MIN, ANY, ALL})


def _scalar(defs, v):
    """The scalar value of a constant or a splat of one, else None."""
    op = defs.get(id(v))
    while op is not None and op.name == BROADCAST_TO:
        op = defs.get(id(op.operands[0]))
    if op is not None and op.name == CONSTANT:
        value = np.asarray(op.attrs["value"])
        if value.size == 1:
            return value.reshape(())[()]
    return None


def _true(defs, v) -> bool:
    value = _scalar(defs, v)
    return value is not None and bool(value)


def _iota_axis(defs, v, ndim):
    """The domain axis along which ``v`` (an ``iota``) counts 0, 1, 2, ..., else None."""
    op = defs.get(id(v))
    if op is None or op.name != IOTA or v.type.dtype.kind not in "iu":
        return None
    if v.type.shape[op.attrs["axis"]] - 1 > np.iinfo(v.type.dtype).max:
        return None             # it wraps in its dtype: not the positions 0, 1, 2, ...
    return ndim - len(v.type.shape) + op.attrs["axis"]


def _conjuncts(defs, mask) -> list:
    """``mask`` split at ``logical_and``, all-true splats dropped."""
    op = defs.get(id(mask))
    if op is not None and op.name == LOGICAL_AND:
        return [c for v in op.operands for c in _conjuncts(defs, v)]
    return [] if _true(defs, mask) else [mask]


_BOUNDS = {LESS: (0, "hi"), GREATER: (1, "hi"), GREATER_EQUAL: (0, "lo"), LESS_EQUAL: (1, "lo")}


def _mask_range(defs, mask, domain, axes):
    """``(axis, lo, hi)`` when ``mask`` is ``lo <= iota < hi`` along one of the reduced
    ``axes`` (``lo`` or ``hi`` None when that side is not bounded), with ``lo``/``hi`` one
    value per row; else None."""
    axis, found = None, {"lo": None, "hi": None}
    for c in _conjuncts(defs, mask):
        op = defs.get(id(c))
        if op is None or op.name not in _BOUNDS:
            return None
        pos, side = _BOUNDS[op.name]
        iota, s = op.operands[pos], op.operands[1 - pos]
        ax = _iota_axis(defs, iota, len(domain))
        if ax is None or ax not in axes or (axis is not None and ax != axis) or found[side] is not None:
            return None
        if s.type.dtype.kind not in "iu" or varies_over(s.type.shape, domain, axes):
            return None
        axis, found[side] = ax, s
    return None if axis is None else (axis, found["lo"], found["hi"])


def masked_range(defs, reduction, domain, axes):
    """``(axis, lo, hi)`` such that ``reduction`` (sum/prod/max/min/any/all) over ``axes`` of
    ``domain`` only needs positions ``[lo, hi)`` of ``axis`` — its operand is
    ``select(lo <= iota(axis) < hi, v, identity)``; ``lo``/``hi`` are values constant over
    the reduced axes, or None for 0 / the axis length — else None.
    ``defs``: id(value) -> defining op inside the kernel."""
    if reduction.name not in _PREFIX_OPS:
        return None
    sel = defs.get(id(reduction.operands[0]))
    if sel is None or sel.name != SELECT:
        return None
    mask, _, other = sel.operands
    z = _scalar(defs, other)
    if z is None or not (z == identity_for(reduction.name, reduction.operands[0].type.dtype)):
        return None
    return _mask_range(defs, mask, domain, axes)

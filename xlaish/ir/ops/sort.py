"""``sort``, ``sort_by`` and ``kth_smallest``: stable ascending sorts and selections along one axis.

``sort(x)`` gives ``x`` sorted along attrs ``axis``; ``sort_by(keys, payload)`` gives ``payload``
reordered as a stable sort of ``keys`` orders them (same shape; the result has the payload's
dtype). ``argsort`` is ``sort_by(x, iota)``, and scattering a cotangent by a permutation
(the VJP of a sort) is ``sort_by(permutation, g)``, so no gather/scatter op is needed.

``kth_smallest(x)`` gives the elements at the static sorted positions attrs ``kth`` (a tuple)
along the axis, which becomes ``len(kth)`` long: ``np.sort(x)[..., kth]`` without sorting (a
radix selection: one histogram pass, then each position narrows its bucket digit by digit), what
``median``/``quantile``/``partition``'s static positions need.

Order: NumPy's. NaN sorts after +inf (every NaN alike, in original order); ``-0.0`` and ``0.0``
compare equal (ties keep their original order, so ``sort_by(x, iota)`` equals
``np.argsort(x, kind="stable")`` exactly). A sorted ``-0.0`` may come out as ``0.0`` and a NaN
with another payload (the values compare equal to NumPy's). Operands are at least 1-D (the NumPy
layer flattens for ``axis=None``). The ``sort`` trait marks both for the kernel analysis
(:mod:`xlaish.ir.kernel`): a sort kernel evaluates its elementwise producers into a row buffer,
sorts (or selects in) each row (rows in parallel) and writes the result; consumers are
separate kernels.
"""
from __future__ import annotations

import numpy as np

from ...errors import IRError
from ..opdef import PURE, OpDef, register

SORT = "sort"            # trait: a stable sort along attrs axis (a sort kernel)


def _axis_ok(shape, attrs, name):
    if not 0 <= attrs["axis"] < len(shape):
        raise IRError(f"{name}: bad axis {attrs['axis']} for shape {shape}")


def _sort_shape(shapes, attrs):
    (shape,) = shapes
    _axis_ok(shape, attrs, "sort")
    return tuple(shape)


def _sort_by_shape(shapes, attrs):
    k, p = shapes
    if tuple(k) != tuple(p):
        raise IRError(f"sort_by: keys {k} and payload {p} must have one shape")
    _axis_ok(k, attrs, "sort_by")
    return tuple(k)


def _sort_ref(x, axis):
    return np.sort(x, axis=axis, kind="stable")


def _sort_by_ref(keys, payload, axis):
    order = np.argsort(keys, axis=axis, kind="stable")
    return np.take_along_axis(payload, order, axis=axis)


def _kth_shape(shapes, attrs):
    (shape,) = shapes
    _axis_ok(shape, attrs, "kth_smallest")
    n = shape[attrs["axis"]]
    kth = attrs["kth"]
    if not kth or any(not 0 <= k < n for k in kth):
        raise IRError(f"kth_smallest: positions {kth} out of range for an axis of {n}")
    ax = attrs["axis"]
    return tuple(shape[:ax]) + (len(kth),) + tuple(shape[ax + 1:])


def _kth_ref(x, axis, kth):
    return np.take(np.sort(x, axis=axis, kind="stable"), list(kth), axis=axis)


register(OpDef(name="sort", arity=1, dtype_rule=lambda dts, attrs: dts[0], shape_rule=_sort_shape,
               reference=_sort_ref, traits=frozenset({PURE, SORT}), differentiable=True,
               doc="np.sort(x, axis, kind='stable')"))
register(OpDef(name="kth_smallest", arity=1, dtype_rule=lambda dts, attrs: dts[0], shape_rule=_kth_shape,
               reference=_kth_ref, traits=frozenset({PURE, SORT}), differentiable=True,
               doc="np.sort(x, axis)[..., kth, ...] for static positions kth (a selection, not a sort)"))
register(OpDef(name="sort_by", arity=2, dtype_rule=lambda dts, attrs: dts[1], shape_rule=_sort_by_shape,
               reference=_sort_by_ref, traits=frozenset({PURE, SORT}), differentiable=True,
               doc="payload in the order of np.argsort(keys, axis, kind='stable')"))

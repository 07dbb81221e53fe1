"""The three ops at the boundary between complex arrays and real ones.

Complex dtypes (``c64``, ``c128``) live in the traced IR like any other: elementwise ops,
reductions, matmul, shape ops and control flow take complex operands with NumPy's dtype rules.
The pass :mod:`xlaish.passes.complex` then rewrites every complex op into real ops on the
(real, imaginary) components before fusion, so no kernel computes on complex values. What is
left of complex in the lowered IR is these ops, at the function boundary:

``complex_part``   ``c[S] -> f[S]``, attr ``part`` (0: real, 1: imaginary). A *view*: a complex
                   array is NumPy's interleaved layout, so part ``k`` of element ``i`` is float
                   element ``2 i + k`` of the same buffer (strides doubled, offset ``k``); kernels
                   read it through index arithmetic like a ``slice`` (see
                   :func:`xlaish.ir.kernel.view_layout`).
``complex_pairs``  ``c[S] -> f[S + (2,)]``: the same bytes as real pairs (NumPy's
                   ``x.view(float).reshape(S + (2,))``), also a view.
``make_complex``   ``(f[S], f[S]) -> c[S]`` elementwise (broadcasting): ``re + 1j * im`` without
                   the ``inf * 1j`` NaNs. Backends lower it as the store of a (re, im) pair; the
                   lowering pass only places it where a complex value is written to memory.
"""
from __future__ import annotations

import numpy as np

from ... import dtypes
from ...errors import IRError
from ..opdef import ELEMENTWISE, PURE, SHAPE, OpDef, register
from ._rules import broadcast_rule


def _part_dtype(dts, attrs):
    (d,) = dts
    if d.kind != "c":
        raise IRError(f"complex_part needs a complex operand, got {d}")
    if attrs.get("part") not in (0, 1):
        raise IRError(f"complex_part: part must be 0 (real) or 1 (imaginary), got {attrs.get('part')!r}")
    return dtypes.real_dtype(d)


def _part_ref(x, part):
    x = np.asarray(x)
    return (x.imag if part else x.real).copy()


register(OpDef(name="complex_part", arity=1, dtype_rule=_part_dtype,
               shape_rule=lambda shapes, attrs: shapes[0], reference=_part_ref,
               traits=frozenset({SHAPE, PURE}), differentiable=True,
               doc="the real (part=0) or imaginary (part=1) component of a complex array: a view"))


def _pairs_dtype(dts, attrs):
    (d,) = dts
    if d.kind != "c":
        raise IRError(f"complex_pairs needs a complex operand, got {d}")
    return dtypes.real_dtype(d)


def _pairs_ref(x):
    x = np.asarray(x)
    return np.stack([x.real, x.imag], axis=-1)


register(OpDef(name="complex_pairs", arity=1, dtype_rule=_pairs_dtype,
               shape_rule=lambda shapes, attrs: tuple(shapes[0]) + (2,), reference=_pairs_ref,
               traits=frozenset({SHAPE, PURE}), differentiable=True,
               doc="a complex array's bytes as (real, imaginary) float pairs, shape S + (2,): a view"))


def _make_dtype(dts, attrs):
    a, b = dts
    if a != b or a not in (dtypes.float32, dtypes.float64):
        raise IRError(f"make_complex needs two float32 or two float64 operands, got {tuple(map(str, dts))}")
    return dtypes.complex_dtype(a)


def make_complex_ref(re, im):
    re, im = np.broadcast_arrays(np.asarray(re), np.asarray(im))
    out = np.empty(re.shape, dtypes.complex_dtype(re.dtype))
    out.real, out.imag = re, im
    return out


register(OpDef(name="make_complex", arity=2, dtype_rule=_make_dtype, shape_rule=broadcast_rule,
               reference=make_complex_ref, traits=frozenset({ELEMENTWISE, PURE}), differentiable=True,
               doc="the complex array with real part re and imaginary part im (elementwise)"))

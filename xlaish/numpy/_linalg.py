"""matmul / dot / @ with NumPy's rules."""
from __future__ import annotations

import math

import numpy as np

from ..ir.opnames import MATMUL
from ..trace import context
from ..trace.bind import any_tracer, emit1, promote, to_value, unsupported, wrap
from . import _ufuncs


def _ndim(x):
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def matmul(x1, x2, out=None, **kwargs):
    if not any_tracer((x1, x2)):
        return np.matmul(x1, x2, out=out, **kwargs)
    if out is not None or kwargs:
        raise unsupported("matmul: keyword arguments are not supported on traced arrays")
    dt = promote(x1, x2)
    a, b = to_value(x1, dt), to_value(x2, dt)
    if a.type.ndim == 0 or b.type.ndim == 0:
        raise context.with_location(ValueError(
            "matmul: Input operand does not have enough dimensions (0-d operand; use * instead)"))
    return wrap(emit1(MATMUL, [a, b]))


def dot(a, b, out=None):
    if not any_tracer((a, b)):
        return np.dot(a, b, out=out)
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return _ufuncs.FUNCS["multiply"](a, b)
    if nb <= 2 and (na <= 2 or nb == 1):
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))     # N-d: a's last axis with b's second-to-last


def vdot(a, b):
    """dot of the flattened arrays, the first conjugated when complex, in the operands' promoted
    dtype as NumPy's (uint8 wraps, bool is a logical or of ands)."""
    if not any_tracer((a, b)):
        return np.vdot(a, b)
    from ._complex import conj
    from ._shape import ravel
    a = ravel(a)
    return matmul(conj(a) if a.dtype.kind == "c" else a, ravel(b))


def inner(a, b):
    if not any_tracer((a, b)):
        return np.inner(a, b)
    from ._shape import reshape, shape, transpose
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return _ufuncs.FUNCS["multiply"](a, b)
    sa, sb = tuple(shape(a)), tuple(shape(b))
    if sa[-1] != sb[-1]:
        raise context.with_location(ValueError(
            f"inner: last dimensions differ: shapes {sa} and {sb}"))
    # sum over the last axes; the result's shape is a.shape[:-1] + b.shape[:-1]
    k = sa[-1]
    r = matmul(reshape(a, (-1, k)), transpose(reshape(b, (-1, k))))
    return reshape(r, sa[:-1] + sb[:-1])


def outer(a, b, out=None):
    if not any_tracer((a, b)):
        return np.outer(a, b, out=out)
    from ._shape import ravel, reshape
    return _ufuncs.FUNCS["multiply"](reshape(ravel(a), (-1, 1)), reshape(ravel(b), (1, -1)))


def tensordot(a, b, axes=2):
    if not any_tracer((a, b)):
        return np.tensordot(a, b, axes)
    from ._shape import asarray, reshape, transpose
    a, b = asarray(a), asarray(b)
    if isinstance(axes, int):
        if axes < 0:
            raise context.with_location(ValueError("tensordot: axes must be a non-negative integer"))
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    if len(ax_a) != len(ax_b):
        raise context.with_location(ValueError("shape-mismatch for sum"))
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise context.with_location(ValueError("shape-mismatch for sum"))
    fa = [i for i in range(a.ndim) if i not in ax_a]
    fb = [j for j in range(b.ndim) if j not in ax_b]
    k = math.prod(a.shape[i] for i in ax_a)
    a2 = reshape(transpose(a, tuple(fa + ax_a)), (math.prod(a.shape[i] for i in fa), k))
    b2 = reshape(transpose(b, tuple(ax_b + fb)), (k, math.prod(b.shape[j] for j in fb)))
    return reshape(matmul(a2, b2), tuple(a.shape[i] for i in fa) + tuple(b.shape[j] for j in fb))


__all__ = ["matmul", "dot", "vdot", "inner", "outer"]

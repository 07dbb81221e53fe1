"""Reverse-mode rules: one VJP per differentiable op, written with ``xlaish.numpy``.

``VJP[name](gs, op, ins, outs) -> list`` gets the cotangents of the op's
results (``gs``, Tracers or None), the op, and its operands and results as
Tracers in the trace being built; it returns one cotangent (or None) per
operand. Because the rules are ordinary traced NumPy code, the gradient is
itself a traceable program: ``jit(grad(f))`` and ``grad(grad(f))`` work.

The rules are written here, keyed by op name, because the IR package must
not import the NumPy layer they are written in (that layer imports the IR);
each is attached to its op's record (``OpDef.vjp``, by
:func:`xlaish.ir.opdef.register_vjp`) when this module is imported, and the
import fails if an op its record declares ``differentiable`` has no rule (or
a rule is given to an op declared not differentiable). Whether an op is
differentiable is the record's fact; ``NON_DIFFERENTIABLE`` is derived from it.
Region ops (``cond``, ``custom_vjp_call``, ``while``) are differentiated by the
transform itself (:mod:`xlaish.autodiff`).
"""
from __future__ import annotations

import math

from .. import numpy as xnp
from ..ir.opdef import REGION, all_ops, register_vjp
from ..numpy import _scans, _sorting
from ..numpy import fft as _fft


def unbroadcast(g, shape):
    """Sum g down to ``shape`` (undo NumPy broadcasting)."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape)
                                      if d == 1 and g.shape[lead + i] != 1)
    if axes:
        g = xnp.sum(g, axis=axes, keepdims=True)
    return xnp.reshape(g, shape)


def _ew(f):
    """Elementwise rule from per-operand partial-derivative products."""
    def rule(gs, op, ins, outs):
        g = gs[0]
        if g is None:
            return [None] * len(ins)
        res = f(g, *ins, outs[0])
        res = res if isinstance(res, (list, tuple)) else [res]
        return [None if r is None else unbroadcast(r, x.shape).astype(x.dtype) for r, x in zip(res, ins)]
    return rule


LN2, LN10 = math.log(2.0), math.log(10.0)
DEG2RAD, RAD2DEG = math.pi / 180.0, 180.0 / math.pi
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _ties(a, b, y, first):
    """maximum/minimum: the winner takes g; ties split it evenly (as JAX does)."""
    eq = xnp.equal(a, b)
    mine = xnp.equal(a if first else b, y)
    return xnp.where(eq, 0.5, xnp.where(mine, 1.0, 0.0))


VJP = {
    "negative": _ew(lambda g, x, y: -g),
    "positive": _ew(lambda g, x, y: g),
    "abs": _ew(lambda g, x, y: g * xnp.sign(x)),
    "exp": _ew(lambda g, x, y: g * y),
    "exp2": _ew(lambda g, x, y: g * y * LN2),
    "expm1": _ew(lambda g, x, y: g * (y + 1)),
    "log": _ew(lambda g, x, y: g / x),
    "log2": _ew(lambda g, x, y: g / (x * LN2)),
    "log10": _ew(lambda g, x, y: g / (x * LN10)),
    "log1p": _ew(lambda g, x, y: g / (x + 1)),
    "sqrt": _ew(lambda g, x, y: g * 0.5 / y),
    "cbrt": _ew(lambda g, x, y: g / (3 * y * y)),
    "square": _ew(lambda g, x, y: g * 2 * x),
    "reciprocal": _ew(lambda g, x, y: -g * y * y),
    "sin": _ew(lambda g, x, y: g * xnp.cos(x)),
    "cos": _ew(lambda g, x, y: -g * xnp.sin(x)),
    "tan": _ew(lambda g, x, y: g * (1 + y * y)),
    "arcsin": _ew(lambda g, x, y: g / xnp.sqrt(1 - x * x)),
    "arccos": _ew(lambda g, x, y: -g / xnp.sqrt(1 - x * x)),
    "arctan": _ew(lambda g, x, y: g / (1 + x * x)),
    "sinh": _ew(lambda g, x, y: g * xnp.cosh(x)),
    "cosh": _ew(lambda g, x, y: g * xnp.sinh(x)),
    "tanh": _ew(lambda g, x, y: g * (1 - y * y)),
    "arcsinh": _ew(lambda g, x, y: g / xnp.sqrt(x * x + 1)),
    "arccosh": _ew(lambda g, x, y: g / xnp.sqrt(x * x - 1)),
    "arctanh": _ew(lambda g, x, y: g / (1 - x * x)),
    "erf": _ew(lambda g, x, y: g * TWO_OVER_SQRT_PI * xnp.exp(-x * x)),
    "erfc": _ew(lambda g, x, y: -g * TWO_OVER_SQRT_PI * xnp.exp(-x * x)),
    "expit": _ew(lambda g, x, y: g * y * (1 - y)),
    "deg2rad": _ew(lambda g, x, y: g * DEG2RAD),
    "rad2deg": _ew(lambda g, x, y: g * RAD2DEG),
    "add": _ew(lambda g, a, b, y: (g, g)),
    "subtract": _ew(lambda g, a, b, y: (g, -g)),
    "multiply": _ew(lambda g, a, b, y: (g * b, g * a)),
    "divide": _ew(lambda g, a, b, y: (g / b, -g * y / b)),
    "power": _ew(lambda g, a, b, y: (
        g * b * xnp.where(b == 0, 0.0, xnp.power(a, xnp.where(b == 0, 1.0, b - 1))),
        g * y * xnp.log(xnp.where(a > 0, a, 1.0)) * xnp.where(a > 0, 1.0, 0.0))),
    "maximum": _ew(lambda g, a, b, y: (g * _ties(a, b, y, True), g * _ties(a, b, y, False))),
    "minimum": _ew(lambda g, a, b, y: (g * _ties(a, b, y, True), g * _ties(a, b, y, False))),
    "fmax": _ew(lambda g, a, b, y: (g * _ties(a, b, y, True), g * _ties(a, b, y, False))),
    "fmin": _ew(lambda g, a, b, y: (g * _ties(a, b, y, True), g * _ties(a, b, y, False))),
    "arctan2": _ew(lambda g, a, b, y: (g * b / (a * a + b * b), -g * a / (a * a + b * b))),
    "hypot": _ew(lambda g, a, b, y: (g * a / y, g * b / y)),
    "logaddexp": _ew(lambda g, a, b, y: (g * xnp.exp(a - y), g * xnp.exp(b - y))),
    "copysign": _ew(lambda g, a, b, y: (g * xnp.sign(a) * xnp.sign(y), None)),
    "remainder": _ew(lambda g, a, b, y: (g, -g * xnp.floor(a / b))),
    "fmod": _ew(lambda g, a, b, y: (g, -g * xnp.trunc(a / b))),
    "ldexp": _ew(lambda g, a, n, y: (xnp.ldexp(g, n), None)),
}


def _select(gs, op, ins, outs):
    g = gs[0]
    c, a, b = ins
    zero = xnp.zeros_like(g)
    return [None, unbroadcast(xnp.where(c, g, zero), a.shape), unbroadcast(xnp.where(c, zero, g), b.shape)]


def _astype(gs, op, ins, outs):
    (x,) = ins
    if gs[0] is None or x.dtype.kind != "f":
        return [None]
    return [gs[0].astype(x.dtype)]


def _kept(op, x):
    axes = op.attrs["axes"]
    return tuple(1 if i in axes else d for i, d in enumerate(x.shape))


def _sum(gs, op, ins, outs):
    (x,) = ins
    g = xnp.reshape(gs[0], _kept(op, x))
    return [xnp.broadcast_to(g, x.shape).astype(x.dtype)]


def _prod(gs, op, ins, outs):
    """d prod(x) / d x_i = the product of the other elements: prod / x_i when no element is
    zero; with one zero, the product of the nonzero ones at the zero and 0 elsewhere; with
    more, 0 everywhere (never 0/0 = NaN)."""
    (x,) = ins
    axes = op.attrs["axes"]
    kept = _kept(op, x)
    g = xnp.reshape(gs[0], kept)
    zero = xnp.equal(x, 0)
    nzeros = xnp.sum(zero.astype(xnp.int64), axis=axes, keepdims=True)
    others = xnp.prod(xnp.where(zero, xnp.ones_like(x), x), axis=axes, keepdims=True)
    safe_x = xnp.where(zero, xnp.ones_like(x), x)
    d = xnp.where(nzeros == 0, others / safe_x, xnp.where(zero & (nzeros == 1), others, xnp.zeros_like(x)))
    return [(g * d).astype(x.dtype)]


def _minmax(gs, op, ins, outs):
    (x,) = ins
    kept = _kept(op, x)
    y = xnp.reshape(outs[0], kept)
    hit = xnp.where(xnp.equal(x, y), 1.0, 0.0).astype(x.dtype)
    count = xnp.sum(hit, axis=op.attrs["axes"], keepdims=True)
    return [(xnp.reshape(gs[0], kept) * hit / count).astype(x.dtype)]


def _reshape(gs, op, ins, outs):
    return [xnp.reshape(gs[0], ins[0].shape)]


def _transpose(gs, op, ins, outs):
    perm = op.attrs["perm"]
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return [xnp.transpose(gs[0], inv)]


def _broadcast_to(gs, op, ins, outs):
    return [unbroadcast(gs[0], ins[0].shape)]


def _slice(gs, op, ins, outs):
    """Scatter g back into zeros of the operand's shape: pad each axis (step > 1 interleaves zeros)."""
    (x,) = ins
    g = gs[0]
    for ax, (a, s) in enumerate(zip(op.attrs["start"], op.attrs["step"])):
        n = x.shape[ax]
        m = g.shape[ax]
        if s < 0:                       # reverse, then it is a forward slice from the last element
            g = _flip(g, ax)
            a = a + (m - 1) * s
            s = -s
        if s > 1 and m > 0:             # interleave s-1 zeros after each element
            z = xnp.zeros_like(g)
            parts = [xnp.expand_dims(g, ax + 1)] + [xnp.expand_dims(z, ax + 1)] * (s - 1)
            g = xnp.concatenate(parts, axis=ax + 1)
            shape = list(g.shape)
            g = xnp.reshape(g, tuple(shape[:ax]) + (m * s,) + tuple(shape[ax + 2:]))
            g = _take(g, ax, 0, (m - 1) * s + 1)
        before, after = a, n - a - g.shape[ax]
        pieces = []
        if before > 0:
            pieces.append(xnp.zeros(g.shape[:ax] + (before,) + g.shape[ax + 1:], g.dtype))
        pieces.append(g)
        if after > 0:
            pieces.append(xnp.zeros(g.shape[:ax] + (after,) + g.shape[ax + 1:], g.dtype))
        g = xnp.concatenate(pieces, axis=ax) if len(pieces) > 1 else g
    return [g]


def _take(g, ax, start, stop):
    idx = [slice(None)] * g.ndim
    idx[ax] = slice(start, stop)
    return g[tuple(idx)]


def _flip(g, ax):
    idx = [slice(None)] * g.ndim
    idx[ax] = slice(None, None, -1)
    return g[tuple(idx)]


def _concatenate(gs, op, ins, outs):
    ax = op.attrs["axis"]
    out, start = [], 0
    for x in ins:
        out.append(_take(gs[0], ax, start, start + x.shape[ax]))
        start += x.shape[ax]
    return out


def _matmul(gs, op, ins, outs):
    a, b = ins
    g = gs[0]
    a2 = xnp.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = xnp.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    if a.ndim == 1 and b.ndim == 1:       # vector @ vector: g is 0-d
        g = xnp.reshape(g, (1, 1))
    elif a.ndim == 1:
        g = xnp.expand_dims(g, -2)
    elif b.ndim == 1:
        g = xnp.expand_dims(g, -1)
    ga = xnp.matmul(g, xnp.swapaxes(b2, -1, -2))
    gb = xnp.matmul(xnp.swapaxes(a2, -1, -2), g)
    ga = unbroadcast(ga, a2.shape)
    gb = unbroadcast(gb, b2.shape)
    return [xnp.reshape(ga, a.shape), xnp.reshape(gb, b.shape)]


def _gather(gs, op, ins, outs):
    """gather's VJP is a scatter-add of the cotangent (repeated indices accumulate)."""
    from ..numpy import _indexing
    x, idx = ins
    return [_indexing.scatter_op(xnp.zeros(x.shape, x.dtype), idx, gs[0], op.attrs["axis"], "add"),
            None]


def _scatter(gs, op, ins, outs):
    """scatter-add's VJP is a gather; set-scatter masks: the overwritten entries of x and the
    updates a later update overwrote get no gradient."""
    from ..numpy import _indexing
    return _indexing.scatter_vjp(gs[0], op.attrs["axis"], op.attrs["mode"], *ins)


def _flip(g, ax):
    idx = [slice(None)] * g.ndim
    idx[ax] = slice(None, None, -1)
    return g[tuple(idx)]


def _rev_cumsum(g, ax):
    """sum over positions >= j along ax (a reversed scan)."""
    return _flip(_scans.scan(_flip(g, ax), "add", ax), ax)


def _scan(gs, op, ins, outs):
    """cumsum: a reversed cumsum. cumprod: with z the first zero of the row (n if none) and w the
    running product with that zero replaced by 1, d y_i / d x_j is w_i / x_j for j <= i < z,
    w_i at j = z <= i, and 0 otherwise, so no 0/0 appears. Running max/min: each output's g goes
    to the position its value came from (the latest one on ties): a one-hot sum, O(n^2) per row."""
    (x,) = ins
    g = gs[0]
    ax, kind = op.attrs["axis"], op.attrs["kind"]
    if g is None or x.dtype.kind != "f":
        return [None]
    n = x.shape[ax]
    shape = [1] * x.ndim
    shape[ax] = n
    pos = xnp.reshape(xnp.arange(n), shape)
    if kind == "add":
        return [_rev_cumsum(g, ax).astype(x.dtype)]
    if kind == "mul":
        zero = xnp.equal(x, 0)
        first = xnp.where(xnp.any(zero, axis=ax, keepdims=True),
                          xnp.argmax(zero, axis=ax, keepdims=True), n)
        xz = xnp.where(pos == first, xnp.ones_like(x), x)
        w = _scans.scan(xz, "mul", ax)
        a = g * w
        before = pos < first
        s_all = _rev_cumsum(a, ax)
        s_before = _rev_cumsum(xnp.where(before, a, xnp.zeros_like(a)), ax)
        d = xnp.where(before, s_before / xnp.where(before, x, xnp.ones_like(x)),
                      xnp.where(pos == first, s_all, xnp.zeros_like(x)))
        return [d.astype(x.dtype)]
    y = outs[0]
    new = xnp.where(xnp.equal(x, y), pos, -1)
    src = _scans.scan(xnp.broadcast_to(new, x.shape).astype(xnp.int64), "max", ax)
    srcm = xnp.moveaxis(src, ax, -1)
    gm = xnp.moveaxis(g, ax, -1)
    hit = xnp.equal(xnp.expand_dims(srcm, -2), xnp.reshape(xnp.arange(n), (n, 1)))
    d = xnp.sum(xnp.where(hit, xnp.expand_dims(gm, -2), xnp.zeros_like(xnp.expand_dims(gm, -2))), axis=-1)
    return [xnp.moveaxis(d, -1, ax).astype(x.dtype)]


def _sort(gs, op, ins, outs):
    """y = x[perm] along the axis: g goes back by the inverse permutation, sort_by(perm, g)."""
    (x,) = ins
    ax = op.attrs["axis"]
    perm = _sorting.argsort_values(x, ax)
    return [_sorting.sort_by(perm, gs[0], ax)]


def _kth_smallest(gs, op, ins, outs):
    """Each selected value's g goes to the elements equal to it, split evenly among ties (as max)."""
    (x,) = ins
    g = gs[0]
    if g is None or x.dtype.kind != "f":
        return [None]
    ax = op.attrs["axis"]
    xm = xnp.expand_dims(xnp.moveaxis(x, ax, -1), -2)                  # (..., 1, n)
    ym = xnp.expand_dims(xnp.moveaxis(outs[0], ax, -1), -1)            # (..., m, 1)
    gm = xnp.expand_dims(xnp.moveaxis(g, ax, -1), -1)
    eq = xnp.equal(xm, ym)
    cnt = xnp.sum(eq.astype(x.dtype), axis=-1, keepdims=True)
    share = xnp.where(eq, gm / xnp.maximum(cnt, 1), xnp.zeros_like(gm))
    return [xnp.moveaxis(xnp.sum(share, axis=-2), -1, ax).astype(x.dtype)]


def _sort_by(gs, op, ins, outs):
    keys, payload = ins
    ax = op.attrs["axis"]
    if gs[0] is None or payload.dtype.kind != "f":
        return [None, None]
    perm = _sorting.argsort_values(keys, ax)
    return [None, _sorting.sort_by(perm, gs[0], ax)]


# ---- the complex boundary (JAX's convention) ------------------------------------------------------
# The cotangent of a complex value z = x + iy is dL/dx - i dL/dy (JAX's convention: grad of a
# real-valued loss of a complex argument is the conjugate of the steepest-ascent direction).
# Autodiff runs on the IR after :mod:`xlaish.passes.complex` lowered every complex op to real ops
# on the components, so these three ops are the only complex VJPs.
def _complex_part(gs, op, ins, outs):
    from ..numpy import _complex
    (x,) = ins
    if gs[0] is None:
        return [None]
    g = gs[0]
    zero = xnp.zeros_like(g)
    return [_complex.make_complex(zero, -g) if op.attrs["part"] else _complex.make_complex(g, zero)]


def _complex_pairs(gs, op, ins, outs):
    from ..numpy import _complex
    if gs[0] is None:
        return [None]
    g = gs[0]
    return [_complex.make_complex(g[..., 0], -g[..., 1])]


def _make_complex(gs, op, ins, outs):
    from ..numpy import _complex
    re, im = ins
    if gs[0] is None:
        return [None, None]
    g = gs[0]
    return [unbroadcast(_complex.real(g), re.shape), unbroadcast(-_complex.imag(g), im.shape)]


VJP.update({
    "complex_part": _complex_part, "complex_pairs": _complex_pairs, "make_complex": _make_complex,
    "gather": _gather, "scatter": _scatter,
    "scan": _scan, "sort": _sort, "sort_by": _sort_by, "kth_smallest": _kth_smallest,
    "select": _select, "astype": _astype, "sum": _sum, "prod": _prod, "max": _minmax,
    "min": _minmax, "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to,
    "slice": _slice, "concatenate": _concatenate, "matmul": _matmul,
    "fft": _fft.vjp,
})


def _attach():
    from .linalg_rules import VJP as LINALG
    VJP.update(LINALG)
    for name, rule in VJP.items():
        register_vjp(name, rule)
    missing = sorted(n for n, od in all_ops().items() if od.differentiable and od.vjp is None)
    if missing:
        raise ImportError(f"ops declared differentiable have no VJP rule in xlaish.autodiff.rules: "
                          f"{missing}")


_attach()
NON_DIFFERENTIABLE = frozenset(n for n, od in all_ops().items()
                               if not od.differentiable and not od.has(REGION))

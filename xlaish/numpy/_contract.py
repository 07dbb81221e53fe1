"""Tensor contractions written with matmul, transposes and reductions: ``einsum``,
``tensordot``, ``kron``, ``cross``, ``matvec``, ``vecmat``.

``einsum`` lowers each pairwise contraction to one batched ``matmul``: the
indices of the two operands are sorted into batch (in both and in the output),
contracted (in both, not in the output), and free ones; each operand is
transposed to ``batch + free + contracted`` and reshaped to 3-D, multiplied,
and reshaped back. Indices that occur in one operand only and not in the
output are summed out first; a repeated index within one operand takes the
diagonal. More than two operands are contracted left to right (``optimize=``
is accepted and does not change the result). The result has the operands'
promoted dtype, as NumPy's einsum (no widening of small integers). The
matmuls then fuse with their elementwise neighbours like any other.
"""
from __future__ import annotations

import math
import string

import numpy as np

from ..trace import context
from ..trace.bind import any_tracer, promote
from ._composite import _asarr, diagonal
from ._linalg import matmul, tensordot
from ._reductions import sum as _sum
from ._shape import broadcast_to, moveaxis, reshape, stack, transpose
from ._ufuncs import FUNCS as _U

__all__ = ["einsum", "tensordot", "kron", "cross", "matvec", "vecmat"]

_LETTERS = string.ascii_letters


def _error(msg):
    return context.with_location(ValueError(msg))


def _parse(subscripts, ndims):
    """(list of index strings per operand, output index string), ellipses replaced by
    letters not used elsewhere (right-aligned, as NumPy broadcasts them)."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
        explicit = True
    else:
        lhs, out, explicit = subscripts, "", False
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise _error(f"einsum: {len(terms)} operand subscripts for {len(ndims)} operands")
    used = set(subscripts) - set(".,->")
    for c in used:
        if c not in _LETTERS:
            raise _error(f"einsum: invalid subscript '{c}' (letters only)")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = max((nd - len(t.replace("...", "")) for t, nd in zip(terms, ndims) if "..." in t), default=0)
    ell = "".join(spare[:n_ell])
    parsed = []
    for t, nd in zip(terms, ndims):
        if "..." in t:
            k = nd - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if len(t) != nd:
            raise _error(f"einsum: operand has {nd} dimensions but subscripts '{t}' name {len(t)}")
        parsed.append(t)
    if explicit:
        out = out.replace("...", ell)
        for c in out:
            if not any(c in t for t in parsed):
                raise _error(f"einsum: output subscript '{c}' does not appear in the inputs")
    else:
        counts = {}
        for t in parsed:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return parsed, out


def _sizes(terms, ops):
    sizes = {}
    for t, a in zip(terms, ops):
        for c, n in zip(t, a.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise _error(f"einsum: operands could not be broadcast: subscript '{c}' has "
                             f"sizes {sizes[c]} and {n}")
    return sizes


def _prepare(term, a, sizes, keep):
    """Take diagonals of repeated indices, sum indices not in ``keep``, broadcast size-1 dims."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        a = diagonal(a, 0, i, j)                  # the diagonal goes last
        term = "".join(x for k, x in enumerate(term) if k not in (i, j)) + c
    drop = tuple(i for i, c in enumerate(term) if c not in keep)
    if drop:
        a = _sum(a, axis=drop, dtype=a.dtype)
        term = "".join(c for c in term if c in keep)
    target = tuple(sizes[c] for c in term)
    if a.shape != target:
        a = broadcast_to(a, target)
    return term, a


def _permute(term, a, order):
    perm = tuple(term.index(c) for c in order)
    return a if perm == tuple(range(len(perm))) else transpose(a, perm)


def _contract2(ta, a, tb, b, keep, sizes):
    batch = [c for c in ta if c in tb and c in keep]
    summed = [c for c in ta if c in tb and c not in keep]
    fa = [c for c in ta if c not in tb]
    fb = [c for c in tb if c not in ta]
    size = lambda cs: math.prod(sizes[c] for c in cs)
    a3 = reshape(_permute(ta, a, batch + fa + summed), (size(batch), size(fa), size(summed)))
    b3 = reshape(_permute(tb, b, batch + summed + fb), (size(batch), size(summed), size(fb)))
    r = matmul(a3, b3)
    term = "".join(batch + fa + fb)
    return term, reshape(r, tuple(sizes[c] for c in term))


def _from_sublists(args):
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(args) % 2 == 1:
        out = args[-1]
        ops = ops[:len(subs)]
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)
    spec = ",".join(letters(s) for s in subs) + ("" if out is None else "->" + letters(out))
    return spec, ops


def einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    if not isinstance(operands[0], str):
        spec, ops = _from_sublists(operands)
    else:
        spec, ops = operands[0], list(operands[1:])
    if not any_tracer(ops):
        return np.einsum(spec, *ops, out=out, dtype=dtype, order=order, casting=casting,
                         optimize=optimize)
    if out is not None:
        from ..trace.bind import unsupported
        raise unsupported("einsum(..., out=...) is not supported on traced arrays")
    dt = np.dtype(dtype) if dtype is not None else promote(*ops)
    ops = [_asarr(o).astype(dt) if _asarr(o).dtype != dt else _asarr(o) for o in ops]
    terms, out_term = _parse(spec, [o.ndim for o in ops])
    sizes = _sizes(terms, ops)
    # each operand keeps the indices that the output or a later operand needs
    cur_t, cur = None, None
    for k, (t, a) in enumerate(zip(terms, ops)):
        later = set(out_term).union(*terms[k + 1:]) if k + 1 < len(terms) else set(out_term)
        keep_self = later | (set(cur_t) if cur_t is not None else set())
        t, a = _prepare(t, a, sizes, keep_self)
        if cur is None:
            cur_t, cur = t, a
            continue
        cur_t, cur = _prepare(cur_t, cur, sizes, later | set(t))
        cur_t, cur = _contract2(cur_t, cur, t, a, later, sizes)
    cur_t, cur = _prepare(cur_t, cur, sizes, set(out_term))
    return _permute(cur_t, cur, out_term)


def kron(a, b):
    if not any_tracer((a, b)):
        return np.kron(a, b)
    a, b = _asarr(a), _asarr(b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    ai = reshape(a, tuple(x for s in sa for x in (s, 1)))
    bi = reshape(b, tuple(x for s in sb for x in (1, s)))
    return reshape(_U["multiply"](ai, bi), tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if not any_tracer((a, b)):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(_asarr(a), axisa, -1), moveaxis(_asarr(b), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise _error("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if a.shape[-1] == 2 or b.shape[-1] == 2:
        from ..trace.bind import unsupported
        raise unsupported("cross of 2-element vectors is deprecated in NumPy 2 and not supported; "
                          "use 3-element vectors")
    mul, sub = _U["multiply"], _U["subtract"]
    x = [a[..., i] for i in range(3)]
    y = [b[..., i] for i in range(3)]
    c = stack([sub(mul(x[1], y[2]), mul(x[2], y[1])), sub(mul(x[2], y[0]), mul(x[0], y[2])),
               sub(mul(x[0], y[1]), mul(x[1], y[0]))], axis=-1)
    return moveaxis(c, -1, axisc)


def matvec(x1, x2, /, **kwargs):
    if not any_tracer((x1, x2)):
        return np.matvec(x1, x2, **kwargs)
    x2 = _asarr(x2)
    return matmul(x1, reshape(x2, x2.shape + (1,)))[..., 0]


def vecmat(x1, x2, /, **kwargs):
    if not any_tracer((x1, x2)):
        return np.vecmat(x1, x2, **kwargs)
    x1 = _asarr(x1)
    return matmul(reshape(x1, x1.shape[:-1] + (1, x1.shape[-1])), x2)[..., 0, :]

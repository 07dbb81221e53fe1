"""The CPU ``gather``: an indirect load evaluated inside map and reduce kernels (the kernel
generator, ``kg``, is a :class:`~.kernel_base.KernelGen`; contract:
:mod:`xlaish.ir.kernel_indexing`). The index is clamped into ``[0, n)`` before the address
is formed, so a bad index (reported after the call by the program's ``index_check``) never
reads outside the array; an index ``s + iota`` (a traced row or slice start) clamps ``s`` once
instead, so its loads stay contiguous."""
from __future__ import annotations

from llvmlite import ir

from ...ir.kernel import contiguous_strides, view_layout
from ...ir.opnames import ADD, IOTA
from . import types as T
from .loops import offset


def clamp(b, i, n):
    """i (i64) clamped into [0, n - 1]."""
    zero, top = ir.Constant(T.I64, 0), ir.Constant(T.I64, n - 1)
    i = b.select(b.icmp_signed("<", i, zero), zero, i)
    return b.select(b.icmp_signed(">", i, top), top, i)


def _layout(kg, x):
    """(buffer index, strides, base) of a gathered array: a parameter or a view of one."""
    view = kg.info.views.get(id(x))
    if view is None:
        return kg.param_index[id(x)], contiguous_strides(x.type.shape), 0
    root, chain = view
    _, strides, base = view_layout(root.type.shape, chain)
    return kg.param_index[id(root)], strides, base


def index_value(kg, ind, sub, n):
    """The clamped i64 index: ``ind`` evaluated at ``sub`` over its own shape."""
    shape = ind.type.shape
    i = kg.eval(ind, sub, {}, kg.accesses(shape), shape)
    return clamp(kg.b, i, n)


def _affine_base(kg, ind):
    """The 0-d value ``s`` when the 1-d index ``ind`` is ``s + iota`` (a row or a slice with a
    traced start: ``L[i, :]``, ``x[i:i+3]``), else None."""
    d = kg.defs.get(id(ind))
    if d is None or d.name != ADD or len(ind.type.shape) != 1:
        return None
    for s, t in (d.operands, d.operands[::-1]):
        td = kg.defs.get(id(t))
        if s.type.shape == () and td is not None and td.name == IOTA \
                and tuple(t.type.shape) == tuple(ind.type.shape) and s.type.dtype == ind.type.dtype:
            return s
    return None


def eval_gather(kg, op, idx, domain):
    """The gather's value at domain index ``idx`` (its result right-aligned in ``domain``)."""
    x, ind = op.operands
    ax = op.attrs["axis"]
    out = op.result.type.shape
    off = len(domain) - len(out)
    zero = ir.Constant(T.I64, 0)

    def at(k):
        d = off + k
        return idx[d] if out[k] != 1 and d >= 0 and idx[d] is not None else zero
    n = x.type.shape[ax]
    if n == 0:
        return T.const(x.type.dtype, 0)
    nb = len(ind.type.shape)
    base = _affine_base(kg, ind) if nb == 1 and ind.type.shape[0] <= n else None
    if base is not None:
        # s + k for k < m: clamping s into [0, n - m] once keeps every address inside (an index
        # out of range is reported by the program's index_check, as with per-element clamping),
        # and leaves the index affine in k: contiguous, vectorisable loads
        s = kg.eval(base, [], {}, kg.accesses(()), ())
        i = kg.b.add(clamp(kg.b, s, n - ind.type.shape[0] + 1), at(ax))
    else:
        i = index_value(kg, ind, [at(k) for k in range(ax, ax + nb)], n)
    xi = [at(k) for k in range(ax)] + [i] + [at(k) for k in range(ax + nb, len(out))]
    buf, strides, base = _layout(kg, x)
    strides = [0 if (d != ax and x.type.shape[d] == 1) else s for d, s in enumerate(strides)]
    b = kg.b
    return T.load(b, b.gep(kg.ptr(buf, x.type.dtype), [offset(b, xi, strides, base)], inbounds=True),
                  x.type.dtype)

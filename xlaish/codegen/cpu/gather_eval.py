"""The CPU ``gather``: an indirect load evaluated inside map and reduce kernels (the kernel
generator, ``kg``, is a :class:`~.kernel_base.KernelGen`; contract:
:mod:`xlaish.ir.kernel_indexing`). The index is clamped into ``[0, n)`` before the address
is formed, so a bad index (reported after the call by the program's ``index_check``) never
reads outside the array."""
from __future__ import annotations

from llvmlite import ir

from ...ir.kernel import contiguous_strides, view_layout
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
    i = index_value(kg, ind, [at(k) for k in range(ax, ax + nb)], n)
    xi = [at(k) for k in range(ax)] + [i] + [at(k) for k in range(ax + nb, len(out))]
    buf, strides, base = _layout(kg, x)
    strides = [0 if (d != ax and x.type.shape[d] == 1) else s for d, s in enumerate(strides)]
    b = kg.b
    return T.load(b, b.gep(kg.ptr(buf, x.type.dtype), [offset(b, xi, strides, base)], inbounds=True),
                  x.type.dtype)

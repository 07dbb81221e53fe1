"""The CUDA ``gather``: an indirect load in map and reduce kernels (values emitted by
:class:`.region.Eval`; contract: :mod:`xlaish.ir.kernel_indexing`). The index is clamped
into ``[0, n)`` before the load (the program's ``index_check`` reports a bad one)."""
from __future__ import annotations

from ...ir.kernel import contiguous_strides, view_layout
from .source import CoordSpace


def _x_layout(gen, x):
    view = gen.info.views.get(id(x))
    if view is None:
        return f"in{gen.param_index[id(x)]}", contiguous_strides(x.type.shape), 0
    root, chain = view
    _, strides, base = view_layout(root.type.shape, chain)
    return f"in{gen.param_index[id(root)]}", strides, base


def index_text(kt, gen, ind, coords, block, n, eval_cls, level_cls) -> str:
    """The clamped index: ``ind`` evaluated over its own shape at ``coords`` (dim -> text) by a
    fresh ``eval_cls`` (:class:`.region.Eval`, passed in: that module imports this one)."""
    nb = len(ind.type.shape)
    sub = eval_cls(kt, gen, [level_cls(kt.prologue), level_cls(block, CoordSpace(coords))],
                   {d: 1 for d in range(nb)}, acc=gen.accesses(nb), ndomain=nb)
    i = sub.value(ind)
    name = kt.fresh("g")
    block.add(f"{name} = min(max(int({i}), 0), {n - 1})")
    return name


def gather_level(ev, op) -> int:
    """The loop level a gather's value lives at: the deepest of its result's domain dims."""
    out = op.result.type.shape
    off = ev.ndomain - len(out)
    return max((ev.dim_level(off + k) for k, s in enumerate(out) if s != 1 and off + k >= 0), default=0)


def gather_expr(ev, op, lv: int) -> str:
    """The gather's value (a load at the clamped index) in loop level ``lv`` of ``ev``."""
    x, ind = op.operands
    ax = op.attrs["axis"]
    out = op.result.type.shape
    off = ev.ndomain - len(out)
    kt, gen = ev.kt, ev.gen
    n = x.type.shape[ax]
    if n == 0:
        return kt.const(0, x.type.dtype)

    def at(k):
        d = off + k
        return ev.levels[ev.dim_level(d)].space.coord(d) if out[k] != 1 and d >= 0 else "0"
    nb = len(ind.type.shape)
    block = ev.levels[lv].block
    i = index_text(kt, gen, ind, {k: at(ax + k) for k in range(nb)}, block, n, type(ev),
                   type(ev.levels[0]))
    xi = [at(k) for k in range(ax)] + [i] + [at(k) for k in range(ax + nb, len(out))]
    buf, strides, base = _x_layout(gen, x)
    terms = [str(base)] if base else []
    terms += [f"{c} * {s}" for d, (c, s) in enumerate(zip(xi, strides))
              if s and (d == ax or x.type.shape[d] != 1) and c != "0"]
    return kt.load(buf, x.type.dtype, " + ".join(terms) or "0")

"""Index arrays on CUDA: the ``scatter`` kernel kind (``gather`` is an indirect load in
map/reduce kernels: :mod:`.gather_eval`) (contract: :mod:`xlaish.ir.kernel_indexing`; CPU twin:
:mod:`xlaish.codegen.cpu.gather_kernel`).

Indices are clamped into ``[0, n)`` before a load or store (the program's ``index_check``
reports a bad one after the call). The scatter kernel copies the operand to the output
with a grid-stride loop, then one thread combines the updates in, in C order: repeated
indices give the same result on every run (NumPy's unbuffered ``ufunc.at`` order).

When the buffer plan may give the output the operand's buffer (an in-place update, see
:mod:`xlaish.passes.buffers`), that thread first computes every index and update value into
scratch arrays, then writes them: a gather of the operand in the same kernel reads the old
values. (The copy pass then copies the buffer onto itself: correct, not yet skipped.)
"""
from __future__ import annotations

import math

from ...ir.kernel import contiguous_strides
from ...ir.opnames import SCATTER
from ...passes.buffers import inplace_param
from . import ops as OPS
from .gather_eval import index_text
from .region import Eval, Level, RegionGen
from .source import Block, CoordSpace, KernelText


def scatter_kernel(rg: RegionGen):
    sc = next(op for op in rg.region.ops if op.name == SCATTER)
    x, ind, upd = sc.operands
    ax, mode = sc.attrs["axis"], sc.attrs["mode"]
    dt = x.type.dtype
    shape, ushape = x.type.shape, upd.type.shape
    n, size = shape[ax], math.prod(shape)
    t = rg.target
    nupd = math.prod(ushape)
    scratch = None         # in place: (indices, values) computed before any write
    if inplace_param(rg.region) is not None and n and nupd:
        scratch = rg.add_scratch("int64", nupd), rg.add_scratch(dt, nupd)
    kt = KernelText(rg.mod)
    # 1) copy: a grid-stride loop over the output
    loop = Block(2)
    coords, rem = {}, "i"
    for d in reversed(range(len(shape))):
        c = kt.fresh("c")
        loop.add(f"{c} = {rem} % {shape[d]}" if d else f"{c} = {rem}")
        if d:
            r2 = kt.fresh("r")
            loop.add(f"{r2} = {rem} // {shape[d]}")
            rem = r2
        coords[d] = c
    ev = Eval(kt, rg, [Level(kt.prologue), Level(loop, CoordSpace(coords))],
              {d: 1 for d in range(len(shape))}, acc=rg.accesses(len(shape)), ndomain=len(shape))
    loop.add(f"out0[i] = {kt.store_value(ev.value(x), dt)}")
    body = Block(1)
    body.add(f"for i in range(cuda.grid(1), {size}, cuda.gridsize(1)):")
    body.extend(loop)
    kernels = [rg.assemble(f"{rg.name}", kt, [], body)]
    launches = [(rg.name, ("cap", size, t.map_tpb, t.map_blocks_per_sm), (t.map_tpb,))] if size else []
    # 2) the updates, in order, on one thread
    if n and math.prod(ushape):
        kt2 = KernelText(rg.mod)
        body2 = Block(1)
        body2.add("if cuda.grid(1) != 0:")
        body2.add("return", 1)
        ucoords = {}
        for d, e in enumerate(ushape):
            c = kt2.fresh("u")
            body2.add(f"for {c} in range({e}):", d)
            ucoords[d] = c
        inner = Block(1 + len(ushape))
        nb = len(ind.type.shape)
        i = index_text(kt2, rg, ind, {k: ucoords[ax + k] for k in range(nb)}, inner, n, Eval, Level)
        uev = Eval(kt2, rg, [Level(kt2.prologue), Level(inner, CoordSpace(ucoords))],
                   {d: 1 for d in range(len(ushape))}, acc=rg.accesses(len(ushape)), ndomain=len(ushape))
        val = uev.value(upd)
        if scratch is not None:     # values first, then the writes
            s_idx, s_val = scratch
            k = " + ".join(f"{ucoords[d]} * {st}" for d, st in enumerate(contiguous_strides(ushape))
                           if st) or "0"
            inner.add(f"{s_idx}[{k}] = {i}")
            inner.add(f"{s_val}[{k}] = {kt2.store_value(val, dt)}")
            body2.extend(inner)
            for d, e in enumerate(ushape):
                body2.add(f"for {ucoords[d]} in range({e}):", d)
            inner = Block(1 + len(ushape))
            i, val = kt2.fresh("j"), kt2.load(s_val, dt, k)
            inner.add(f"{i} = {s_idx}[{k}]")
        oc = [ucoords[d] for d in range(ax)] + [i] + [ucoords[d] for d in range(ax + nb, len(ushape))]
        ostr = contiguous_strides(shape)
        off = " + ".join(f"{c} * {s}" for c, s in zip(oc, ostr) if s) or "0"
        if mode != "set":
            old = kt2.load("out0", dt, off)
            val = OPS.EXPR[mode](kt2, [old, val], dt, dt)
        inner.add(f"out0[{off}] = {kt2.store_value(val, dt)}")
        body2.extend(inner)
        kernels.append(rg.assemble(f"{rg.name}_upd", kt2, [], body2))
        launches.append((f"{rg.name}_upd", (1,), (1,)))
    return rg.finish("scatter", kernels, launches)

"""Scan and sort kernels on CUDA: one thread per row, the same semantics as the CPU kernels.

``scan``: each thread walks its row along the axis in order, evaluating the fused producers,
stepping every scan (the elementwise rule of its kind; float16 rounded after each step) and
storing the outputs, so results equal NumPy's sequential ``accumulate`` bit for bit.

``sort`` (and ``kth_smallest``, which then writes the sorted row's static positions): each
thread copies its row's keys (and ``sort_by``'s payload) into scratch and runs a
bottom-up stable merge sort between two scratch buffers, comparing with NumPy's order (NaN after
everything, ``-0.0 == 0.0``). One thread per row is simple and correct, not fast for a few long
rows (a long 1-D sort runs on one thread): a block-parallel sort is future work.
"""
from __future__ import annotations

import math

import numpy as np

from ...ir.opnames import KTH_SMALLEST, SORT_BY
from ...ir.ops.scan import SCAN, scan_identity, step_op
from ...ir.ops.sort import SORT
from . import ops as OPS
from .region import Eval, Level, RegionGen
from .source import Block, CoordSpace, KernelText
from .target import compute_dtype


def _row_coords(domain, axis, row="r"):
    kept = [d for d in range(len(domain)) if d != axis]
    coords, inner = {}, 1
    for d in reversed(kept):
        ext = domain[d]
        coords[d] = "0" if ext == 1 else (f"({row} // {inner}) % {ext}" if inner > 1 else f"{row} % {ext}")
        inner *= ext
    return coords, math.prod(domain[d] for d in kept)


def _launch(rg, rows):
    tpb = 128
    return [(rg.name, (max(1, -(-rows // tpb)),), (tpb,))] if rows and rg.info.domain[rg.info.axes[0]] else []


def scan_kernel(rg: RegionGen):
    domain = rg.info.domain
    nd = len(domain)
    (axis,) = rg.info.axes
    kt = KernelText(rg.mod)
    rg.acc = rg.accesses(nd)
    coords, rows = _row_coords(domain, axis)
    scans = [op for op in rg.region.ops if op.opdef.has(SCAN)]
    body = Block(1)
    body.add("r = cuda.grid(1)")
    body.add(f"if r < {rows}:")
    names = []
    for k, op in enumerate(scans):
        dt = op.result.type.dtype
        names.append(f"run{k}")
        body.add(f"run{k} = {kt.const(scan_identity(op.attrs['kind'], dt), dt)}", 1)
    body.add(f"for j in range({domain[axis]}):", 1)
    blk = Block(3)
    ev = Eval(kt, rg, [Level(kt.prologue), Level(blk, CoordSpace({**coords, axis: "j"}))],
              {d: 1 for d in range(nd)})
    for name, op in zip(names, scans):
        dt = op.result.type.dtype
        x = ev.value(op.operands[0])
        y = OPS.EXPR[step_op(op.attrs["kind"], dt)](kt, [name, x], dt, dt)
        blk.add(f"{name} = {kt.cast(y, dt) if dt == np.float16 else y}")
        ev.levels[1].env[id(op.result)] = name
        ev.level_cache[id(op.result)] = 1
    rg.store_outputs(ev, blk, 1)
    body.extend(blk)
    return rg.finish("scan", [rg.assemble(rg.name, kt, [], body)], _launch(rg, rows), "serial")


def sort_kernel(rg: RegionGen):
    domain = rg.info.domain
    nd = len(domain)
    (axis,) = rg.info.axes
    n = domain[axis]
    (op,) = [o for o in rg.region.ops if o.opdef.has(SORT)]
    kdt = compute_dtype(op.operands[0].type.dtype)
    pay = op.name == SORT_BY
    out_dt = op.result.type.dtype
    kt = KernelText(rg.mod)
    rg.acc = rg.accesses(nd)
    coords, rows = _row_coords(domain, axis)
    ka, kb = rg.add_scratch(kdt, rows * n), rg.add_scratch(kdt, rows * n)
    if pay:
        pdt = compute_dtype(op.operands[1].type.dtype)
        pa, pb = rg.add_scratch(pdt, rows * n), rg.add_scratch(pdt, rows * n)
    less = (lambda a, b: f"(({a}) < ({b}) or (({b}) != ({b}) and ({a}) == ({a})))") if kdt.kind == "f" \
        else (lambda a, b: f"(({a}) < ({b}))")
    body = Block(1)
    body.add("r = cuda.grid(1)")
    body.add(f"if r < {rows}:")
    body.add(f"base = r * {n}", 1)
    body.add(f"for j in range({n}):", 1)
    blk = Block(3)
    ev = Eval(kt, rg, [Level(kt.prologue), Level(blk, CoordSpace({**coords, axis: "j"}))],
              {d: 1 for d in range(nd)})
    blk.add(f"{ka}[base + j] = {ev.value(op.operands[0])}")
    if pay:
        blk.add(f"{pa}[base + j] = {ev.value(op.operands[1])}")
    body.extend(blk)
    arrays = [(ka, kb)] + ([(pa, pb)] if pay else [])
    lines = ["flip = False", "width = 1", f"while width < {n}:",
             f"    for lo in range(0, {n}, 2 * width):",
             f"        mid = min(lo + width, {n})", f"        hi = min(lo + 2 * width, {n})",
             "        i = lo", "        k = mid", "        for o in range(lo, hi):",
             "            if flip:"]
    for pick in (True, False):
        src = [b if pick else a for a, b in arrays]
        dst = [a if pick else b for a, b in arrays]
        if not pick:
            lines.append("            else:")
        lines.append(f"                if k >= hi or (i < mid and not "
                     f"{less(f'{src[0]}[base + k]', f'{src[0]}[base + i]')}):")
        for s, d in zip(src, dst):
            lines.append(f"                    {d}[base + o] = {s}[base + i]")
        lines += ["                    i += 1", "                else:"]
        for s, d in zip(src, dst):
            lines.append(f"                    {d}[base + o] = {s}[base + k]")
        lines.append("                    k += 1")
    lines += ["    flip = not flip", "    width *= 2"]
    for ln in lines:
        body.add(ln, 1)
    res = pa if pay else ka
    resb = pb if pay else kb
    out_shape = op.result.type.shape
    oc = CoordSpace({**coords, axis: "j"})
    off = " + ".join(oc.terms(rg.out_access(0, out_shape, nd).dstrides)) or "0"
    if op.name == KTH_SMALLEST:          # the sorted row's static positions
        for j, k in enumerate(op.attrs["kth"]):
            body.add(f"j = {j}", 1)
            body.add(f"v = {resb}[base + {k}] if flip else {res}[base + {k}]", 1)
            body.add(f"out0[{off}] = {kt.store_value('v', out_dt)}", 1)
    else:
        body.add(f"for j in range({n}):", 1)
        body.add(f"v = {resb}[base + j] if flip else {res}[base + j]", 2)
        body.add(f"out0[{off}] = {kt.store_value('v', out_dt)}", 2)
    return rg.finish("sort", [rg.assemble(rg.name, kt, [], body)], _launch(rg, rows), "serial")

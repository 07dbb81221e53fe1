"""FFT kernels on CUDA: one thread per row, a direct DFT (same semantics as the CPU kernel).

Each thread evaluates its row of the operand (with the fused elementwise producers) into float64
scratch (``r2c``: imaginary parts 0; ``c2r``: the Hermitian half extended to ``n`` values;
inverse transforms conjugate on the way in and out, as on the CPU), then computes every output
term as a sum over the row with the root of unity of the exact integer angle ``(j*k) mod n``,
accumulated in float64, and stores it times ``scale``. O(n^2) work per row and one thread per row:
correct for every length, not fast for long rows (a block-parallel Stockham kernel is future work).
"""
from __future__ import annotations

import math

from ...ir.ops.fft import FFT, row_lengths
from .region import Eval, Level, RegionGen
from .scan import _launch, _row_coords
from .source import Block, CoordSpace, KernelText


def fft_kernel(rg: RegionGen):
    domain = rg.info.domain
    nd = len(domain)
    (axis,) = rg.info.axes
    (op,) = [o for o in rg.region.ops if o.opdef.has(FFT)]
    a = op.attrs
    kind, n, inv, scale = a["kind"], a["n"], bool(a["inverse"]), float(a["scale"])
    n_in, n_out = row_lengths(kind, n)
    pair = kind != "r2c"
    core = nd - (1 if pair else 0)
    kt = KernelText(rg.mod)
    rg.acc = rg.accesses(nd)
    coords, rows = _row_coords(domain[:core], axis)
    re_s, im_s = rg.add_scratch("float64", rows * n), rg.add_scratch("float64", rows * n)
    cos, sin = kt.math("cos"), kt.math("sin")
    sgn = "-" if inv else ""
    body = Block(1)
    body.add("r = cuda.grid(1)")
    body.add(f"if r < {rows}:")
    body.add(f"base = r * {n}", 1)
    body.add(f"for j in range({n_in}):", 1)
    blk = Block(3)
    parts = []
    for part in ((0, 1) if pair else (0,)):
        space = {**coords, axis: "j"}
        if pair:
            space[core] = str(part)
        ev = Eval(kt, rg, [Level(kt.prologue), Level(blk, CoordSpace(space))], {d: 1 for d in range(nd)})
        parts.append(ev.value(op.operands[0]))
    blk.add(f"{re_s}[base + j] = float({parts[0]})")
    blk.add(f"{im_s}[base + j] = {sgn}float({parts[1]})" if pair else f"{im_s}[base + j] = 0.0")
    body.extend(blk)
    if kind == "c2r":
        body.add(f"for j in range({n_in}, {n}):", 1)
        body.add(f"{re_s}[base + j] = {re_s}[base + {n} - j]", 2)
        body.add(f"{im_s}[base + j] = -{im_s}[base + {n} - j]", 2)
    out_dt = op.result.type.dtype
    out_shape = op.result.type.shape
    body.add(f"for k in range({n_out}):", 1)
    body.add("sr = 0.0", 2)
    body.add("si = 0.0", 2)
    body.add(f"for j in range({n}):", 2)
    body.add(f"ang = {-2.0 * math.pi / n!r} * ((j * k) % {n})", 3)
    body.add(f"c = {cos}(ang)", 3)
    body.add(f"s = {sin}(ang)", 3)
    body.add(f"xr = {re_s}[base + j]", 3)
    body.add(f"xi = {im_s}[base + j]", 3)
    body.add("sr += xr * c - xi * s", 3)
    body.add("si += xr * s + xi * c", 3)
    oc = {**coords, axis: "k"}
    acc = rg.out_access(0, out_shape, len(out_shape))
    if kind == "c2r":
        off = " + ".join(CoordSpace(oc).terms(acc.dstrides)) or "0"
        body.add(f"out0[{off}] = {kt.store_value(kt.cast(f'sr * {scale!r}', out_dt), out_dt)}", 2)
    else:
        for part, val in ((0, f"sr * {scale!r}"), (1, f"{sgn}si * {scale!r}")):
            off = " + ".join(CoordSpace({**oc, core: str(part)}).terms(acc.dstrides)) or "0"
            body.add(f"out0[{off}] = {kt.store_value(kt.cast(val, out_dt), out_dt)}", 2)
    launches = _launch(rg, rows) if rows and n else []
    return rg.finish("fft", [rg.assemble(rg.name, kt, [], body)], launches, "serial")

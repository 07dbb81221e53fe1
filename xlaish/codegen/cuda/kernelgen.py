"""One ``fused`` region -> the source text of its Numba CUDA kernel(s) and their launches.

Kernel kinds follow :func:`xlaish.ir.kernel.analyze`, with the CPU backend's semantics:

* ``map``: a grid-stride loop over the flat domain, several elements per
  thread (the grid is capped at a few blocks per SM) and, for big domains,
  ``unroll`` elements per trip with all their loads issued first (see
  :func:`strided_loop`); every operand (broadcast, transposed, sliced) is
  read through index arithmetic, every output written contiguously. Values
  that do not depend on the index (constants, scalar inputs) are computed
  once per thread before the loop.
* ``reduce``: see :mod:`.reduce` (block per row, thread per row, or a
  deterministic two-stage split for a few long rows).
* ``matmul``: a shared-memory tiled kernel (tile x tile threads, one output
  element per thread, batch dims on ``blockIdx.z``); operands are read, or
  evaluated when they are constants, over their own index spaces; the
  accumulator has the result dtype as on the CPU (float16 in float32, bool
  as int32 0/1), then the fused elementwise epilogue runs on it before the
  one store.
* ``copy``: concatenate as one grid-stride loop over the output; each element
  evaluates the operand its coordinate along the axis falls in (a view, or
  elementwise values computed per element).

* ``scatter``: see :mod:`.gather` (gathers are indirect loads in map/reduce kernels).
* ``scan`` / ``sort``: a thread per row (see :mod:`.scan`).

``generate_region`` picks the kind; map, copy and matmul are here, reduce in
:mod:`.reduce`, and what they share (``RegionGen``, ``Eval``, ``strided_loop``)
in :mod:`.region`.
"""
from __future__ import annotations

import math

import numpy as np

from ...ir.opnames import CONCATENATE, MATMUL
from . import ops as OPS
from .fft import fft_kernel
from .gather import scatter_kernel
from .reduce import ReduceGen
from .region import Eval, KernelSource, Level, RegionGen, leaves_of, strided_loop
from .scan import scan_kernel, sort_kernel
from .source import Block, CoordSpace, FlatSpace, KernelText, ModuleSource
from .target import compute_dtype, np_name


def generate_region(mod: ModuleSource, region, name: str) -> KernelSource:
    """The kernel(s) of one fused region, by its kind (map, reduce, matmul, copy)."""
    rg = RegionGen(mod, region, name)
    return KINDS[rg.info.kind](rg)


def map_kernel(rg: RegionGen) -> KernelSource:
    t = rg.target
    domain = rg.info.domain
    nd = len(domain)
    n = math.prod(domain)
    kt = KernelText(rg.mod)
    rg.acc = rg.accesses(nd)
    ev = Eval(kt, rg, [Level(kt.prologue)], {d: 1 for d in range(nd)})
    srcs = [rg.info.source(r) for r in rg.region.results]
    unroll = t.map_unroll if n >= 4 * t.map_tpb else 1
    body = strided_loop(ev, 1, "i", "cuda.grid(1)", n, "st", unroll,
                        lambda var, blk: FlatSpace(kt, var, range(nd), domain, blk),
                        lambda ev_, blk, var: rg.store_outputs(ev_, blk, 1),
                        leaves_of(rg, srcs, set()))
    k = f"{rg.name}"
    launches = [(k, ("cap", n, t.map_tpb, t.map_blocks_per_sm), (t.map_tpb,))] if n else []
    return rg.finish("map", [rg.assemble(k, kt, ["st = cuda.gridsize(1)"], body)], launches)


def copy_kernel(rg: RegionGen) -> KernelSource:
    t = rg.target
    (op,) = [o for o in rg.region.ops if o.name == CONCATENATE]
    out = op.result
    shape = out.type.shape
    nd = len(shape)
    axis = op.attrs["axis"]
    n = math.prod(shape)
    kt = KernelText(rg.mod)
    loop = Block(2)
    space = FlatSpace(kt, "i", range(nd), shape, loop)
    ca = space.coord(axis) if shape[axis] != 1 else "0"
    acc = rg.accesses(nd)
    start, first = 0, True
    val = kt.fresh()
    for v in op.operands:
        ext = v.type.shape[axis]
        if ext == 0:
            continue
        coords = {d: (space.coord(d) if shape[d] != 1 else "0") for d in range(nd)}
        coords[axis] = f"({ca} - {start})" if start else ca
        loop.add(f"{'if' if first else 'elif'} {ca} < {start + ext}:")
        blk = Block(3)   # each operand (a view, or values computed per element) in its own index space
        ev = Eval(kt, rg, [Level(kt.prologue), Level(blk, CoordSpace(coords))],
                  {d: 1 for d in range(nd)}, acc=acc, ndomain=nd)
        blk.add(f"{val} = {ev.value(v)}")
        loop.extend(blk)
        first = False
        start += ext
    loop.add(f"out0[i] = {kt.store_value(val, out.type.dtype)}")
    body = Block(1)
    body.add(f"for i in range(cuda.grid(1), {n}, cuda.gridsize(1)):")
    body.extend(loop)
    launches = [(rg.name, ("cap", n, t.map_tpb, t.map_blocks_per_sm), (t.map_tpb,))] if n else []
    return rg.finish("copy", [rg.assemble(rg.name, kt, [], body)], launches)


def matmul_kernel(rg: RegionGen) -> KernelSource:
    t = rg.target
    T = t.tile
    region = rg.region
    mm = next(op for op in region.ops if op.name == MATMUL)
    a_v, b_v = mm.operands
    domain = rg.info.domain
    nd = len(domain)
    M, N = domain[-2], domain[-1]
    K = a_v.type.shape[-1]
    batch = domain[:-2]
    nb = math.prod(batch)
    dt = mm.result.type.dtype
    ct = np.dtype(np.int32) if dt.kind == "b" else compute_dtype(dt)   # float16 accumulates in float32
    kt = KernelText(rg.mod)
    rg.acc = rg.accesses(nd)
    head = [f"sa = cuda.shared.array(({T}, {T}), {np_name(ct)})",
            f"sb = cuda.shared.array(({T}, {T}), {np_name(ct)})",
            "tx = cuda.threadIdx.x", "ty = cuda.threadIdx.y",
            f"j = cuda.blockIdx.x * {T} + tx", f"i = cuda.blockIdx.y * {T} + ty"]
    body = Block(1)
    coords = {}
    if batch:
        head.append("bz = cuda.blockIdx.z")
        space = FlatSpace(kt, "bz", range(len(batch)), batch, body)
        for d in range(len(batch)):
            coords[d] = space.coord(d)
    coords[nd - 2], coords[nd - 1] = "i", "j"
    zero = kt.const(0, ct)

    def tile_load(v, tile_name, ci, cj, cond):
        """tile[ty, tx] = v at (batch, ci, cj) of v's own index space, or 0 outside it."""
        body.add(f"{tile_name}[ty, tx] = {zero}", 1)
        body.add(f"if {cond}:", 1)
        blk = Block(3)
        c = dict(coords)
        c[nd - 2], c[nd - 1] = ci, cj
        ev = Eval(kt, rg, [Level(kt.prologue), Level(blk, CoordSpace(c))],
                  {d: 1 for d in range(nd)}, acc=rg.accesses(nd), ndomain=nd)
        x = ev.value(v)
        blk.add(f"{tile_name}[ty, tx] = {'np.int32(' + x + ')' if dt.kind == 'b' else x}")
        body.extend(blk)

    body.add(f"acc = {zero}")
    body.add(f"for k0 in range(0, {K}, {T}):")
    body.add("ka = k0 + tx", 1)
    tile_load(a_v, "sa", "i", "ka", f"i < {M} and ka < {K}")
    body.add("kb = k0 + ty", 1)
    tile_load(b_v, "sb", "kb", "j", f"kb < {K} and j < {N}")
    body.add("cuda.syncthreads()", 1)
    body.add(f"for kk in range({T}):", 1)
    prod = OPS.EXPR["multiply"](kt, ["sa[ty, kk]", "sb[kk, tx]"], ct, ct)
    body.add(f"acc = {OPS.EXPR['add'](kt, ['acc', prod], ct, ct)}", 2)
    body.add("cuda.syncthreads()", 1)
    body.add(f"if i < {M} and j < {N}:")
    inner = Block(2)
    level = Level(inner, CoordSpace(coords))
    ev = Eval(kt, rg, [Level(kt.prologue), level], {d: 1 for d in range(nd)})
    level.env[id(mm.result)] = "(acc != 0)" if dt.kind == "b" else (kt.cast("acc", dt) if ct != dt else "acc")
    ev.level_cache[id(mm.result)] = 1
    rg.store_outputs(ev, inner, 1)
    body.extend(inner)
    grid = (-(-N // T), -(-M // T), nb)
    launches = [(rg.name, grid, (T, T))] if M and N and nb else []
    return rg.finish("matmul", [rg.assemble(rg.name, kt, head, body)], launches)


KINDS = {"map": map_kernel, "copy": copy_kernel, "matmul": matmul_kernel,
         "reduce": lambda rg: ReduceGen(rg).build(), "scatter": scatter_kernel, "scan": scan_kernel,
         "sort": sort_kernel, "fft": fft_kernel, "lapack": lambda rg: _no_lapack(rg)}


def _no_lapack(rg):
    """LAPACK ops (:mod:`xlaish.ir.ops.lapack`): there is no LAPACK on the device."""
    from ...errors import UnsupportedError
    from ...ir.ops.lapack import LAPACK
    op = next(o for o in rg.region.ops if o.opdef.has(LAPACK))
    shape = op.operands[0].type.shape
    raise UnsupportedError(
        f"np.linalg ({op.name}) of {shape[-2]}x{shape[-1]} matrices needs LAPACK, which device='cuda' "
        f"does not have (np.linalg.solve/inv/det/slogdet/cholesky compute matrices up to 5x5 inline "
        f"on every device)")

"""What the CUDA kernel kinds share: per-region state, value emission and loops.

:class:`RegionGen` holds one fused region's analysis (:func:`xlaish.ir.kernel.analyze`),
how its parameters and views are read (``Access``), its scratch arrays and the
kernel signature; ``finish`` wraps generated kernels into a :class:`KernelSource`.
:class:`Eval` emits region values as numbered variables, each in the outermost
loop scope (:class:`Level`) it can live in; :func:`strided_loop` is the
grid-stride loop (optionally unrolled with all loads first) that map and
reduce kernels run. The kinds themselves are in :mod:`.kernelgen` (map, copy,
matmul) and :mod:`.reduce`.

Every kernel takes flat (1-D, contiguous) arrays: the region's parameters
``in0..``, its results ``out0..``, then scratch ``s0..`` (split reductions).
"""
from __future__ import annotations

import numpy as np

from ...ir.kernel import KernelInfo, analyze, pending_in_order
from ...ir.opdef import ELEMENTWISE, REDUCTION
from ...ir.opnames import ASTYPE, BROADCAST_TO, CONSTANT, GATHER, IOTA, RESHAPE
from . import ops as OPS
from .gather_eval import gather_expr, gather_level
from .source import Access, Block, KernelText, ModuleSource, contiguous_strides, unsupported, view_layout
from .target import Target, nb_name


class Level:
    """One loop scope: its lines, the index space of the domain dims it introduces, its values."""

    def __init__(self, block: Block, space=None):
        self.block, self.space = block, space
        self.env: dict[int, str] = {}


class Eval:
    """Emits region values as variables, each in the outermost scope it can live in."""

    def __init__(self, kt: KernelText, gen: RegionGen, levels, dim_levels: dict, acc=None, ndomain=None):
        self.kt, self.gen, self.levels = kt, gen, list(levels)
        self.dim_levels = dict(dim_levels)     # domain dim -> the loop level that walks it
        self.level_cache: dict[int, int] = {}
        self.acc = gen.acc if acc is None else acc     # how params and views are read
        self.ndomain = len(gen.info.domain) if ndomain is None else ndomain

    # which loop level a value varies at ------------------------------------------------------
    def dim_level(self, d) -> int:
        return self.dim_levels.get(d, 0)

    def access_level(self, acc: Access) -> int:
        return max((self.dim_level(d) for d, s in enumerate(acc.dstrides) if s), default=0)

    def level_of(self, v) -> int:
        key = id(v)
        if key in self.level_cache:
            return self.level_cache[key]
        acc = self.acc.get(key)
        if acc is not None:
            lv = self.access_level(acc)
        else:
            op = self.gen.defs[key]
            if op.name == CONSTANT:
                lv = 0
            elif op.name == IOTA:
                d = self.gen.iota_dim(op, self.ndomain)
                lv = 0 if d is None else self.dim_level(d)
            elif op.opdef.has(REDUCTION):
                lv = 1
            elif op.name == GATHER:         # indirect load: see .gather
                lv = gather_level(self, op)
            else:
                lv = max((self.level_of(x) for x in op.operands), default=0)
        self.level_cache[key] = lv
        return lv

    def _known(self, key) -> bool:
        return any(key in lv.env for lv in self.levels)

    def lookup(self, v):
        for lv in reversed(self.levels):
            if id(v) in lv.env:
                return lv.env[id(v)]
        return None

    def offset(self, acc: Access, upto: int) -> str:
        terms = [str(acc.base)] if acc.base else []
        for lv in self.levels[1: upto + 1]:
            terms += lv.space.terms(acc.dstrides)
        return " + ".join(terms) if terms else "0"

    # values --------------------------------------------------------------------------------------
    def value(self, v) -> str:
        """v's variable (or constant text). Values are emitted bottom-up, operands first and in
        order, without recursion (chains can be thousands of ops deep)."""
        got = self.lookup(v)
        if got is not None:
            return got
        for u in pending_in_order(v, self._known, self.gen.defs,
                                  lambda op: op.opdef.has(REDUCTION) or op.name == GATHER
                                  or id(op.results[0]) in self.acc):
            self.level_of(u)          # its operands' levels are cached by now: shallow
            self._value_one(u)
        return self.lookup(v)

    def _value_one(self, v) -> str:
        """Emit v, its operands already emitted."""
        lv = self.level_of(v)
        level = self.levels[lv]
        kt = self.kt
        acc = self.acc.get(id(v))
        if acc is not None:
            expr = kt.load(acc.buf, acc.dtype, self.offset(acc, lv))
        else:
            op = self.gen.defs[id(v)]
            n = op.name
            if n == CONSTANT:
                val = np.asarray(op.attrs["value"])
                if val.size != 1:
                    raise unsupported(op, "(a non-scalar constant inside a kernel)")
                expr = kt.const(val.reshape(()), v.type.dtype)
                level.env[id(v)] = expr
                return expr
            if n == IOTA:
                d = self.gen.iota_dim(op, self.ndomain)
                c = "0" if d is None else self.levels[lv].space.coord(d)
                expr = kt.cast(c, v.type.dtype)
            elif n in (RESHAPE, BROADCAST_TO):
                expr = self.value(op.operands[0])
                level.env[id(v)] = expr
                return expr
            elif n == ASTYPE:
                x = self.value(op.operands[0])
                expr = OPS.astype(kt, x, op.operands[0].type.dtype, op.attrs["dtype"])
            elif op.opdef.has(REDUCTION):
                raise AssertionError(f"reduction {n} evaluated before its loop")
            elif n == GATHER:
                expr = gather_expr(self, op, lv)
            elif n in OPS.EXPR:
                args = [self.value(x) for x in op.operands]
                expr = OPS.EXPR[n](kt, args, op.operands[-1].type.dtype, v.type.dtype)
            else:
                raise unsupported(op)
        name = kt.fresh()
        level.block.add(f"{name} = {expr}")
        level.env[id(v)] = name
        return name


def leaves_of(gen: RegionGen, values, stop) -> list:
    """Parameters and views the values read (not looking through ids in ``stop``), in first-use order."""
    out, seen = [], set()
    for v0 in values:          # depth first, operands in order, without recursion
        stack = [v0]
        while stack:
            v = stack.pop()
            if id(v) in seen or id(v) in stop:
                continue
            seen.add(id(v))
            if id(v) in gen.acc:
                out.append(v)
                continue
            op = gen.defs.get(id(v))
            if op is not None and not op.opdef.has(REDUCTION):
                stack.extend(reversed(op.operands))
    return out


def strided_loop(ev: Eval, indent: int, var: str, start: str, stop, step: str, unroll: int,
                 make_space, body, leaves) -> Block:
    """``for var in range(start, stop, step)`` running ``body(ev, block, index)`` per element.

    With ``unroll`` > 1 the loop takes ``unroll`` elements per trip and issues
    every load of all of them before any arithmetic or store (more memory
    requests in flight per thread), then a remainder loop; elements are still
    visited in increasing order, so accumulations associate exactly as in
    the plain loop.
    """
    outer = ev.levels[:]
    blk = Block(indent)
    if unroll <= 1:
        blk.add(f"for {var} in range({start}, {stop}, {step}):")
        inner = Block(indent + 1)
        ev.levels = outer + [Level(inner, make_space(var, inner))]
        body(ev, inner, var)
        blk.extend(inner)
        ev.levels = outer
        return blk
    blk.add(f"{var} = {start}")
    blk.add(f"while {var} + {unroll - 1} * {step} < {stop}:")
    inner = Block(indent + 1)
    levels = []
    for u in range(unroll):
        name = var if u == 0 else f"{var}_{u}"
        if u:
            inner.add(f"{name} = {var} + {u} * {step}" if u > 1 else f"{name} = {var} + {step}")
        levels.append((Level(inner, make_space(name, inner)), name))
    for lv, _ in levels:
        ev.levels = outer + [lv]
        for v in leaves:
            ev.value(v)
    for lv, name in levels:
        ev.levels = outer + [lv]
        body(ev, inner, name)
    inner.add(f"{var} += {unroll} * {step}")
    blk.extend(inner)
    blk.add(f"while {var} < {stop}:")
    tail = Block(indent + 1)
    ev.levels = outer + [Level(tail, make_space(var, tail))]
    body(ev, tail, var)
    tail.add(f"{var} += {step}")
    blk.extend(tail)
    ev.levels = outer
    return blk


class KernelSource:
    """The text of one region's kernels and how to launch them.

    ``launches``: ``(kernel name, grid, block, nscratch)`` in order; a grid is a
    tuple of ints or ``("cap", items, per_block, blocks_per_sm)`` (resolved
    against the device's SM count at load time). ``scratch``: ``(dtype, n)``
    per scratch array. Every launch passes ins, outs, then all scratch arrays.
    """

    def __init__(self, name, kind, text, launches, scratch, strategy=""):
        self.name, self.kind, self.text = name, kind, text
        self.launches, self.scratch, self.strategy = launches, scratch, strategy


def check_region(region):
    """Name the first op of a region the CUDA backend cannot lower."""
    if any(v.type.dtype.kind == "c" for v in (*region.params, *region.results)):
        from ...errors import UnsupportedError
        raise UnsupportedError("complex arrays are not supported by the CUDA backend yet (the CPU "
                               "backend compiles them)")
    for op in region.ops:
        if not OPS.covered(op.name):
            raise unsupported(op)
        if op.opdef.has(ELEMENTWISE) and op.name not in OPS.EXPR and op.name != ASTYPE:
            raise unsupported(op)


class RegionGen:
    def __init__(self, mod: ModuleSource, region, name: str):
        check_region(region)
        self.mod, self.region, self.name = mod, region, name
        self.target: Target = mod.target
        self.info: KernelInfo = analyze(region)
        self.defs = {id(r): op for op in region.ops for r in op.results}
        self.nin, self.nout = len(region.params), len(region.results)
        self.param_index = {id(p): i for i, p in enumerate(region.params)}
        self.scratch: list[tuple] = []

    # shared helpers -----------------------------------------------------------------------------
    def accesses(self, nd):
        acc = {}
        for p in self.region.params:
            if len(p.type.shape) > nd:      # read only through views (reshape) of another rank
                continue
            acc[id(p)] = Access(f"in{self.param_index[id(p)]}", p.type.dtype, p.type.shape,
                                contiguous_strides(p.type.shape), 0, nd)
        for vid, (root, chain) in self.info.views.items():
            shape, strides, base = view_layout(root.type.shape, chain)
            if len(shape) > nd:
                continue
            acc[vid] = Access(f"in{self.param_index[id(root)]}", chain[-1].result.type.dtype, shape,
                              strides, base, nd)
        return acc

    def out_access(self, k, shape, nd):
        r = self.region.results[k]
        return Access(f"out{k}", r.type.dtype, shape, contiguous_strides(shape), 0, nd)

    def iota_dim(self, op, ndomain=None):
        shape = op.result.type.shape
        ax = op.attrs["axis"]
        if shape[ax] == 1:
            return None
        return (len(self.info.domain) if ndomain is None else ndomain) - len(shape) + ax

    def add_scratch(self, dtype, n) -> str:
        self.scratch.append((np.dtype(dtype).name, max(int(n), 1)))
        return f"s{len(self.scratch) - 1}"

    def signature(self) -> str:
        ts = [nb_name(p.type.dtype) for p in self.region.params]
        ts += [nb_name(r.type.dtype) for r in self.region.results]
        ts += [nb_name(dt) for dt, _ in self.scratch]
        return "void(" + ", ".join(f"{t}[::1]" for t in ts) + ")"

    def arglist(self) -> str:
        names = [f"in{i}" for i in range(self.nin)] + [f"out{k}" for k in range(self.nout)]
        names += [f"s{k}" for k in range(len(self.scratch))]
        return ", ".join(names)

    def assemble(self, kname: str, kt: KernelText, head: list[str], body: Block) -> str:
        """One kernel function's text: decorator placeholder, def line, prologue, body."""
        lines = [f"@kernel(SIG_{self.name})", f"def {kname}({self.arglist()}):"]
        lines += ["    " + h for h in head]
        lines += kt.prologue.lines
        lines += body.lines
        if len(lines) == 2:
            lines.append("    pass")
        return "\n".join(lines)

    def finish(self, kind, kernels, launches, strategy="") -> KernelSource:
        text = f"SIG_{self.name} = {self.signature()!r}\n\n\n" + "\n\n\n".join(kernels)
        return KernelSource(self.name, kind, text, launches, list(self.scratch), strategy)

    def store_outputs(self, ev: Eval, block: Block, upto: int, only=None):
        nd = len(self.info.domain)
        for k, r in enumerate(self.region.results):
            src = self.info.source(r)
            if only is not None and not only(src):
                continue
            val = ev.value(src)
            off = ev.offset(self.out_access(k, self.info.domain, nd), upto)
            block.add(f"out{k}[{off}] = {ev.kt.store_value(val, r.type.dtype)}")

"""Reduce kernels: row reductions with their producers and consumers, as on the CPU.

A reduce region (see :mod:`xlaish.ir.kernel`) is computed per *row* (an index
of the kept axes) in phases: phase ``p`` runs one pass over the row's reduced
index space accumulating the reductions of phase ``p + 1`` and writing the
outputs of phase ``p`` (softmax: max, then sum, then the outputs; layernorm:
mean, variance, outputs). Values that do not vary along the row are computed
once per row, outside the passes. Three launch strategies, chosen from the
shape alone (so results never depend on the device):

``rows``    a block per row (grid-stride over rows): threads stride through
            the row, then a block reduction — warp shuffles (lane 0's tree),
            one partial per warp in shared memory, the partials combined in
            warp order by every thread — gives every thread the row's value.
``serial``  a thread per row, for short rows or reductions over a
            non-innermost axis with many rows (adjacent threads then read
            adjacent columns).
``split``   few long rows (full reductions): two stages per phase. A fixed
            number of blocks per row (from the extent only) each reduce one
            chunk into a partial; a finalize kernel combines a row's
            partials in order and writes the row value to scratch, which the
            next phase reads. Deterministic: no atomics anywhere.

Accumulation: float16/float32 ``sum``/``prod`` accumulate in float64 (as the
CPU backend), bools as int32 0/1; ``max``/``min`` propagate NaN as NumPy;
``argmax``/``argmin`` keep (value, index) pairs and take the first occurrence
(the first NaN) when combining.
"""
from __future__ import annotations

import math

import numpy as np

from ...ir import policy
from ...ir.opdef import REDUCTION
from ...ir.opnames import ALL, ANY, ARGMAX, ARGMIN, MAX, MIN, PROD, SUM
from ...ir.ops.reduction import identity_for
from .region import Eval, KernelSource, Level, RegionGen, leaves_of, strided_loop
from .source import Block, FlatSpace, KernelText
from .target import compute_dtype, np_name

FULL = "0xffffffff"


class Acc:
    """The accumulator of one reduction op: its variables and the text of its algebra."""

    def __init__(self, op, k: int):
        self.op, self.name = op, op.name
        self.in_dt = np.dtype(op.operands[0].type.dtype)
        self.out_dt = np.dtype(op.result.type.dtype)
        self.arg = self.name in (ARGMAX, ARGMIN)
        if self.in_dt.kind == "b":
            at = np.dtype(np.int32)          # bool counts and flags held as int32 on the GPU
        else:
            at = compute_dtype(policy.accumulator_dtype(self.name, self.in_dt))
        self.at = at
        self.v = f"a{k}"
        self.i = f"a{k}i" if self.arg else None

    @property
    def vars(self):
        return [self.v] + ([self.i] if self.arg else [])

    def var_dtypes(self):
        return [self.at] + ([np.dtype(np.int64)] if self.arg else [])

    def conv(self, x: str) -> str:
        if self.in_dt.kind == "b":
            return f"np.int32({x})"
        if self.at != compute_dtype(self.in_dt):
            return f"{np_name(self.at)}({x})"
        return x

    def init(self, kt: KernelText, blk: Block):
        if self.arg:
            blk.add(f"{self.v} = {kt.const(0, self.at)}")
            blk.add(f"{self.i} = np.int64(-1)")
            return
        if self.in_dt.kind == "b":
            ident = {"sum": 0, "prod": 1, "max": 0, "min": 1, "any": 0, "all": 1}[self.name]
        else:
            ident = identity_for(self.name, self.in_dt)
        blk.add(f"{self.v} = {kt.const(ident, self.at)}")

    def _better(self, x, a):
        """Is value x strictly better than a (argmax/argmin), NaN first."""
        cmp = ">" if self.name == ARGMAX else "<"
        if self.at.kind == "f":
            return f"(({x} {cmp} {a} or {x} != {x}) and {a} == {a})"
        return f"({x} {cmp} {a})"

    def update(self, blk: Block, x: str, r: str, extra=0):
        x = self.conv(x)
        if self.arg:
            blk.add(f"if {self.i} < 0 or {self._better(x, self.v)}:", extra)
            blk.add(f"{self.v} = {x}", extra + 1)
            blk.add(f"{self.i} = np.int64({r})", extra + 1)
            return
        self.combine(blk, [x], extra)

    def combine(self, blk: Block, other, extra=0):
        """self <- self (+) other (other: values for self.vars)."""
        a, t = self.v, other[0]
        n, k = self.name, self.at.kind
        bool_rep = self.in_dt.kind == "b"
        if self.arg:
            ti = other[1]
            if k == "f":
                tie = f"({t} == {a} or ({t} != {t} and {a} != {a}))"
            else:
                tie = f"({t} == {a})"
            better = f"{self.i} < 0 or {self._better(t, a)} or ({tie} and {ti} < {self.i})"
            blk.add(f"if {ti} >= 0 and ({better}):", extra)
            blk.add(f"{a} = {t}", extra + 1)
            blk.add(f"{self.i} = {ti}", extra + 1)
            return
        T = np_name(self.at)
        if n in (ANY, ALL) or bool_rep:
            sym = "|" if n in (SUM, MAX, ANY) else "&"
            blk.add(f"{a} = {a} {sym} {t}", extra)
        elif n in (SUM, PROD):
            sym = "+" if n == SUM else "*"
            blk.add(f"{a} = {a} {sym} {t}" if k == "f" else f"{a} = {T}({a} {sym} {t})", extra)
        elif n in (MAX, MIN):
            cmp = ">" if n == MAX else "<"
            if k == "f":
                blk.add(f"{a} = {t} if ({t} {cmp} {a} or {t} != {t}) else {a}", extra)
            else:
                blk.add(f"{a} = {t} if {t} {cmp} {a} else {a}", extra)
        else:
            raise AssertionError(n)

    def final(self, kt: KernelText) -> str:
        if self.arg:
            return self.i
        if self.in_dt.kind == "b":
            return f"({self.v} != 0)"
        if self.at != compute_dtype(self.out_dt) or self.out_dt == np.float16:
            return kt.cast(self.v, self.out_dt)
        return self.v


def _shfl_type(dt):
    dt = np.dtype(dt)
    if dt.kind == "f" and dt.itemsize >= 4:
        return None
    return "np.int64" if dt.itemsize == 8 else "np.int32"


class ReduceGen:
    def __init__(self, rg: RegionGen):
        self.rg = rg
        self.t = rg.target
        info = rg.info
        self.info = info
        self.domain, self.axes = info.domain, info.axes
        nd = len(self.domain)
        self.kept = [d for d in range(nd) if d not in self.axes]
        self.red = list(self.axes)
        self.kept_ext = [self.domain[d] for d in self.kept]
        self.red_ext = [self.domain[d] for d in self.red]
        self.n_outer = math.prod(self.kept_ext)
        self.n_red = math.prod(self.red_ext)
        self.reductions = [op for op in rg.region.ops if op.opdef.has(REDUCTION)]
        self.accs = {id(op.result): Acc(op, k) for k, op in enumerate(self.reductions)}
        rg.acc = rg.accesses(nd)
        self.outs = [(k, r, info.source(r)) for k, r in enumerate(rg.region.results)]

    def strategy(self) -> str:
        t = self.t
        live = [d for d in range(len(self.domain)) if self.domain[d] != 1]
        last_reduced = bool(live) and live[-1] in self.axes
        if self.n_red <= t.serial_max_red or (not last_reduced and self.n_outer >= t.serial_min_rows):
            return "serial"
        if self.n_red >= t.split_min_red and self.n_outer <= t.split_max_rows:
            return "split"
        return "rows"

    def unroll(self, tpb, n=None):
        n = self.n_red if n is None else n
        u = self.t.map_unroll
        return u if n >= u * tpb else 1

    def phase_reds(self, p):
        return [op for op in self.reductions if self.info.phase[id(op.result)] == p + 1]

    def varying_out(self, src, p):
        return self.info.varies.get(id(src)) and self.info.phase[id(src)] == p

    def build(self) -> KernelSource:
        s = self.strategy()
        if self.n_outer == 0:
            return self._empty(s)
        return getattr(self, f"_{s}")()

    def _empty(self, s):
        rg = self.rg
        kt = KernelText(rg.mod)
        body = Block(1)
        return rg.finish("reduce", [rg.assemble(rg.name, kt, [], body)], [], s)

    # pieces ---------------------------------------------------------------------------------------
    def head(self, accs) -> list[str]:
        w = self.t.shared_width
        lines = []
        for acc in accs:
            for var, dt in zip(acc.vars, acc.var_dtypes()):
                lines.append(f"sh_{var} = cuda.shared.array({2 * w}, {np_name(dt)})")
                if self.t.sim:
                    lines.append(f"lv_{var} = cuda.local.array(32, {np_name(dt)})")
                    lines.append(f"wv_{var} = cuda.local.array(32, {np_name(dt)})")
        lines += ["tid = cuda.threadIdx.x", "nt = cuda.blockDim.x", "lane = tid % 32", "warp = tid // 32",
                  "nwarps = nt // 32", "hb = 0"]
        return lines

    def block_reduce(self, blk: Block, accs):
        """Every thread of the block ends with the block's combined accumulators.

        One barrier per reduction: an accumulator's shared array has two halves
        (offset ``hb``), alternated row by row, so writing the next row's
        partials never races with slow readers of this row's; the barrier of
        the next row's reduction orders the reuse of a half two rows later.
        """
        if not accs:
            return
        vars_ = [(v, dt) for acc in accs for v, dt in zip(acc.vars, acc.var_dtypes())]

        def combine(extra):
            for acc in accs:
                acc.combine(blk, [f"t_{v}" for v in acc.vars], extra)

        if not self.t.sim:
            blk.add("for off in (16, 8, 4, 2, 1):")
            for v, dt in vars_:
                st = _shfl_type(dt)
                if st is None:
                    blk.add(f"t_{v} = cuda.shfl_down_sync({FULL}, {v}, off)", 1)
                else:
                    blk.add(f"t_{v} = {np_name(dt)}(cuda.shfl_down_sync({FULL}, {st}({v}), off))", 1)
            combine(1)
            blk.add("if lane == 0:")
            for v, _ in vars_:
                blk.add(f"sh_{v}[hb + warp] = {v}", 1)
            blk.add("cuda.syncthreads()")
            for v, _ in vars_:
                blk.add(f"{v} = sh_{v}[hb]")
            blk.add("for ww in range(1, nwarps):")
            for v, _ in vars_:
                blk.add(f"t_{v} = sh_{v}[hb + ww]", 1)
            combine(1)
            return
        # simulator (no shuffles there): every thread replays lane 0's tree of each warp, then the
        # warp order, from shared memory; the same association, so bit-identical to the GPU
        for v, _ in vars_:
            blk.add(f"sh_{v}[hb + tid] = {v}")
        blk.add("cuda.syncthreads()")
        blk.add("for ww in range(nwarps):")
        blk.add("for ll in range(32):", 1)
        for v, _ in vars_:
            blk.add(f"lv_{v}[ll] = sh_{v}[hb + ww * 32 + ll]", 2)
        blk.add("for off in (16, 8, 4, 2, 1):", 1)
        blk.add("for ll in range(off):", 2)
        for v, _ in vars_:
            blk.add(f"{v} = lv_{v}[ll]", 3)
            blk.add(f"t_{v} = lv_{v}[ll + off]", 3)
        combine(3)
        for v, _ in vars_:
            blk.add(f"lv_{v}[ll] = {v}", 3)
        for v, _ in vars_:
            blk.add(f"wv_{v}[ww] = lv_{v}[0]", 1)
        for v, _ in vars_:
            blk.add(f"{v} = wv_{v}[0]")
        blk.add("for ww in range(1, nwarps):")
        for v, _ in vars_:
            blk.add(f"t_{v} = wv_{v}[ww]", 1)
        combine(1)

    def pass_body(self, kt, ev: Eval, p: int, start: str, stop, step: str, unroll: int,
                  indent: int) -> Block:
        """One pass over the row (phase p): accumulate phase p+1 reductions, store phase p outputs."""
        reds = self.phase_reds(p)
        outs = [(k, r, src) for k, r, src in self.outs if self.varying_out(src, p)]
        if not reds and not outs:
            return Block(indent)
        nd = len(self.domain)

        def body(ev_, blk, var):
            for op in reds:
                x = ev_.value(op.operands[0])
                self.accs[id(op.result)].update(blk, x, var)
            for k, r, src in outs:
                val = ev_.value(src)
                off = ev_.offset(self.rg.out_access(k, self.domain, nd), 2)
                blk.add(f"out{k}[{off}] = {kt.store_value(val, r.type.dtype)}")

        stop_ids = {id(op.result) for op in self.reductions}
        leaves = leaves_of(self.rg, [op.operands[0] for op in reds] + [s for _, _, s in outs], stop_ids)
        leaves = [v for v in leaves if ev.level_of(v) == 2]
        return strided_loop(ev, indent, "r", start, stop, step, unroll,
                            lambda var, blk: FlatSpace(kt, var, self.red, self.red_ext, blk), body, leaves)

    def finals(self, kt, ev: Eval, rowlv: Level, blk: Block, reds):
        for op in reds:
            name = kt.fresh()
            blk.add(f"{name} = {self.accs[id(op.result)].final(kt)}")
            rowlv.env[id(op.result)] = name

    def row_outputs(self, kt, ev: Eval, blk: Block, guard: str | None):
        """Store the outputs that do not vary along the row (index = row)."""
        stores = []
        for k, r, src in self.outs:
            if not self.info.varies.get(id(src)):
                val = ev.value(src)
                stores.append(f"out{k}[row] = {kt.store_value(val, r.type.dtype)}")
        if stores and guard:
            blk.add(guard)
            for s in stores:
                blk.add(s, 1)
        else:
            for s in stores:
                blk.add(s)

    def _levels(self, kt, rowblk):
        rowspace = FlatSpace(kt, "row", self.kept, self.kept_ext, rowblk)
        rowlv = Level(rowblk, rowspace)
        dims = {d: 1 for d in self.kept}
        dims.update({d: 2 for d in self.red})
        return Eval(kt, self.rg, [Level(kt.prologue), rowlv], dims), rowlv

    # strategies -----------------------------------------------------------------------------------
    def _rows_or_serial(self, serial: bool) -> KernelSource:
        rg, t = self.rg, self.t
        kt = KernelText(rg.mod)
        rowblk = Block(2)
        ev, rowlv = self._levels(kt, rowblk)
        accs_all = list(self.accs.values())
        tpb = t.row_tpb(self.n_red)
        for p in range(self.info.num_phases):
            reds = self.phase_reds(p)
            for op in reds:
                self.accs[id(op.result)].init(kt, rowblk)
            if serial:
                rowblk.extend(self.pass_body(kt, ev, p, "0", self.n_red, "1", 1, 2))
            else:
                rowblk.extend(self.pass_body(kt, ev, p, "tid", self.n_red, "nt", self.unroll(tpb), 2))
            if not serial:
                self.block_reduce(rowblk, [self.accs[id(op.result)] for op in reds])
            self.finals(kt, ev, rowlv, rowblk, reds)
        self.row_outputs(kt, ev, rowblk, None if serial else "if tid == 0:")
        if not serial and accs_all:
            rowblk.add(f"hb = {t.shared_width} - hb")
        body = Block(1)
        if serial:
            body.add(f"for row in range(cuda.grid(1), {self.n_outer}, cuda.gridsize(1)):")
            head = []
            launch = (rg.name, ("cap", self.n_outer, t.map_tpb, t.map_blocks_per_sm), (t.map_tpb,))
        else:
            body.add(f"for row in range(cuda.blockIdx.x, {self.n_outer}, cuda.gridDim.x):")
            head = self.head(accs_all)
            launch = (rg.name, ("cap", self.n_outer, 1, t.row_blocks_per_sm), (tpb,))
        body.extend(rowblk)
        text = rg.assemble(rg.name, kt, head, body)
        return rg.finish("reduce", [text], [launch], "serial" if serial else "rows")

    def _serial(self):
        return self._rows_or_serial(True)

    def _rows(self):
        return self._rows_or_serial(False)

    def _split(self) -> KernelSource:
        rg, t = self.rg, self.t
        G = t.split_blocks(self.n_red)
        chunk = -(-self.n_red // G)
        # scratch: per reduction its row values, per accumulator variable its partials
        red_buf, part_buf = {}, {}
        for op in self.reductions:
            acc = self.accs[id(op.result)]
            red_buf[id(op.result)] = rg.add_scratch(op.result.type.dtype, self.n_outer)
            part_buf[id(op.result)] = [rg.add_scratch(dt, self.n_outer * G) for dt in acc.var_dtypes()]
        last_red_phase = max(self.info.phase[id(op.result)] for op in self.reductions)
        kernels, launches = [], []
        tpb = t.split_tpb

        def scratch_values(kt, ev, rowlv, blk, upto_phase):
            for op in self.reductions:
                if self.info.phase[id(op.result)] <= upto_phase:
                    name = kt.fresh()
                    blk.add(f"{name} = {kt.load(red_buf[id(op.result)], op.result.type.dtype, 'row')}")
                    rowlv.env[id(op.result)] = name

        for p in range(self.info.num_phases):
            reds = self.phase_reds(p)
            accs = [self.accs[id(op.result)] for op in reds]
            vouts = [1 for _, _, s in self.outs if self.varying_out(s, p)]
            if reds or vouts:   # stage 1: one chunk of one row per block
                kt = KernelText(rg.mod)
                blk = Block(1)
                blk.add("row = cuda.blockIdx.y")
                blk.add(f"lo = cuda.blockIdx.x * {chunk}")
                blk.add(f"hi = min(lo + {chunk}, {self.n_red})")
                ev, rowlv = self._levels(kt, blk)
                scratch_values(kt, ev, rowlv, blk, p)
                for acc in accs:
                    acc.init(kt, blk)
                blk.extend(self.pass_body(kt, ev, p, "lo + tid", "hi", "nt", self.unroll(tpb, chunk), 1))
                self.block_reduce(blk, accs)
                if accs:
                    blk.add("if tid == 0:")
                    for op, acc in zip(reds, accs):
                        for var, buf in zip(acc.vars, part_buf[id(op.result)]):
                            blk.add(f"{buf}[row * {G} + cuda.blockIdx.x] = {var}", 1)
                name = f"{rg.name}_p{p}"
                kernels.append(rg.assemble(name, kt, self.head(accs), blk))
                launches.append((name, (G, self.n_outer), (tpb,)))
            if reds:            # stage 2: a row's partials combined in order
                kt = KernelText(rg.mod)
                blk = Block(1)
                blk.add("row = cuda.blockIdx.x")
                ev, rowlv = self._levels(kt, blk)
                for acc in accs:
                    acc.init(kt, blk)
                blk.add(f"for g in range(tid, {G}, nt):")
                for op, acc in zip(reds, accs):
                    tv = []
                    for var, buf in zip(acc.vars, part_buf[id(op.result)]):
                        blk.add(f"t_{var} = {buf}[row * {G} + g]", 1)
                        tv.append(f"t_{var}")
                    acc.combine(blk, tv, 1)
                self.block_reduce(blk, accs)
                self.finals(kt, ev, rowlv, blk, reds)
                blk.add("if tid == 0:")
                for op in reds:
                    v = rowlv.env[id(op.result)]
                    blk.add(f"{red_buf[id(op.result)]}[row] = {kt.store_value(v, op.result.type.dtype)}", 1)
                if p + 1 == last_red_phase:
                    scratch_values(kt, ev, rowlv, blk, p)
                    self.row_outputs(kt, ev, blk, "if tid == 0:")
                name = f"{rg.name}_f{p}"
                kernels.append(rg.assemble(name, kt, self.head(accs), blk))
                launches.append((name, (self.n_outer,), (tpb,)))
        return rg.finish("reduce", kernels, launches, "split")

"""Splitting a traced program into per-block stages (no dask import here: IR in, IR out).

**Axis classes.** :func:`analyze` gives every dimension of every value of the *global* program (traced
once at the dask arrays' full shapes) an axis class (union-find): elementwise ops (with NumPy
broadcasting: a size-1 dim never joins), ``transpose``, ``broadcast_to`` (a new or size-1 source dim
gets a fresh, free class), full-range ``slice`` dims, kept dims of reductions, ``matmul``'s batch/m/n
dims and one-to-one ``reshape`` dims carry a class through. A class is *chunked* when some input
dimension in it has more than one dask chunk.

**What needs the whole axis** (``Analysis.local``): a dimension of a ``constant``/``iota`` (its
values depend on the global position), a partial or strided ``slice``, ``concatenate``'s axis, a
``reshape`` that merges or splits a dim, ``argmax``/``argmin``, ops with regions
(``cond``/``while``). If such a dimension falls in a chunked class the call is refused with an
error naming the op, its source line and the input axis to rechunk (``x.rechunk({axis: -1})``):
computing it through dask's NumPy path instead would run the user's function on dask arrays,
which ``xlaish.numpy`` calls do not accept, and would hide a slow path. Debug ops
(``xl.debug.print``/``check``) are refused outright (they would run once per block).

**Reductions over chunked classes** (sum, prod, max, min, any, all) split the program into stages.
Every such reduction's operand is computed per block by a stage (the backward slice of the operand,
cut at params and at earlier chunked reductions) that ends in the same reduction with
``keepdims=True``: one partial per block. The partials are combined across blocks (the graph layer
does it), and the combined value is a *parameter* of later stages (broadcast to their blocks). So
A ``matmul`` whose contraction axis is chunked is split the same way: per block pair a partial
product (with a trailing size-1 axis), summed across contraction blocks -- dask's blockwise
contraction with xlaish kernels per block. ``mean`` is sum-then-divide, ``var`` is the exact
two-pass algorithm (mean, then the sum of squared
deviations), ``logsumexp`` is max, then sum of ``exp(x - max)``: one pass over the data per level of
nested reductions. Each program result is one more stage.

**Per-block types.** :func:`retype` rebuilds a stage for concrete block shapes: each dimension in a
class that touches a parameter takes the block's size; ``reshape``/``broadcast_to``/``slice`` attrs
follow. Everything else (constants, the ``mean`` divisor) keeps its *global* value, which is why the
program is traced once at full size and never re-traced per block.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.core import Function, Op, Value
from ..ir.opdef import get as get_op
from ..ir.opnames import BROADCAST_TO, CONCATENATE, IOTA, MATMUL, RESHAPE, SLICE, TRANSPOSE
from ..ir.types import TensorType

SPLITTABLE = ("sum", "prod", "max", "min", "any", "all")


class SplitError(ValueError):
    """The program needs a whole chunked axis at once (message names the op and the fix)."""


class _UF:
    def __init__(self):
        self.parent: list[int] = []

    def new(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, a: int) -> int:
        p = self.parent
        while p[a] != a:
            p[a] = p[p[a]]
            a = p[a]
        return a

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _reshape_groups(old, new):
    """Pairs (old dims, new dims) of the minimal groups a C-order reshape maps onto each other."""
    groups, i, j = [], 0, 0
    while i < len(old) or j < len(new):
        gi, gj = [], []
        po = pn = 1
        if i < len(old):
            gi.append(i)
            po = old[i]
            i += 1
        if j < len(new):
            gj.append(j)
            pn = new[j]
            j += 1
        while po != pn:
            if po < pn and i < len(old):
                gi.append(i)
                po *= old[i]
                i += 1
            elif j < len(new):
                gj.append(j)
                pn *= new[j]
                j += 1
            else:
                break
        groups.append((gi, gj))
    return groups


@dataclass
class Analysis:
    uf: _UF
    dims: dict                           # Value -> [class id per dim]
    local: list = field(default_factory=list)   # (class, op, why): this dim needs its whole axis
    reductions: list = field(default_factory=list)   # (op, [classes reduced])

    def cls(self, v: Value, d: int) -> int:
        return self.uf.find(self.dims[v][d])

    def classes(self, v: Value) -> list[int]:
        return [self.uf.find(c) for c in self.dims[v]]


def analyze(fn: Function) -> Analysis:
    uf = _UF()
    dims: dict = {}
    an = Analysis(uf, dims)

    def fresh(v):
        dims[v] = [uf.new() for _ in v.shape]
        return dims[v]

    def local(v, d, op, why):
        an.local.append((dims[v][d], op, why))

    for p in fn.params:
        fresh(p)
    for op in fn.ops:
        name, ins, outs = op.name, op.operands, op.results
        od = op.opdef
        if od.has("elementwise"):
            (r,) = outs
            rc = fresh(r)
            for a in ins:
                off = len(r.shape) - len(a.shape)
                for d, n in enumerate(a.shape):
                    if n != 1 and n == r.shape[off + d]:
                        uf.union(dims[a][d], rc[off + d])
        elif name == TRANSPOSE:
            dims[outs[0]] = [dims[ins[0]][p] for p in op.attrs["perm"]]
        elif name == BROADCAST_TO:
            (a,), (r,) = ins, outs
            rc = fresh(r)
            off = len(r.shape) - len(a.shape)
            for d, n in enumerate(a.shape):
                if n != 1 and n == r.shape[off + d]:
                    rc[off + d] = dims[a][d]
        elif name == SLICE:
            (a,), (r,) = ins, outs
            rc = fresh(r)
            for d, n in enumerate(a.shape):
                s0, s1, st = op.attrs["start"][d], op.attrs["stop"][d], op.attrs["step"][d]
                if s0 == 0 and s1 == n and st == 1:
                    rc[d] = dims[a][d]
                elif n > 1:
                    local(a, d, op, "a partial or strided slice")
        elif name == RESHAPE:
            (a,), (r,) = ins, outs
            rc = fresh(r)
            for gi, gj in _reshape_groups(a.shape, r.shape):
                oi = [d for d in gi if a.shape[d] != 1]
                oj = [d for d in gj if r.shape[d] != 1]
                if len(oi) == 1 and len(oj) == 1:
                    rc[oj[0]] = dims[a][oi[0]]
                else:
                    for d in oi:
                        local(a, d, op, "a reshape that merges or splits this axis")
        elif name in ("sum", "prod", "max", "min", "any", "all", "argmax", "argmin"):
            (a,), (r,) = ins, outs
            axes = list(op.attrs["axes"]) if "axes" in op.attrs else [op.attrs["axis"]]
            keep = op.attrs["keepdims"]
            rc = fresh(r)
            k = 0
            for d in range(len(a.shape)):
                if d in axes:
                    if keep:
                        k += 1
                    continue
                rc[k] = dims[a][d]
                k += 1
            red = [dims[a][d] for d in axes if a.shape[d] != 1]
            if name in ("argmax", "argmin"):
                for d in axes:
                    local(a, d, op, f"{name} (its index needs the whole axis)")
            elif red:
                an.reductions.append((op, red))
        elif name == CONCATENATE:
            (r,) = outs
            rc = fresh(r)
            ax = op.attrs["axis"]
            for a in ins:
                for d in range(len(a.shape)):
                    if d == ax:
                        local(a, d, op, "concatenation along this axis")
                    elif a.shape[d] != 1 and a.shape[d] == r.shape[d]:
                        uf.union(dims[a][d], rc[d])
        elif name == MATMUL:
            a, b = ins
            (r,) = outs
            rc = fresh(r)
            a2 = a.shape if len(a.shape) > 1 else (1,) + a.shape
            b2 = b.shape if len(b.shape) > 1 else b.shape + (1,)
            da = dims[a] if len(a.shape) > 1 else [None] + dims[a]
            db = dims[b] if len(b.shape) > 1 else dims[b] + [None]
            nb = len(r.shape) - (len(a.shape) > 1) - (len(b.shape) > 1)
            for x2, dx in ((a2, da), (b2, db)):
                off = nb - (len(x2) - 2)
                for d in range(len(x2) - 2):
                    if x2[d] != 1 and x2[d] == r.shape[off + d]:
                        uf.union(dx[d], rc[off + d])
            if len(a.shape) > 1 and a2[-2] != 1:
                uf.union(da[-2], rc[nb])
            if len(b.shape) > 1 and b2[-1] != 1:
                uf.union(db[-1], rc[-1])
            if a2[-1] != 1:
                uf.union(da[-1], db[-2])
                an.reductions.append((op, [da[-1]]))
        else:   # constant, iota, regions, debug ops, anything new: its dims are its own
            why = {"constant": "a constant array", "iota": "an index grid (arange/eye)"}.get(
                name, f"'{name}'")
            for v in list(ins) + list(outs):
                if v not in dims:
                    fresh(v)
                for d, n in enumerate(v.shape):
                    if n != 1:
                        local(v, d, op, why)
    return an


@dataclass
class Stage:
    """One per-block program: ``fn`` (global shapes) computes ``output`` from ``inputs`` (values of
    the global program: its params or the results of earlier split reductions). A split stage ends
    in ``reduce`` applied per block: a reduction with keepdims (one partial per block), or a
    ``matmul`` whose result gets one more trailing axis of size 1 (one partial per contraction
    block, summed)."""
    fn: Function
    inputs: list
    output: Value
    reduce: Op | None = None


def _slice(fn: Function, targets: list, cut: set, name: str, reduce: Op | None) -> Stage:
    """The ops computing ``targets`` from params and values in ``cut`` (kept in program order)."""
    producer = {r: op for op in fn.ops for r in op.results}
    need, stack, inputs = set(), list(targets), []
    seen = set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in cut or v not in producer:
            inputs.append(v)
            continue
        op = producer[v]
        if op not in need:
            need.add(op)
            stack.extend(op.operands)
    order = {v: k for k, v in enumerate(fn.params)}
    pos = {r: k for k, op in enumerate(fn.ops) for r in op.results}
    inputs.sort(key=lambda v: (0, order[v]) if v in order else (1, pos[v]))
    ops = [op for op in fn.ops if op in need]
    out = targets[0]
    if reduce is not None and reduce.name == MATMUL:
        mm = Value(reduce.result.type)
        ops.append(Op(reduce.opdef, list(reduce.operands), dict(reduce.attrs), [mm], loc=reduce.loc))
        out = Value(TensorType(mm.shape + (1,), mm.dtype))
        ops.append(Op(get_op("reshape"), [mm], {"shape": list(out.shape)}, [out], loc=reduce.loc))
    elif reduce is not None:
        attrs = dict(reduce.attrs)
        attrs["keepdims"] = True
        out = Value(reduce.opdef.infer([targets[0].type], attrs)[0])
        ops.append(Op(reduce.opdef, [targets[0]], attrs, [out], loc=reduce.loc))
    return Stage(Function(name, inputs, ops, [out]), inputs, targets[0], reduce)


@dataclass
class Plan:
    fn: Function
    an: Analysis
    chunked: set                  # chunked class ids
    splits: list                  # [(reduction op, partial Stage, chunked classes reduced)]
    results: list                 # per program result: Stage, or a Value passed through


def plan(fn: Function, chunked_dims: dict, arg_axis_name) -> Plan:
    """``chunked_dims``: param -> dims with more than one chunk. ``arg_axis_name(param, dim)`` names
    an input axis for error messages."""
    for op in fn.walk():
        if op.opdef.has("side_effect"):
            loc = f" at {op.loc}" if op.loc else ""
            raise SplitError(f"xlaish.dask: '{op.name}'{loc} (xl.debug.print/check) is not supported "
                             f"on dask arrays: it would run once per block; remove it, or debug on a "
                             f"NumPy block")
    an = analyze(fn)
    chunked = {an.cls(p, d) for p, ds in chunked_dims.items() for d in ds}
    where = {}
    for p in fn.params:
        for d in range(len(p.shape)):
            where.setdefault(an.cls(p, d), (p, d))
    for c, op, why in an.local:
        c = an.uf.find(c)
        if c in chunked:
            p, d = where[c]
            loc = f" at {op.loc}" if op.loc else ""
            raise SplitError(
                f"xlaish.dask: '{op.name}'{loc} needs the whole of {arg_axis_name(p, d)}, which is "
                f"split into several chunks ({why}); rechunk that axis into one chunk, e.g. "
                f"x.rechunk({{{d}: -1}}), or move the op out of the jitted function")
    splits, cut = [], set()
    for k, (op, red) in enumerate(an.reductions):
        creds = sorted({an.uf.find(c) for c in red} & chunked)
        if not creds:
            continue
        if op.name not in SPLITTABLE + ("matmul",):   # argmax/argmin are refused above
            raise SplitError(f"xlaish.dask: '{op.name}' over a chunked axis cannot be split")
        targets = list(op.operands) if op.name == MATMUL else [op.operands[0]]
        stage = _slice(fn, targets, cut, f"{fn.name}_partial{k}", op)
        splits.append((op, stage, creds))
        cut.add(op.result)
    results = []
    for k, r in enumerate(fn.results):
        if r in cut or r in fn.params:
            results.append(r)
        else:
            results.append(_slice(fn, [r], cut, f"{fn.name}_out{k}", None))
    return Plan(fn, an, chunked, splits, results)


def retype(fn: Function, shapes) -> Function:
    """``fn`` (a stage at global shapes) rebuilt for parameter blocks of the given shapes."""
    an = analyze(fn)
    size: dict = {}
    for p, s in zip(fn.params, shapes):
        if len(s) != len(p.shape):
            raise ValueError(f"block of rank {len(s)} for a parameter of rank {len(p.shape)}")
        for d, n in enumerate(s):
            if n != p.shape[d]:
                size[an.cls(p, d)] = n

    def new_type(v):
        if not size:
            return v.type
        cs = an.classes(v)
        return TensorType(tuple(size.get(c, n) for c, n in zip(cs, v.shape)), v.dtype)

    env = {}
    params = []
    for p in fn.params:
        env[p] = Value(new_type(p), p.hint)
        params.append(env[p])
    ops = []
    for op in fn.ops:
        outs = [Value(new_type(r), r.hint) for r in op.results]
        attrs = dict(op.attrs)
        if op.name in (RESHAPE, BROADCAST_TO) or (op.name == IOTA and "shape" in attrs):
            attrs["shape"] = list(outs[0].shape) if isinstance(attrs["shape"], list) else outs[0].shape
        elif op.name == SLICE:
            stop = list(attrs["stop"])
            for d, (n_old, n_new) in enumerate(zip(op.operands[0].shape, env[op.operands[0]].type.shape)):
                if n_old != n_new:
                    stop[d] = n_new
            attrs["stop"] = type(attrs["stop"])(stop)
        new = Op(get_op(op.name), [env[a] for a in op.operands], attrs, outs, op.regions, op.loc)
        inferred = new.opdef.infer([a.type for a in new.operands], attrs, op.regions)
        if tuple(inferred) != tuple(o.type for o in outs):
            raise SplitError(f"xlaish.dask: '{op.name}' at {op.loc} does not follow the block shape "
                             f"({tuple(map(str, inferred))} vs {tuple(str(o.type) for o in outs)})")
        ops.append(new)
        env.update(zip(op.results, outs))
    return Function(fn.name, params, ops, [env[r] for r in fn.results])

"""What a ``fused`` region means as a kernel: its loop domain, reduction axes and phases.

This analysis is the contract between fusion (which only forms regions that
``analyze`` accepts) and the backends (which generate loops from its result).

Kernel kinds:

``map``      elementwise ops over a domain ``D``; every result has shape ``D``.
``reduce``   reductions, all over the same input shape ``D`` and axes ``R``
             (``keepdims=True``; the canonicalize pass guarantees it), plus
             their elementwise producers and consumers. Values are computed
             per *outer* index (the kept axes). A value *varies* when its
             shape, right-aligned into ``D``, is not 1 on some reduced axis;
             varying values are computed in an inner loop over ``R``. The
             *phase* of a value counts the reductions on its longest input
             path, so softmax has phases 0 (max), 1 (sum), 2 (outputs): one
             kernel, three inner loops per row.
``matmul``   one matmul of region parameters (or views of them) plus an
             elementwise epilogue on its result.
``copy``     a concatenate as its own kernel: each operand (a parameter, a view, or
             an elementwise value such as a splat) is evaluated over its own
             index space and written into its slice of the output.
``scatter``  one ``scatter`` as its own kernel (see :func:`xlaish.ir.kernel_indexing.scatter_info`).

A ``gather`` joins map and reduce kernels as an indirect load: its array operand must be
a parameter or a view of one, its index operand is evaluated over the index's own shape
(see :mod:`xlaish.ir.kernel_indexing`).

``scan``     one or more ``scan`` ops over the same operand shape ``D`` and axis
             (``axes == (axis,)``), their elementwise producers and consumers:
             each row (outer index = the other axes) is walked once along the
             axis in order; a scan's value at a position is its running value
             there, so a consumer may read it at the same index.
``lapack``   one LAPACK-backed op (:mod:`xlaish.ir.ops.lapack`) reading parameters or views
             of them; its results are the kernel's outputs; the domain is its batch.
``sort``     one ``sort``/``sort_by``/``kth_smallest`` op along ``axes == (axis,)``
             of ``D`` (its operand's shape) and its elementwise producers
             (evaluated into a row buffer); its result is the kernel's only output
             (``kth_smallest``'s is ``D`` with the axis ``len(kth)`` long).
``fft``      one ``fft`` op along ``axes == (axis,)`` of ``D`` (its operand's shape) and its
             elementwise producers (evaluated into a row buffer); its result is the kernel's
             only output (see :mod:`xlaish.ir.ops.fft`).

Inside every region: parameters are contiguous buffers; view ops
(``transpose``, ``slice``, ``broadcast_to``, ``complex_part``, ``complex_pairs``, and ``reshape``
of a still contiguous chain) may only apply to parameters or to other such views, and
are read through index arithmetic; every computed value's shape broadcasts
(right-aligned) into the domain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import kernel_indexing
from .core import Function
from .opdef import CREATION, ELEMENTWISE, REDUCTION, SHAPE
from .opnames import (
    ASTYPE,
    BROADCAST_TO,
    COMPLEX_PAIRS,
    COMPLEX_PART,
    CONCATENATE,
    MATMUL,
    RESHAPE,
    SLICE,
    TRANSPOSE,
)
from .ops.fft import FFT
from .ops.lapack import LAPACK
from .ops.scan import SCAN
from .ops.sort import SORT

VIEW_OPS = frozenset({"transpose", "slice", "broadcast_to", "reshape", "complex_part", "complex_pairs"})


class NotFusible(Exception):
    """The region is not a kernel this compiler can generate; the message says why."""


@dataclass
class KernelInfo:
    kind: str                        # map | reduce | matmul | copy | scan | sort | lapack | fft
    domain: tuple
    axes: tuple = ()                 # reduced axes (reduce kernels)
    phase: dict = field(default_factory=dict)     # id(value) -> phase
    varies: dict = field(default_factory=dict)    # id(value) -> bool (reduce kernels)
    views: dict = field(default_factory=dict)     # id(view value) -> (param, [view ops])
    num_phases: int = 1
    out_alias: dict = field(default_factory=dict)  # id(output) -> computed value it reshapes

    def source(self, v):
        """The computed value behind a region output (reshapes of outputs are free)."""
        return self.out_alias.get(id(v), v)

    @property
    def outer_shape(self):
        return tuple(d for i, d in enumerate(self.domain) if i not in self.axes)


def contiguous_strides(shape) -> tuple:
    """C-order strides, in elements."""
    s, out = 1, []
    for d in reversed(shape):
        out.append(s)
        s *= d
    return tuple(reversed(out))


def view_layout(root_shape, chain):
    """(shape, strides, base offset), in elements, of a chain of view ops over a contiguous
    buffer: how every backend reads a view through index arithmetic."""
    shape, strides, base = tuple(root_shape), contiguous_strides(root_shape), 0
    for op in chain:
        n = op.name
        if n == TRANSPOSE:
            perm = op.attrs["perm"]
            shape, strides = tuple(shape[p] for p in perm), tuple(strides[p] for p in perm)
        elif n == SLICE:
            base += sum(a * s for a, s in zip(op.attrs["start"], strides))
            strides = tuple(s * st for s, st in zip(strides, op.attrs["step"]))
            shape = op.result.type.shape
        elif n == BROADCAST_TO:
            new = tuple(op.attrs["shape"])
            off = len(new) - len(shape)
            ns = [0] * len(new)
            for k in range(len(shape)):
                ns[off + k] = strides[k] if shape[k] == new[off + k] else 0
            shape, strides = new, tuple(ns)
        elif n == RESHAPE:        # only on still-contiguous chains (analyze checks)
            shape = tuple(op.attrs["shape"])
            strides = contiguous_strides(shape)
        elif n == COMPLEX_PART:   # complex elements -> float elements: part k of i is 2 i + k
            strides, base = tuple(2 * s for s in strides), 2 * base + op.attrs["part"]
        elif n == COMPLEX_PAIRS:  # complex elements -> (re, im) float pairs
            shape, strides, base = shape + (2,), tuple(2 * s for s in strides) + (1,), 2 * base
        else:
            raise AssertionError(n)
    return shape, strides, base


def domain_strides(shape, strides, ndomain) -> list:
    """Strides per domain dimension of a value read with right-aligned broadcasting
    (size-1 dims stride 0; a value only read through views may have more dims: ignored)."""
    off = ndomain - len(shape)
    out = [0] * ndomain
    for k, (n, s) in enumerate(zip(shape, strides)):
        if n != 1 and off + k >= 0:
            out[off + k] = s
    return out


def pending_in_order(v, known, defs, leaf) -> list:
    """The values ``v`` depends on (``v`` included) for which ``known(id)`` is false, each after
    its operands: an iterative post-order, so that backends can evaluate a deep chain (a long
    Python loop unrolled while tracing) without recursing once per op. ``defs``: value id ->
    defining op; ``leaf(op)``: do not look past this op's operands."""
    out, seen = [], set()
    stack = [(v, False)]
    while stack:
        u, expanded = stack.pop()
        if expanded:
            out.append(u)
            continue
        k = id(u)
        if k in seen or known(k):
            continue
        seen.add(k)
        stack.append((u, True))
        op = defs.get(k)
        if op is not None and not leaf(op):
            stack.extend((x, False) for x in reversed(op.operands))
    return out


def slot_sizes(fn) -> dict[int, int]:
    """Bytes per intermediate slot of a buffer-planned function, read off the ``buffers``
    attrs (written by :mod:`xlaish.passes.buffers`, read by every backend)."""
    sizes: dict[int, int] = {}
    for op in fn.ops:
        for r, s in zip(op.results, op.attrs.get("buffers", ())):
            if s >= 0:
                sizes[s] = max(sizes.get(s, 0), r.type.nbytes)
    return sizes


def _fits(shape, domain) -> bool:
    if len(shape) > len(domain):
        return False
    off = len(domain) - len(shape)
    return all(s == 1 or s == domain[off + i] for i, s in enumerate(shape))


def varies_over(shape, domain, axes) -> bool:
    """Whether a value of ``shape`` (right-aligned into ``domain``) changes along some of ``axes``."""
    off = len(domain) - len(shape)
    return any(shape[a - off] != 1 for a in axes if a - off >= 0)


def _contiguous_chain(ops) -> bool:
    return all(op.name in (RESHAPE, COMPLEX_PAIRS) for op in ops)


def analyze(region: Function) -> KernelInfo:
    params = {id(p) for p in region.params}
    views: dict[int, tuple] = {}
    computed: list = []
    used = {id(v) for op in region.ops for v in op.operands}
    out_alias: dict[int, object] = {}
    for op in region.ops:
        n = op.name
        if n in VIEW_OPS and (id(op.operands[0]) in params or id(op.operands[0]) in views):
            root, chain = views.get(id(op.operands[0]), (op.operands[0], []))
            chain = chain + [op]
            if n == RESHAPE and not _contiguous_chain(chain):
                raise NotFusible("reshape of a non-contiguous view is not an affine read")
            views[id(op.result)] = (root, chain)
            continue
        if (n == RESHAPE and _unit_leading(op)) or n == BROADCAST_TO:
            computed.append(op)     # right-aligned: evaluated at the same index as its operand
            continue
        if n == RESHAPE and id(op.result) not in used and id(op.operands[0]) not in out_alias:
            out_alias[id(op.result)] = out_alias.get(id(op.operands[0]), op.operands[0])
            continue
        if op.opdef.has(SHAPE):
            if n == CONCATENATE and op is region.ops[-1] and len(region.results) == 1 and \
                    region.results[0] is op.result and all(
                        o.opdef.has(ELEMENTWISE) or o.opdef.has(CREATION) or o.name == BROADCAST_TO
                        or (o.name == RESHAPE and _unit_leading(o)) for o in computed):
                return KernelInfo("copy", op.result.type.shape, views=views)
            raise NotFusible(f"'{n}' of a computed value cannot be read through index arithmetic")
        if n in kernel_indexing.OPS:      # gather / scatter (dispatch only, the rules are there)
            _indexing_rule(kernel_indexing.check, op, params, views)
        elif not (op.opdef.has(ELEMENTWISE) or op.opdef.has(REDUCTION) or op.opdef.has(CREATION)
                  or n == MATMUL or op.opdef.has(SCAN) or op.opdef.has(SORT) or op.opdef.has(LAPACK)
                  or op.opdef.has(FFT)):
            raise NotFusible(f"op '{n}' cannot be part of a fused kernel")
        computed.append(op)

    ffts = [op for op in computed if op.opdef.has(FFT)]
    if ffts:
        info = _fft(region, computed, ffts, views, out_alias)
        info.out_alias = out_alias
        return info
    if any(op.name in kernel_indexing.OPS for op in computed):
        domain, computed = _indexing_rule(kernel_indexing.analyze, region, computed, views, out_alias)
        if domain is not None:
            return KernelInfo("scatter", domain, views=views)
    lapack = [op for op in computed if op.opdef.has(LAPACK)]
    if lapack:
        return _lapack(region, computed, lapack, params, views, out_alias)
    matmuls = [op for op in computed if op.name == MATMUL]
    reductions = [op for op in computed if op.opdef.has(REDUCTION)]
    ordered = [op for op in computed if op.opdef.has(SCAN) or op.opdef.has(SORT)]
    if ordered:
        if matmuls or reductions:
            raise NotFusible("a scan or sort kernel holds no matmul or reduction")
        info = _ordered(region, computed, ordered, views, out_alias)
    elif matmuls:
        info = _matmul(region, computed, matmuls, reductions, params, views, out_alias)
    elif reductions:
        info = _reduce(region, computed, reductions, views, out_alias)
    else:
        info = _map(region, computed, views, out_alias)
    info.out_alias = out_alias
    return info


def _indexing_rule(rule, *args):
    try:
        return rule(*args)
    except kernel_indexing.IndexKernelError as e:
        raise NotFusible(str(e)) from None


def _unit_leading(op) -> bool:
    """reshape that only adds or drops leading unit dims (keeps right alignment)."""
    a, b = op.operands[0].type.shape, op.result.type.shape
    strip = lambda s: s[next((i for i, d in enumerate(s) if d != 1), len(s)):]
    return strip(a) == strip(b)


def _domain_of(shapes):
    from ..errors import ShapeError
    from .ops._rules import broadcast_shapes
    try:
        return broadcast_shapes(*shapes) if shapes else ()
    except ShapeError as e:     # values of unrelated shapes: not one loop nest
        raise NotFusible(f"no common loop domain: {e}") from None


def _check_outputs(region, domain, allowed, out_alias):
    for r in region.results:
        r = out_alias.get(id(r), r)
        if r.type.shape not in allowed:
            raise NotFusible(f"kernel output of shape {r.type.shape} does not match the loop domain "
                             f"{domain}")


def _map(region, computed, views, out_alias) -> KernelInfo:
    shapes = [op.result.type.shape for op in computed if not op.opdef.has(CREATION)]
    shapes += [out_alias.get(id(r), r).type.shape for r in region.results]
    domain = _domain_of(shapes)
    for op in computed:
        if not _fits(op.result.type.shape, domain):
            raise NotFusible(f"value of shape {op.result.type.shape} does not fit domain {domain}")
    _check_outputs(region, domain, {domain}, out_alias)
    return KernelInfo("map", domain, views=views, phase={id(op.result): 0 for op in computed})


def _matmul(region, computed, matmuls, reductions, params, views, out_alias) -> KernelInfo:
    if len(matmuls) > 1 or reductions:
        raise NotFusible("a matmul kernel holds one matmul and an elementwise epilogue only")
    (mm,) = matmuls
    defs = {id(r): op for op in computed for r in op.results}

    def index_free(v):       # constants, iota and broadcasts of them: cheap to evaluate anywhere
        op = defs.get(id(v))
        return op is not None and (op.opdef.has(CREATION) or (
            op.name in (BROADCAST_TO, RESHAPE, ASTYPE) and index_free(op.operands[0])))

    for v in mm.operands:
        if id(v) not in params and id(v) not in views and not index_free(v):
            raise NotFusible("matmul operands must be kernel inputs")
        if len(v.type.shape) < 2:
            raise NotFusible("matmul operands must be at least 2-D inside a kernel")
    domain = mm.result.type.shape
    for op in computed:
        if op is mm or (computed.index(op) < computed.index(mm) and index_free(op.result)):
            continue
        if not _fits(op.result.type.shape, domain):
            raise NotFusible("matmul epilogue value does not fit the matmul's shape")
        if computed.index(op) < computed.index(mm) and not op.opdef.has(CREATION) and \
                not index_free(op.result):
            raise NotFusible("matmul prologue ops are not fused")
    _check_outputs(region, domain, {domain}, out_alias)
    return KernelInfo("matmul", domain, views=views)


def _reduce(region, computed, reductions, views, out_alias) -> KernelInfo:
    first = reductions[0]
    domain = first.operands[0].type.shape
    axes = tuple(first.attrs["axes"]) if "axes" in first.attrs else (first.attrs["axis"],)
    for r in reductions:
        ax = tuple(r.attrs["axes"]) if "axes" in r.attrs else (r.attrs["axis"],)
        if r.operands[0].type.shape != domain or ax != axes:
            raise NotFusible("reductions over different shapes or axes need separate kernels")
        if not r.attrs["keepdims"]:
            raise NotFusible("reductions inside kernels keep their dims (run canonicalize first)")
    phase: dict[int, int] = {}
    varies: dict[int, bool] = {}
    for op in computed:
        shape = op.result.type.shape
        if not _fits(shape, domain):
            raise NotFusible(f"value of shape {shape} does not fit the reduction domain {domain}")
        p = max((phase.get(id(v), 0) for v in op.operands), default=0)
        if op.opdef.has(REDUCTION):
            p += 1
            varies[id(op.result)] = False
        else:
            varies[id(op.result)] = varies_over(shape, domain, axes)
        phase[id(op.result)] = p
    num_phases = max((phase[id(r.result)] for r in reductions), default=1)
    for r in region.results:
        r = out_alias.get(id(r), r)
        if id(r) not in phase:
            raise NotFusible("a reduce kernel's outputs must be computed in it")
        if varies[id(r)]:
            if r.type.shape != domain:
                raise NotFusible(f"output of shape {r.type.shape} is not the domain {domain}")
            num_phases = max(num_phases, phase[id(r)] + 1)
        else:
            kept = tuple(1 if i in axes else d for i, d in enumerate(domain))
            if math.prod(r.type.shape) != math.prod(kept):
                raise NotFusible(f"reduced output of shape {r.type.shape} is not {kept}")
    return KernelInfo("reduce", domain, axes, phase, varies, views, num_phases)


def _ordered(region, computed, ordered, views, out_alias) -> KernelInfo:
    """A scan kernel (scans over one domain and axis, with elementwise producers and consumers) or
    a sort kernel (one sort and its elementwise producers; the sort result is the one output)."""
    first = ordered[0]
    domain = first.operands[0].type.shape
    axis = first.attrs["axis"]
    sorts = [op for op in ordered if op.opdef.has(SORT)]
    if sorts and len(ordered) > 1:
        raise NotFusible("a sort kernel holds one sort and no scan")
    for op in ordered:
        if op.operands[0].type.shape != domain or op.attrs["axis"] != axis:
            raise NotFusible("scans over different shapes or axes need separate kernels")
    for op in computed:
        if not (any(op is s for s in sorts) or _fits(op.result.type.shape, domain)):
            raise NotFusible(f"value of shape {op.result.type.shape} does not fit the domain {domain}")
    if sorts:
        outs = [out_alias.get(id(r), r) for r in region.results]
        if len(outs) != 1 or outs[0] is not first.result:
            raise NotFusible("a sort kernel's only output is its sort's result")
    else:
        _check_outputs(region, domain, {domain}, out_alias)
    return KernelInfo("sort" if sorts else "scan", domain, (axis,), views=views)


def _lapack(region, computed, lapack, params, views, out_alias) -> KernelInfo:
    """One LAPACK op whose operands are kernel inputs; its results are the outputs."""
    if len(computed) != 1:
        raise NotFusible("a LAPACK kernel holds one LAPACK op and views of its inputs")
    (op,) = lapack
    for v in op.operands:
        if id(v) not in params and id(v) not in views:
            raise NotFusible("LAPACK operands must be kernel inputs")
    mine = {id(r) for r in op.results}
    for r in region.results:
        if id(out_alias.get(id(r), r)) not in mine:
            raise NotFusible("a LAPACK kernel's outputs are its op's results")
    return KernelInfo("lapack", tuple(op.operands[0].type.shape[:-2]), views=views,
                      out_alias=out_alias)


def _fft(region, computed, ffts, views, out_alias) -> KernelInfo:
    """One fft and its elementwise producers; the fft result is the one output."""
    first = ffts[0]
    if len(ffts) > 1:
        raise NotFusible("an fft kernel holds one fft")
    domain = first.operands[0].type.shape
    for op in computed:
        if op is first:
            continue
        if not (op.opdef.has(ELEMENTWISE) or op.opdef.has(CREATION) or op.name in (BROADCAST_TO, RESHAPE)):
            raise NotFusible(f"an fft kernel holds only elementwise producers, not '{op.name}'")
        if not _fits(op.result.type.shape, domain):
            raise NotFusible(f"value of shape {op.result.type.shape} does not fit the domain {domain}")
    outs = [out_alias.get(id(r), r) for r in region.results]
    if len(outs) != 1 or outs[0] is not first.result:
        raise NotFusible("an fft kernel's only output is its fft's result")
    return KernelInfo("fft", domain, (first.attrs["axis"],), views=views)

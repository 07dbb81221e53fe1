"""The kernel contract of the index-array ops (``gather``, ``scatter``), for :mod:`.kernel`.

``gather`` inside a map or reduce kernel is an indirect load: its array operand must be a
region parameter or a view of one (read at computed positions, so it cannot be a value
computed in the same kernel), and the values its index operand is computed from are
evaluated over the index's own shape (a sub-domain of the kernel's), so each of them must
fit that shape (right-aligned broadcasting). Not inside matmul kernels.

``scatter`` is a kernel of its own (kind ``scatter``, domain: the operand's shape): the
output is first set to the operand, then the updates are combined in one after another in
C order (deterministic for repeated indices). Elementwise producers of the operand, the
indices and the updates may join it, each fitting its own shape; the scatter's result is
the kernel's only output.
"""
from __future__ import annotations

import numpy as np

from .opdef import CREATION, ELEMENTWISE, REDUCTION
from .opnames import (
    ADD,
    ASTYPE,
    BROADCAST_TO,
    CONSTANT,
    GATHER,
    IOTA,
    MATMUL,
    MULTIPLY,
    RESHAPE,
    SCATTER,
    SUBTRACT,
)
from .ops.scan import SCAN
from .ops.sort import SORT

OPS = frozenset({"gather", "scatter"})


class IndexKernelError(Exception):
    """Not one kernel (:mod:`.kernel` turns it into its ``NotFusible``)."""


_not_fusible = IndexKernelError


def _fits(shape, domain) -> bool:
    if len(shape) > len(domain):
        return False
    off = len(domain) - len(shape)
    return all(s == 1 or s == domain[off + i] for i, s in enumerate(shape))


def check(op, params, views) -> None:
    """Refuse a gather whose array operand is computed in the region."""
    if op.name == GATHER:
        x = op.operands[0]
        if id(x) not in params and id(x) not in views:
            raise _not_fusible("a gather reads its array at computed positions: the array must be "
                               "a kernel input")


def _subtree_fits(v, shape, defs, stop) -> None:
    """Every value computed in the region that ``v`` is made of fits ``shape``."""
    stack, seen = [v], set()
    while stack:
        u = stack.pop()
        if id(u) in seen or id(u) in stop:
            continue
        seen.add(id(u))
        op = defs.get(id(u))
        if op is None:
            continue
        if op.opdef.has(REDUCTION) or op.opdef.has(SCAN) or op.opdef.has(SORT):
            raise _not_fusible(f"a gather's index is not read from a {op.name} of the same kernel")
        if not _fits(u.type.shape, shape):
            raise _not_fusible(f"value of shape {u.type.shape} feeding an index of shape {shape}")
        if op.name == GATHER:
            _subtree_fits(op.operands[1], op.operands[1].type.shape, defs, stop)
            continue
        stack.extend(op.operands)


def _index_only(region, computed) -> set:
    """Ids of the ops whose values only feed gather indices (evaluated over the index's shape,
    so they take no part in the kernel's domain)."""
    uses: dict[int, list] = {}
    for op in region.ops:
        for k, v in enumerate(op.operands):
            uses.setdefault(id(v), []).append((op, k))
    outputs = {id(r) for r in region.results}
    only: set = set()
    for op in reversed(computed):
        if op.name in OPS or any(id(r) in outputs for r in op.results):
            continue
        if all(all((u.name == GATHER and k == 1) or id(u) in only for u, k in uses.get(id(r), ()))
               and uses.get(id(r)) for r in op.results):
            only.add(id(op))
    return only


def analyze(region, computed, views, out_alias):
    """(the scatter kernel's domain, or None for a map/reduce kernel, the ops that make the
    kernel's domain): a map/reduce kernel holding gathers is checked here, then analysed as
    usual without the ops that only compute gather indices."""
    defs = {id(r): op for op in computed for r in op.results}
    stop = set(views) | {id(p) for p in region.params}
    scatters = [op for op in computed if op.name == SCATTER]
    if any(op.name == MATMUL for op in computed):
        raise _not_fusible("a gather does not join a matmul kernel")
    for op in computed:
        if op.name == GATHER:
            _subtree_fits(op.operands[1], op.operands[1].type.shape, defs, stop)
    if not scatters:
        only = _index_only(region, computed)
        return None, [op for op in computed if id(op) not in only]
    if len(scatters) > 1:
        raise _not_fusible("one scatter per kernel")
    (sc,) = scatters
    results = [out_alias.get(id(r), r) for r in region.results]
    if len(results) != 1 or results[0] is not sc.result:
        raise _not_fusible("a scatter's result is its kernel's only output")
    for op in computed:
        if op is not sc and not (op.opdef.has(ELEMENTWISE) or op.opdef.has(CREATION)
                                 or op.name in (BROADCAST_TO, RESHAPE, GATHER)):
            raise _not_fusible(f"op '{op.name}' cannot join a scatter kernel")
    x, idx, upd = sc.operands
    for v in (x, idx, upd):
        _subtree_fits(v, v.type.shape, defs, stop)
    return tuple(x.type.shape), computed


def affine_index(defs, v):
    """``(base, strides)`` with ``v[u] == base + sum(u[d] * strides[d])`` for every position
    ``u`` of the integer value ``v``, when ``v`` is index arithmetic on ``iota`` and constants
    inside a kernel (``defs``: the region's value id -> defining op), e.g. the linear positions
    of a static slice assignment; else None. Lets a scatter form its addresses as a strided
    write (vectorisable, no clamp, no duplicates to order) instead of per-element lookups.
    Every value on the way must hold its whole range in its dtype (no wrap-around), so the
    Python-integer arithmetic here is the kernel's."""
    a = _affine(defs, v)
    if a is None:
        return None
    low, high = _span(v.type.shape, a[1], a[0])
    info = np.iinfo(v.type.dtype)
    return a if info.min <= low and high <= info.max else None


def _span(extents, strides, base):
    """(lowest, highest) of ``base + sum(u[d] * strides[d])`` over ``u`` in ``extents``."""
    low = base + sum(min(0, (n - 1) * s) for n, s in zip(extents, strides))
    high = base + sum(max(0, (n - 1) * s) for n, s in zip(extents, strides))
    return low, high


def _affine(defs, v):
    shape = tuple(v.type.shape)
    op = defs.get(id(v))
    if op is None or np.dtype(v.type.dtype).kind not in "iu":
        return None
    name, ins = op.name, op.operands
    if name == CONSTANT:
        a = np.asarray(op.attrs["value"]).astype(np.int64)
        if a.shape != shape or a.size == 0:
            return None
        base = int(a.reshape(-1)[0])
        strides = tuple(int(a[tuple(1 if k == d else 0 for k in range(a.ndim))]) - base
                        if shape[d] > 1 else 0 for d in range(a.ndim))
        fit = base + sum(np.arange(n).reshape([-1 if k == d else 1 for k in range(a.ndim)]) * s
                         for d, (n, s) in enumerate(zip(shape, strides)))
        return (base, strides) if np.array_equal(a, np.broadcast_to(fit, shape)) else None
    if name == IOTA:
        return 0, tuple(int(d == op.attrs["axis"]) for d in range(len(shape)))
    if name == ASTYPE:
        if np.dtype(ins[0].type.dtype).kind not in "iu":
            return None
        return affine_index(defs, ins[0])
    if name in (BROADCAST_TO, RESHAPE):
        a = affine_index(defs, ins[0])
        if a is None:
            return None
        src = tuple(ins[0].type.shape)
        if name == RESHAPE:       # only size-1 axes inserted or removed
            if tuple(n for n in src if n != 1) != tuple(n for n in shape if n != 1):
                return None
            live = iter([s for n, s in zip(src, a[1]) if n != 1])
            return a[0], tuple(next(live) if n != 1 else 0 for n in shape)
        off = len(shape) - len(src)
        return a[0], tuple(0 if d < off or src[d - off] == 1 else a[1][d - off]
                           for d in range(len(shape)))
    if name in (ADD, SUBTRACT, MULTIPLY) and len(ins) == 2:
        parts = []
        for u in ins:
            p = affine_index(defs, u)
            if p is None:
                return None
            if tuple(u.type.shape) != shape:
                if u.type.shape != ():
                    return None
                p = (p[0], (0,) * len(shape))
            parts.append(p)
        (b0, s0), (b1, s1) = parts
        if name == ADD:
            return b0 + b1, tuple(x + y for x, y in zip(s0, s1))
        if name == SUBTRACT:
            return b0 - b1, tuple(x - y for x, y in zip(s0, s1))
        if any(s0) and any(s1):
            return None
        (c, _), (bb, ss) = (parts[0], parts[1]) if not any(s0) else (parts[1], parts[0])
        return bb * c, tuple(s * c for s in ss)
    return None


def injective_in_range(extents, strides, base, lo, hi) -> bool:
    """Do the positions ``base + sum(u[d] * strides[d])`` over ``u`` in ``extents`` all differ,
    and lie in ``[lo, hi)``? (Sufficient test: each stride exceeds the span of the smaller
    ones.)"""
    if 0 in extents:
        return True
    spans = sorted((abs(s), n - 1) for n, s in zip(extents, strides) if n > 1)
    covered = 0
    for s, m in spans:
        if s <= covered:
            return False
        covered += s * m
    low, high = _span(extents, strides, base)
    return lo <= low and high < hi

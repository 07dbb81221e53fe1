"""Fusion: groups of ops become one ``fused`` op holding the group as a region.

Guarantees:

* after this pass the top level holds only ``constant`` ops (data) and
  ``fused`` ops (kernels); every region is accepted by
  :func:`xlaish.ir.kernel.analyze`, so a backend can compile it;
* scalar constants, splats (a scalar ``broadcast_to``), ``iota`` and integer/bool
  elementwise arithmetic on those alone (index expressions) are cloned into each region
  that uses them and never become kernels or buffers;
* view ops (``transpose``, ``slice``, ``broadcast_to``, ``reshape``) are cloned
  into the consuming regions and read through index arithmetic; a view is
  only materialised when a function result needs it;
* with ``fuse=True`` a producer joins its consumer's kernel whenever the
  merged region is still a valid kernel and no cycle appears between
  kernels (greedy, in program order): elementwise chains, broadcasts, a
  reduction with its producers and the consumers that broadcast it back
  (softmax, layernorm: one kernel), multi-output kernels (Black-Scholes call
  and put), matmul with an elementwise epilogue; then independent kernels over the
  same domain that read a common buffer are merged (sibling fusion); with ``fuse=False`` every
  computing op is its own kernel (the unfused baseline);
* ops with side effects (``debug_print``, checks, host callbacks, loops holding one) stay in
  program order relative to each other.
"""
from __future__ import annotations

import numpy as np

from ..ir.core import Function, Value
from ..ir.kernel import VIEW_OPS, NotFusible, analyze
from ..ir.opdef import ELEMENTWISE, REGION, SIDE_EFFECT
from ..ir.opnames import BROADCAST_TO, CONCATENATE, CONSTANT, FUSED, IOTA, RESHAPE
from ._rewrite import Rewriter
from .dce import has_effect


def _is_scalar_const(op) -> bool:
    return op.name == CONSTANT and np.asarray(op.attrs["value"]).ndim == 0


class _Graph:
    def __init__(self, fn: Function):
        self.fn = fn
        self.defs = {}
        self.index = {}
        for i, op in enumerate(fn.ops):
            self.index[id(op)] = i
            for r in op.results:
                self.defs[id(r)] = op
        self.users: dict[int, list] = {}
        for op in fn.ops:
            for v in op.operands:
                self.users.setdefault(id(v), []).append(op)
        self.outputs = {id(r) for r in fn.results}
        self._inlinable_ops: dict[int, bool] = {}   # memo of inlinable() for elementwise ops

    def def_of(self, v):
        return self.defs.get(id(v))

    def inlinable(self, v) -> bool:
        """Values cloned into every region that reads them (never buffers)."""
        op = self.def_of(v)
        if op is None:
            return False
        if _is_scalar_const(op) or op.name == IOTA:
            return True
        if op.name == BROADCAST_TO:
            return self.inlinable(op.operands[0])
        # index arithmetic on iotas and scalar constants (a scatter's linear index): recomputed
        # in each reader, never a buffer (it would be written and read back per loop iteration);
        # not when a reshape/slice/transpose reads it (those read buffers through index maps)
        memo = self._inlinable_ops
        if id(op) not in memo:
            memo[id(op)] = False            # (cycle guard; the IR is acyclic)
            memo[id(op)] = (op.opdef.has(ELEMENTWISE) and len(op.results) == 1
                            and np.dtype(op.results[0].type.dtype).kind in "iub"
                            and all(self.inlinable(x) for x in op.operands)
                            and not any(u.name in VIEW_OPS and u.name != BROADCAST_TO
                                        for u in self.users.get(id(op.results[0]), ())))
        return memo[id(op)]

    def view_root(self, v):
        """(root buffer value, [view ops]) if v is a chain of views over a buffer, else None."""
        chain = []
        op = self.def_of(v)
        computed = getattr(self, "compute_ids", ())   # a view that is itself a kernel's output
        while op is not None and op.name in VIEW_OPS and not self.inlinable(op.results[0]) \
                and id(op) not in computed:            # is read as that buffer, not re-derived
            # (re-deriving it from its root would read a value its kernel does not export)
            chain.append(op)
            v = op.operands[0]
            op = self.def_of(v)
        return (v, list(reversed(chain))) if chain else None


def _compute_ops(g: _Graph):
    """Ops that become (part of) kernels; the rest are cloned into their readers.

    A strided view (transpose, slice, broadcast) that a reshape reads is materialised as
    its own copy kernel: a reshape is only an affine read of contiguous data.
    """
    out = []
    copy_first = set()
    for op in g.fn.ops:
        if op.name == RESHAPE:
            d = g.def_of(op.operands[0])
            if d is not None and d.name in VIEW_OPS and d.name != RESHAPE and \
                    not g.inlinable(d.results[0]):
                copy_first.add(id(d))
    for op in g.fn.ops:
        if id(op) in copy_first:
            out.append(op)
            continue
        is_output = any(id(r) in g.outputs for r in op.results)
        if _barrier(op):
            out.append(op)
            continue
        if op.name == CONSTANT and not (is_output and _is_scalar_const(op)):
            continue   # dense constants are data; scalars are cloned into readers
        if not is_output and (g.inlinable(op.results[0]) or op.name in VIEW_OPS):
            continue   # cloned into every region that reads them
        out.append(op)
    return out


def _build_region(g: _Graph, ops, name):
    """Region for a group of top-level ops -> (region, operands, results (top-level values))."""
    inside = {id(op) for op in ops}
    defined_inside = {id(r) for op in ops for r in op.results}
    params: list[Value] = []
    outer_inputs: list[Value] = []
    body_ops = []
    local: dict[int, Value] = {}
    from ..ir.core import Op

    def param_for(v):
        if id(v) not in local:
            p = Value(v.type, hint=f"in{len(params)}")
            params.append(p)
            outer_inputs.append(v)
            local[id(v)] = p
        return local[id(v)]

    def clone(op, operands):
        # operands keep their types (params, cloned views and ops), so the results do too
        res = tuple(Value(r.type) for r in op.results)
        body_ops.append(Op(op.opdef, operands, op.attrs, res, op.regions, op.loc))
        for old, new in zip(op.results, res):
            local[id(old)] = new
        return res

    def use(v):
        if id(v) in local:
            return local[id(v)]
        if id(v) in defined_inside:
            raise AssertionError("use before def inside a fusion group")
        op = g.def_of(v)
        if op is not None and g.inlinable(v):
            clone(op, [use(x) for x in op.operands])
            return local[id(v)]
        vr = g.view_root(v)
        if vr is not None:
            root, chain = vr
            if id(root) in local:          # a view of a value computed in this group
                cur = local[id(root)]
            elif g.def_of(root) is not None and g.inlinable(root):
                cur = use(root)
            else:
                cur = param_for(root)
            for vop in chain:
                if id(vop.results[0]) in local:
                    cur = local[id(vop.results[0])]
                    continue
                (cur,) = clone(vop, [cur])
            return cur
        return param_for(v)

    for op in ops:
        clone(op, [use(v) for v in op.operands])
    compute = g.compute_ids

    def needed_outside(v):
        if id(v) in g.outputs:
            return True
        for u in g.users.get(id(v), []):
            if id(u) in inside:
                continue
            if id(u) in compute or any(needed_outside(r) for r in u.results):
                return True
        return False

    results = [r for op in ops for r in op.results if needed_outside(r)]
    body = Function(name, params, body_ops, [local[id(r)] for r in results])
    return body, outer_inputs, results


def _ancestors_hit(g, start_ops, is_target, lo, group_of):
    """Does any op reachable backwards from start_ops (index >= lo) satisfy is_target? An op's
    whole group counts as reached with it: a kernel runs all its ops at once, so it needs
    the inputs of every one of them."""
    seen, groups_seen = set(), set()
    stack = list(start_ops)
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if is_target(op):
            return True
        grp = group_of.get(id(op))
        if grp is not None and id(grp) not in groups_seen:      # each group expanded once
            groups_seen.add(id(grp))
            stack.extend(o for o in grp if id(o) not in seen)
        for v in op.operands:
            d = g.def_of(v)
            if d is not None and g.index[id(d)] >= lo:
                stack.append(d)
    return False


def _outside_producers(g, op, in_merged):
    """Kernels outside the merged group that feed ``op`` (looking through cloned views and
    constants); ``in_merged(op)`` tells membership."""
    out, stack = [], list(op.operands)
    while stack:
        d = g.def_of(stack.pop())
        if d is None or in_merged(d):
            continue
        if id(d) in g.compute_ids:
            out.append(d)
        else:
            stack.extend(d.operands)
    return out


def _creates_cycle(g, group_a, group_b, group_of, fresh=None) -> bool:
    """Would merging two groups make a kernel depend on itself through another kernel?
    (``group_of``: op id -> the group it is in now.) ``fresh``: group_b is just this op, the
    latest one grouped so far: no other group can read it, so only its own producers can
    close a cycle (a chain then costs O(1) per merge instead of O(group))."""
    if fresh is not None:          # group_a is sorted by index; membership by group identity
        lo = g.index[id(group_a[0])]

        def in_merged(o):
            return o is fresh or group_of.get(id(o)) is group_a
        checked = [fresh]
    else:
        merged = {id(o) for o in group_a} | {id(o) for o in group_b}
        lo = min(g.index[id(o)] for o in group_a + group_b)

        def in_merged(o):
            return id(o) in merged
        checked = group_a + group_b
    for o in checked:
        for d in _outside_producers(g, o, in_merged):
            if _ancestors_hit(g, [d], in_merged, lo, group_of):
                return True
    return False


def _kernel_info(g, ops):
    """The KernelInfo of a group's kernel, or None if the group is not one kernel."""
    try:
        body, _, _ = _build_region(g, ops, "k")
        return analyze(body)
    except NotFusible:
        return None


def _valid(g, ops) -> bool:
    return _kernel_info(g, ops) is not None


def _extends_map(g, cand, info, op, group_of) -> bool:
    """Is ``cand + [op]`` plainly the same map kernel? (op elementwise over cand's domain, its
    operands computed in cand or inputs / scalars): the common case of a long chain, decided
    without rebuilding the region (which made fusing an n-op chain O(n^2))."""
    if info is None or info.kind != "map" or not op.opdef.has(ELEMENTWISE) or len(op.results) != 1:
        return False
    if tuple(op.results[0].type.shape) != tuple(info.domain):
        return False
    for v in op.operands:
        d = g.def_of(v)
        if not (d is None or group_of.get(id(d)) is cand or g.inlinable(v)):
            return False
    return True


def _closed(grp) -> bool:
    """A group that takes no more ops: a concatenate or a barrier, always alone in its group
    (neither ever merges), so looking at the first op is enough."""
    return grp[0].name == CONCATENATE or _barrier(grp[0])


def _barrier(op) -> bool:
    """Ops that stay at the top level between kernels: control flow and side effects."""
    return op.opdef.has(REGION) or op.opdef.has(SIDE_EFFECT)


def _emit_control(g, rw, op, enabled, k) -> bool:
    """Keep a control-flow op at the top level with its regions fused; its operands must be
    buffers, so inlinable operands (scalar constants, views) get a small kernel of their own."""
    for v in op.operands:
        if id(v) in rw.map:
            continue
        d = g.def_of(v)
        if d is None or not (g.inlinable(v) or d.name in VIEW_OPS):
            return False          # produced by a kernel not emitted yet
        body, inputs, results = _build_region(g, [d], f"operand{k}_{len(rw.ops)}")
        if not all(id(x) in rw.map for x in inputs):
            return False
        new = rw.emit(FUSED, [rw[x] for x in inputs], {}, [body], loc=op.loc)
        for old, nv in zip(results, new):
            rw.set(old, nv)
    regions = tuple(fuse(r, enabled) for r in op.regions)
    rw.keep(op, regions)
    return True


def _group_inputs(g, grp) -> set:
    """Ids of the buffers a group reads (looking through cloned views and constants)."""
    inside = {id(o) for o in grp}
    out, stack = set(), [v for o in grp for v in o.operands]
    while stack:
        v = stack.pop()
        d = g.def_of(v)
        if d is None or id(d) in g.compute_ids:
            if d is None or id(d) not in inside:
                out.add(id(v))
            continue
        stack.extend(d.operands)
    return out


def _sibling_key(g, grp):
    """(kind, domain, axes, input buffer ids) of a group's kernel, or None if it takes no siblings."""
    if any(_barrier(o) or o.name == CONCATENATE for o in grp):
        return None
    try:
        body, _, _ = _build_region(g, grp, "k")
        kinfo = analyze(body)
    except NotFusible:
        return None
    if kinfo.kind == "matmul":
        return None
    return kinfo.kind, kinfo.domain, kinfo.axes, _group_inputs(g, grp)


def _fuse_siblings(g, groups):
    """Multi-output fusion of independent kernels that read a common buffer over the same
    domain: one loop reads the shared input once (e.g. ``(x * 2, x + 1)``: one kernel)."""
    groups = list(groups)
    keys = [_sibling_key(g, grp) for grp in groups]
    i = 0
    while i < len(groups):
        merged_into_i = False
        group_of = {id(o): grp for grp in groups for o in grp}
        for j in range(i + 1, len(groups)):
            ki, kj = keys[i], keys[j]
            if ki is None or kj is None or ki[:3] != kj[:3] or not (ki[3] & kj[3]):
                continue
            a, b_ = groups[i], groups[j]
            merged = sorted(a + b_, key=lambda o: g.index[id(o)])
            if _creates_cycle(g, a, b_, group_of) or not _valid(g, merged):
                continue
            groups[i], keys[i] = merged, _sibling_key(g, merged)
            del groups[j], keys[j]
            merged_into_i = True
            break
        if not merged_into_i:
            i += 1
    return groups


def fuse(fn: Function, enabled: bool = True) -> Function:
    g = _Graph(fn)
    compute = _compute_ops(g)
    g.compute_ids = {id(op) for op in compute}
    group_of: dict[int, list] = {}
    groups: list[list] = []
    infos: dict[int, object] = {}      # id(group) -> its KernelInfo, for groups made by merging
    for op in compute:
        grp = [op]
        groups.append(grp)
        group_of[id(op)] = grp
        if _closed(grp) or (not enabled and op.name != RESHAPE):
            continue   # unfused: only free reshapes of a kernel's output join it
        for v in op.operands:
            d = g.def_of(v)
            while d is not None and id(d) not in group_of and d.name in VIEW_OPS:
                d = g.def_of(d.operands[0])     # a view of a computed value: try its producer
            if d is None or id(d) not in group_of:
                continue
            cand = group_of[id(d)]
            if cand is grp or _closed(cand):
                continue
            fresh = op if len(grp) == 1 else None      # grp is just op, the newest op so far
            if fresh is not None:      # cand (sorted) + [op] stays sorted
                merged = cand + grp
            else:
                merged = sorted(cand + grp, key=lambda o: g.index[id(o)])
            if _creates_cycle(g, cand, grp, group_of, fresh=fresh):
                continue
            if fresh is not None and _extends_map(g, cand, infos.get(id(cand)), op, group_of):
                info = infos[id(cand)]
            else:
                info = _kernel_info(g, merged)
                if info is None:
                    continue
            groups.remove(cand)
            groups.remove(grp)
            infos.pop(id(cand), None)
            infos.pop(id(grp), None)
            grp = merged
            infos[id(grp)] = info
            groups.append(grp)
            for o in grp:
                group_of[id(o)] = grp
    if enabled:
        groups = _fuse_siblings(g, groups)
    # emit in program order of each group's last op, so inputs are defined first
    groups.sort(key=lambda grp: g.index[id(grp[-1])])
    rw = Rewriter(fn)
    for op in fn.ops:
        if op.name == CONSTANT and not _is_scalar_const(op):
            rw.keep(op)
    pending = list(groups)
    k = 0
    while pending:
        progress = False
        waiting = False          # a side effect not emitted yet: later side effects wait for it
        for grp in list(pending):
            if _barrier(grp[0]):
                effect = has_effect(grp[0])
                if not (effect and waiting) and _emit_control(g, rw, grp[0], enabled, k):
                    pending.remove(grp)
                    progress = True
                    k += 1
                elif effect:
                    waiting = True
                continue
            body, inputs, results = _build_region(g, grp, f"kernel{k}")
            if not all(id(v) in rw.map for v in inputs):
                continue
            new = rw.emit(FUSED, [rw[v] for v in inputs], {}, [body], loc=grp[-1].loc)
            for old, nv in zip(results, new):
                rw.set(old, nv)
            pending.remove(grp)
            k += 1
            progress = True
        if not progress:
            raise AssertionError("fusion produced a cyclic kernel graph")
    return rw.finish()

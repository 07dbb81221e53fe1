"""Buffer planning for the intermediates between kernels.

Guarantees: every result of a top-level ``fused`` (or control-flow) op gets a ``buffers`` attr
entry: ``-1`` for values the function returns (fresh arrays handed to the
caller), else a slot number. A slot is reused by a later kernel once every
reader of its previous value has run; a slot's size is the largest value it
ever holds. Inputs and outputs of one kernel never share a slot, with one exception:

In-place updates (the aliasing rule). A ``scatter`` kernel whose scatter operand is a region
parameter (or a reshape of one; :func:`inplace_param`) may write its result into that
parameter's buffer: the kernel then skips copying the operand and computes every index and
update value before it writes any (so a gather of the operand in the same kernel still reads
the old values). The plan gives the result the operand's slot when the operand is an
intermediate (a slot, not an argument, constant or result) whose last reader is this kernel
and which it reads once; the kernel sees ``out == operand`` at run time and writes in place.
The while-loop lowering applies the same rule to loop-carried values
(:meth:`xlaish.codegen.cpu.program._ProgramEmitter._while`): when body result ``k`` is made by
such a kernel from body parameter ``k``, which nothing reads after it, ``nxt[k]`` is
``cur[k]`` and the update costs the written region, not the array.
"""
from __future__ import annotations

from ..ir.core import Function
from ..ir.kernel import slot_sizes  # noqa: F401  (re-exported: the plan's reader)
from ..ir.opnames import CONSTANT, FUSED, RESHAPE, SCATTER


def inplace_param(region) -> int | None:
    """The index of the parameter a scatter kernel (``region``) may update in place: its
    scatter's operand, directly or through reshapes (same bytes, same order); else None."""
    scatters = [op for op in region.ops if op.name == SCATTER]
    if len(scatters) != 1:
        return None
    defs = {id(r): op for op in region.ops for r in op.results}
    x = scatters[0].operands[0]
    while id(x) in defs and defs[id(x)].name == RESHAPE:
        x = defs[id(x)].operands[0]
    return next((j for j, p in enumerate(region.params) if p is x), None)


def updates_read_operand(region, j) -> bool:
    """Do the indices or update values of the scatter kernel ``region`` depend on its parameter
    ``j`` (the operand it updates in place)? If not, the kernel writes each update directly and
    never reads the old buffer (:mod:`xlaish.codegen.cpu.gather_kernel`, the fusion report)."""
    defs = {id(r): op for op in region.ops for r in op.results}
    sc = next(op for op in region.ops if op.name == SCATTER)
    param = region.params[j]
    seen, stack = set(), list(sc.operands[1:])
    while stack:
        v = stack.pop()
        if v is param:
            return True
        if id(v) in seen:
            continue
        seen.add(id(v))
        op = defs.get(id(v))
        if op is not None:
            stack.extend(op.operands)
    return False


def inplace_operand(op, later_uses) -> int | None:
    """The operand index of the top-level ``fused`` op ``op`` whose buffer its result may
    reuse (see the module docstring): ``later_uses(value)`` tells whether anything after
    ``op`` reads the value."""
    if op.name != FUSED:
        return None
    j = inplace_param(op.regions[0])
    if j is None:
        return None
    v = op.operands[j]
    if sum(1 for u in op.operands if u is v) != 1 or later_uses(v):
        return None
    return j


def plan_buffers(fn: Function) -> Function:
    last_use: dict[int, int] = {}
    for i, op in enumerate(fn.ops):
        for v in op.operands:
            last_use[id(v)] = i
    results = {id(r) for r in fn.results}
    slot_of: dict[int, int] = {}
    owner: dict[int, int] = {}      # slot -> id of the value it holds now
    slot_size: list[int] = []
    free: list[int] = []
    new_ops = []
    for i, op in enumerate(fn.ops):
        if op.name == CONSTANT:
            new_ops.append(op)
            continue
        if op.name != FUSED and op.regions:     # control flow: plan inside each region too
            op = op.replace(regions=[plan_buffers(r) for r in op.regions])
        assign = []
        j = inplace_operand(op, lambda v, i=i: last_use.get(id(v), -1) > i)
        reuse = slot_of.get(id(op.operands[j])) if j is not None else None
        for r in op.results:
            if reuse is not None and id(r) not in results:
                slot_of[id(r)] = reuse      # written in place: the operand's slot passes on
                owner[reuse] = id(r)
                assign.append(reuse)
                continue
            if id(r) in results or (id(r) not in last_use and op.name == FUSED):
                assign.append(-1)      # a result, or an unused kernel output (DCE drops those)
                continue
            need = r.type.nbytes
            fit = [s for s in free if slot_size[s] >= need]
            if fit:
                s = min(fit, key=lambda k: slot_size[k])
            elif free:
                s = max(free, key=lambda k: slot_size[k])
                slot_size[s] = need
            else:
                s = len(slot_size)
                slot_size.append(need)
            if s in free:
                free.remove(s)
            slot_of[id(r)] = s
            owner[s] = id(r)
            assign.append(s)
        new_ops.append(op.replace(attrs=dict(op.attrs, buffers=tuple(assign))))
        # free the slots whose values are read for the last time by this op
        for v in op.operands:
            if last_use.get(id(v)) == i and id(v) in slot_of and slot_of[id(v)] not in free \
                    and owner.get(slot_of[id(v)]) == id(v):
                free.append(slot_of[id(v)])
        for r, s in zip(op.results, assign):
            if s >= 0 and id(r) not in last_use and s not in free:
                free.append(s)
    return fn.replace(ops=new_ops)

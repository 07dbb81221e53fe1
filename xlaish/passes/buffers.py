"""Buffer planning for the intermediates between kernels.

Guarantees: every result of a top-level ``fused`` (or control-flow) op gets a ``buffers`` attr
entry: ``-1`` for values the function returns (fresh arrays handed to the
caller), else a slot number. A slot is reused by a later kernel once every
reader of its previous value has run; a slot's size is the largest value it
ever holds. Inputs and outputs of one kernel never share a slot.
"""
from __future__ import annotations

from ..ir.core import Function
from ..ir.kernel import slot_sizes  # noqa: F401  (re-exported: the plan's reader)
from ..ir.opnames import CONSTANT, FUSED


def plan_buffers(fn: Function) -> Function:
    last_use: dict[int, int] = {}
    for i, op in enumerate(fn.ops):
        for v in op.operands:
            last_use[id(v)] = i
    results = {id(r) for r in fn.results}
    slot_of: dict[int, int] = {}
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
        for r in op.results:
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
            assign.append(s)
        new_ops.append(op.replace(attrs=dict(op.attrs, buffers=tuple(assign))))
        # free the slots whose values are read for the last time by this op
        for v in op.operands:
            if last_use.get(id(v)) == i and id(v) in slot_of and slot_of[id(v)] not in free:
                free.append(slot_of[id(v)])
        for r, s in zip(op.results, assign):
            if s >= 0 and id(r) not in last_use and s not in free:
                free.append(s)
    return fn.replace(ops=new_ops)

"""Dead-code elimination.

Guarantees: every remaining op has a used result or a side effect (its own or one of an op
in its regions; a ``pure_callback`` whose results are unused is dropped, as JAX allows); multi-result
region ops (``fused``) lose the results nobody uses (their regions shrink
accordingly); regions are cleaned recursively. Results of the function are
never removed.
"""
from __future__ import annotations

from ..ir.core import Function
from ..ir.opdef import REGION, SIDE_EFFECT
from ..ir.opnames import FUSED
from ..ir.ops.callback import removable


def dce(fn: Function) -> Function:
    live = {id(r) for r in fn.results}
    kept = []
    for op in reversed(fn.ops):
        used = [id(r) in live for r in op.results]
        if not any(used) and (not has_effect(op) or removable(op)):
            continue
        if op.opdef.has(REGION) and op.name == FUSED and not all(used):
            body = op.regions[0]
            body = body.replace(results=[r for r, u in zip(body.results, used) if u])
            op = op.replace(results=[r for r, u in zip(op.results, used) if u], regions=[dce(body)])
            op = _drop_unused_params(op)
        elif op.regions:
            op = op.replace(regions=[dce(r) for r in op.regions])
        kept.append(op)
        live.update(id(v) for v in op.operands)
    return fn.replace(ops=list(reversed(kept)))


def has_effect(op) -> bool:
    """Has ``op`` a side effect, itself or through an op of its regions (a loop that prints or
    checks indices is kept when nobody uses its results)?"""
    return op.opdef.has(SIDE_EFFECT) or any(has_effect(o) for r in op.regions for o in r.ops)


def _drop_unused_params(op):
    body = op.regions[0]
    used = set()
    for o in body.ops:
        used.update(id(v) for v in o.operands)
    used.update(id(r) for r in body.results)
    keep = [i for i, p in enumerate(body.params) if id(p) in used]
    if len(keep) == len(body.params):
        return op
    body = body.replace(params=[body.params[i] for i in keep])
    return op.replace(operands=[op.operands[i] for i in keep], regions=[body])

"""The reference interpreter: runs IR with each op's NumPy ``reference``.

It is the executable semantics of the IR. The passes' constant folder and the
tests use it; ``jit`` runs on it when no backend is available for the target.
"""
from __future__ import annotations

import numpy as np

from ..errors import IRError
from .core import Function


def interpret(fn: Function, args, check_types: bool = True) -> tuple[np.ndarray, ...]:
    """Run ``fn`` on NumPy arrays (one per parameter); returns a tuple of arrays."""
    if len(args) != len(fn.params):
        raise IRError(f"@{fn.name} takes {len(fn.params)} arguments, got {len(args)}")
    env = {id(p): np.asarray(a) for p, a in zip(fn.params, args)}
    for op in fn.ops:
        ins = [env[id(v)] for v in op.operands]
        if "interp" in op.opdef.lower:
            outs = op.opdef.lower["interp"](op, ins, interpret)
        else:
            outs = op.opdef.evaluate(ins, op.attrs)
        if len(outs) != len(op.results):
            raise IRError(f"{op.name}: reference gave {len(outs)} results, IR has {len(op.results)}")
        for r, o in zip(op.results, outs):
            if check_types and (o.shape != r.type.shape or o.dtype != r.type.dtype):
                raise IRError(f"{op.name}: reference gave {o.dtype}{list(o.shape)}, IR says {r.type}")
            env[id(r)] = o
    return tuple(env[id(r)] for r in fn.results)


def interpret_steps(fn: Function, args):
    """Yield (op, any float input had a NaN, outputs) for each top-level op, in order."""
    env = {id(p): np.asarray(a) for p, a in zip(fn.params, args)}
    with np.errstate(all="ignore"):
        for op in fn.ops:
            ins = [env[id(v)] for v in op.operands]
            if "interp" in op.opdef.lower:
                outs = op.opdef.lower["interp"](op, ins, interpret)
            else:
                outs = op.opdef.evaluate(ins, op.attrs)
            for r, o in zip(op.results, outs):
                env[id(r)] = o
            nan_in = any(a.dtype.kind == "f" and np.isnan(a).any() for a in ins)
            yield op, nan_in, outs

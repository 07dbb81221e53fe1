"""The verifier: def-before-use, single definition, closed regions, and every
result type equal to what the op's rules give. Tests run it after every pass."""
from __future__ import annotations

from ..errors import IRError
from .core import Function


def verify(fn: Function) -> Function:
    """Raise :class:`IRError` describing the first problem; return ``fn`` when it is well formed."""
    defined: set[int] = set()
    for p in fn.params:
        if id(p) in defined:
            raise IRError(f"@{fn.name}: parameter {p!r} appears twice")
        defined.add(id(p))
    for k, op in enumerate(fn.ops):
        where = f"@{fn.name}, op #{k} ({op.name})"
        for v in op.operands:
            if id(v) not in defined:
                raise IRError(f"{where}: operand {v!r} is used before it is defined")
        for r in op.regions:
            try:
                verify(r)
            except IRError as e:
                raise IRError(f"{where}: in region: {e}") from None
        try:
            expected = op.opdef.infer([v.type for v in op.operands], op.attrs, op.regions)
        except IRError as e:
            raise IRError(f"{where}: {e}") from None
        except Exception as e:  # shape/dtype rule refused the operands
            raise IRError(f"{where}: {type(e).__name__}: {e}") from None
        got = tuple(r.type for r in op.results)
        if expected != got:
            raise IRError(f"{where}: result types {tuple(map(str, got))} but the op's rules give "
                          f"{tuple(map(str, expected))}")
        for r in op.results:
            if id(r) in defined:
                raise IRError(f"{where}: result {r!r} is defined twice")
            defined.add(id(r))
    for r in fn.results:
        if id(r) not in defined:
            raise IRError(f"@{fn.name}: returned value {r!r} is not defined")
    return fn

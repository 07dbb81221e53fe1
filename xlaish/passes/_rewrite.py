"""A small helper every rewriting pass uses: rebuild a function op by op."""
from __future__ import annotations

from ..ir.core import Function, Op, Value
from ..ir.opdef import get


class Rewriter:
    """Maps old values to new ones while a pass appends ops to a new function."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.map: dict[int, Value] = {id(p): p for p in fn.params}
        self.ops: list[Op] = []

    def __getitem__(self, v: Value) -> Value:
        return self.map[id(v)]

    def set(self, old: Value, new: Value):
        self.map[id(old)] = new

    def emit(self, name, operands, attrs=None, regions=(), loc=None) -> tuple[Value, ...]:
        od = get(name) if isinstance(name, str) else name
        attrs = dict(attrs or {})
        types = od.infer([v.type for v in operands], attrs, regions)
        results = tuple(Value(t) for t in types)
        self.ops.append(Op(od, operands, attrs, results, regions, loc))
        return results

    def emit1(self, name, operands, attrs=None, regions=(), loc=None) -> Value:
        (r,) = self.emit(name, operands, attrs, regions, loc)
        return r

    def keep(self, op: Op, regions=None):
        """Copy ``op`` with its operands mapped; results keep their Value objects."""
        operands = tuple(self[v] for v in op.operands)
        regions = op.regions if regions is None else regions
        # identity, not ==: Function equality prints both functions (seconds for nested loops)
        same_regions = len(regions) == len(op.regions) and all(a is b for a, b in zip(regions, op.regions))
        if operands == op.operands and same_regions:
            self.ops.append(op)
        else:
            self.ops.append(op.replace(operands=operands, regions=regions))
        for r in op.results:
            self.map[id(r)] = r

    def finish(self, results=None) -> Function:
        res = [self[r] for r in self.fn.results] if results is None else results
        return Function(self.fn.name, self.fn.params, self.ops, res)

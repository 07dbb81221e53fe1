"""``Builder``: appends ops to a function under construction, inferring result types."""
from __future__ import annotations

from .core import Function, Op, Value
from .opdef import OpDef, get
from .types import TensorType


class Builder:
    def __init__(self, name: str = "main"):
        self.name = name
        self.params: list[Value] = []
        self.ops: list[Op] = []

    def param(self, type: TensorType, hint: str | None = None) -> Value:
        v = Value(type, hint)
        self.params.append(v)
        return v

    def emit(self, opdef: OpDef | str, operands=(), attrs=None, regions=(), loc=None) -> tuple[Value, ...]:
        """Append one op; returns its result values (types from the op's rules)."""
        od = get(opdef) if isinstance(opdef, str) else opdef
        attrs = dict(attrs or {})
        types = od.infer([v.type for v in operands], attrs, regions)
        results = tuple(Value(t) for t in types)
        self.ops.append(Op(od, operands, attrs, results, regions, loc))
        return results

    def emit1(self, opdef, operands=(), attrs=None, regions=(), loc=None) -> Value:
        (r,) = self.emit(opdef, operands, attrs, regions, loc)
        return r

    def build(self, results) -> Function:
        return Function(self.name, self.params, self.ops, results)

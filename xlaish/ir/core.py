"""The IR's data structures: ``Value``, ``Op`` and ``Function``.

* A ``Value`` is defined exactly once (SSA): as a function parameter or as a
  result of one ``Op``. Values compare by identity; names exist only in text.
* An ``Op`` applies an ``OpDef`` (see :mod:`xlaish.ir.opdef`) to operand values
  with static attributes, and may hold nested ``Function`` regions (``fused``,
  ``cond``, ``while``). Regions are closed: they see only their parameters.
* A ``Function`` is a straight-line list of ops with parameters and results.

All three are immutable; passes build new ones. Structural equality of two
functions is equality of their canonical text (value names are not part of
a function's meaning), which is what ``parse(print(f)) == f`` checks.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import MappingProxyType

from .types import TensorType


class _Frozen:
    __slots__ = ()

    def __setattr__(self, k, v):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _init(self, **kw):
        for k, v in kw.items():
            object.__setattr__(self, k, v)


class Value(_Frozen):
    """An SSA value of a ``TensorType``. ``hint`` is an optional name for printing."""

    __slots__ = ("type", "hint")

    def __init__(self, type: TensorType, hint: str | None = None):
        self._init(type=type, hint=hint)

    @property
    def shape(self):
        return self.type.shape

    @property
    def dtype(self):
        return self.type.dtype

    def __repr__(self):
        return f"Value({self.hint or hex(id(self))}: {self.type})"


class Op(_Frozen):
    """One operation: ``results = opdef(operands) {attrs} [regions]``.

    ``loc`` is the user's ``file:line`` that produced the op (for error messages).
    """

    __slots__ = ("opdef", "operands", "attrs", "results", "regions", "loc")

    def __init__(self, opdef, operands: Iterable[Value], attrs=None, results: Iterable[Value] = (),
                 regions: Iterable[Function] = (), loc: str | None = None):
        self._init(opdef=opdef, operands=tuple(operands),
                   attrs=MappingProxyType(dict(attrs or {})), results=tuple(results),
                   regions=tuple(regions), loc=loc)

    @property
    def name(self) -> str:
        return self.opdef.name

    @property
    def result(self) -> Value:
        (r,) = self.results
        return r

    def replace(self, **kw) -> Op:
        d = dict(opdef=self.opdef, operands=self.operands, attrs=self.attrs, results=self.results,
                 regions=self.regions, loc=self.loc)
        d.update(kw)
        return Op(**d)

    def __repr__(self):
        return f"Op({self.name}, {len(self.operands)} operands)"


class Function(_Frozen):
    """A typed SSA function: parameters, ops in order, results."""

    __slots__ = ("name", "params", "ops", "results")

    def __init__(self, name: str, params: Iterable[Value], ops: Iterable[Op], results: Iterable[Value]):
        self._init(name=name, params=tuple(params), ops=tuple(ops), results=tuple(results))

    @property
    def param_types(self) -> tuple[TensorType, ...]:
        return tuple(p.type for p in self.params)

    @property
    def result_types(self) -> tuple[TensorType, ...]:
        return tuple(r.type for r in self.results)

    def replace(self, **kw) -> Function:
        d = dict(name=self.name, params=self.params, ops=self.ops, results=self.results)
        d.update(kw)
        return Function(**d)

    def walk(self) -> Iterator[Op]:
        """Every op, nested regions included (pre-order)."""
        for op in self.ops:
            yield op
            for r in op.regions:
                yield from r.walk()

    def __str__(self):
        from .printer import print_function
        return print_function(self)

    def __repr__(self):
        return f"<Function @{self.name}: {len(self.ops)} ops>"

    def __eq__(self, other):
        if not isinstance(other, Function):
            return NotImplemented
        from .printer import print_function
        return print_function(self) == print_function(other)

    def __hash__(self):
        from .printer import print_function
        return hash(print_function(self))

"""``OpDef``: every fact about one op, in one record, registered once.

An ``OpDef`` holds the op's name, arity, traits, its dtype and shape rules,
its NumPy ``reference`` (the interpreter, the constant folder and the test
oracle), its lowerings per backend (``lower["cpu"]``, ``lower["cuda"]``) and,
when autodiff arrives, its ``vjp``. Adding an op means adding one record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import IRError
from .types import TensorType

# traits
ELEMENTWISE = "elementwise"
REDUCTION = "reduction"
COMMUTATIVE = "commutative"
PURE = "pure"
SHAPE = "shape"          # pure data movement (reshape, transpose, slice, broadcast_to, ...)
CREATION = "creation"    # no tensor operands (constant, iota)
REGION = "region"        # holds nested functions (fused, cond, while)
SIDE_EFFECT = "side_effect"  # must not be removed or reordered (debug.print, check)


class NotOnBackend:
    """An explicit, documented 'this op has no lowering on this backend'."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"NotOnBackend({self.reason!r})"


@dataclass(frozen=True, eq=False)
class OpDef:
    name: str
    arity: int | None                      # None: variadic
    dtype_rule: Callable                   # (in_dtypes: tuple, attrs) -> dtype | tuple of dtypes
    shape_rule: Callable                   # (in_shapes: tuple, attrs) -> shape | tuple of shapes
    reference: Callable                    # (*np arrays, **attrs) -> array | tuple of arrays
    traits: frozenset = frozenset({PURE})
    identity: Any = None                   # reductions: the identity element
    num_results: int | Callable = 1        # or (attrs) -> int
    lower: dict = field(default_factory=dict)   # backend -> lowering (or NotOnBackend)
    vjp: Callable | None = None
    region_rule: Callable | None = None    # region ops: (in_types, attrs, regions) -> result types
    doc: str = ""

    def has(self, trait: str) -> bool:
        return trait in self.traits

    def infer(self, in_types, attrs, regions=()) -> tuple[TensorType, ...]:
        """The result types this op gives for operand types and attrs (raises on misuse)."""
        if self.region_rule is not None:
            return tuple(self.region_rule(tuple(in_types), attrs, tuple(regions)))
        if self.arity is not None and len(in_types) != self.arity:
            raise IRError(f"op '{self.name}' takes {self.arity} operands, got {len(in_types)}")
        dts = self.dtype_rule(tuple(t.dtype for t in in_types), attrs)
        shapes = self.shape_rule(tuple(t.shape for t in in_types), attrs)
        if not isinstance(dts, tuple):
            dts = (dts,)
        if not shapes or not isinstance(shapes[0], tuple):
            shapes = (tuple(shapes),)
        if len(dts) == 1 and len(shapes) > 1:
            dts = dts * len(shapes)
        if len(shapes) == 1 and len(dts) > 1:
            shapes = shapes * len(dts)
        return tuple(TensorType(s, d) for s, d in zip(shapes, dts))

    def evaluate(self, args, attrs) -> tuple[np.ndarray, ...]:
        """Run the NumPy reference; always returns a tuple of ndarrays."""
        out = self.reference(*args, **attrs)
        if isinstance(out, tuple):
            return tuple(np.asarray(o) for o in out)
        return (np.asarray(out),)

    def __repr__(self):
        return f"OpDef({self.name})"


REGISTRY: dict[str, OpDef] = {}


def register(opdef: OpDef) -> OpDef:
    if opdef.name in REGISTRY:
        raise ValueError(f"op '{opdef.name}' registered twice")
    REGISTRY[opdef.name] = opdef
    return opdef


def get(name: str) -> OpDef:
    _ensure_loaded()
    try:
        return REGISTRY[name]
    except KeyError:
        raise IRError(f"unknown op '{name}'") from None


def all_ops() -> dict[str, OpDef]:
    _ensure_loaded()
    return dict(REGISTRY)


def _ensure_loaded():
    from . import ops  # noqa: F401  (importing registers every op)

"""``OpDef``: every fact about one op, in one record, registered once.

An ``OpDef`` holds the op's name, arity, traits, its dtype and shape rules,
its NumPy ``reference`` (the interpreter, the constant folder and the test
oracle), whether it is ``differentiable``, and the rules other layers attach
to it: its lowerings per backend (``lower["cpu"]``, ``lower["cuda"]``,
``lower["interp"]`` for ops the interpreter runs itself) and its ``vjp``.

The IR imports neither llvmlite, numba nor the NumPy layer, so those rules are
written in their own layers and attached when that layer is imported, as JAX
registers a primitive's lowerings and transformation rules into per-primitive
tables (``register_lowering`` / ``register_vjp``; both refuse an unknown op
name, a second rule for one op, and a VJP for an op declared not
differentiable). :mod:`xlaish.ir.lowering` is the contract a backend's rules
follow and checks a backend is complete; the registry tests check the whole
table. Adding an op means adding one record (or one row of a table) plus one
rule per backend and its VJP, each next to its peers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
INLINED = "inlined"      # replaced by canonicalize before any backend sees it (custom_vjp_call)


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
    vjp: Callable | None = None            # attached by xlaish.autodiff.rules (register_vjp)
    differentiable: bool = False           # has a VJP rule (False: gradients stop here; region ops
                                           # are differentiated by the transform itself)
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


class Structural:
    """The backend lowers this op itself, in its kernel generator (index arithmetic, loop nests,
    program-level control flow) rather than through a per-op rule; ``why`` says which part."""

    def __init__(self, why: str):
        self.why = why

    def __repr__(self):
        return f"Structural({self.why!r})"


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


def register_lowering(backend: str, name: str, rule) -> None:
    """Attach ``rule`` (a callable, a :class:`Structural` or a :class:`NotOnBackend`) as op
    ``name``'s lowering on ``backend``. Raises on an unknown op or a second rule."""
    od = get(name)
    if backend in od.lower and od.lower[backend] is not rule:
        raise IRError(f"op '{name}' already has a '{backend}' lowering")
    od.lower[backend] = rule


def register_vjp(name: str, rule: Callable) -> None:
    """Attach op ``name``'s reverse-mode rule. Raises on an unknown op, an op declared not
    differentiable (``differentiable=False`` in its record) or a second rule."""
    od = get(name)
    if not od.differentiable:
        raise IRError(f"op '{name}' is declared not differentiable; it takes no VJP rule")
    if od.vjp is not None and od.vjp is not rule:
        raise IRError(f"op '{name}' already has a VJP rule")
    object.__setattr__(od, "vjp", rule)       # the one field set after registration

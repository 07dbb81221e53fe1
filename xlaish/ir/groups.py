"""Op groups, derived once from the registry (traits and the elementwise rows).

Every layer that needs "the comparisons" or "the ops a kernel generator handles
itself" imports them from here instead of listing names again.

``COMPARISONS``   the six comparisons (rows with a predicate); ``PREDICATES`` maps each to
                  its predicate symbol (``"<"``, ``"=="``, ...)
``COMMUTATIVE``   ops with the ``commutative`` trait
``UNARY``/``BINARY``  the elementwise rows of arity 1 and 2 (NumPy functions, no attrs)
``MATH``          elementwise ops computed on floats by the math library function of their name
``STRUCTURAL``    ops a backend's kernel generator lowers itself, not through a per-op rule:
                  every op that is neither elementwise, a region nor a side effect
                  (reductions, shape ops, creation ops, ``matmul``) and ``astype`` (whose
                  semantics are :mod:`xlaish.ir.policy`'s cast table)
``INLINED``       ops canonicalize removes before any backend sees them
``PROGRAM``       ops a backend runs at program level (regions, side effects, ``constant``),
                  besides kernels: ``fused``, ``cond``, ``while``, ``debug_*``, ``constant``
``EXPRESSION``    ops a backend lowers with one rule per op: the elementwise ops but ``astype``
"""
from __future__ import annotations

from .opdef import COMMUTATIVE as _COMMUTATIVE_TRAIT
from .opdef import ELEMENTWISE, REGION, SIDE_EFFECT, all_ops
from .opdef import INLINED as _INLINED_TRAIT
from .opnames import ASTYPE
from .ops.elementwise import PREDICATES, ROWS_LIST

_OPS = all_ops()

COMPARISONS = frozenset(PREDICATES)
COMMUTATIVE = frozenset(n for n, od in _OPS.items() if od.has(_COMMUTATIVE_TRAIT))
UNARY = frozenset(r.name for r in ROWS_LIST if r.arity == 1)
BINARY = frozenset(r.name for r in ROWS_LIST if r.arity == 2)
MATH = frozenset(r.name for r in ROWS_LIST if r.math)
INLINED = frozenset(n for n, od in _OPS.items() if od.has(_INLINED_TRAIT))
STRUCTURAL = frozenset(n for n, od in _OPS.items()
                       if not od.traits & {ELEMENTWISE, REGION, SIDE_EFFECT}) | {"astype"}
PROGRAM = frozenset(n for n, od in _OPS.items()
                    if (od.has(REGION) or od.has(SIDE_EFFECT)) and n not in INLINED) | {"constant"}
EXPRESSION = frozenset(n for n, od in _OPS.items() if od.has(ELEMENTWISE) and n != ASTYPE)

__all__ = ["COMPARISONS", "PREDICATES", "COMMUTATIVE", "UNARY", "BINARY", "MATH", "STRUCTURAL",
           "INLINED", "PROGRAM", "EXPRESSION"]

"""The contract between the op registry and a backend: one rule per op, checked complete.

A backend's elementwise rules have one signature (Inductor's ``OpsHandler``
idea: one interface names every op, each backend implements all of it)::

    rule(ctx, args, dtype, out_dtype) -> backend value

``ctx`` is the backend's code-generation context, ``args`` the operands
(already in the loop dtype ``dtype``, see :mod:`xlaish.ir.ops.elementwise`),
``out_dtype`` the result dtype. A backend builds its table with
:class:`BackendRules`: ``@rules.op("add", ...)`` next to its peers, a generic
rule for a family of rows (math-library ops, scaling ops) where one rule
covers all, then ``rules.finish()``. ``finish`` fails (at import of the
backend) when an op of :data:`xlaish.ir.groups.EXPRESSION` has no rule or a
rule names an op the registry does not have, and attaches every rule to its
``OpDef`` (``opdef.lower[backend]``), with a :class:`~xlaish.ir.opdef.Structural`
marker for the ops the kernel generator lowers itself (``STRUCTURAL``,
``PROGRAM``) and the ``INLINED`` ones. The registry tests then check every op of
every backend from the records alone.

This module is the IR side: it imports neither llvmlite nor numba.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..errors import IRError
from . import groups
from .opdef import NotOnBackend, Structural, all_ops, register_lowering
from .ops.elementwise import ROWS


class ElementwiseRule(Protocol):
    def __call__(self, ctx, args: list, dtype, out_dtype): ...


class BackendRules:
    """One backend's rules, keyed by op name, filled next to each other and checked complete."""

    def __init__(self, backend: str):
        self.backend = backend
        self.table: dict[str, Callable] = {}
        self._families: list[tuple[Callable, Callable]] = []

    def op(self, *names: str):
        """Decorator: ``fn`` is the rule of ops ``names`` (a factory's result may be passed to
        :meth:`set` instead)."""
        def deco(fn):
            for n in names:
                self.set(n, fn)
            return fn
        return deco

    def set(self, name: str, rule: Callable) -> None:
        if name not in groups.EXPRESSION:
            raise IRError(f"{self.backend} rules: '{name}' is not an elementwise op of the registry")
        if name in self.table:
            raise IRError(f"{self.backend} rules: '{name}' has two rules")
        self.table[name] = rule

    def family(self, member: Callable, make: Callable) -> None:
        """Every row ``r`` with ``member(r)`` and no rule of its own gets ``make(r)``."""
        self._families.append((member, make))

    def finish(self, not_here: dict | None = None) -> dict:
        """Fill the families, check the table is complete, attach it to the records; returns it."""
        not_here = dict(not_here or {})
        for member, make in self._families:
            for name, row in ROWS.items():
                if name not in self.table and name not in not_here and member(row):
                    self.table[name] = make(row)
        missing = sorted(groups.EXPRESSION - set(self.table) - set(not_here))
        if missing:
            raise IRError(f"the {self.backend} backend has no rule for op(s) {missing}: add one next "
                          f"to its peers (or declare it NotOnBackend with a reason)")
        for name, rule in self.table.items():
            register_lowering(self.backend, name, rule)
        for name, why in not_here.items():
            register_lowering(self.backend, name, NotOnBackend(why))
        for name in all_ops():
            if name in groups.STRUCTURAL:
                register_lowering(self.backend, name, _STRUCTURAL)
            elif name in groups.PROGRAM:
                register_lowering(self.backend, name, _PROGRAM)
            elif name in groups.INLINED:
                register_lowering(self.backend, name, _INLINED)
        return self.table


_STRUCTURAL = Structural("the kernel generator (loop nests, index arithmetic, casts)")
_PROGRAM = Structural("the program: control flow and side effects run between kernels")
_INLINED = Structural("inlined by canonicalize before code generation")


def check_backend(backend: str) -> list[str]:
    """Names of ops with no ``lower[backend]`` entry (empty once the backend is imported)."""
    return sorted(n for n, od in all_ops().items() if backend not in od.lower)

"""Executables: what ``jit`` runs for one signature, and what every backend's executable offers.

``Executable`` is the interface ``jit`` programs against (no attribute
probing): every backend's executable derives from it.

``exe(flat_arrays) -> sequence of outputs``
    run on the leaves (NumPy arrays, Python/NumPy scalars, or device arrays
    where the backend takes them), one output per result.
``exe.call_tuple(args: tuple) -> tuple``
    the same for a tuple of leaves; a backend may make it faster for inputs
    that need no conversion (the CPU one passes the tuple to native code).
``exe.matched_runner(as_tuple=False) -> callable | None``
    optional fast path: a ``run(args) -> result`` for argument tuples that are
    ndarrays of exactly the traced dtypes and shapes (jit's fast path
    guarantees that), for programs with a single result (0-d as a NumPy
    scalar), or with ``as_tuple`` the tuple of every result; None if the
    backend has none. It must check anything the guarantee leaves open (layout).
``exe.artifact``
    native code for inspection (``llvm_ir()``, ``asm()``), or None.
``exe.source``
    generated source text (CUDA), or None.

``InterpretedExecutable`` runs the IR with the reference interpreter.
``describe_nan`` is the one NaN finder of every backend (``debug_nans``).
"""
from __future__ import annotations

import numpy as np

from ..ir.interpreter import interpret


class Executable:
    backend = "?"
    artifact = None
    source = None

    def __call__(self, arrays):
        raise NotImplementedError

    def call_tuple(self, args: tuple) -> tuple:
        return tuple(self(list(args)))

    def matched_runner(self, as_tuple: bool = False):
        return None


class InterpretedExecutable(Executable):
    backend = "interpreter"

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, arrays):
        with np.errstate(all="ignore"):
            return interpret(self.fn, arrays, check_types=False)


def describe_nan(traced, args, kernel: str, ops) -> str:
    """Which op turned NaN-free inputs into a NaN: re-run the traced (unoptimised) IR on the
    host arrays ``args`` and name the first such op and its source line; without the traced IR
    or the arguments, name the kernel and its ops (``ops``: (name, loc) pairs)."""
    if traced is not None and args is not None:
        from ..ir.interpreter import interpret_steps
        for op, nan_in, out in interpret_steps(traced, [np.asarray(a) for a in args]):
            if not nan_in and any(o.dtype.kind == "f" and np.isnan(o).any() for o in out):
                where = f" at {op.loc}" if op.loc else ""
                return f"NaN produced by '{op.name}'{where} (kernel {kernel})"
    desc = ", ".join(f"{n} at {loc}" if loc else n for n, loc in ops)
    return f"NaN produced in kernel {kernel} ({desc})"

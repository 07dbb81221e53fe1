"""Executables: what ``jit`` runs for one signature.

``InterpretedExecutable`` runs the IR with the reference interpreter; backends
provide their own executable with the same ``__call__(flat_arrays) -> tuple``.
"""
from __future__ import annotations

import numpy as np

from ..ir.interpreter import interpret


class InterpretedExecutable:
    backend = "interpreter"

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, arrays):
        with np.errstate(all="ignore"):
            return interpret(self.fn, arrays, check_types=False)

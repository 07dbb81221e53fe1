"""A whole fused program -> one Python module of Numba CUDA kernels (source text).

The module holds, in order: the math bindings of the target (:mod:`.target`),
the device helpers the kernels use (:mod:`.ops`), one or more kernels per
``fused`` op (:mod:`.kernelgen`, :mod:`.reduce`) and ``PLAN``, a literal list
with one entry per fused op in program order (pre-order through ``cond`` and
``while`` regions): its kernel launches and scratch arrays. The runtime
(:mod:`xlaish.runtime.cuda`) binds ``kernel`` (``cuda.jit(signature)``) and
``device`` (``cuda.jit(device=True)``) before running the module, so the
same text compiles eagerly on a GPU, runs under the simulator, or is handed
to ``numba.cuda.compile_ptx`` by tests.

Generating the text needs no numba: unsupported ops are named here, at
lowering time, never at launch.
"""
from __future__ import annotations

from ...ir.core import Function
from ...ir.opnames import COND, FUSED, WHILE
from .kernelgen import generate_region
from .ops import PROGRAM_OPS
from .region import KernelSource
from .source import ModuleSource, unsupported
from .target import GPU, Target, prelude

FORMAT = 1

HEADER = '''"""xlaish CUDA kernels for @{name} (target: {kind}). Generated from the optimised IR; do not edit.

``kernel(sig)`` is ``numba.cuda.jit(sig)`` and ``device`` is
``numba.cuda.jit(device=True)``: the runtime binds both before running this module.
"""
import math

import numpy as np
from numba import cuda
'''


class CudaModule:
    """Generated source of one program and the per-fused-op launch plan."""

    def __init__(self, text: str, plan: list, kernels: list[KernelSource]):
        self.text, self.plan, self.kernels = text, plan, kernels


def fused_ops(fn: Function):
    """Every fused op of fn, in the order PLAN lists them (pre-order through regions)."""
    out = []

    def walk(f):
        for op in f.ops:
            if op.name == FUSED:
                out.append(op)
            elif op.name in (COND, WHILE):
                for r in op.regions:
                    walk(r)
    walk(fn)
    return out


def check_program(fn: Function):
    for op in fn.ops:
        if op.name not in PROGRAM_OPS:
            raise unsupported(op, "(outside a fused kernel)")
        if op.name in (COND, WHILE):
            for r in op.regions:
                check_program(r)


def generate(fn: Function, target: Target = GPU) -> CudaModule:
    check_program(fn)
    mod = ModuleSource(target)
    kernels = []
    for k, op in enumerate(fused_ops(fn)):
        name = f"k{k}_{op.regions[0].name}".replace(".", "_").replace("-", "_")
        kernels.append(generate_region(mod, op.regions[0], name))
    plan = [{"name": ks.name, "kind": ks.kind, "strategy": ks.strategy, "launches": ks.launches,
             "scratch": ks.scratch} for ks in kernels]
    parts = [HEADER.format(name=fn.name, kind=target.kind)]
    pre = prelude(target, mod.math_used)
    if pre:
        parts.append(pre)
    parts += mod.helper_text
    parts += [ks.text for ks in kernels]
    parts.append("PLAN = " + _literal(plan))
    text = "\n\n\n".join(p.strip("\n") for p in parts) + "\n"
    return CudaModule(text, plan, kernels)


def _literal(plan) -> str:
    lines = ["["]
    for entry in plan:
        lines.append("    {")
        for k, v in entry.items():
            lines.append(f"        {k!r}: {v!r},")
        lines.append("    },")
    lines.append("]")
    return "\n".join(lines)

"""Compile a fused program for the CPU: LLVM module -> JIT engine -> NativeExecutable."""
from __future__ import annotations

from ..codegen.cpu import llvm_target
from ..codegen.cpu.program import build_module
from .native import NativeExecutable


class CpuArtifact:
    """The LLVM side of one compiled program, kept for inspection (``llvm_ir``, ``asm``)."""

    def __init__(self, module_text, engine, module_ref):
        self.module_text = module_text
        self.engine = engine
        self.module_ref = module_ref


def compile_cpu(fn):
    module, layout = build_module(fn)
    text = str(module)
    engine, mod = llvm_target.compile_module(text)
    addr = engine.get_function_address("xl_entry")
    art = CpuArtifact(text, engine, mod)
    exe = NativeExecutable(addr, layout, keepalive=art)
    exe.artifact = art
    return exe
